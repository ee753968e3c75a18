"""Email addresses: their syntax (email-validator, no DNS lookup), and what they tell before anything
is sent: a role mailbox that no one person reads, or a throwaway address.

An address is kept in one spelling, lower case with its domain as DNS has it (punycode), so that
the same person imported twice in two spellings is one contact.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from agent.accounts.domains import is_disposable, is_free_mail

# Mailboxes that belong to a function, not a person (the usual lists of role accounts, cut to the
# ones seen in B2B exports): writing to them reaches a queue, and complaints come from there.
ROLE_MAILBOXES = frozenset(
    {
        "abuse",
        "accounting",
        "accounts",
        "admin",
        "administrator",
        "billing",
        "careers",
        "contact",
        "contactus",
        "customerservice",
        "enquiries",
        "feedback",
        "finance",
        "hello",
        "help",
        "hostmaster",
        "hr",
        "info",
        "inquiries",
        "jobs",
        "legal",
        "mail",
        "marketing",
        "media",
        "news",
        "noreply",
        "no-reply",
        "office",
        "orders",
        "postmaster",
        "press",
        "privacy",
        "purchasing",
        "recruiting",
        "reservations",
        "sales",
        "security",
        "service",
        "support",
        "team",
        "webmaster",
    }
)


def normalise_address(value: str) -> str:
    """The address in its one spelling; a `ValueError` saying what is wrong with it."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an email address ({exc})") from None
    return (checked.ascii_email or checked.normalized).lower()


@dataclass(frozen=True)
class AddressFlags:
    role: bool  # info@, sales@...: a shared mailbox
    disposable: bool  # a throwaway-address service
    free_mail: bool  # a person's own mailbox at a free provider: says nothing about the company


def flags_of(address: str) -> AddressFlags:
    local, domain = address.lower().rsplit("@", 1)
    return AddressFlags(
        role=local.split("+", 1)[0] in ROLE_MAILBOXES,
        disposable=is_disposable(domain),
        free_mail=is_free_mail(domain),
    )
