"""The build's primary product: long fact rows, one per facility, value and source record,
with the value's typed attributes and its provenance; the wide table's list columns are derived
from them (:func:`wide_columns`), never the other way round.

``facility_services``, ``facility_accreditations``, ``facility_licenses`` and ``facility_phones``
are built from what the merge chose for each facility (:attr:`provdir.build.merge.Facility.values`:
which values are published, and ``scope``: the location's own or the organization's) and the
evidence (which source record showed each value, on which page, in which words). Every chosen
value has a row at least once; a value no evidence row explains (none is expected) is attributed
to the facility's displayed source record with empty evidence.

Phones also need what the evidence does not keep: the role each source gives a number and its
extension (:attr:`provdir.build.merge.Facility.phone_details`); licenses their structured fields
(agency, state, number, registry id, ...). A facility carried from the previous build
(``missing``, ``closed?``) keeps the previous build's fact rows as they were; only a build from
before a table existed has its rows rebuilt from the wide columns it published.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from provdir.vocab import vocabulary

TABLES = ("facility_services", "facility_accreditations", "facility_licenses", "facility_phones")
LIST_COLUMNS = (
    "phones",
    "accreditations",
    "licenses",
    "services",
    "services_not_offered",
    "organization_services",
    "organization_accreditations",
    "organization_licenses",
)
"""The wide table's columns derived from the fact rows."""
_SOURCE_RANK = {"site": 0, "samhsa": 1}
Index = dict[tuple[str, str, str], list[dict[str, Any]]]
"""Evidence rows by (facility, field, value)."""
Tables = dict[str, list[dict[str, Any]]]
"""Fact rows by table name."""
_LICENSE_DEFAULTS: dict[str, Any] = {
    "state": "",
    "number": "",
    "agency_id": "",
    "kind": "",
    "as_shown": "",
    "state_inferred": False,
}


def source_of(source_key: str) -> str:
    return source_key.split(":", 1)[0]


def license_fields(text: str, details: dict[str, Any] | None) -> dict[str, Any]:
    """The license's structured fields, from the build's own licenses. A license with none (a
    build from before ``facility_licenses`` existed) is kept as shown: its text is the agency."""
    d = {**_LICENSE_DEFAULTS, **(details or {})}
    return {
        "agency": d.get("agency") or text,
        **{k: d[k] for k in _LICENSE_DEFAULTS if k != "state_inferred"},
        "state_inferred": bool(d["state_inferred"]),
    }


def wide_columns(tables: Tables) -> dict[str, list[str]]:
    """One facility's list columns of the wide table, from its fact rows (each value once, in
    the rows' order)."""
    out: dict[str, list[str]] = {name: [] for name in LIST_COLUMNS}

    def add(column: str, value: str) -> None:
        if value not in out[column]:
            out[column].append(value)

    for r in tables.get("facility_services", []):
        if r["status"] == "not_offered":
            add("services_not_offered", r["service"])
        else:
            add("services" if r["scope"] == "location" else "organization_services", r["service"])
    for r in tables.get("facility_accreditations", []):
        add("accreditations" if r["scope"] == "location" else "organization_accreditations", r["accreditation"])
    for r in tables.get("facility_licenses", []):
        add("licenses" if r["scope"] == "location" else "organization_licenses", r["license"])
    for r in tables.get("facility_phones", []):
        add("phones", r["phone"])
    return out


def by_value(evidence: list[dict[str, Any]]) -> Index:
    """Evidence rows by (facility, field, value), in their order."""
    index: Index = defaultdict(list)
    for ev in evidence:
        index[(ev["facility_id"], ev["field"], ev["value"])].append(ev)
    return index


def carried(
    fid: str,
    row: dict[str, Any],
    previous: dict[str, dict[str, list[dict[str, Any]]]],
    evidence: Index,
) -> Tables:
    """A facility carried from the previous build: its rows of each fact table there. A table
    the previous build did not have is rebuilt from the wide row it published."""
    rebuilt: Tables | None = None
    out: Tables = {}
    for name in TABLES:
        if name in previous:
            out[name] = previous[name].get(fid, [])
            if name == "facility_licenses":
                out[name] = [{**r, **license_fields(r["license"], r)} for r in out[name]]
            continue
        if rebuilt is None:
            values = {c: list(row.get(c) or []) for c in LIST_COLUMNS}
            rebuilt = facts(fid, values, row, evidence, None, {})
        out[name] = rebuilt[name]
    return out


def facts(
    fid: str,
    values: dict[str, list[str]],
    row: dict[str, Any],
    evidence: Index,
    phone_details: list[dict[str, str]] | None,
    license_details: dict[str, dict[str, Any]],
) -> Tables:
    """One facility's fact rows (table name -> rows), from its chosen ``values`` (list columns
    by name), its scalar ``row`` (main phone, displayed source record) and the evidence."""
    services, accreditations, licenses = [], [], []
    svc_terms = vocabulary.services().terms
    acc_terms = vocabulary.accreditations().terms
    offered = [(scope, "offered", v, ev) for scope, v, ev in _scoped(fid, values, evidence, "service", "services")]
    # What a site says it does not offer is said for the organization as a whole.
    not_offered = [
        ("organization", "not_offered", v, ev)
        for v, ev in _attributed(fid, evidence, "service_not_offered", values.get("services_not_offered"))
    ]
    for scope, status, value, ev in offered + not_offered:
        term = svc_terms.get(value)
        services.append(
            {
                "facility_id": fid,
                "service": value,
                "label": term.label if term else value,
                "category": term.category if term else "",
                "samhsa_code": term.samhsa_code if term else "",
                **_provenance(row, ev),
                "basis": (ev or {}).get("basis", ""),
                "status": status,
                "scope": scope,
            }
        )
    for scope, value, ev in _scoped(fid, values, evidence, "accreditation", "accreditations"):
        term = acc_terms.get(value)
        accreditations.append(
            {
                "facility_id": fid,
                "accreditation": value,
                "label": term.label if term else value,
                "samhsa_code": term.samhsa_code if term else "",
                **_provenance(row, ev),
                "basis": (ev or {}).get("basis", ""),
                "scope": scope,
            }
        )
    for scope, value, ev in _scoped(fid, values, evidence, "license", "licenses"):
        licenses.append(
            {
                "facility_id": fid,
                "license": value,
                **license_fields(value, license_details.get(value)),
                **_provenance(row, ev),
                "scope": scope,
            }
        )
    return {
        "facility_services": services,
        "facility_accreditations": accreditations,
        "facility_licenses": licenses,
        "facility_phones": _phones(fid, row, values.get("phones") or [], evidence, phone_details),
    }


def _scoped(fid: str, values, evidence: Index, field_name: str, column: str) -> list[tuple[str, str, dict | None]]:
    """(scope, value, evidence) for the facility's own column (``location``) and its
    ``organization_<column>`` (``organization``: stated for the whole organization)."""
    own = [("location", v, ev) for v, ev in _attributed(fid, evidence, field_name, values.get(column))]
    org = [
        ("organization", v, ev)
        for v, ev in _attributed(fid, evidence, field_name, values.get(f"organization_{column}"))
    ]
    return own + org


def _attributed(fid: str, evidence: Index, field_name: str, values) -> list[tuple[str, dict[str, Any] | None]]:
    """(value, evidence row or None), one per source record that shows the value."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    for value in values or []:
        seen: set[str] = set()
        for ev in evidence.get((fid, field_name, value), []):
            if ev["source_key"] not in seen:
                seen.add(ev["source_key"])
                out.append((value, ev))
        if not seen:
            out.append((value, None))
    return out


def _provenance(row: dict[str, Any], ev: dict[str, Any] | None) -> dict[str, str]:
    key = ev["source_key"] if ev else row.get("source_key", "")
    return {
        "source": source_of(key),
        "source_key": key,
        "evidence": (ev or {}).get("snippet", ""),
        "url": (ev or {}).get("url", ""),
    }


def _phones(
    fid: str, row: dict[str, Any], published: list[str], evidence: Index, details: list[dict[str, str]] | None
) -> list[dict[str, Any]]:
    """One row per published phone and source record giving it, with that record's role and
    extension; ``details`` None (a build from before the table): the bare numbers."""
    main, shown_by = row.get("phone") or "", row.get("source_key", "")
    if details is None:
        details = [{"phone": p, "role": "", "extension": "", "source_key": shown_by} for p in published]
    # a published number no detail explains (not expected) is the displayed record's
    explained = {d["phone"] for d in details}
    details = [*details, *({"phone": p, "source_key": shown_by} for p in published if p not in explained)]
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for d in details:
        phone, key = d["phone"], d["source_key"]
        if phone not in published or (phone, key) in out:
            continue
        evs = evidence.get((fid, "phone", phone), [])
        ev = next((e for e in evs if e["source_key"] == key), None)
        out[(phone, key)] = {
            "facility_id": fid,
            "phone": phone,
            "extension": d.get("extension") or "",
            "role": d.get("role") or "",
            "is_main": phone == main,
            "source": source_of(key),
            "source_key": key,
            "evidence": (ev or {}).get("snippet", ""),
            "url": (ev or {}).get("url", ""),
        }
    order = {p: i for i, p in enumerate(published)}
    return sorted(out.values(), key=lambda r: (order[r["phone"]], _SOURCE_RANK.get(r["source"], 9), r["source_key"]))
