"""Long tables beside the wide one: one row per facility, value and source record.

``facility_services``, ``facility_accreditations``, ``facility_licenses`` and ``facility_phones``
are derived from the merged facility rows (which values are published; ``scope`` says whether a
value is the location's own, from ``services``, or the organization's, from
``organization_services`` and its siblings) and the evidence
(which source record showed each value, on which page, in which words). Every value of a
facility's list column appears in its long table at least once; a value no evidence row
explains (none is expected) is attributed to the facility's displayed source record with empty
evidence, so the long tables and the wide one never disagree.

Phones also need what the evidence does not keep: the role each source gives a number and its
extension. Facilities built in this publish bring them from their locations
(:attr:`provdir.build.merge.Facility.phone_details`); facilities carried from the previous
build (``missing``, ``closed?``) keep the previous build's ``facility_phones`` rows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from provdir.vocab import vocabulary

_LICENSE = re.compile(r"^(?P<agency>.*?)(?: \((?P<state>[A-Z]{2})\))?(?: #(?P<number>.+))?$")
_SOURCE_RANK = {"site": 0, "samhsa": 1}


def source_of(source_key: str) -> str:
    return source_key.split(":", 1)[0]


def parse_license(text: str) -> dict[str, str]:
    """``'Missouri Department of Mental Health (MO) #1234'`` -> agency, state, number."""
    m = _LICENSE.match(text)
    assert m is not None  # the pattern matches any string
    return {"agency": m["agency"] or text, "state": m["state"] or "", "number": m["number"] or ""}


def license_fields(text: str, details: dict[str, Any] | None) -> dict[str, Any]:
    """The license's structured fields: from the build's own licenses when it has them, else
    (a facility carried from the previous build) parsed back from the published text."""
    d = details or parse_license(text)
    return {
        "agency": d.get("agency") or text,
        "state": d.get("state", ""),
        "number": d.get("number", ""),
        "agency_id": d.get("agency_id", ""),
        "kind": d.get("kind", ""),
        "as_shown": d.get("as_shown", ""),
        "state_inferred": bool(d.get("state_inferred", False)),
    }


def build(
    facilities: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
    phone_details: dict[str, list[dict[str, str]]],
    previous_phones: dict[str, list[dict[str, Any]]] | None = None,
    license_details: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The four long tables (name -> rows), in facility order."""
    by_value: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for ev in evidence:
        by_value[(ev["facility_id"], ev["field"], ev["value"])].append(ev)
    services, accreditations, licenses, phones = [], [], [], []
    svc_terms = vocabulary.services().terms
    acc_terms = vocabulary.accreditations().terms
    for row in facilities:
        fid = row["facility_id"]
        for scope, value, ev in _scoped(row, by_value, "service", "services"):
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
                    "status": "offered",
                    "scope": scope,
                }
            )
        for value, ev in _attributed(row, by_value, "service_not_offered", row.get("services_not_offered")):
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
                    "status": "not_offered",
                    # What a site says it does not offer is said for the organization as a whole.
                    "scope": "organization",
                }
            )
        for scope, value, ev in _scoped(row, by_value, "accreditation", "accreditations"):
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
        for scope, value, ev in _scoped(row, by_value, "license", "licenses"):
            licenses.append(
                {
                    "facility_id": fid,
                    "license": value,
                    **license_fields(value, (license_details or {}).get(fid, {}).get(value)),
                    **_provenance(row, ev),
                    "scope": scope,
                }
            )
        phones.extend(_phones(row, by_value, phone_details.get(fid), (previous_phones or {}).get(fid)))
    return {
        "facility_services": services,
        "facility_accreditations": accreditations,
        "facility_licenses": licenses,
        "facility_phones": phones,
    }


def _scoped(row, by_value, field_name: str, column: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(scope, value, evidence) for the facility's own column (``location``) and its
    ``organization_<column>`` (``organization``: stated for the whole organization)."""
    own = [("location", v, ev) for v, ev in _attributed(row, by_value, field_name, row.get(column))]
    org = [
        ("organization", v, ev) for v, ev in _attributed(row, by_value, field_name, row.get(f"organization_{column}"))
    ]
    return own + org


def _attributed(row, by_value, field_name: str, values) -> list[tuple[str, dict[str, Any] | None]]:
    """(value, evidence row or None), one per source record that shows the value."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    for value in values or []:
        seen: set[str] = set()
        for ev in by_value.get((row["facility_id"], field_name, value), []):
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


def _phones(row, by_value, details, previous) -> list[dict[str, Any]]:
    fid, main = row["facility_id"], row.get("phone") or ""
    published = list(row.get("phones") or [])
    if details is None:
        # A carried facility: its rows in the previous build, else the bare numbers.
        details = previous or [
            {"phone": p, "role": "", "extension": "", "source_key": row.get("source_key", "")} for p in published
        ]
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for d in details:
        phone, key = d["phone"], d["source_key"]
        if phone not in published or (phone, key) in out:
            continue
        evs = by_value.get((fid, "phone", phone), [])
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
    for phone in published:  # a published number no detail explains (not expected)
        if not any(p == phone for p, _ in out):
            out[(phone, row.get("source_key", ""))] = _phones({**row, "phones": [phone]}, by_value, None, None)[0]
    order = {p: i for i, p in enumerate(published)}
    return sorted(out.values(), key=lambda r: (order[r["phone"]], _SOURCE_RANK.get(r["source"], 9), r["source_key"]))
