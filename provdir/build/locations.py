"""From one site's page observations to facility locations (pure).

- Organization name: the seed's name, else schema.org, ``og:site_name``, the title segment
  most pages share, or the header logo's alt text, by votes.
- Contact phones: every number the site shows, minus any number that is labelled a fax or a
  crisis line anywhere on the site (the strictest label wins). The main phone is the one shown
  most often in headers, footers and structured data.
- Locations: one per distinct physical address (USPS street key + ZIP), named by the label
  next to it; its own phones are those printed in its address block. A site that shows no
  street address still yields one record for the organization, without an address.
- Accreditations, licenses and services are site-wide facts and apply to every location.
- Every value carries its evidence: the page URL, the snippet and the extractor's basis.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from provdir.build import licenses as site_licenses
from provdir.normalize.address import street_key
from provdir.normalize.phone import CONTACT_ROLES

_ROLE_RANK = {"fax": 0, "crisis": 0, "admissions": 1, "text": 2, "toll_free": 3, "main": 4}


@dataclass
class Evidence:
    field: str
    value: str
    url: str
    snippet: str
    region: str = ""
    basis: str = ""


@dataclass
class Location:
    source: str
    site: str
    location_key: str
    name: str
    organization: str
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    phones: list[str] = field(default_factory=list)
    phone_roles: dict[str, str] = field(default_factory=dict)
    phone_extensions: dict[str, str] = field(default_factory=dict)  # e164 -> extension, when shown
    website: str = ""
    accreditations: list[str] = field(default_factory=list)
    licenses: list[dict[str, str]] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    source_urls: list[str] = field(default_factory=list)
    mailing_address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def source_key(self) -> str:
        """``site:<host>:<location key>`` for websites, ``<source>:<id>`` for directories."""
        if not self.site:
            return f"{self.source}:{self.location_key}"
        return f"{self.source}:{self.site}:{self.location_key}"


def site_locations(observations: list[dict[str, Any]]) -> list[Location]:
    """All facility locations of one site, from that site's page observations."""
    if not observations:
        return []
    first = observations[0]
    site, seed_url = first["site"], first["seed_url"]
    org, org_ev = _organization(observations)
    website = _website(observations, seed_url)
    phones, roles, main, phone_ev = _phones(observations)
    extensions = _extensions(observations)
    accreditations, acc_ev = _vocab_facts(observations, "accreditations", "accreditation")
    services, svc_ev = _vocab_facts(observations, "services", "service")
    licenses, lic_ev = _licenses(observations)
    places, mailing = _places(observations, org)
    source_urls = sorted({o["url"] for o in observations})

    shared = dict(
        source="site", site=site, organization=org, website=website, accreditations=accreditations,
        licenses=licenses, services=services, source_urls=source_urls, mailing_address=mailing,
    )  # fmt: skip
    common_ev = [*org_ev, *acc_ev, *svc_ev, *lic_ev]
    locations: list[Location] = []
    if not places:
        ev = [*common_ev, *(e for e in phone_ev if e.value in phones)]
        locations.append(Location(location_key="org", name=org, phone=main, phones=phones,
                                  phone_roles={p: roles[p] for p in phones},
                                  phone_extensions={p: extensions[p] for p in phones if p in extensions},
                                  evidence=ev, **shared))  # fmt: skip
        return locations
    for key, place in places.items():
        own = [p for p in place["phones"] if p in roles]
        loc_phones = _unique([*own, *phones])
        ev = [*common_ev, *place["evidence"], *(e for e in phone_ev if e.value in loc_phones)]
        locations.append(
            Location(
                location_key=key,
                name=place["label"] or org,
                street=place["street"],
                city=place["city"],
                state=place["state"],
                postal_code=place["postal_code"],
                phone=own[0] if own else main,
                phones=loc_phones,
                phone_roles={p: roles[p] for p in loc_phones},
                phone_extensions={p: extensions[p] for p in loc_phones if p in extensions},
                latitude=place["latitude"],
                longitude=place["longitude"],
                evidence=ev,
                **shared,
            )
        )
    if any(not lic["state"] for lic in licenses):
        # A site in several states: a license whose page names no state is each location's own.
        for loc in locations:
            if loc.state:
                loc.licenses, own_ev = _licenses(observations, loc.state)
                loc.evidence = [e for e in loc.evidence if e.field != "license"] + own_ev
    return locations


# -- organization --------------------------------------------------------------------------
_GENERIC_TITLE = re.compile(
    r"^(?:home|homepage|welcome|contact(?: us)?|about(?: us)?|services|programs|blog|news|"
    r"locations?|admissions|insurance|faq|page not found|404.*|untitled)$",
    re.I,
)


_TAGLINE = re.compile(r"\s+[-\u2013\u2014|:\u00b7\u2022]\s+")


def _organization(observations: list[dict[str, Any]]) -> tuple[str, list[Evidence]]:
    seed_name = next((o.get("seed_name") for o in observations if o.get("seed_name")), "")
    if seed_name:
        return seed_name, [Evidence("organization", seed_name, observations[0]["seed_url"], "seeds file", basis="seed")]
    votes: Counter[str] = Counter()
    where: dict[str, tuple[str, str, str]] = {}
    weight = {"structured": 3, "meta": 3, "logo": 2, "title": 1}
    for o in observations:
        page_titles = set()
        for f in o.get("org_names", []):
            name = f["value"].strip()
            if not name or _GENERIC_TITLE.match(name) or len(name) > 70:
                continue
            if f["basis"] == "title":
                if name in page_titles:
                    continue
                page_titles.add(name)
            votes[name] += weight.get(f["basis"], 1)
            where.setdefault(name, (o["url"], f["snippet"], f["basis"]))
            # "Millrace House - Sober Living for Men": the name before a tagline also votes.
            head = _TAGLINE.split(name, 1)[0].strip()
            if head != name and len(head) >= 3:
                votes[head] += weight.get(f["basis"], 1)
                where.setdefault(head, (o["url"], f["snippet"], f["basis"]))
    if not votes:
        host = urlsplit(observations[0]["seed_url"]).hostname or observations[0]["site"]
        return host, [Evidence("organization", host, observations[0]["seed_url"], "host name", basis="host")]
    name = max(votes, key=lambda n: (votes[n], -len(n)))
    url, snippet, basis = where[name]
    return name, [Evidence("organization", name, url, snippet, basis=basis)]


def _website(observations: list[dict[str, Any]], seed_url: str) -> str:
    parts = urlsplit(observations[0]["url"] or seed_url)
    return f"{parts.scheme}://{parts.netloc}/"


# -- phones --------------------------------------------------------------------------------
def _phones(observations: list[dict[str, Any]]) -> tuple[list[str], dict[str, str], str, list[Evidence]]:
    roles: dict[str, str] = {}
    seen_count: Counter[str] = Counter()
    prominent: Counter[str] = Counter()
    evidence: dict[str, Evidence] = {}
    for o in observations:
        for p in o.get("phones", []):
            num, role = p["e164"], p["role"]
            if not num:
                continue
            old = roles.get(num)
            roles[num] = role if old is None or _ROLE_RANK.get(role, 4) < _ROLE_RANK.get(old, 4) else old
            seen_count[num] += 1
            if p["region"] in ("header", "footer", "structured") and role in ("main", "toll_free"):
                prominent[num] += 1
            if num not in evidence or (p["source"] == "text" and evidence[num].basis != "text"):
                evidence[num] = Evidence("phone", num, o["url"], p["snippet"] or p["raw"], p["region"], p["source"])
    contact = [n for n in roles if roles[n] in CONTACT_ROLES]
    contact.sort(key=lambda n: (-prominent[n], -seen_count[n], n))
    mains = [n for n in contact if roles[n] in ("main", "toll_free")]
    main = max(mains, key=lambda n: (prominent[n], seen_count[n])) if mains else (contact[0] if contact else "")
    ev = [evidence[n] for n in contact]
    return contact, {n: roles[n] for n in contact}, main, ev


def _extensions(observations: list[dict[str, Any]]) -> dict[str, str]:
    """The extension shown with each number (the first one seen)."""
    out: dict[str, str] = {}
    for o in observations:
        for p in o.get("phones", []):
            if p["e164"] and p.get("extension"):
                out.setdefault(p["e164"], p["extension"])
    return out


# -- vocabulary facts ----------------------------------------------------------------------
def _vocab_facts(observations: list[dict[str, Any]], key: str, field_name: str) -> tuple[list[str], list[Evidence]]:
    values: dict[str, Evidence] = {}
    for o in observations:
        for f in o.get(key, []):
            value = f["value"]
            if value not in values or _stronger(f["basis"], values[value].basis):
                values[value] = Evidence(field_name, value, o["url"], f["snippet"], f["region"], f["basis"])
    return sorted(values), list(values.values())


def _stronger(new: str, old: str) -> bool:
    order = ["statement", "label", "menu", "logo", "structured"]
    rank = {b: i for i, b in enumerate(order)}
    return rank.get(new, len(order)) < rank.get(old, len(order))


def _licenses(
    observations: list[dict[str, Any]], state: str | None = None
) -> tuple[list[dict[str, Any]], list[Evidence]]:
    # The state of a license whose page does not tell it is the facility's (provdir.build.licenses).
    state = site_licenses.site_state(observations) if state is None else state
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    ev: dict[tuple[str, str, str], Evidence] = {}
    for o in observations:
        for lic in o.get("licenses", []):
            done = site_licenses.complete(lic, state)
            if done is None:
                continue
            key = site_licenses.key(done)
            if key not in found:
                found[key] = done
                ev[key] = Evidence("license", format_license(done), o["url"], lic["snippet"], lic["region"],
                                   done["basis"])  # fmt: skip
    # A license shown once with its number and once without is one license.
    numbered = {(a, s) for a, s, n in found if n}
    keep = [k for k in found if k[2] or k[:2] not in numbered]
    # "State-licensed" and the agency that licenses it, in the same state, are one license.
    named_states = {found[k]["state"] for k in keep if found[k]["agency"]}
    keep = [k for k in keep if found[k]["agency"] or found[k]["number"] or found[k]["state"] not in named_states]
    return [found[k] for k in keep], [ev[k] for k in keep]


def format_license(lic: dict[str, str]) -> str:
    text = lic["agency"] or "State license"
    if lic.get("state"):
        text += f" ({lic['state']})"
    if lic.get("number"):
        text += f" #{lic['number']}"
    return text


# -- places --------------------------------------------------------------------------------
def _places(observations: list[dict[str, Any]], org: str = "") -> tuple[dict[str, dict[str, Any]], str]:
    places: dict[str, dict[str, Any]] = {}
    # A footer repeated on every page is one piece of evidence, not one per page: each
    # (label, region) votes once, and a label in the page body (a location card) or in
    # structured data outweighs the site template's.
    labels: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    region_weight = {"main": 3, "structured": 2}
    mailing = ""
    for o in observations:
        for a in o.get("addresses", []):
            if a["kind"] == "mailing":
                mailing = mailing or f"{a['street']}, {a['city']}, {a['state']} {a['postal_code']}".strip()
                continue
            key = f"{street_key(a['street'])}|{a['postal_code'] or a['city'].upper()}"
            place = places.setdefault(key, {
                "street": a["street"], "city": a["city"], "state": a["state"],
                "postal_code": a["postal_code"], "phones": [], "latitude": None, "longitude": None,
                "evidence": [], "label": "",
            })  # fmt: skip
            if not place["postal_code"] and a["postal_code"]:
                place["postal_code"] = a["postal_code"]
            if a.get("latitude") is not None and place["latitude"] is None:
                place["latitude"], place["longitude"] = a["latitude"], a["longitude"]
            for p in a.get("phones", []):
                if p not in place["phones"]:
                    place["phones"].append(p)
            if a.get("label"):
                labels[key][(a["label"], a["region"])] = region_weight.get(a["region"], 1)
            if not place["evidence"]:
                place["evidence"].append(
                    Evidence("address", a["raw"], o["url"], a["snippet"] or a["raw"], a["region"], a["source"])
                )
    for key, votes in labels.items():
        tally: Counter[str] = Counter()
        for (label, _region), weight in votes.items():
            # The organization's own name over an address is the fallback, not a place name:
            # "Springfield Clinic" beats "Redbud Hollow Behavioral Health" for that address.
            tally[label] += weight if label.lower() != org.lower() else weight / 10
        places[key]["label"] = tally.most_common(1)[0][0]
    return places, mailing


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def record_location(record: dict[str, Any]) -> Location:
    """A directory record (:class:`provdir.model.items.FacilityRecord` as a dict) is one location."""
    url = record["url"]
    contact = [p for p in record.get("phones", []) if p["role"] in CONTACT_ROLES and p["e164"]]
    phones = _unique([p["e164"] for p in contact])
    main = next((p["e164"] for p in contact if p["role"] == "main"), phones[0] if phones else "")
    evidence = [
        Evidence("phone", p["e164"], url, p["snippet"] or p["raw"], "structured", record["source"]) for p in contact
    ]
    for key, field_name in (("services", "service"), ("accreditations", "accreditation")):
        evidence += [
            Evidence(field_name, f["value"], url, f["snippet"], f["region"], f["basis"]) for f in record.get(key, [])
        ]
    licenses = [site_licenses.complete(lic, "") or lic for lic in record.get("licenses", [])]
    evidence += [Evidence("license", format_license(lic), url, raw["snippet"], "structured", record["source"])
                 for lic, raw in zip(licenses, record.get("licenses", []), strict=True)]  # fmt: skip
    if record.get("street"):
        raw = f"{record['street']}, {record['city']}, {record['state']} {record['postal_code']}"
        evidence.append(Evidence("address", raw, url, raw, "structured", record["source"]))
    return Location(
        source=record["source"], site="", location_key=record["source_id"],
        name=record.get("name") or record.get("organization", ""), organization=record.get("organization", ""),
        street=record.get("street", ""), city=record.get("city", ""), state=record.get("state", ""),
        postal_code=record.get("postal_code", ""), phone=main, phones=phones,
        phone_roles={p["e164"]: p["role"] for p in contact}, website=record.get("website", ""),
        phone_extensions={p["e164"]: p["extension"] for p in contact if p.get("extension")},
        accreditations=sorted({f["value"] for f in record.get("accreditations", [])}), licenses=licenses,
        services=sorted({f["value"] for f in record.get("services", [])}), source_urls=[url],
        latitude=record.get("latitude"), longitude=record.get("longitude"), evidence=evidence,
    )  # fmt: skip
