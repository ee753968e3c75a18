"""What is checked about a prospect's address before a cold email goes to it.

Import already refuses bad syntax and names role and throwaway addresses, but addresses also come
from CRMs, webhooks and workspaces made by older releases, and a campaign may run months after
its import. So the sender asks again, at the moment of sending, for every sequence email:
- the syntax (email-validator, no DNS);
- a throwaway-address service: never written to (nobody is there, and such domains feed spam traps);
- a role mailbox (info@, sales@): held, unless the campaign says `send_to_role_addresses`;
- the domain's mail servers (MX, or the A/AAAA fallback of RFC 5321), only when the network is
  allowed (`SDR_ALLOW_NETWORK`): a domain that takes no mail bounces, and bounces pause mailboxes.
A lookup that cannot be made (no answer in time, a reserved test domain) never blocks a send.
Answers to people who wrote to us are not checked: they chose their own address.
"""

from __future__ import annotations

from functools import lru_cache

import dns.exception
import dns.resolver
from email_validator import EmailUndeliverableError
from email_validator.deliverability import validate_email_deliverability

from agent.accounts.addresses import flags_of, normalise_address

MX_TIMEOUT_SECONDS = 5


def first_touch_problem(
    address: str, *, send_to_role_addresses: bool, lookup_mx: bool, resolver: dns.resolver.Resolver | None = None
) -> str | None:
    """Why a cold email must not go to `address`, or None."""
    try:
        address = normalise_address(address)
    except ValueError as exc:
        return f"invalid address: {exc}"
    flags = flags_of(address)
    if flags.disposable:
        return "throwaway address"
    if flags.role and not send_to_role_addresses:
        return "role mailbox (no one person reads it; the campaign's send_to_role_addresses allows it)"
    if lookup_mx and not receives_mail(address.rsplit("@", 1)[1], resolver):
        return "its domain takes no mail (no MX, A or AAAA record)"
    return None


@lru_cache(maxsize=4096)
def receives_mail(domain: str, resolver: dns.resolver.Resolver | None = None) -> bool:
    """Whether DNS says `domain` accepts mail; True when DNS cannot say (a timeout is not a no)."""
    try:
        validate_email_deliverability(
            domain, domain, timeout=None if resolver else MX_TIMEOUT_SECONDS, dns_resolver=resolver
        )
    except EmailUndeliverableError as exc:
        return "error while checking" in str(exc)  # the library's catch-all: DNS could not say
    except dns.exception.DNSException:
        return True
    return True
