"""One facility from a cluster of records: displayed values by a documented preference,
every value kept with its source.

Preference (first wins for the displayed name, organization, address and main phone):
  1. a provider website over a directory listing (the site is what the provider keeps current;
     SAMHSA's listing is self-reported once a year);
  2. a record with a street over one without; with a suite over one without;
  3. the record's main phone over its intake/admissions line;
  4. then the source key, so the choice is deterministic.
Lists (phones, services, accreditations, licenses) are the union, displayed value first; they are
chosen here (:attr:`Facility.values`) and published as the long fact tables
(:mod:`provdir.build.longtables`), from which the wide table's list columns are derived.
Disagreements on name, organization, street and main phone are listed in ``conflicts`` as
``field: value [source key]`` for every value that is not the displayed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from provdir.build.locations import Evidence, Location, format_license

SOURCE_RANK = {"site": 0, "samhsa": 1}


@dataclass
class Facility:
    members: list[tuple[str, Location]]  # (run_id, location), preferred first
    row: dict[str, Any] = field(default_factory=dict)
    """The facility's scalar columns (name, address, main phone, sources, ...)."""
    values: dict[str, list[str]] = field(default_factory=dict)
    """The published values of each list field (``services``, ``organization_services``,
    ``licenses``, ``phones``, ...), in order: what the long fact tables are built from."""
    evidence: list[tuple[str, str, Evidence]] = field(default_factory=list)  # (run_id, source_key, ev)
    # Every contact phone of every member, with the role and extension that member gives it
    # (for the facility_phones table): {"phone", "role", "extension", "source_key"}.
    phone_details: list[dict[str, str]] = field(default_factory=list)
    license_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Published license text -> its fields (agency, state, number, agency_id, kind, ...)."""

    @property
    def source_keys(self) -> list[str]:
        return [loc.source_key for _, loc in self.members]


def preference(item: tuple[str, Location]) -> tuple:
    _, loc = item
    return (SOURCE_RANK.get(loc.source, 9), not loc.street, not _has_unit(loc.street), loc.source_key)


def _has_unit(street: str) -> bool:
    return any(f" {u} " in f" {street.upper()} " for u in ("STE", "UNIT", "#", "APT", "BLDG", "FL", "RM"))


def merge(members: list[tuple[str, Location]]) -> Facility:
    members = sorted(members, key=preference)
    run_id, top = members[0]
    located = next((loc for _, loc in members if loc.street), top)
    phones = _union(loc.phones for _, loc in members)
    main = top.phone or next((loc.phone for _, loc in members if loc.phone), "")
    if main in phones:
        phones = [main, *(p for p in phones if p != main)]
    licenses: dict[str, dict[str, str]] = {}
    for _, loc in members:
        for lic in loc.licenses:
            licenses.setdefault(format_license(lic), lic)
    facility = Facility(members=members)
    facility.license_details = {text: licenses[text] for text in _licenses(licenses)}
    facility.values = {
        "phones": phones,
        "accreditations": sorted(_union(loc.accreditations for _, loc in members)),
        "licenses": _licenses(licenses),
        "services": sorted(_union(loc.services for _, loc in members)),
        "services_not_offered": sorted(_union(loc.services_not_offered for _, loc in members)),
    }
    facility.row = {
        "name": top.name or located.name,
        "organization": top.organization or located.organization,
        "street": located.street,
        "city": located.city,
        "state": located.state,
        "postal_code": located.postal_code,
        "phone": main,
        "website": top.website or next((loc.website for _, loc in members if loc.website), ""),
        "source_urls": sorted(_union(loc.source_urls for _, loc in members)),
        "mailing_address": next((loc.mailing_address for _, loc in members if loc.mailing_address), ""),
        "latitude": next((loc.latitude for _, loc in members if loc.latitude is not None), None),
        "longitude": next((loc.longitude for _, loc in members if loc.longitude is not None), None),
        "sources": sorted({loc.source for _, loc in members}),
        "source_keys": [loc.source_key for _, loc in members],
        "source": top.source,
        "source_key": top.source_key,
        "run_id": run_id,
        "conflicts": _conflicts(members, top, located, main),
        "address_precision": located.address_precision or ("street" if located.street else ""),
    }
    # What the organization says site-wide, minus what some source ties to this facility.
    values = facility.values
    values["organization_services"] = sorted(
        v for v in _union(loc.organization_services for _, loc in members) if v not in values["services"]
    )
    values["organization_accreditations"] = sorted(
        v for v in _union(loc.organization_accreditations for _, loc in members) if v not in values["accreditations"]
    )
    org_licenses: dict[str, dict[str, str]] = {}
    for _, loc in members:
        for lic in loc.organization_licenses:
            org_licenses.setdefault(format_license(lic), lic)
    values["organization_licenses"] = [t for t in _licenses(org_licenses) if t not in values["licenses"]]
    for text in values["organization_licenses"]:
        facility.license_details.setdefault(text, org_licenses[text])
    for rid, loc in members:
        facility.evidence.extend((rid, loc.source_key, ev) for ev in loc.evidence)
        facility.phone_details.extend(
            {
                "phone": p,
                "role": loc.phone_roles.get(p, ""),
                "extension": loc.phone_extensions.get(p, ""),
                "source_key": loc.source_key,
            }
            for p in loc.phones
        )
    return facility


def _licenses(by_text: dict[str, dict[str, str]]) -> list[str]:
    # A numbered license absorbs the same agency shown without a number (another source).
    numbered = {(lic["agency"].lower(), lic.get("state", "")) for lic in by_text.values() if lic.get("number")}
    return sorted(
        text
        for text, lic in by_text.items()
        if lic.get("number") or (lic["agency"].lower(), lic.get("state", "")) not in numbered
    )


def _union(lists) -> list[str]:
    out: dict[str, None] = {}
    for values in lists:
        for v in values:
            if v:
                out.setdefault(v, None)
    return list(out)


def _conflicts(members: list[tuple[str, Location]], top: Location, located: Location, main: str) -> list[str]:
    shown = {
        "name": top.name or located.name,
        "organization": top.organization or located.organization,
        "street": located.street,
        "phone": main,
    }
    out: list[str] = []
    for _, loc in members:
        values = {"name": loc.name, "organization": loc.organization, "street": loc.street, "phone": loc.phone}
        for key, value in values.items():
            if value and shown[key] and _differs(key, value, shown[key]):
                entry = f"{key}: {value} [{loc.source_key}]"
                if entry not in out:
                    out.append(entry)
    return out


def _differs(key: str, a: str, b: str) -> bool:
    if key == "street":
        from provdir.normalize.address import street_key

        return street_key(a).replace(" ", "") != street_key(b).replace(" ", "")
    return a.strip().lower() != b.strip().lower()
