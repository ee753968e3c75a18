"""The operators' dashboard of a campaign, as a desk page or as one static HTML file to share
(`sdr report --html`): the same figures and charts, the file with its stylesheet inside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from starlette.responses import Response

from agent.desk import charts
from agent.desk.auth import Handler, Visit
from agent.desk.charts import Bar
from agent.desk.pages import TEMPLATES, render
from agent.desk.results import CampaignResults, RateRow, campaign_results
from agent.store.tables import Campaign
from agent.workspace import Workspace

STYLESHEET = Path(__file__).with_name("static") / "desk.css"


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.1f}%"


def _rates(chart_id: str, title: str, rows: list[RateRow]) -> Markup:
    bars = []
    for row in rows:
        bars.append(Bar(f"{row.name}:reply_rate", f"{row.name} replied", row.reply_rate or 0, _percent(row.reply_rate)))
        bars.append(
            Bar(
                f"{row.name}:positive_rate", f"{row.name} positive", row.positive_rate or 0, _percent(row.positive_rate)
            )
        )
    return charts.bars(chart_id, title, bars)


def figures(results: CampaignResults) -> dict[str, Any]:
    """What the page shows: the charts, and the headline figures as `sdr status --json` has them."""
    r = results.status.results
    funnel = [
        ("contacted", "Contacted", r.contacted),
        ("replied", "Replied", r.replied),
        ("positive", "Positive", r.positive),
        ("meetings_booked", "Meetings booked", r.meetings_booked),
        ("meetings_held", "Meetings held", r.meetings_held),
        ("handoffs_accepted", "Handoffs accepted", r.handoffs_accepted),
    ]
    per_lead = results.status.per_lead
    return {
        "campaign": results.status.campaign,
        # What a circuit breaker stopped, and why (as `sdr status` says it): nothing goes out from it.
        "paused": sorted(results.status.paused.items()),
        "headline": [
            ("reply_rate", "Reply rate", _percent(r.reply_rate)),
            ("show_rate", "Show rate", _percent(r.show_rate)),
            ("acceptance_rate", "Handoffs accepted (of closed)", _percent(r.acceptance_rate)),
            ("llm_calls", "Model calls per lead", f"{per_lead.get('llm_calls', 0):g}"),
            ("tokens", "Tokens per lead", f"{per_lead.get('tokens', 0):g}"),
            ("model_seconds", "Model seconds per lead", f"{per_lead.get('model_seconds', 0):g}"),
        ],
        "funnel": charts.bars("funnel", "The funnel", [Bar(k, label, n, str(n)) for k, label, n in funnel]),
        "intents": charts.stacked_columns("intents", "Replies by intent, per week", results.replies_by_week),
        "by_step": _rates("by-step", "Reply and positive rates by step", results.by_step),
        "by_segment": _rates("by-segment", "Reply and positive rates by segment (industry)", results.by_segment),
        "speed": charts.bars(
            "speed",
            "Speed-to-lead: inbound leads by time to first answer",
            [Bar(f"speed:{label}", label, n, str(n)) for label, n in results.speed_to_lead],
        ),
    }


def campaign_names(ws: Workspace) -> list[str]:
    with ws.store.transaction() as session:
        return list(session.scalars(select(Campaign.name).order_by(Campaign.id)))


def dashboards(ws: Workspace, campaign: str | None) -> list[dict[str, Any]]:
    """The figures of one campaign, or of every campaign."""
    names = [campaign] if campaign else campaign_names(ws)
    return [figures(found) for name in names if (found := campaign_results(ws, name)) is not None]


def stylesheet() -> Markup:
    """The desk's stylesheet, for a page that must stand alone (it is the package's own file)."""
    return Markup(STYLESHEET.read_text(encoding="utf-8"))


def report_html(ws: Workspace, campaign: str | None, as_of: str) -> str:
    """The dashboard as one HTML file: no script, no link out, its stylesheet inside."""
    return TEMPLATES.get_template("report.html").render(
        dashboards=dashboards(ws, campaign), chosen=campaign, css=stylesheet(), as_of=as_of
    )


def results_page(ws: Workspace) -> Handler:
    def page(visit: Visit) -> Response:
        chosen = str(visit.request.query_params.get("campaign") or "") or None
        names = campaign_names(ws)
        return render(
            "results.html",
            visit=visit,
            dashboards=dashboards(ws, chosen if chosen in names else None),
            campaigns=names,
            chosen=chosen,
        )

    return page
