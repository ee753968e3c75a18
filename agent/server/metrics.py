"""`GET /metrics` in Prometheus's format: what this process counted (webhooks accepted and refused
by reason), and what the store says, which every process and worker shares (queue depth and age,
sends by outcome, speed-to-lead, model calls by task and outcome, with their latency)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from agent.clock import utcnow
from agent.inbound.tables import LeadRecord
from agent.replies.tables import ReceivedMail
from agent.states import OutboxState
from agent.store.tables import LlmCall, OutboxMessage
from agent.workspace import Workspace

SPEED_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0, 60.0, 300.0, 3600.0)
LATENCY_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _histogram(name: str, doc: str, values: list[float], buckets: tuple[float, ...]) -> HistogramMetricFamily:
    cumulative = [(str(b), float(sum(1 for v in values if v <= b))) for b in buckets]
    cumulative.append(("+Inf", float(len(values))))
    return HistogramMetricFamily(name, doc, buckets=cumulative, sum_value=sum(values))


class StoreCollector(Collector):
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with self.ws.store.transaction() as session:
            depth = GaugeMetricFamily("sdr_queue_depth", "Work waiting or in hand, by queue.", labels=["queue"])
            age = GaugeMetricFamily("sdr_queue_oldest_seconds", "Age of the oldest waiting work.", labels=["queue"])
            queues = {
                "leads": (LeadRecord.received_at, LeadRecord.state.in_(["received", "answering"])),
                "replies": (ReceivedMail.received_at, ReceivedMail.state.in_(["received", "handling"])),
                "outbox": (OutboxMessage.created_at, OutboxMessage.state.in_([OutboxState.approved, "sending"])),
            }
            for queue, (stamp, where) in queues.items():
                count, oldest = session.execute(select(func.count(), func.min(stamp)).where(where)).one()
                depth.add_metric([queue], count)
                age.add_metric([queue], (now - oldest).total_seconds() if oldest else 0.0)
            yield depth
            yield age
            outbox = GaugeMetricFamily(
                "sdr_outbox_messages", "Outbox messages by origin and state.", labels=["origin", "state"]
            )
            rows = session.execute(
                select(OutboxMessage.origin, OutboxMessage.state, func.count()).group_by(
                    OutboxMessage.origin, OutboxMessage.state
                )
            )
            for origin, state, count in rows:
                outbox.add_metric([str(origin), str(state)], count)
            yield outbox
            timed = LeadRecord.speed_to_lead_seconds.is_not(None)
            speeds = [
                s for s in session.scalars(select(LeadRecord.speed_to_lead_seconds).where(timed)) if s is not None
            ]
            yield _histogram("sdr_speed_to_lead_seconds", "From the form to the first answer.", speeds, SPEED_BUCKETS)
            calls = GaugeMetricFamily("sdr_model_calls", "Model calls by task and outcome.", labels=["task", "outcome"])
            for task, outcome, count in session.execute(
                select(LlmCall.task, LlmCall.outcome, func.count()).group_by(LlmCall.task, LlmCall.outcome)
            ):
                calls.add_metric([task, outcome], count)
            yield calls
            latency = [ms / 1000 for ms in session.scalars(select(LlmCall.latency_ms))]
            yield _histogram("sdr_model_call_seconds", "Model call latency.", latency, LATENCY_BUCKETS)


class ServerMetrics:
    """One registry per app: what this process counts, plus the store's figures."""

    def __init__(self, ws: Workspace) -> None:
        self.registry = CollectorRegistry()
        self.accepted = Counter("sdr_webhooks_accepted", "Webhook requests stored.", ["kind"], registry=self.registry)
        self.refused = Counter("sdr_webhooks_refused", "Webhook requests refused.", ["reason"], registry=self.registry)
        self.registry.register(StoreCollector(ws))
