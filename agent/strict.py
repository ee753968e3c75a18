"""The one strict base for what people write and the agent reads (campaign files, leads, imported
records): an unknown field is an error naming it, never silently ignored, and a read value is
not changed behind the reader's back."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
