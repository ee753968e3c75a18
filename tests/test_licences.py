"""The project is Apache-2.0; everything it installs must let it stay so.

Checked on what `pip install sdr-agent[caldav,postgres,crm]` brings (the package's dependency tree,
from the installed metadata), not on the test tools of the `dev` extra, which are never
distributed with it (Radicale, GPL-3.0, only runs as a separate CalDAV server in tests).

The policy:
- permissive licences (MIT, BSD, Apache, ISC, PSF, Unlicense, public domain, ...): allowed;
- MPL-2.0: allowed; its copyleft is per file and binds only changes to those files, and we ship
  them unmodified (certifi's CA list, tqdm, orjson);
- LGPL: allowed only for the libraries named in REVIEWED_LGPL, each used unmodified through
  `import`, which the LGPL permits from code under any licence (anyone can replace the installed
  library); a new LGPL dependency fails here until someone reviews it and adds it;
- GPL, AGPL, SSPL, EUPL, OSL, CC-BY-SA and anything unrecognised: refused. A dual licence passes
  when one of its alternatives does (caldav: GPL-3.0-or-later OR Apache-2.0).

`python -m tests.test_licences` prints the table.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
from dataclasses import dataclass

from packaging.requirements import Requirement

SHIPPED_EXTRAS = ("caldav", "postgres", "crm")
PERMISSIVE = re.compile(
    r"\b(MIT|BSD|0BSD|Apache|ISC|PSF|Python Software Foundation|Unlicense|Public Domain|Zlib|CC0|CNRI-Python|HPND|"
    r"Expat)\b",
    re.IGNORECASE,
)
WEAK_FILE_LEVEL = re.compile(r"\bMPL\b|Mozilla Public License", re.IGNORECASE)
LGPL = re.compile(r"\bLGPL|Lesser General Public", re.IGNORECASE)
STRONG = re.compile(r"\b(A?GPL|SSPL|EUPL|OSL|CC-BY-SA)\b|General Public License|Affero", re.IGNORECASE)
REVIEWED_LGPL = {
    "recurring-ical-events": "expands AEs' recurring busy blocks; imported unmodified",
    "x-wr-timezone": "recurring-ical-events' time-zone fix; imported unmodified",
    "psycopg": "the PostgreSQL driver of the optional [postgres] extra; imported unmodified",
    "psycopg-binary": "psycopg's bundled C extension; installed unmodified",
}


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


@dataclass(frozen=True)
class Licence:
    package: str
    declared: str  # License-Expression, else the classifiers, else the License field

    def verdict(self) -> str | None:
        """None when allowed, else why not."""
        alternatives = re.split(r"\s+OR\s+", self.declared) if " OR " in self.declared else [self.declared]
        reasons = [self._one(alternative) for alternative in alternatives]
        return None if None in reasons else reasons[0]

    def _one(self, licence: str) -> str | None:
        if LGPL.search(licence):
            return None if self.package in REVIEWED_LGPL else f"LGPL, not reviewed: {licence}"
        if STRONG.search(licence):
            return f"copyleft: {licence}"
        if PERMISSIVE.search(licence) or WEAK_FILE_LEVEL.search(licence):
            return None
        return f"licence not recognised: {licence or '(none declared)'}"


def _declared(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    if expression := meta.get("License-Expression"):
        return str(expression)
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return " OR ".join(classifiers)
    return (meta.get("License") or "").strip().splitlines()[0] if meta.get("License") else ""


def shipped_licences() -> list[Licence]:
    """The licence of every package `sdr-agent[caldav,postgres,crm]` installs."""
    seen: dict[str, Licence] = {}
    waiting = [(Requirement(f"sdr-agent[{','.join(SHIPPED_EXTRAS)}]"))]
    while waiting:
        requirement = waiting.pop()
        name = _name(requirement.name)
        if name in seen:
            continue
        dist = metadata.distribution(name)
        seen[name] = Licence(name, _declared(dist))
        for text in dist.requires or []:
            needed = Requirement(text)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in extras):
                waiting.append(needed)
    return sorted(seen.values(), key=lambda licence: licence.package)


def test_nothing_shipped_is_under_a_copyleft_licence() -> None:
    licences = shipped_licences()
    assert len(licences) > 50  # the whole tree was walked
    assert Licence("sdr-agent", "Apache-2.0") in licences
    refused = {licence.package: licence.verdict() for licence in licences if licence.verdict()}
    assert refused == {}


def test_the_policy_refuses_what_it_should() -> None:
    assert Licence("some-lib", "GPL-3.0-or-later").verdict() == "copyleft: GPL-3.0-or-later"
    assert Licence("some-lib", "GNU Affero General Public License v3").verdict()
    assert Licence("some-lib", "LGPL-3.0-only").verdict() == "LGPL, not reviewed: LGPL-3.0-only"
    assert Licence("some-lib", "").verdict() == "licence not recognised: (none declared)"
    assert Licence("caldav", "GPL-3.0-or-later OR Apache-2.0").verdict() is None
    assert Licence("certifi", "Mozilla Public License 2.0 (MPL 2.0)").verdict() is None


if __name__ == "__main__":
    for licence in shipped_licences():
        print(f"{licence.package:40} {licence.declared:45} {licence.verdict() or 'ok'}")
