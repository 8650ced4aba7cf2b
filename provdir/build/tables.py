"""The published tables: explicit pyarrow schemas, CSV beside Parquet, and the data dictionary.

Column order is a contract (README, ``output/README.md``): analysts select by name, but
spreadsheets and diff tools see order. New columns go at the end.

This module is the one place a table is described: its columns (name, type, description), the
rules its values obey (:class:`Rule`: required, enumeration, pattern, range), its primary and
foreign keys (:class:`TableSpec`). ``data_dictionary.csv``, ``datapackage.json``, the DuckDB
database and the checks run before every publish (:mod:`provdir.build.checks`) are all
generated from :data:`TABLES`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

LIST_SEP = ";"

# (name, type, description) — the data dictionary is generated from this list.
FACILITY_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Stable id of the facility location: the same place keeps it on every run."),
    ("name", pa.string(), "Name of the location or program as the source shows it (else the organization's)."),
    ("organization", pa.string(), "Organization that runs the location."),
    (
        "street",
        pa.string(),
        "USPS-style street line with the suite, e.g. '3100 Main St Ste 200'. Empty when the source shows none.",
    ),
    ("city", pa.string(), "City."),
    ("state", pa.string(), "Two-letter USPS state code."),
    ("postal_code", pa.string(), "Five-digit ZIP code."),
    ("phone", pa.string(), "Main contact phone, E.164 (+1XXXXXXXXXX). Never a fax or a crisis line."),
    ("phones", pa.list_(pa.string()), "All contact phones, E.164, main first (';'-joined in CSV)."),
    ("website", pa.string(), "Website root URL."),
    (
        "accreditations",
        pa.list_(pa.string()),
        "Accreditation vocabulary values: CARF, JC, COA, NCQA, HFAP, LEGITSCRIPT, NAATP.",
    ),
    ("licenses", pa.list_(pa.string()), "State licenses/certifications as 'Agency (ST) #number'."),
    ("services", pa.list_(pa.string()), "Service vocabulary values (see vocabulary.csv for labels and SAMHSA codes)."),
    ("source_urls", pa.list_(pa.string()), "Pages the facts were read from."),
    ("first_seen", pa.date32(), "Date (UTC, YYYY-MM-DD) of the first published run that saw this facility."),
    ("last_seen", pa.date32(), "Date (UTC) of the latest published run that saw this facility."),
    ("mailing_address", pa.string(), "Mailing address (PO box) when the source shows one; not a place to visit."),
    (
        "latitude",
        pa.float64(),
        "Latitude (WGS 84). Approximate when coordinates_source is 'zip_centroid'; empty when unknown.",
    ),
    ("longitude", pa.float64(), "Longitude (WGS 84); see coordinates_source."),
    ("source", pa.string(), "Source of the displayed values: 'site' (provider website) or 'samhsa' (SAMHSA locator)."),
    (
        "source_key",
        pa.string(),
        "Source record key of the displayed values: 'site:<host>:<location key>' or 'samhsa:<frid>'.",
    ),
    ("run_id", pa.string(), "Run the displayed values come from (folder under output/runs/)."),
    (
        "status",
        pa.string(),
        "'active' (shown by the latest run of its source), 'missing' (its source answered without it), 'closed?' (missing from 3+ such runs).",
    ),
    ("missed_runs", pa.int64(), "Good runs of its source since it was last seen that did not show it."),
    ("sources", pa.list_(pa.string()), "Every source that lists this facility."),
    ("source_keys", pa.list_(pa.string()), "Every source record merged into this facility (see registry.csv)."),
    (
        "conflicts",
        pa.list_(pa.string()),
        "Values the sources disagree on that are not displayed: 'field: value [source key]'.",
    ),
    (
        "coordinates_source",
        pa.string(),
        "Where latitude/longitude come from: 'source' (given by the source, e.g. schema.org geo or SAMHSA), "
        "'zip_centroid' (approximate: the centre of the ZIP code, from the zipcodes package's bundled table), "
        "'city_centroid' (more approximate: a town-only location, placed at the mean of its town's ZIP "
        "centres), or empty when there are none.",
    ),
    (
        "verified_at",
        pa.date32(),
        "Date (UTC) the directory listing was last checked against the provider's website "
        "(see verification.csv); empty when never checked.",
    ),
    (
        "services_not_offered",
        pa.list_(pa.string()),
        "Services the provider's website says it does not offer ('we do not offer methadone', 'outpatient "
        "only'); a service in neither list is not stated.",
    ),
    (
        "address_precision",
        pa.string(),
        "'street' (a full street address), 'city' (the source names only the town: street is empty, "
        "as sober homes and networks listing facilities by city do), or empty when no address is known.",
    ),
    (
        "organization_services",
        pa.list_(pa.string()),
        "Services the organization states for itself as a whole (site menus, about pages) and does not tie "
        "to this location: not known to be offered here. 'services' lists what is known at this location.",
    ),
    (
        "organization_accreditations",
        pa.list_(pa.string()),
        "Accreditations the organization shows site-wide without tying them to this location.",
    ),
    (
        "organization_licenses",
        pa.list_(pa.string()),
        "Licenses the organization shows site-wide without tying them to this location ('Agency (ST) #number').",
    ),
    (
        "needs_browser",
        pa.bool_(),
        "True when the provider's website builds its pages in the browser (JavaScript) and the crawl that read it "
        "could not render them all (no browser, rendering off, or over its budget): the row may lack facts the site "
        "shows. The run manifest's 'browser' section names the sites.",
    ),
]

EVIDENCE_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Facility the value belongs to."),
    ("field", pa.string(), "Field: organization, phone, address, accreditation, license, service."),
    ("value", pa.string(), "The published value."),
    ("url", pa.string(), "Page the value was read from."),
    ("snippet", pa.string(), "Text on that page the value was read from."),
    ("region", pa.string(), "Page region: nav, header, footer, sidebar, main, structured."),
    (
        "basis",
        pa.string(),
        "Why it counts: menu, label, statement, logo, structured, implied:<value>, sole_level (the only level "
        "of care the site names, given to each of its locations), text, tel_href, samhsa:<category>.",
    ),
    (
        "scope",
        pa.string(),
        "'location' (the value is this facility's own: its card, its page, its address block, its directory "
        "record) or 'organization' (stated for the organization as a whole: its name, site-wide menus and "
        "pages, a shared main line, what it says it does not offer).",
    ),
    ("source_key", pa.string(), "Source record the value came from."),
    ("run_id", pa.string(), "Run the evidence comes from."),
]

VERIFICATION_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Facility whose directory listing was checked against its website."),
    ("field", pa.string(), "phone, address, service, accreditation or license."),
    ("value", pa.string(), "The value checked (a service, a phone, an address; empty when the site was unreachable)."),
    ("directory_value", pa.string(), "What the directory listing says (empty: the listing does not say it)."),
    ("website_value", pa.string(), "What the provider's website says (empty: the website does not say it)."),
    ("status", pa.string(), "confirmed, conflict, only_directory, only_website or website_unreachable."),
    ("evidence_url", pa.string(), "Website page the website value was read from."),
    ("evidence_snippet", pa.string(), "Text on that page."),
    ("directory_source_key", pa.string(), "The directory record checked (samhsa:<frid>)."),
    ("website_source_key", pa.string(), "The website record it was checked against."),
    ("verified_at", pa.date32(), "Date (UTC) of the website crawl that checked it."),
]

CHANGES_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Facility the change is about."),
    ("change", pa.string(), "added, removed, changed (a field), merged (old id absorbed), split (new id)."),
    ("field", pa.string(), "Changed field (for 'changed'), or facility_id for merges and splits."),
    ("old_value", pa.string(), "Value before (lists ';'-joined)."),
    ("new_value", pa.string(), "Value after."),
    ("old_run_id", pa.string(), "Run the old value came from."),
    ("new_run_id", pa.string(), "Run the new value comes from."),
    ("build_id", pa.string(), "Publish that detected the change."),
]


FACILITY_SERVICES_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Facility (facilities.facility_id)."),
    ("service", pa.string(), "Service vocabulary value (vocabulary.csv), e.g. detox, iop, medicaid."),
    ("label", pa.string(), "Readable label of the service."),
    (
        "category",
        pa.string(),
        "Kind of service: type_of_care, setting, pharmacotherapy, program, population, payment.",
    ),
    ("samhsa_code", pa.string(), "SAMHSA locator service code, for joins with SAMHSA data (empty if none)."),
    ("source", pa.string(), "Source that shows the service: 'site' or 'samhsa'."),
    ("source_key", pa.string(), "Source record that shows it (one row per facility, service and source record)."),
    ("evidence", pa.string(), "Text the service was read from."),
    ("url", pa.string(), "Page the text is on."),
    ("basis", pa.string(), "Why it counts: menu, label, statement, structured, implied:<value>, samhsa:<category>."),
    (
        "status",
        pa.string(),
        "'offered', or 'not_offered' when the source says it does not offer the service (basis 'negative': "
        "'we do not offer X'; 'negative_implied': 'outpatient only' rules out beds).",
    ),
    (
        "scope",
        pa.string(),
        "'location' (the source ties it to this facility: its card, its page, its directory record) or "
        "'organization' (stated for the organization as a whole; listed in the facility's organization_* column).",
    ),
]

FACILITY_ACCREDITATIONS_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Facility (facilities.facility_id)."),
    ("accreditation", pa.string(), "Accreditation vocabulary value: CARF, JC, COA, NCQA, HFAP, LEGITSCRIPT, NAATP."),
    ("label", pa.string(), "Name of the accrediting body."),
    ("samhsa_code", pa.string(), "SAMHSA locator code of the accreditation (empty if none)."),
    ("source", pa.string(), "Source that shows it: 'site' or 'samhsa'."),
    ("source_key", pa.string(), "Source record that shows it (one row per facility, accreditation and source record)."),
    ("evidence", pa.string(), "Text (or logo alt text/file name) it was read from."),
    ("url", pa.string(), "Page it is on."),
    ("basis", pa.string(), "Why it counts: statement, label, logo, structured, samhsa:<category>."),
    (
        "scope",
        pa.string(),
        "'location' (the source ties it to this facility: its card, its page, its directory record) or "
        "'organization' (stated for the organization as a whole; listed in the facility's organization_* column).",
    ),
]

FACILITY_LICENSES_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Facility (facilities.facility_id)."),
    ("license", pa.string(), "License as in facilities.licenses: 'Agency (ST) #number'."),
    ("agency", pa.string(), "Licensing or certifying government body."),
    ("state", pa.string(), "Two-letter state of the agency (empty if unknown)."),
    ("number", pa.string(), "License or certificate number (empty when the source shows none)."),
    ("agency_id", pa.string(), "Registry id of the agency holding it today (vocab/licensing_agencies.yaml), or empty."),
    (
        "kind",
        pa.string(),
        "Credential kind: facility_license, program_certification, otp, ccbhc, ... (empty: not said).",
    ),
    ("as_shown", pa.string(), "The words naming the agency in the source (an acronym, a division, a former name)."),
    ("state_inferred", pa.bool_(), "True when the state is the facility's address, not the source's words."),
    ("source", pa.string(), "Source that shows it: 'site' or 'samhsa'."),
    ("source_key", pa.string(), "Source record that shows it (one row per facility, license and source record)."),
    ("evidence", pa.string(), "Text it was read from."),
    ("url", pa.string(), "Page it is on."),
    (
        "scope",
        pa.string(),
        "'location' (the source ties it to this facility: its card, its page, its directory record) or "
        "'organization' (stated for the organization as a whole; listed in the facility's organization_* column).",
    ),
]

FACILITY_PHONES_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("facility_id", pa.string(), "Facility (facilities.facility_id)."),
    ("phone", pa.string(), "Contact phone, E.164 (+1XXXXXXXXXX). Never a fax or a crisis line."),
    ("extension", pa.string(), "Extension to dial after the number (empty when none)."),
    (
        "role",
        pa.string(),
        "What the source labels it: main, admissions (intake), toll_free, text (SMS); empty when unknown.",
    ),
    ("is_main", pa.bool_(), "True for the facility's displayed main phone (facilities.phone)."),
    ("source", pa.string(), "Source that shows it: 'site' or 'samhsa'."),
    ("source_key", pa.string(), "Source record that shows it (one row per facility, phone and source record)."),
    ("evidence", pa.string(), "Text the number was read from."),
    ("url", pa.string(), "Page it is on."),
]

VOCABULARY_COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("field", pa.string(), "'service' or 'accreditation'."),
    ("value", pa.string(), "Vocabulary value as it appears in the tables."),
    ("label", pa.string(), "Readable label."),
    ("category", pa.string(), "Service category, or the accreditation's kind."),
    ("samhsa_code", pa.string(), "SAMHSA locator code (empty if none)."),
]


# -- rules ---------------------------------------------------------------------------------
# Values the rules accept. ``state``: every USPS state, DC, territory and military code (the
# vocabulary's us_states.csv lists the ones the crawlers name; SAMHSA may list the others).
_USPS_EXTRA = ("AS", "MP", "FM", "MH", "PW", "AA", "AE", "AP")
E164_PATTERN = r"\+[1-9][0-9]{6,14}"
FACILITY_ID_PATTERN = r"F[0-9A-F]{12}"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
SOURCES = ("site", "samhsa")
PHONE_ROLES = ("main", "admissions", "toll_free", "text")
STATUSES = ("active", "missing", "closed?")
CHANGE_KINDS = ("added", "removed", "changed", "merged", "split")
EVIDENCE_FIELDS = ("organization", "phone", "address", "accreditation", "license", "service", "service_not_offered")
COORDINATE_SOURCES = ("source", "zip_centroid", "city_centroid")
ADDRESS_PRECISIONS = ("street", "city")
SCOPES = ("location", "organization")
VERIFICATION_STATUSES = ("confirmed", "conflict", "only_directory", "only_website", "website_unreachable")


@cache
def states() -> tuple[str, ...]:
    with resources.files("provdir.vocab").joinpath("us_states.csv").open(encoding="utf-8") as fh:
        listed = [row["abbr"] for row in csv.DictReader(fh)]
    return tuple(dict.fromkeys([*listed, *_USPS_EXTRA]))


@cache
def service_values() -> tuple[str, ...]:
    from provdir.vocab import vocabulary

    return tuple(vocabulary.services().terms)


@cache
def service_categories() -> tuple[str, ...]:
    from provdir.vocab import vocabulary

    return tuple(dict.fromkeys(t.category for t in vocabulary.services().terms.values()))


@cache
def accreditation_values() -> tuple[str, ...]:
    from provdir.vocab import vocabulary

    return tuple(vocabulary.accreditations().terms)


@dataclass(frozen=True)
class Rule:
    """What a column's values obey. An empty string or null is "no value": ``required`` refuses
    it, the other rules apply to values only. For list columns the rules apply to every item."""

    required: bool = False
    enum: tuple[str, ...] | Callable[[], tuple[str, ...]] | None = None
    pattern: str | None = None  # full match
    minimum: float | None = None
    maximum: float | None = None
    date: bool = False  # a date: date32 in Parquet and DuckDB, a date cell in xlsx, YYYY-MM-DD in CSV

    def values(self) -> tuple[str, ...] | None:
        return self.enum() if callable(self.enum) else self.enum


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: list[tuple[str, pa.DataType, str]]
    description: str
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()  # (fields, table, fields)
    rules: dict[str, Rule] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.columns]

    def rule(self, column: str) -> Rule:
        return self.rules.get(column, Rule())


_ID = Rule(required=True, pattern=FACILITY_ID_PATTERN)
_FK = (("facility_id",), "facilities", ("facility_id",))
_SOURCE = Rule(required=True, enum=SOURCES)
_REQUIRED = Rule(required=True)

TABLES: list[TableSpec] = [
    TableSpec(
        "facilities",
        FACILITY_COLUMNS,
        "One row per facility location (a place where a program is delivered), merged across sources.",
        primary_key=("facility_id",),
        rules={
            "facility_id": Rule(required=True, pattern=FACILITY_ID_PATTERN),
            "name": _REQUIRED,
            "state": Rule(enum=states),
            "postal_code": Rule(pattern=r"[0-9]{5}"),
            "phone": Rule(pattern=E164_PATTERN),
            "phones": Rule(pattern=E164_PATTERN),
            "accreditations": Rule(enum=accreditation_values),
            "services": Rule(enum=service_values),
            "services_not_offered": Rule(enum=service_values),
            "first_seen": Rule(required=True, pattern=DATE_PATTERN, date=True),
            "last_seen": Rule(required=True, pattern=DATE_PATTERN, date=True),
            "latitude": Rule(minimum=-90, maximum=90),
            "longitude": Rule(minimum=-180, maximum=180),
            "source": _SOURCE,
            "source_key": _REQUIRED,
            "run_id": _REQUIRED,
            "status": Rule(required=True, enum=STATUSES),
            "missed_runs": Rule(required=True, minimum=0),
            "sources": Rule(required=True, enum=SOURCES),
            "source_keys": _REQUIRED,
            "coordinates_source": Rule(enum=COORDINATE_SOURCES),
            "verified_at": Rule(pattern=DATE_PATTERN, date=True),
            "address_precision": Rule(enum=ADDRESS_PRECISIONS),
            "organization_services": Rule(enum=service_values),
            "organization_accreditations": Rule(enum=accreditation_values),
        },
    ),
    TableSpec(
        "facility_services",
        FACILITY_SERVICES_COLUMNS,
        "Services offered (status 'offered') or said not to be offered ('not_offered'): one row per "
        "facility, service and source record that shows it (SELECT DISTINCT facility_id, service ... WHERE "
        "status = 'offered' for the plain list).",
        primary_key=("facility_id", "service", "source_key"),
        foreign_keys=(_FK,),
        rules={
            "facility_id": _ID,
            "service": Rule(required=True, enum=service_values),
            "status": Rule(required=True, enum=("offered", "not_offered")),
            "scope": Rule(required=True, enum=SCOPES),
            "label": _REQUIRED,
            "category": Rule(required=True, enum=service_categories),
            "source": _SOURCE,
            "source_key": _REQUIRED,
        },
    ),
    TableSpec(
        "facility_accreditations",
        FACILITY_ACCREDITATIONS_COLUMNS,
        "Accreditations: one row per facility, accreditation and source record that shows it.",
        primary_key=("facility_id", "accreditation", "source_key"),
        foreign_keys=(_FK,),
        rules={
            "facility_id": _ID,
            "accreditation": Rule(required=True, enum=accreditation_values),
            "scope": Rule(required=True, enum=SCOPES),
            "label": _REQUIRED,
            "source": _SOURCE,
            "source_key": _REQUIRED,
        },
    ),
    TableSpec(
        "facility_licenses",
        FACILITY_LICENSES_COLUMNS,
        "State licenses and certifications: one row per facility, license and source record that shows it.",
        primary_key=("facility_id", "license", "source_key"),
        foreign_keys=(_FK,),
        rules={
            "facility_id": _ID,
            "license": _REQUIRED,
            "agency": _REQUIRED,
            "scope": Rule(required=True, enum=SCOPES),
            "state": Rule(enum=states),
            "source": _SOURCE,
            "source_key": _REQUIRED,
        },
    ),
    TableSpec(
        "facility_phones",
        FACILITY_PHONES_COLUMNS,
        "Contact phones: one row per facility, phone and source record that shows it, with the role "
        "that source gives the number and its extension.",
        primary_key=("facility_id", "phone", "source_key"),
        foreign_keys=(_FK,),
        rules={
            "facility_id": _ID,
            "phone": Rule(required=True, pattern=E164_PATTERN),
            "extension": Rule(pattern=r"[0-9]+"),
            "role": Rule(enum=PHONE_ROLES),
            "is_main": _REQUIRED,
            "source": _SOURCE,
            "source_key": _REQUIRED,
        },
    ),
    TableSpec(
        "evidence",
        EVIDENCE_COLUMNS,
        "Why each value is there: one row per facility, field, value and source record, with the page and text.",
        foreign_keys=(_FK,),
        rules={
            "facility_id": _ID,
            "field": Rule(required=True, enum=EVIDENCE_FIELDS),
            "value": _REQUIRED,
            "scope": Rule(required=True, enum=SCOPES),
            "source_key": _REQUIRED,
        },
    ),
    TableSpec(
        "changes",
        CHANGES_COLUMNS,
        "What this publish changed against the previous one (all publishes: output/changes_history.csv).",
        rules={
            "facility_id": _ID,
            "change": Rule(required=True, enum=CHANGE_KINDS),
            "build_id": _REQUIRED,
        },
    ),
    TableSpec(
        "vocabulary",
        VOCABULARY_COLUMNS,
        "Service and accreditation vocabulary: labels, categories and SAMHSA codes.",
        primary_key=("field", "value"),
        rules={"field": Rule(required=True, enum=("service", "accreditation")), "value": _REQUIRED},
    ),
]
TABLES.append(
    TableSpec(
        "verification",
        VERIFICATION_COLUMNS,
        "Directory listings checked against the providers' own websites, field by field.",
        foreign_keys=(_FK,),
        rules={
            "facility_id": _ID,
            "field": Rule(required=True, enum=("phone", "address", "service", "accreditation", "license")),
            "status": Rule(required=True, enum=VERIFICATION_STATUSES),
            "directory_source_key": _REQUIRED,
            "verified_at": Rule(required=True, pattern=DATE_PATTERN, date=True),
        },
    )
)
TABLES_BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}


def schema(columns: list[tuple[str, pa.DataType, str]]) -> pa.Schema:
    return pa.schema([pa.field(name, typ, metadata={"description": desc}) for name, typ, desc in columns])


def write_table(
    rows: list[dict[str, Any]], columns: list[tuple[str, pa.DataType, str]], directory: Path, stem: str
) -> None:
    """Write ``stem.parquet`` and ``stem.csv`` with the same rows and column order."""
    sch = schema(columns)
    data = {name: [stored(row.get(name), typ) for row in rows] for name, typ, _ in columns}
    table = pa.Table.from_pydict(data, schema=sch)
    pq.write_table(table, directory / f"{stem}.parquet")
    with (directory / f"{stem}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([name for name, _, _ in columns])
        for row in rows:
            writer.writerow([_csv_cell(row.get(name)) for name, _, _ in columns])


def stored(value: Any, typ: pa.DataType) -> Any:
    """A row value as Parquet stores it: ISO dates as dates, an empty string as NULL (missing).
    Rows in memory keep strings (``''`` for missing); :func:`read_rows` gives them back so."""
    if value == "" and (pa.types.is_string(typ) or pa.types.is_date(typ)):
        return None
    if pa.types.is_date(typ) and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def read_rows(path: Path) -> list[dict[str, Any]]:
    """A published Parquet table as rows in the build's in-memory form (:func:`stored` undone):
    dates as ISO strings, NULL strings as ``''``. Files of older builds (dates as strings) read
    the same."""
    table = pq.read_table(path)
    rows = table.to_pylist()
    for f in table.schema:
        if pa.types.is_date(f.type):
            for row in rows:
                row[f.name] = row[f.name].isoformat() if row[f.name] is not None else ""
        elif pa.types.is_string(f.type):
            for row in rows:
                if row[f.name] is None:
                    row[f.name] = ""
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"^\+\d{8,15}$")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # Numbers are data, never a formula: a longitude stays -93.3 (not '-93.3).
        return "" if isinstance(value, float) and math.isnan(value) else repr(value)
    if isinstance(value, list | tuple):
        return LIST_SEP.join(_safe(str(v)) for v in value)
    return _safe(str(value))


def formula_risk(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (E.164 phones are not)."""
    return text.startswith(_FORMULA_START) and not _E164.match(text)


def _safe(text: str) -> str:
    """Defuse spreadsheet formulas: a free-text cell starting with = + - @ gets a leading
    apostrophe (OWASP's CSV-injection advice). E.164 phones (``+1...``) are data, left alone;
    Parquet files keep every value as it is."""
    return "'" + text if formula_risk(text) else text


def write_dictionary(directory: Path) -> None:
    with (directory / "data_dictionary.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["table", "column", "type", "description", "required", "allowed", "key"])
        for spec in TABLES:
            for name, typ, desc in spec.columns:
                writer.writerow([spec.name, name, str(typ), desc, *_rule_cells(spec, name)])


def _rule_cells(spec: TableSpec, column: str) -> list[str]:
    rule = spec.rule(column)
    allowed = ""
    if rule.values() is not None:
        allowed = "one of: " + ", ".join(rule.values() or ())
    elif rule.pattern:
        allowed = f"matches {rule.pattern}"
    elif rule.minimum is not None or rule.maximum is not None:
        low = "" if rule.minimum is None else f"{rule.minimum:g} <= "
        high = "" if rule.maximum is None else f" <= {rule.maximum:g}"
        allowed = f"{low}value{high}"
    key = []
    if column in spec.primary_key:
        key.append("primary key" if len(spec.primary_key) == 1 else "part of primary key")
    for fields, table, ref in spec.foreign_keys:
        if column in fields:
            key.append(f"references {table}.{ref[fields.index(column)]}")
    return ["yes" if rule.required else "", allowed, "; ".join(key)]
