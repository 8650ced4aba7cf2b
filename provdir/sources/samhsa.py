"""SAMHSA's treatment locator (FindTreatment.gov): from the listing API's JSON to facility records.

Pure functions, tested without a network; ``spiders/samhsa_locator.py`` only decides which pages
to fetch. One API row becomes one :class:`provdir.model.items.FacilityRecord`:

- ``name1`` is the organization, ``name2`` (else ``name1``) the location's name;
- ``street1`` + ``street2`` become one USPS-style street with the suite kept
  (``901 Preston Ave Ste 201``); text that does not parse is kept as SAMHSA wrote it;
- ``phone`` (role ``main``), ``intake1`` (``admissions``) and ``hotline1`` (``crisis``: kept
  as evidence, never a contact phone) become E.164 numbers with their extension;
- every ``f3`` label (``"value; value"``) of every service category is looked up in
  ``provdir/vocab/samhsa_labels.csv``: a service or accreditation vocabulary value, a license
  (the kind of licensing body, SAMHSA never gives a license number: mapped onto the registry
  agency of that role in the listing's state, :func:`provdir.normalize.agency.samhsa_license`), or ``none`` (a label SAMHSA
  uses that our vocabulary has no value for). Each fact keeps SAMHSA's category and label as
  its snippet (``SAMHSA Type of Care (TC): Substance use treatment``) and ``samhsa:<code>`` as
  its basis. Labels that map to nothing are kept in ``FacilityRecord.unmapped``, marked
  ``known: yes`` when the mapping file lists them and ``known: no`` when it does not (a new
  label SAMHSA started using: counted by the spider, to be added to the mapping file).

Only what SAMHSA states is published: a vocabulary value's ``implies`` (e.g. buprenorphine
implies substance use) is not applied to SAMHSA rows.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from provdir.model.items import FacilityRecord, Fact, LicenseFact, PhoneFact
from provdir.normalize import agency as agencies
from provdir.normalize.address import parse_address, state_abbr, zip5
from provdir.normalize.phone import e164, parse_number
from provdir.vocab import vocabulary

SOURCE = "samhsa"
MAPPING_FILE = "samhsa_labels.csv"
FIELDS = ("service", "accreditation", "license", "none")
PHONE_FIELDS = (
    ("phone", "main"),
    ("intake1", "admissions"),
    ("intake2", "admissions"),
    ("hotline1", "crisis"),
    ("hotline2", "crisis"),
)
"""API field -> phone role. ``intake2``/``hotline2`` are read when the API sends them."""
ENVELOPE_KEYS = ("page", "totalPages", "recordCount", "rows")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
"""Rows per API page; a page of 1000 rows is ~3.3 MB of JSON (DOWNLOAD_MAXSIZE is 8 MiB)."""


# -- the label mapping ---------------------------------------------------------------------
@dataclass(frozen=True)
class LabelMapping:
    category_code: str
    label: str
    field: str
    """``service``, ``accreditation``, ``license`` or ``none``."""
    value: str
    """Vocabulary value (service, accreditation), licensing body (license), empty for none."""


class MappingError(ValueError):
    """The mapping file is inconsistent with the vocabulary (a data bug: fails loudly)."""


def label_key(category_code: str, label: str) -> tuple[str, str]:
    """Lookup key: category code and label, whitespace collapsed, case-insensitive."""
    return category_code.strip().upper(), " ".join(label.split()).casefold()


@cache
def label_mappings() -> dict[tuple[str, str], LabelMapping]:
    """``provdir/vocab/samhsa_labels.csv``, checked against the vocabularies."""
    services = vocabulary.services().terms
    accreditations = vocabulary.accreditations().terms
    out: dict[tuple[str, str], LabelMapping] = {}
    with resources.files("provdir.vocab").joinpath(MAPPING_FILE).open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != ["category_code", "label", "field", "value"]:
            raise MappingError(
                f"{MAPPING_FILE}: columns must be category_code,label,field,value; got {reader.fieldnames}"
            )
        for line, row in enumerate(reader, start=2):
            m = LabelMapping(
                row["category_code"].strip(), " ".join(row["label"].split()), row["field"].strip(), row["value"].strip()
            )
            where = f"{MAPPING_FILE}:{line}: {m.category_code} {m.label!r}"
            if not m.category_code or not m.label:
                raise MappingError(f"{where}: category_code and label are required")
            if m.field not in FIELDS:
                raise MappingError(f"{where}: field must be one of {', '.join(FIELDS)}, got {m.field!r}")
            if m.field == "service" and m.value not in services:
                raise MappingError(f"{where}: {m.value!r} is not a service vocabulary value")
            if m.field == "accreditation" and m.value not in accreditations:
                raise MappingError(f"{where}: {m.value!r} is not an accreditation vocabulary value")
            if m.field == "license" and not m.value:
                raise MappingError(f"{where}: a license needs the licensing body as its value")
            if m.field == "none" and m.value:
                raise MappingError(f"{where}: field none takes an empty value, got {m.value!r}")
            key = label_key(m.category_code, m.label)
            if key in out:
                raise MappingError(f"{where}: listed twice")
            out[key] = m
    return out


def lookup(category_code: str, label: str) -> LabelMapping | None:
    """The mapping of one label in one category; None when the mapping file does not list it."""
    return label_mappings().get(label_key(category_code, label))


@dataclass(frozen=True)
class Label:
    """One ``f3`` label of a row, with the category it was listed under."""

    category_code: str
    category: str
    label: str

    @property
    def snippet(self) -> str:
        return f"SAMHSA {self.category} ({self.category_code}): {self.label}"


def row_labels(row: dict[str, Any]) -> Iterator[Label]:
    """Every label of a row's ``services`` (``f3`` split on ``;``), in SAMHSA's order."""
    for group in row.get("services") or []:
        if not isinstance(group, dict):
            continue
        code = _text(group.get("f2"))
        category = _text(group.get("f1")) or code
        for label in _text(group.get("f3")).split(";"):
            label = " ".join(label.split())
            if label:
                yield Label(code, category, label)


# -- one row -> one record -----------------------------------------------------------------
class RowError(ValueError):
    """A row that cannot become a record (no ``frid``, not an object)."""


def row_to_record(row: dict[str, Any], *, page_url: str) -> FacilityRecord:
    """One locator row as a facility record (pure: the spider fills ``fetched_at``)."""
    if not isinstance(row, dict):
        raise RowError(f"row is a {type(row).__name__}, not an object")
    frid = _text(row.get("frid"))
    if not frid:
        raise RowError("row has no frid")
    organization = _text(row.get("name1"))
    state = _state(row.get("state"))
    city = _text(row.get("city"))
    postal_code = zip5(_text(row.get("zip")))
    record = FacilityRecord(
        source=SOURCE,
        source_id=frid,
        url=page_url,
        organization=organization,
        name=_text(row.get("name2")) or organization,
        street=_street(_text(row.get("street1")), _text(row.get("street2")), city, state, postal_code),
        city=city,
        state=state,
        postal_code=postal_code,
        phones=[p for field, role in PHONE_FIELDS if (p := phone_fact(row.get(field), role, field))],
        website=normalize_website(_text(row.get("website"))),
        latitude=_coordinate(row.get("latitude"), 90),
        longitude=_coordinate(row.get("longitude"), 180),
        record_type=_text(row.get("typeFacility")),
    )
    for label in row_labels(row):
        mapping = lookup(label.category_code, label.label)
        if mapping is None or mapping.field == "none":
            record.unmapped.append(
                {
                    "category_code": label.category_code,
                    "category": label.category,
                    "label": label.label,
                    "known": "no" if mapping is None else "yes",
                }
            )
        elif mapping.field == "license":
            if all(lic.as_shown != mapping.value for lic in record.licenses):
                # The label names a kind of body; the registry names that body in this state.
                agency, agency_id = agencies.samhsa_license(mapping.value, state)
                record.licenses.append(
                    LicenseFact(
                        agency=agency,
                        state=state,
                        number="",
                        snippet=label.snippet,
                        region="structured",
                        agency_id=agency_id,
                        as_shown=mapping.value,
                        basis="structured",
                    )
                )
        else:
            facts = record.services if mapping.field == "service" else record.accreditations
            if all(f.value != mapping.value for f in facts):  # one fact per value: the first label
                facts.append(Fact(mapping.value, label.snippet, "structured", f"samhsa:{label.category_code}"))
    return record


def phone_fact(raw: Any, role: str, field: str) -> PhoneFact | None:
    """A typed phone; the extension (``x110``) is kept apart from the E.164 number.

    A number libphonenumber rejects is kept with an empty ``e164``: the phone pipeline counts
    it as invalid and drops it.
    """
    text = _text(raw)
    if not text:
        return None
    num = parse_number(text)
    return PhoneFact(
        raw=text,
        e164=e164(num) if num else "",
        extension=(num.extension or "") if num else "",
        role=role,
        snippet=f"SAMHSA {field}: {text}",
        region="structured",
        source="structured",
    )


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")


def normalize_website(text: str) -> str:
    """``Www.example.org`` -> ``http://www.example.org/``: scheme added when missing, host lower
    case, path kept (``/`` when empty), fragment and credentials dropped. '' when not a web URL."""
    text = text.strip()
    if not text:
        return ""
    if not _SCHEME.match(text):
        if _OTHER_SCHEME.match(text):  # mailto:, tel:, javascript:
            return ""
        text = "http://" + text.lstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not _HOST.match(host):
        return ""
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


# -- the listing envelope ------------------------------------------------------------------
class EnvelopeError(ValueError):
    """A listing response that is not ``{page, totalPages, recordCount, rows: [...]}``."""


@dataclass(frozen=True)
class ListingPage:
    page: int
    total_pages: int
    record_count: int
    rows: list[Any]


def parse_envelope(body: bytes | str) -> ListingPage:
    """The listing page of one API response; raises :class:`EnvelopeError` saying what is wrong."""
    if not body or not body.strip():
        raise EnvelopeError("empty body")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise EnvelopeError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise EnvelopeError(f"expected a JSON object with {', '.join(ENVELOPE_KEYS)}; got a {type(data).__name__}")
    missing = [k for k in ENVELOPE_KEYS if k not in data]
    if missing:
        keys = ", ".join(sorted(data)[:8]) or "none"
        raise EnvelopeError(f"missing {', '.join(missing)} (keys present: {keys})")
    numbers = {}
    for key in ("page", "totalPages", "recordCount"):
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise EnvelopeError(f"{key} must be a whole number >= 0, got {value!r}")
        numbers[key] = value
    if not isinstance(data["rows"], list):
        raise EnvelopeError(f"rows must be a list, got a {type(data['rows']).__name__}")
    return ListingPage(numbers["page"], numbers["totalPages"], numbers["recordCount"], data["rows"])


# -- states --------------------------------------------------------------------------------
@cache
def known_states() -> tuple[str, ...]:
    """Two-letter codes of ``provdir/vocab/us_states.csv`` (states, DC and territories)."""
    with resources.files("provdir.vocab").joinpath("us_states.csv").open(encoding="utf-8") as fh:
        return tuple(row["abbr"] for row in csv.DictReader(fh))


def parse_states(text: str | None) -> list[str]:
    """``"va, MO"`` -> ``["VA", "MO"]``; empty -> every known state. Raises ValueError naming the bad codes."""
    codes = [c.strip().upper() for c in (text or "").split(",")]
    codes = list(dict.fromkeys(c for c in codes if c))
    if not codes:
        return list(known_states())
    bad = [c for c in codes if c not in known_states()]
    if bad:
        raise ValueError(
            f"not a two-letter US state or territory code: {', '.join(bad)} "
            f"(expected a comma-separated list such as VA,MO)"
        )
    return codes


# -- helpers -------------------------------------------------------------------------------
def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    return " ".join(str(value).split())


def _state(value: Any) -> str:
    text = _text(value)
    return state_abbr(text) or text.upper()


def _street(street1: str, street2: str, city: str, state: str, postal_code: str) -> str:
    joined = ", ".join(p for p in (street1, street2) if p)
    if not joined:
        return ""
    parsed = parse_address(f"{joined}, {city}, {state} {postal_code}") if city and state else None
    return parsed.full_street if parsed else joined


def _coordinate(value: Any, bound: float) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and abs(number) <= bound else None
