"""Column names: ours, and the ones HubSpot and Salesforce exports use, mapped to one record."""

from __future__ import annotations

import difflib
import re

# Canonical field -> accepted column names (compared after `normalise`).
ALIASES: dict[str, tuple[str, ...]] = {
    "domain": ("domain", "company domain name", "company domain", "account domain", "account_domain"),
    "name": ("name", "company", "company name", "account name", "account"),
    "industry": ("industry",),
    "employees": (
        "employees",
        "number of employees",
        "no. of employees",
        "numberofemployees",
        "employee count",
        "company size",
    ),
    "country": ("country", "country/region", "billing country", "mailing country"),
    "region": ("region", "state/region", "state", "billing state/province", "state/province"),
    "city": ("city", "billing city", "mailing city"),
    "technologies": ("technologies", "tech stack", "technology"),
    "website": ("website", "website url", "company website"),
    "description": ("description", "company description", "about"),
    "email": ("email", "email address", "e-mail"),
    "first_name": ("first_name", "first name", "firstname"),
    "last_name": ("last_name", "last name", "lastname"),
    "title": ("title", "job title", "jobtitle"),
    "timezone": ("timezone", "time zone", "ianatimezone"),
    "linkedin_url": ("linkedin_url", "linkedin url", "linkedin", "linkedin profile"),
    "phone": ("phone", "phone number", "mobile phone number", "mobile"),
}

# Columns that exports always carry and that the agent has no use for: read past, not refused.
IGNORED = frozenset(
    normalised
    for normalised in (
        "record id",
        "contact id",
        "lead id",
        "account id",
        "create date",
        "created date",
        "last modified date",
        "lifecycle stage",
        "lead status",
        "lead source",
        "contact owner",
        "lead owner",
        "account owner",
        "owner",
        "last activity date",
        "associated company",
        "salutation",
        "rating",
        "annual revenue",
        "fax",
        "street",
        "zip",
        "postal code",
        "zip code",
        "mailing street",
        "mailing zip/postal code",
        "billing street",
        "billing zip/postal code",
        "original source",
        "marketing contact status",
    )
)


def normalise(column: str) -> str:
    return re.sub(r"\s+", " ", column.strip().lower().replace("_", " ")).strip()


_LOOKUP = {normalise(alias): field for field, aliases in ALIASES.items() for alias in aliases}


def field_for(column: str) -> str | None:
    """The canonical field for a column name, None when the column is known noise."""
    key = normalise(column)
    if key in _LOOKUP:
        return _LOOKUP[key]
    if key in IGNORED:
        return None
    raise KeyError(column)


def suggestion(column: str) -> str:
    close = difflib.get_close_matches(normalise(column), list(_LOOKUP), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
