"""Charts drawn on the server as SVG: no script, no network, readable as text by a screen reader
(each chart has a title and a description; each bar carries its figure as text and as data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Distinguishable colours (Okabe-Ito), each at least 3:1 against white.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#7a6a00", "#56389c", "#a4130b", "#4a4a4a")
INK = "#1a1a1a"


@dataclass(frozen=True)
class Bar:
    key: str  # what the figure is, for people and for tests (data-figure)
    label: str
    value: float
    shown: str  # the value as printed beside the bar


def _frame(chart_id: str, title: str, description: str, width: int, height: int, body: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" id="{chart_id}">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(description)}</desc>'
        f"{body}</svg>"
    )


def bars(chart_id: str, title: str, rows: Sequence[Bar], *, width: int = 520) -> Markup:
    """Horizontal bars, one per row, the longest as wide as the chart allows."""
    label_w, row_h, value_w = 170, 28, 70
    top = max((r.value for r in rows), default=0) or 1
    parts = []
    for i, row in enumerate(rows):
        y = i * row_h + 4
        length = (width - label_w - value_w) * max(row.value, 0) / top
        parts.append(
            f'<g data-figure="{escape(row.key)}" data-value="{escape(row.shown)}">'
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{escape(row.label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length:.1f}" height="{row_h - 8}" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + length + 6:.1f}" y="{y + 16}" fill="{INK}">{escape(row.shown)}</text></g>'
        )
    description = "; ".join(f"{r.label}: {r.shown}" for r in rows) or "no data yet"
    return _frame(chart_id, title, description, width, max(len(rows), 1) * row_h + 8, "".join(parts))


def stacked_columns(
    chart_id: str, title: str, columns: Sequence[tuple[str, dict[str, int]]], *, width: int = 520
) -> Markup:
    """One column per period, stacked by kind, with a legend (kinds in a fixed order, colours kept)."""
    kinds = sorted({k for _, counts in columns for k in counts})
    height, legend_h, axis_h = 220, 20 * ((len(kinds) + 2) // 3), 24
    plot_h = height - axis_h
    top = max((sum(c.values()) for _, c in columns), default=0) or 1
    step = (width - 40) / max(len(columns), 1)
    parts = [f'<line x1="30" y1="{plot_h}" x2="{width}" y2="{plot_h}" stroke="{INK}"/>']
    for i, (period, counts) in enumerate(columns):
        x, y = 36 + i * step, float(plot_h)
        for k, kind in enumerate(kinds):
            n = counts.get(kind, 0)
            if n:
                h = (plot_h - 10) * n / top
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(period)}: {escape(kind)} {n}</title></rect>'
                )
        total = sum(counts.values())
        parts.append(f'<text x="{x:.1f}" y="{y - 3:.1f}" fill="{INK}">{total}</text>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" fill="{INK}">{escape(period)}</text>')
    for k, kind in enumerate(kinds):
        lx, ly = 10 + (k % 3) * (width // 3), height + 14 + (k // 3) * 20
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{lx + 18}" y="{ly}" fill="{INK}">{escape(kind.replace("_", " "))}</text>')
    description = "; ".join(
        f"{period}: " + ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(c.items())) for period, c in columns
    )
    return _frame(chart_id, title, description or "no replies yet", width, height + legend_h + 8, "".join(parts))
