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
from provdir.extract.names import badly_cased, best_cased, name_key, never_a_name
from provdir.normalize.address import street_key
from provdir.normalize.phone import CONTACT_ROLES

_ROLE_RANK = {"fax": 0, "crisis": 0, "tty": 0, "admissions": 1, "text": 2, "toll_free": 3, "main": 4}


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
    services_not_offered: list[str] = field(default_factory=list)
    """Services the site says it does not offer ("we do not offer methadone")."""
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
    services, svc_ev, not_offered, no_ev = _service_status(observations, services, svc_ev)
    licenses, lic_ev = _licenses(observations)
    places, mailing = _places(observations, org)
    source_urls = sorted({o["url"] for o in observations})

    shared = dict(
        source="site", site=site, organization=org, website=website, accreditations=accreditations,
        licenses=licenses, services=services, source_urls=source_urls, mailing_address=mailing,
        services_not_offered=not_offered,
    )  # fmt: skip
    common_ev = [*org_ev, *acc_ev, *svc_ev, *lic_ev, *no_ev]
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
    """The organization's name by votes over the signals that speak for it.

    The seed's name outvotes the site (a curated list names the provider), structured data and
    ``og:site_name`` count 3, the logo's alt text 2, the copyright holder, the theme's site-title
    link to the home page and a title segment 1 per page (so the segment most pages share wins); a spelling that starts another one ("The
    Lilly Pad" / "The Lilly Pad West Palm Beach") also gets half of the longer one's votes. Spellings that differ only in case and
    punctuation vote together; the displayed spelling is the site's best-cased one ("harris
    house" in a logo alt, "Harris House" in the titles: "Harris House"). Text that is never a
    name (share links, calls to action, greetings, direction labels) does not vote. The host
    name is only the last resort of a site that names itself nowhere.
    """
    votes: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    where: dict[str, tuple[str, str, str]] = {}
    weight = {"seed": 50, "structured": 3, "meta": 3, "logo": 2, "copyright": 1, "title": 1, "home_link": 1}

    def vote(name: str, basis: str, url: str, snippet: str) -> None:
        key = name_key(name) or name
        # The seeds file is curated: its name is taken as written, the page's text is judged.
        if basis != "seed" and (_GENERIC_TITLE.match(name) or never_a_name(name) or len(name) > 70):
            return
        votes[key] += weight.get(basis, 1)
        spellings[key][name] += weight.get(basis, 1)
        where.setdefault(key, (url, snippet, basis))

    seed_name = next((o.get("seed_name") for o in observations if o.get("seed_name")), "")
    if seed_name:
        vote(seed_name, "seed", observations[0]["seed_url"], "seeds file")
    for o in observations:
        page_titles = set()
        for f in o.get("org_names", []):
            name = f["value"].strip()
            if f["basis"] == "title":
                if name in page_titles:
                    continue
                page_titles.add(name)
            vote(name, f["basis"], o["url"], f["snippet"])
            # "Millrace House - Sober Living for Men": the name before a tagline also votes.
            head = _TAGLINE.split(name, 1)[0].strip()
            if head != name and len(head) >= 3:
                vote(head, f["basis"], o["url"], f["snippet"])
    if not votes:
        host = urlsplit(observations[0]["seed_url"]).hostname or observations[0]["site"]
        return host, [Evidence("organization", host, observations[0]["seed_url"], "host name", basis="host")]
    # "The Lilly Pad" (titles) and "The Lilly Pad West Palm Beach" (copyright line): the longer
    # spelling names the shorter one too, so it lends it half its votes.
    lent: Counter[str] = Counter()
    for short in votes:
        if len(short) >= 4:
            for long in votes:
                if long != short and long.startswith(short + " "):
                    lent[short] += votes[long] / 2
    key = max(votes, key=lambda k: (votes[k] + lent[k], -len(k)))
    name = seed_name if seed_name and name_key(seed_name) == key and not badly_cased(seed_name) else (
        best_cased(spellings[key].items())
    )  # fmt: skip
    url, snippet, basis = where[key]
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


def _service_status(
    observations: list[dict[str, Any]], services: list[str], svc_ev: list[Evidence]
) -> tuple[list[str], list[Evidence], list[str], list[Evidence]]:
    """(offered, their evidence, not offered, their evidence): an explicit negative overrides.

    "We do not offer methadone" (basis ``negative``) wins over every positive mention of that
    service on the site; "we are outpatient only" (``negative_implied``: the levels of care it
    rules out) wins over menus, labels and implied values but not over a statement in the
    site's own voice naming that service.
    """
    negatives: dict[str, Evidence] = {}
    for o in observations:
        for f in o.get("services_not_offered", []):
            old = negatives.get(f["value"])
            if old is None or (f["basis"] == "negative" and old.basis != "negative"):
                negatives[f["value"]] = Evidence("service_not_offered", f["value"], o["url"], f["snippet"],
                                                 f["region"], f["basis"])  # fmt: skip
    if not negatives:
        return services, svc_ev, [], []
    positive = {e.value: e for e in svc_ev}
    not_offered = [
        v for v, neg in negatives.items()
        if v not in positive or neg.basis == "negative" or positive[v].basis != "statement"
    ]  # fmt: skip
    # A value only ever implied by services that are now not offered goes with them.
    dropped = set(not_offered)
    support: dict[str, set[str]] = defaultdict(set)
    for o in observations:
        for f in o.get("services", []):
            support[f["value"]].add(f["basis"])
    kept_values = {
        v for v in services
        if v not in dropped and any(not b.startswith("implied:") or b[8:] not in dropped for b in support[v])
    }  # fmt: skip
    kept = [e for e in svc_ev if e.value in kept_values]
    return ([v for v in services if v in kept_values], kept, sorted(not_offered),
            [negatives[v] for v in sorted(not_offered)])  # fmt: skip


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
