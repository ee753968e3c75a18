"""One imported row: an account, a contact, or both, validated before anything is stored."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from agent.clock import TimeZoneName

EMAIL = re.compile(r"^[^@\s,;<>]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "web.de",
        "mail.com",
    }
)


def domain_of(value: str) -> str:
    """`https://www.Acme.com/about` -> `acme.com`."""
    value = value.strip().lower()
    value = re.sub(r"^[a-z]+://", "", value).split("/")[0].split("?")[0]
    value = value.removeprefix("www.").rstrip(".")
    if not value.isascii():  # an internationalised name is stored as DNS has it
        with contextlib.suppress(UnicodeError):  # else left as written, and refused by the row's check
            value = value.encode("idna").decode("ascii")
    return value


# A host name: dot-separated labels of letters, digits and inner hyphens (IDNs in punycode).
HOST_NAME = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


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
        if value is None:
            return None
        if not EMAIL.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value.lower()

    @model_validator(mode="after")
    def _resolve_domain(self) -> Row:
        if self.domain:
            self.domain = domain_of(self.domain)
        elif self.website:
            self.domain = domain_of(self.website)
        elif self.email and (email_domain := self.email.split("@", 1)[1]) not in FREE_MAIL:
            self.domain = email_domain
        if not self.domain:
            raise ValueError("cannot tell the company: give a domain or website column (or a company email)")
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
