"""Verification: a directory listing checked against the provider's own website.

For every facility that a directory (SAMHSA) lists with a website, and whose site was part of
the latest website crawl, each field is compared — phone, address, services, accreditations,
licenses — and given a status:

- ``confirmed``: the website shows the listing's value;
- ``conflict``: both show a value and they differ (a new phone, another address), or the listing
  claims a service that the website says it does not offer ("we do not offer methadone");
- ``only_directory``: the listing claims it, the website does not (a closed program, a
  service no longer mentioned);
- ``only_website``: the website claims it, the listing lacks it (a CARF accreditation the
  listing never reported);
- ``website_unreachable``: the crawl could not read the site, so nothing is known.

The website side is the site location merged with the listing (same place), or, when the site
shows the organization only at other addresses or none, the site's organization-wide facts. A
service the site states for the whole organization (``organization_services``) counts as the
website saying it, as one it ties to the location does.
Every website value carries its evidence URL and snippet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provdir.build.locations import Evidence, Location, format_license
from provdir.build.merge import Facility
from provdir.build.resolve import place_key, registered_domain

FIELDS = ("phone", "address", "service", "accreditation", "license")
STATUSES = ("confirmed", "conflict", "only_directory", "only_website", "website_unreachable")
DIRECTORY_SOURCES = frozenset({"samhsa"})
NOT_OFFERED = "not offered"
"""``website_value`` of a listed service the website says it does not offer."""


@dataclass
class WebsiteView:
    """What a website says that a listing can be checked against."""

    phones: list[str]
    street: str
    city: str
    postal_code: str
    services: list[str]
    accreditations: list[str]
    licenses: list[dict[str, str]]
    evidence: list[Evidence]
    source_key: str
    services_not_offered: list[str] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, locations: list[Location]) -> WebsiteView:
        first = locations[0]
        located = next((loc for loc in locations if loc.street), first)
        return cls(
            phones=_union(loc.phones for loc in locations),
            street=located.street if len(locations) == 1 else "",
            city=located.city,
            postal_code=located.postal_code,
            # The website's word on a service counts whether it ties the service to this place
            # or states it for the whole organization (both are what the provider says).
            services=_union([*loc.services, *loc.organization_services] for loc in locations),
            accreditations=_union([*loc.accreditations, *loc.organization_accreditations] for loc in locations),
            licenses=[lic for loc in locations for lic in [*loc.licenses, *loc.organization_licenses]],
            evidence=[ev for loc in locations for ev in loc.evidence],
            source_key=first.source_key if len(locations) == 1 else f"site:{first.site}",
            services_not_offered=_union(loc.services_not_offered for loc in locations),
        )


def _union(lists: Iterable[list[str]]) -> list[str]:
    out: dict[str, None] = {}
    for values in lists:
        for v in values:
            out.setdefault(v, None)
    return list(out)


def verify(
    facilities: list[tuple[str, Facility]],
    site_locations: list[Location],
    site_status: dict[str, str],
    verified_at: str,
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Verification rows, and the date each verified facility was checked.

    ``site_status`` maps a website's registered domain to the crawl's verdict for it
    (``ok`` or ``failed``); domains not in it were not crawled and are not verified.
    """
    by_domain: dict[str, list[Location]] = {}
    for loc in site_locations:
        by_domain.setdefault(registered_domain(loc.website), []).append(loc)
    rows: list[dict[str, Any]] = []
    checked: dict[str, str] = {}
    for fid, facility in facilities:
        listings = [loc for _, loc in facility.members if loc.source in DIRECTORY_SOURCES]
        for listing in listings:
            domain = registered_domain(listing.website)
            status = site_status.get(domain)
            if not domain or status is None:
                continue  # the site was not part of the crawl: nothing to say
            checked[fid] = verified_at
            base = {"facility_id": fid, "directory_source_key": listing.source_key, "verified_at": verified_at}
            if status != "ok" or domain not in by_domain:
                rows += [
                    {
                        **base,
                        "field": f,
                        "value": "",
                        "directory_value": _directory_value(listing, f),
                        "website_value": "",
                        "status": "website_unreachable",
                        "website_source_key": "",
                        "evidence_url": "",
                        "evidence_snippet": "",
                    }
                    for f in FIELDS
                ]
                continue
            merged_sites = [loc for _, loc in facility.members if loc.source == "site"]
            view = WebsiteView.of(merged_sites or by_domain[domain])
            rows += [{**base, **r} for r in compare(listing, view)]
    return rows, checked


def _directory_value(listing: Location, field: str) -> str:
    return {
        "phone": listing.phone,
        "address": _address(listing.street, listing.city, listing.postal_code),
        "service": ";".join(listing.services),
        "accreditation": ";".join(listing.accreditations),
        "license": ";".join(format_license(lic) for lic in listing.licenses),
    }[field]


def _address(street: str, city: str, zip5: str) -> str:
    return ", ".join(x for x in (street, city, zip5) if x)


def compare(listing: Location, site: WebsiteView) -> list[dict[str, Any]]:
    """Field-by-field statuses of one listing against one website view (pure)."""
    rows: list[dict[str, Any]] = []

    def row(field: str, value: str, directory: str, website: str, status: str, ev_field: str = "", ev_value: str = ""):
        ev = _evidence(site, ev_field or field, ev_value or website) if website else None
        rows.append(
            {
                "field": field,
                "value": value,
                "directory_value": directory,
                "website_value": website,
                "status": status,
                "website_source_key": site.source_key,
                "evidence_url": ev.url if ev else "",
                "evidence_snippet": ev.snippet if ev else "",
            }
        )

    # Phone: the listing's contact numbers against the site's.
    listed = [p for p in listing.phones if p]
    shown = set(site.phones)
    if listed and shown:
        hit = next((p for p in listed if p in shown), "")
        if hit:
            row("phone", hit, hit, hit, "confirmed")
        else:
            row("phone", listed[0], listed[0], site.phones[0], "conflict")
    elif listed:
        row("phone", listed[0], listed[0], "", "only_directory")
    elif shown:
        row("phone", site.phones[0], "", site.phones[0], "only_website")

    # Address: the same place, another place, or none shown.
    directory_address = _address(listing.street, listing.city, listing.postal_code)
    site_address = _address(site.street, site.city, site.postal_code)
    if listing.street and site.street:
        same = place_key(listing.street)[:2] == place_key(site.street)[:2] and (
            listing.postal_code == site.postal_code or not (listing.postal_code and site.postal_code)
        )
        row(
            "address",
            directory_address,
            directory_address,
            site_address,
            "confirmed" if same else "conflict",
            "address",
            _address_evidence_value(site),
        )
    elif listing.street:
        row("address", directory_address, directory_address, "", "only_directory")
    elif site.street:
        row("address", site_address, "", site_address, "only_website", "address", _address_evidence_value(site))

    for field, listed_values, shown_values in (
        ("service", listing.services, site.services),
        ("accreditation", listing.accreditations, site.accreditations),
    ):
        for value in sorted(set(listed_values) | set(shown_values)):
            in_dir, in_site = value in listed_values, value in shown_values
            if field == "service" and in_dir and not in_site and value in site.services_not_offered:
                # The site says in so many words that it does not offer what the listing claims.
                row(field, value, value, NOT_OFFERED, "conflict", "service_not_offered", value)
                continue
            status = "confirmed" if in_dir and in_site else "only_directory" if in_dir else "only_website"
            row(field, value, value if in_dir else "", value if in_site else "", status)

    # Licenses: SAMHSA names the licensing body's type, never the number; the build maps it onto
    # the registry agency of that role in the listing's state, so a website license of the same
    # agency confirms it. Without an agency on one side, a license in the same state does.
    matched: set[int] = set()
    for lic in listing.licenses:
        text = format_license(lic)
        i = _same_license(lic, site.licenses)
        if i is not None:
            matched.add(i)
            row("license", text, text, format_license(site.licenses[i]), "confirmed")
        else:
            row("license", text, text, "", "only_directory")
    for i, lic in enumerate(site.licenses):
        if i not in matched and _same_license(lic, listing.licenses) is None:
            row("license", format_license(lic), "", format_license(lic), "only_website")
    return rows


def _same_license(lic: dict[str, Any], others: list[dict[str, Any]]) -> int | None:
    """Index of the license in ``others`` that is ``lic``: the same registry agency, or, when
    either side names no registry agency, any license in the same state."""
    ident = lic.get("agency_id", "")
    for i, other in enumerate(others):
        if ident and other.get("agency_id") == ident:
            return i
    for i, other in enumerate(others):
        if other.get("state") == lic.get("state") and not (ident and other.get("agency_id")):
            return i
    return None


def _address_evidence_value(site: WebsiteView) -> str:
    ev = next((e for e in site.evidence if e.field == "address"), None)
    return ev.value if ev else ""


def _evidence(site: WebsiteView, field: str, value: str) -> Evidence | None:
    for ev in site.evidence:
        if ev.field == field and (ev.value == value or not value):
            return ev
    return next((ev for ev in site.evidence if ev.field == field), None)


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of listings confirmed per field and the commonest conflicts."""
    out: dict[str, Any] = {}
    for field in FIELDS:
        mine = [r for r in rows if r["field"] == field]
        if mine:
            out[field] = {s: sum(1 for r in mine if r["status"] == s) for s in STATUSES}
    return out
