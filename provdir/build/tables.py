"""The published tables: explicit pyarrow schemas, CSV beside Parquet, and the data dictionary.

Column order is a contract (README, ``output/README.md``): analysts select by name, but
spreadsheets and diff tools see order. New columns go at the end.
"""

from __future__ import annotations

import csv
import re
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
    ("first_seen", pa.string(), "Date (UTC, YYYY-MM-DD) of the first published run that saw this facility."),
    ("last_seen", pa.string(), "Date (UTC) of the latest published run that saw this facility."),
    ("mailing_address", pa.string(), "Mailing address (PO box) when the source shows one; not a place to visit."),
    ("latitude", pa.float64(), "Latitude when the source gives it (schema.org geo), else empty."),
    ("longitude", pa.float64(), "Longitude when the source gives it, else empty."),
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
        "Why it counts: menu, label, statement, logo, structured, implied:<value>, text, tel_href, samhsa:<category>.",
    ),
    ("source_key", pa.string(), "Source record the value came from."),
    ("run_id", pa.string(), "Run the evidence comes from."),
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


def schema(columns: list[tuple[str, pa.DataType, str]]) -> pa.Schema:
    return pa.schema([pa.field(name, typ, metadata={"description": desc}) for name, typ, desc in columns])


def write_table(
    rows: list[dict[str, Any]], columns: list[tuple[str, pa.DataType, str]], directory: Path, stem: str
) -> None:
    """Write ``stem.parquet`` and ``stem.csv`` with the same rows and column order."""
    sch = schema(columns)
    data = {name: [row.get(name) for row in rows] for name, _, _ in columns}
    table = pa.Table.from_pydict(data, schema=sch)
    pq.write_table(table, directory / f"{stem}.parquet")
    with (directory / f"{stem}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([name for name, _, _ in columns])
        for row in rows:
            writer.writerow([_csv_cell(row.get(name)) for name, _, _ in columns])


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"^\+\d{8,15}$")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return LIST_SEP.join(_safe(str(v)) for v in value)
    return _safe(str(value))


def _safe(text: str) -> str:
    """Defuse spreadsheet formulas: a free-text cell starting with = + - @ gets a leading
    apostrophe (OWASP's CSV-injection advice). E.164 phones (``+1...``) are data, left alone;
    Parquet files keep every value as it is."""
    if text.startswith(_FORMULA_START) and not _E164.match(text):
        return "'" + text
    return text


def write_dictionary(directory: Path) -> None:
    with (directory / "data_dictionary.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["table", "column", "type", "description"])
        for table, cols in (
            ("facilities", FACILITY_COLUMNS),
            ("evidence", EVIDENCE_COLUMNS),
            ("changes", CHANGES_COLUMNS),
        ):
            for name, typ, desc in cols:
                writer.writerow([table, name, str(typ), desc])
