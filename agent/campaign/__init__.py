"""The campaign file, below every capability that reads it: the sender, ICP, sequence, review and
sending rules (`file`), and the sections that configure the capabilities: `meetings`,
`qualification` (replies, the SQL bar, handoffs) and `inbound`."""

from agent.campaign.file import (
    WEEKDAYS,
    CampaignSpec,
    Channel,
    Persona,
    ProofPoint,
    Sender,
    Sending,
    TriggerKind,
    load_campaign,
    locate,
    spec_json,
    stored_spec,
)

__all__ = [
    "WEEKDAYS",
    "CampaignSpec",
    "Channel",
    "Persona",
    "ProofPoint",
    "Sender",
    "Sending",
    "TriggerKind",
    "load_campaign",
    "locate",
    "spec_json",
    "stored_spec",
]
