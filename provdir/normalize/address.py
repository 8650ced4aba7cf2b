"""USPS-style street addresses: parse with ``usaddress``, abbreviate, separate the suite.

"2706 South River Road, Suite 4B" -> street "2706 S River Rd Ste 4B"; the match key
(:func:`street_key`) upper-cases it and drops the unit, so "2706 S. River Rd" on the footer and
"2706 South River Road" on the contact page are one place.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import usaddress

_STREET_LABELS = (
    "AddressNumberPrefix",
    "AddressNumber",
    "AddressNumberSuffix",
    "StreetNamePreModifier",
    "StreetNamePreDirectional",
    "StreetNamePreType",
    "StreetName",
    "StreetNamePostType",
    "StreetNamePostDirectional",
)
_UNIT_LABELS = ("OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier")
_BOX_LABELS = ("USPSBoxType", "USPSBoxID")
ALLOWED_LABELS = frozenset(
    (
        *_STREET_LABELS,
        *_UNIT_LABELS,
        *_BOX_LABELS,
        "PlaceName",
        "StateName",
        "ZipCode",
        "USPSBoxGroupType",
        "USPSBoxGroupID",
        "ZipPlus4",
        "CountryName",
        "BuildingName",
    )
)


@dataclass(frozen=True)
class ParsedAddress:
    street: str
    unit: str
    city: str
    state: str
    postal_code: str
    po_box: bool

    @property
    def full_street(self) -> str:
        return f"{self.street} {self.unit}".strip()


@cache
def _abbreviations() -> dict[tuple[str, str], str]:
    with resources.files("provdir.vocab").joinpath("usps_abbreviations.csv").open(encoding="utf-8") as fh:
        return {(r["kind"], r["word"]): r["abbr"] for r in csv.DictReader(fh)}


@cache
def _states() -> dict[str, str]:
    with resources.files("provdir.vocab").joinpath("us_states.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    table = {r["abbr"].lower(): r["abbr"] for r in rows}
    table.update({r["name"].lower(): r["abbr"] for r in rows})
    return table


def state_abbr(text: str) -> str:
    """'Missouri', 'MO', 'Mo.' -> 'MO'; '' when it is not a US state."""
    return _states().get(text.strip().rstrip(".").lower(), "")


def state_names() -> list[str]:
    return sorted(_states(), key=len, reverse=True)


def zip5(text: str) -> str:
    m = re.search(r"\b(\d{5})(?:-\d{4})?\b", text or "")
    return m.group(1) if m else ""


def _abbr(kind: str, word: str) -> str:
    key = word.strip().rstrip(".,").lower()
    return _abbreviations().get((kind, key), word.strip().rstrip(".,"))


def _tidy(token: str) -> str:
    return token.strip().rstrip(".,").strip()


def parse_address(text: str) -> ParsedAddress | None:
    """Parse one address string; None when it is not a complete US street or PO-box address."""
    text = " ".join(text.replace("\n", ", ").split())
    try:
        tagged, _kind = usaddress.tag(text)
    except usaddress.RepeatedLabelError:
        return None
    if not set(tagged) <= ALLOWED_LABELS:
        return None
    state = state_abbr(tagged.get("StateName", ""))
    city = _tidy(tagged.get("PlaceName", ""))
    if not state or not city or len(city.split()) > 4:
        return None
    postal = zip5(tagged.get("ZipCode", ""))
    if "USPSBoxID" in tagged:
        street = f"PO Box {_tidy(tagged['USPSBoxID'])}"
        return ParsedAddress(street, "", _title(city), state, postal, True)
    if "AddressNumber" not in tagged or "StreetName" not in tagged:
        return None
    if len(tagged["StreetName"].split()) > 4 or not re.match(r"^\d", tagged["AddressNumber"]):
        return None
    if not _plausible_street(tagged, text):
        return None
    return ParsedAddress(_street(tagged), _unit(tagged), _title(city), state, postal, False)


_LOWER_WORD = re.compile(r"^[a-z]+$")
_PROSE_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "of",
        "for",
        "at",
        "to",
        "and",
        "with",
        "by",
        "from",
        "on",
        "our",
        "your",
        "we",
        "years",
        "days",
    ]
)


def _plausible_street(tagged: dict[str, str], text: str) -> bool:
    """Reject prose that usaddress still labels as a street: "Over 30 years in Springfield, MO",
    "Open 7 days a week", "(c) 2024 Cedar Bluff Recovery, Springfield". Street names are written
    capitalized on pages that capitalize anything; a year needs a street type to be a house
    number."""
    words = tagged["StreetName"].split() + tagged.get("StreetNamePostType", "").split()
    typed = any(
        k in tagged
        for k in ("StreetNamePostType", "StreetNamePreType", "StreetNamePreDirectional", "StreetNamePostDirectional")
    )
    if any(w.lower() in _PROSE_WORDS for w in words):
        return False
    if not typed and any(c.isupper() for c in text) and any(_LOWER_WORD.match(w) for w in tagged["StreetName"].split()):
        return False
    if typed or _tidy(tagged["StreetName"]).lower() in _untyped_street_names():
        return True
    return not re.fullmatch(r"(?:19|20)\d\d", tagged["AddressNumber"])


@cache
def _untyped_street_names() -> frozenset[str]:
    """Street names whole without a type word (``vocab/untyped_street_names.csv``), lower case."""
    with resources.files("provdir.vocab").joinpath("untyped_street_names.csv").open(encoding="utf-8") as fh:
        return frozenset(r["name"].strip().lower() for r in csv.DictReader(ln for ln in fh if not ln.startswith("#")))


def _street(tagged: dict[str, str]) -> str:
    parts = []
    for label in _STREET_LABELS:
        value = tagged.get(label)
        if not value:
            continue
        if label in ("StreetNamePreDirectional", "StreetNamePostDirectional"):
            value = _abbr("directional", value)
        elif label in ("StreetNamePostType", "StreetNamePreType"):
            value = _abbr("suffix", value)
        else:
            value = _tidy(value)
        parts.append(value)
    return " ".join(parts)


def _unit(tagged: dict[str, str]) -> str:
    kind = tagged.get("OccupancyType") or tagged.get("SubaddressType") or ""
    ident = _tidy(tagged.get("OccupancyIdentifier") or tagged.get("SubaddressIdentifier") or "")
    if ident.startswith("#"):
        return f"# {ident.lstrip('# ')}".strip() if not kind else f"{_abbr('unit', kind)} {ident.lstrip('# ')}"
    if not kind and not ident:
        return ""
    return f"{_abbr('unit', kind)} {ident}".strip() if kind else ident


def _title(city: str) -> str:
    return city if any(c.islower() for c in city) else city.title()


def street_key(street: str) -> str:
    """Key for matching the same street written two ways: upper case, no punctuation or unit."""
    s = re.sub(r"[.,]", "", street.upper())
    s = re.split(r"(?:\s|^)(?:(?:STE|SUITE|UNIT|APT|BLDG|FL|RM)\b|#)", s)[0]
    return " ".join(s.split())
