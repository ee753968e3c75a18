"""One imported row: an account, a contact, or both, validated before anything is stored."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from agent.accounts.addresses import normalise_address
from agent.accounts.domains import host_of, is_free_mail, registered_domain
from agent.clock import TimeZoneName


def domain_of(value: str) -> str:
    """The registered domain of a web address or host: `https://eu.Acme.com/about` -> `acme.com`."""
    return registered_domain(host_of(value))


# A host name: dot-separated labels of letters, digits and inner hyphens (IDNs in punycode).
HOST_NAME = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# What a spreadsheet reads as a formula when the file is opened or exported again ("CSV injection"):
# a cell starting with =, @, a tab or carriage return; or with + or - unless it is a number or a
# phone number (+1 775-555-0142).
FORMULA = re.compile(r"^[=@\t\r]|^[+-](?![\d\s().-]*$)")


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    domain: str | None = None
    name: str | None = None
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    region: str | None = None
    city: str | None = None
    technologies: list[str] = []
    website: str | None = None
    description: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    timezone: TimeZoneName | None = None
    linkedin_url: str | None = None
    phone: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _blanks(cls, data: Any) -> Any:
        return {k: _blank_to_none(v) for k, v in data.items()} if isinstance(data, dict) else data

    @field_validator("*", mode="before")
    @classmethod
    def _no_formulas(cls, value: Any) -> Any:
        """Refused rather than rewritten: a cell that a spreadsheet would run is not a name or a
        title to put in an email, and whoever exported it should see it."""
        if isinstance(value, str) and FORMULA.match(value.strip(" ")):
            raise ValueError(
                f"{value[:40]!r} looks like a spreadsheet formula; remove the leading {value.strip(' ')[0]!r}"
            )
        return value

    @field_validator("employees", mode="before")
    @classmethod
    def _employees(cls, value: Any) -> Any:
        """Exports write `1,200`, `1200.0` or a band like `201-500` (taken at its midpoint)."""
        if not isinstance(value, str):
            return value
        text = value.replace(",", "").replace("+", "").strip()
        if band := re.fullmatch(r"(\d+)\s*-\s*(\d+)", text):
            return (int(band[1]) + int(band[2])) // 2
        if re.fullmatch(r"\d+(\.0+)?", text):
            return int(float(text))
        raise ValueError(f"{value!r} is not a number of employees")

    @field_validator("technologies", mode="before")
    @classmethod
    def _technologies(cls, value: Any) -> Any:
        if value is None:
            return []
        if isinstance(value, str):
            return [t.strip() for t in re.split(r"[;|]", value) if t.strip()]
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalise_address(value)

    @model_validator(mode="after")
    def _resolve_domain(self) -> Row:
        if self.domain:
            self.domain = domain_of(self.domain)
        elif self.website:
            self.domain = domain_of(self.website)
        elif self.email and not is_free_mail(email_domain := self.email.rsplit("@", 1)[1]):
            self.domain = registered_domain(email_domain)
        if not self.domain:
            raise ValueError("cannot tell the company: give a domain or website column (or a company email)")
        if is_free_mail(self.domain):
            raise ValueError(f"{self.domain} is a mail provider, not the company: give the company's own domain")
        if not HOST_NAME.match(self.domain):
            raise ValueError(f"domain {self.domain!r} is not a web domain (such as acme.com)")
        if not self.email and not self.name:
            raise ValueError("a row needs an email (a contact) or a company name (an account)")
        return self

    @property
    def account_fields(self) -> dict[str, Any]:
        keys = ("name", "industry", "employees", "country", "region", "city", "website", "description")
        fields = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        if self.technologies:
            fields["technologies"] = self.technologies
        return fields

    @property
    def contact_fields(self) -> dict[str, Any]:
        keys = ("first_name", "last_name", "title", "timezone", "linkedin_url", "phone")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
