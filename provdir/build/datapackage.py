"""``datapackage.json``: a Frictionless (Tabular) Data Package describing every published CSV
table — types, descriptions, enumerations from the vocabulary, patterns, ranges, primary and
foreign keys — generated from :data:`provdir.build.tables.TABLES`, the same definitions the
data dictionary and the pre-publish checks use.

``frictionless validate output/latest/datapackage.json`` checks the CSV files against it.
Notes for readers of the CSV files (the Parquet twins hold the same rows, typed):

- list columns are ``;``-joined (Table Schema ``list`` type, ``delimiter`` ``;``); Table Schema
  has no enumeration for list items, so an item enumeration is in the field's ``description``
  and its long table (``facility_services.service``, ...) carries it as an ``enum`` constraint;
- an empty cell is a missing value (``missingValues: [""]``);
- a free-text cell that a spreadsheet would read as a formula (starting with ``= + - @``) is
  written with a leading apostrophe (E.164 phones excepted); the Parquet files keep the value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa

from provdir import __version__
from provdir.build.tables import TABLES, TableSpec

PACKAGE_NAME = "provider-directory"
LICENSE = {
    "name": "CC0-1.0",
    "title": "Creative Commons Zero v1.0 Universal (public domain dedication)",
    "path": "https://creativecommons.org/publicdomain/zero/1.0/",
}
"""The published directory's licence (README, "Licence of the data"): facts about facilities and
SAMHSA's public-domain listings, free for any use. Evidence snippets are short quotations of the
providers' own pages, kept so that every value can be checked; they remain the providers'."""


def package(build_id: str, created: str) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Provider directory: addiction and behavioral-health treatment facilities",
        "description": (
            "Facility locations read from treatment providers' websites and SAMHSA's treatment locator, "
            "merged across sources, each value with the page and text it came from. CSV files are described "
            "here; each has a Parquet twin with the same rows and typed columns (list columns as lists). "
            "CSV cells that start with = + - @ (formulas in a spreadsheet) carry a leading apostrophe, "
            "except E.164 phones."
        ),
        "version": build_id,
        "created": created,
        "keywords": ["addiction treatment", "behavioral health", "SAMHSA", "facilities"],
        "sources": [
            {"title": "Treatment providers' public websites"},
            {"title": "SAMHSA treatment locator (FindTreatment.gov)"},
        ],
        "licenses": [LICENSE],
        "x-software": f"provider-directory {__version__}",
        "resources": [resource(spec) for spec in TABLES],
    }


def resource(spec: TableSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "fields": [_field(spec, name, typ, desc) for name, typ, desc in spec.columns],
        "missingValues": [""],
    }
    if spec.primary_key:
        schema["primaryKey"] = list(spec.primary_key)
    if spec.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fields), "reference": {"resource": table, "fields": list(ref)}}
            for fields, table, ref in spec.foreign_keys
        ]
    return {
        "name": spec.name,
        "path": f"{spec.name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": f"{spec.description} Parquet twin: {spec.name}.parquet.",
        "schema": schema,
    }


def _field(spec: TableSpec, name: str, typ: pa.DataType, desc: str) -> dict[str, Any]:
    rule = spec.rule(name)
    values = rule.values()
    out: dict[str, Any] = {"name": name, "description": desc}
    constraints: dict[str, Any] = {}
    if pa.types.is_list(typ):
        out.update(type="list", delimiter=";", itemType="string")
        if values is not None:
            out["description"] = f"{desc} Each item is one of: {', '.join(values)}."
        if rule.pattern:
            out["description"] = f"{out['description']} Each item matches {rule.pattern}."
    elif pa.types.is_floating(typ):
        out["type"] = "number"
    elif pa.types.is_integer(typ):
        out["type"] = "integer"
    elif pa.types.is_boolean(typ):
        out.update(type="boolean", trueValues=["true"], falseValues=["false"])
    elif rule.date:
        out.update(type="date", format="default")
    else:
        out["type"] = "string"
        if values is not None:
            constraints["enum"] = list(values)
        if rule.pattern:
            constraints["pattern"] = rule.pattern
    if rule.required:
        constraints["required"] = True
    if out["type"] in ("number", "integer"):
        if rule.minimum is not None:
            constraints["minimum"] = rule.minimum
        if rule.maximum is not None:
            constraints["maximum"] = rule.maximum
    if len(spec.primary_key) == 1 and spec.primary_key[0] == name:
        constraints["unique"] = True
    if constraints:
        out["constraints"] = constraints
    return out


def write_datapackage(directory: Path, build_id: str, created: str) -> None:
    text = json.dumps(package(build_id, created), indent=2, ensure_ascii=False)
    (directory / "datapackage.json").write_text(text + "\n", encoding="utf-8")
