"""``provdir export``: the published directory as a spreadsheet or as GeoJSON.

- **xlsx**: one sheet per table (``facilities``, the long tables, ``evidence``, ``changes``,
  ``vocabulary``) plus ``about`` (what each sheet is) and ``data_dictionary``. Spreadsheet-safe:
  every text cell is stored as text, never as a formula, and a text that a spreadsheet would
  read as one (starting with ``= + - @``; E.164 phones excepted) also gets Excel's quote prefix
  (the hidden apostrophe), so editing the cell keeps it text — the value itself is unchanged.
  Lists are joined with ``"; "``; numbers and booleans stay typed. A table longer than a sheet
  (1,048,575 data rows) continues on ``<table> (2)``.
- **geojson**: a FeatureCollection (RFC 7946) of the facilities that have coordinates, one Point
  each, with the main columns as properties and ``coordinates_source`` (``zip_centroid`` means
  approximate: the centre of the ZIP code).
"""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from provdir.build.tables import TABLES, formula_risk

XLSX_MAX_ROWS = 1_048_575  # data rows under the header
XLSX_MAX_CELL = 32_767
LIST_JOIN = "; "
GEOJSON_PROPERTIES = (
    "facility_id",
    "name",
    "organization",
    "street",
    "city",
    "state",
    "postal_code",
    "phone",
    "phones",
    "website",
    "accreditations",
    "licenses",
    "services",
    "status",
    "source",
    "coordinates_source",
    "address_precision",
    "organization_services",
)


class ExportError(RuntimeError):
    pass


def _rows(latest: Path, name: str) -> list[dict[str, Any]] | None:
    path = latest / f"{name}.parquet"
    return pq.read_table(path).to_pylist() if path.exists() else None


def _build_id(latest: Path) -> str:
    try:
        return json.loads((latest / "build.json").read_text(encoding="utf-8")).get("build_id", "")
    except (OSError, ValueError):
        return ""


def _check_latest(latest: Path) -> None:
    if not (latest / "facilities.parquet").exists():
        raise ExportError(f"nothing published under {latest} (run provdir crawl, demo or build first)")


def _replace(tmp: Path, to: Path) -> Path:
    try:
        os.replace(tmp, to)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed export leaves nothing behind
        raise
    return to


def _write_tmp(to: Path, write) -> Path:
    """``write(tmp)`` beside ``to``, then moved over it; the temporary file never stays."""
    tmp = to.with_name(f".{to.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return _replace(tmp, to)


# -- xlsx ----------------------------------------------------------------------------------
def export_xlsx(latest: Path, to: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    _check_latest(latest)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        chunks = [rows[i : i + XLSX_MAX_ROWS] for i in range(0, len(rows), XLSX_MAX_ROWS)] or [[]]
        for n, chunk in enumerate(chunks, start=1):
            ws = wb.create_sheet(title if n == 1 else f"{title} ({n})")
            ws.freeze_panes = "A2"
            for i, width in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(i)].width = width
            if header:
                ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(chunk) + 1}"
            head = []
            for text in header:
                cell = WriteOnlyCell(ws, value=text)
                cell.font = bold
                head.append(cell)
            ws.append(head)
            for row in chunk:
                ws.append([_xlsx_cell(ws, WriteOnlyCell, v) for v in row])

    build_id = _build_id(latest)
    about = [["build", build_id]]
    about += [[spec.name, spec.description] for spec in TABLES]
    about.append(["data_dictionary", "Every column of every sheet: type, meaning, allowed values, keys."])
    sheet("about", ["sheet", "what"], about, [26, 110])
    dictionary = []
    for spec in TABLES:
        dictionary += [[spec.name, name, str(typ), desc] for name, typ, desc in spec.columns]
    sheet("data_dictionary", ["table", "column", "type", "description"], dictionary, [24, 22, 20, 100])
    for spec in TABLES:
        rows = _rows(latest, spec.name)
        if rows is None:
            continue
        names = spec.names
        sheet(spec.name, names, [[r.get(n) for n in names] for r in rows], [_width(n) for n in names])
    to.parent.mkdir(parents=True, exist_ok=True)
    return _write_tmp(to, wb.save)


def _width(name: str) -> int:
    if name in ("snippet", "evidence", "conflicts", "source_urls", "services", "url", "description"):
        return 60
    return max(12, min(40, len(name) + 6))


def _xlsx_cell(ws, cell_class, value: Any):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return None
    if isinstance(value, date):  # a date cell, shown as the data package's YYYY-MM-DD
        cell = cell_class(ws, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, list | tuple):
        value = LIST_JOIN.join("" if v is None else str(v) for v in value)
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > XLSX_MAX_CELL:
        text = text[: XLSX_MAX_CELL - 1] + "…"
    if not formula_risk(text):
        return text  # stored as text: openpyxl takes only "=..." for a formula, and that is a risk
    cell = cell_class(ws, value=text)
    cell.data_type = "s"  # text, never a formula
    cell.quotePrefix = True  # and editing it in Excel keeps it text
    return cell


# -- GeoJSON -------------------------------------------------------------------------------
def geojson(latest: Path) -> dict[str, Any]:
    _check_latest(latest)
    features = []
    for row in _rows(latest, "facilities") or []:
        lat, lon = row.get("latitude"), row.get("longitude")
        if lat is None or lon is None or math.isnan(lat) or math.isnan(lon):
            continue
        props = {}
        for name in GEOJSON_PROPERTIES:
            value = row.get(name)
            if isinstance(value, date):
                value = value.isoformat()  # GeoJSON is JSON: dates as YYYY-MM-DD text
            props[name] = LIST_JOIN.join(value) if isinstance(value, list) else ("" if value is None else value)
        props["approximate"] = row.get("coordinates_source") in ("zip_centroid", "city_centroid")
        features.append(
            {
                "type": "Feature",
                "id": row["facility_id"],
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": props,
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "provider-directory",
        "build_id": _build_id(latest),
        "features": features,
    }


def export_geojson(latest: Path, to: Path) -> Path:
    data = geojson(latest)
    to.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False) + "\n"
    return _write_tmp(to, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def export(latest: Path, fmt: str, to: Path | None = None, exports_dir: Path | None = None) -> Path:
    """Write the export of ``latest`` in ``fmt`` ('xlsx' or 'geojson'); returns the file written."""
    if fmt not in ("xlsx", "geojson"):
        raise ExportError(f"unknown format {fmt!r} (xlsx or geojson)")
    _check_latest(latest)
    # ``latest`` is a link a publish moves: resolved once, every file is read from one build
    # (through the link, a workbook made during a publish would mix two builds).
    build = latest.resolve()
    if to is None:
        folder = exports_dir or latest.parent / "exports"
        to = folder / f"provider-directory-{_build_id(build) or 'latest'}.{fmt}"
    return export_xlsx(build, to) if fmt == "xlsx" else export_geojson(build, to)
