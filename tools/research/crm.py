"""The imported record itself, as a source: firmographics are facts the operator gave us."""

from __future__ import annotations

from tools.research.base import Company, ResearchSettings, SourceDoc, source_tool


@source_tool("crm")
def crm_record(account: Company, settings: ResearchSettings) -> list[SourceDoc]:  # noqa: ARG001 (the tool protocol)
    parts = [f"{account.name} is a company at {account.domain}."]
    if account.industry:
        parts.append(f"{account.name} works in {account.industry}.")
    if account.employees:
        parts.append(f"{account.name} has about {account.employees:,} employees.")
    place = ", ".join(p for p in (account.city, account.region, account.country) if p)
    if place:
        parts.append(f"{account.name} is based in {place}.")
    if account.technologies:
        parts.append(f"{account.name} uses {', '.join(account.technologies)}.")
    if account.description:
        parts.append(account.description.strip())
    return [SourceDoc(kind="crm", title=f"CRM record for {account.name}", text=" ".join(parts))]
