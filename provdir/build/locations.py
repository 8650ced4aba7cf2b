"""From one site's page observations to facility locations (pure).

- Organization name: the seed's name, else schema.org, ``og:site_name``, the title segment
  most pages share, or the header logo's alt text, by votes.
- Contact phones: every number the site shows, minus any number that is labelled a fax or a
  crisis line anywhere on the site (the strictest label wins). The main phone is the one shown
  most often in headers, footers and structured data.
- Locations: one per distinct physical address (USPS street key + ZIP), named by the label
  next to it; its own phones are those printed in its address block. A town the site names
  without a street (a sober home, a network listing its facilities by city) is a city-level
  location (``address_precision`` ``city``), unless it is the town of exactly one of the site's
  street addresses (then it is that address); a town only the site template names (header,
  footer) beside street addresses is a service area, not a location. A site that shows no
  address at all still yields one record for the organization.
- Phones stay with their card: a number printed in one location's address block is not given
  to the organization's other locations; the organization's main line is shared by all.
- Names: a location's own label (a card heading, a location page's title) when it has one,
  else the organization's name, followed by the town when the organization has several
  locations ("Redbud Hollow – Joplin").
- Services, accreditations and licenses carry the scope the extractor found
  (:mod:`provdir.extract.scope`). A location's ``services`` are those the site ties to that
  location; what the site says for the whole organization goes to ``organization_services``
  (likewise accreditations, licenses) and is not repeated as the location's own. A
  single-location organization's facts are all its location's. One inference is made, and its
  evidence says so (basis ``sole_level``): when everything the site says offers exactly one
  level of care (sober living only, outpatient only), each location that names none offers
  that one.
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
from provdir.extract.scope import LOCATION, ORGANIZATION, place_hint
from provdir.model.convert import to_json
from provdir.model.items import AddressFact, FacilityRecord, Fact, LicenseFact, PageObservation
from provdir.normalize.address import street_key
from provdir.normalize.phone import CONTACT_ROLES
from provdir.vocab import vocabulary

_ROLE_RANK = {"fax": 0, "crisis": 0, "tty": 0, "admissions": 1, "text": 2, "toll_free": 3, "main": 4}


@dataclass
class Evidence:
    field: str
    value: str
    url: str
    snippet: str
    region: str = ""
    basis: str = ""
    scope: str = ""
    """``location`` or ``organization`` for services, accreditations and licenses."""


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
    address_precision: str = ""
    """``street``, ``city`` (town only) or empty (no address)."""
    organization_services: list[str] = field(default_factory=list)
    """What the organization says site-wide and does not tie to this location."""
    organization_accreditations: list[str] = field(default_factory=list)
    organization_licenses: list[dict[str, str]] = field(default_factory=list)
    services_not_offered: list[str] = field(default_factory=list)
    """Services the site says it does not offer ("we do not offer methadone")."""

    @property
    def source_key(self) -> str:
        """``site:<host>:<location key>`` for websites, ``<source>:<id>`` for directories."""
        if not self.site:
            return f"{self.source}:{self.location_key}"
        return f"{self.source}:{self.site}:{self.location_key}"


def site_locations(observations: list[PageObservation]) -> list[Location]:
    """All facility locations of one site, from that site's page observations.

    A site that presents several brands (each page's header logo names its own) gives one
    organization per brand: each brand's pages are read as that organization's site. Pages
    without a brand logo go with the brand most pages show (the site's own).
    """
    if not observations:
        return []
    groups = _brand_groups(observations)
    if len(groups) < 2:
        return _organization_locations(observations)
    out: list[Location] = []
    for i, (brand, pages, ev) in enumerate(groups):
        for loc in _organization_locations(pages, (brand, ev)):
            if i:  # the site's main brand keeps the keys a one-brand reading gives
                loc.location_key = f"{_slug(brand)}:{loc.location_key}"
            out.append(loc)
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _brand_groups(observations: list[PageObservation]) -> list[tuple[str, list[PageObservation], list[Evidence]]]:
    """[(brand, its pages, evidence)], main brand first; one entry or none for a one-brand site."""
    if any(o.seed_name for o in observations):
        return []  # the seeds file names the organization
    brand_of: dict[str, str] = {}
    evidence: dict[str, Evidence] = {}
    for o in observations:
        logos = [f for f in o.org_names if f.basis == "logo" and f.region == "header"]
        if logos:
            name = logos[0].value.strip()
            brand_of[o.url] = name
            evidence.setdefault(name, Evidence("organization", name, o.url, logos[0].snippet, "header", "logo"))
    names = _distinct_brands(list(dict.fromkeys(brand_of.values())))
    if len(names) < 2:
        return []
    canon = {n: next(c for c in names if n == c or _same_brand(n, c)) for n in brand_of.values()}
    counts = Counter(canon[b] for b in brand_of.values())
    # a brand is one when its pages show a place of their own (else it is a partner's logo)
    located = {canon[brand_of[o.url]] for o in observations if o.url in brand_of and o.addresses}
    brands = [b for b, _ in counts.most_common() if b in located]
    if len(brands) < 2:
        return []
    main = brands[0]
    groups: dict[str, list[PageObservation]] = {b: [] for b in brands}
    for o in observations:
        brand = canon.get(brand_of.get(o.url, ""), main)
        groups[brand if brand in groups else main].append(o)
    return [(b, groups[b], [evidence[b]] if b in evidence else []) for b in brands]


def _same_brand(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.token_set_ratio(a.lower(), b.lower()) >= 85


def _distinct_brands(names: list[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        if not any(_same_brand(n, o) for o in out):
            out.append(n)
    return out


def _organization_locations(
    observations: list[PageObservation], brand: tuple[str, list[Evidence]] | None = None
) -> list[Location]:
    first = observations[0]
    site, seed_url = first.site, first.seed_url
    org, org_ev = brand if brand else _organization(observations)
    website = _website(observations, seed_url)
    phones, roles, main, phone_ev = _phones(observations)
    extensions = _extensions(observations)
    places, mailing, hints = _places(observations, org)
    acc = _scoped(observations, "accreditations", "accreditation", hints)
    svc = _scoped(observations, "services", "service", hints)
    not_offered, no_ev = _apply_service_status(observations, svc)
    lic = _scoped_licenses(observations, hints)
    source_urls = sorted({o.url for o in observations})
    shared = dict(
        source="site",
        site=site,
        organization=org,
        website=website,
        source_urls=source_urls,
        mailing_address=mailing,
        services_not_offered=not_offered,
    )
    org_ev = [*org_ev, *no_ev]
    if len(places) <= 1:
        # One place (or none): everything the site says is that place's.
        key = next(iter(places), "org")
        place = places.get(key)
        own = [p for p in place["phones"] if p in roles] if place else []
        loc_phones = _unique([*own, *phones])
        ev = [
            *org_ev,
            *svc.all_evidence("location"),
            *acc.all_evidence("location"),
            *lic.all_evidence("location"),
            *(place["evidence"] if place else []),
            *(e for e in phone_ev if e.value in loc_phones),
        ]
        loc = Location(
            location_key=key,
            name=(place["label"] if place else "") or org,
            phone=own[0] if own else main,
            phones=loc_phones,
            phone_roles={p: roles[p] for p in loc_phones},
            phone_extensions={p: extensions[p] for p in loc_phones if p in extensions},
            accreditations=acc.all_values(),
            services=svc.all_values(),
            licenses=lic.all_licenses(),
            evidence=_scoped_evidence(ev),
            **shared,
        )
        if place:
            _set_address(loc, place)
        return [loc]
    owned = {p: k for k, place in places.items() for p in place["phones"]}
    template = _template_numbers(observations)
    sole = _sole_level(svc)
    names = _names(places, org)
    stateless = any(not item.get("state") for item in lic.all_licenses())
    locations: list[Location] = []
    for key, place in places.items():
        own = [p for p in place["phones"] if p in roles]
        # A number printed in another location's block is that location's; the organization's
        # line (in the site's template or structured data) is shared.
        shared_phones = [p for p in phones if p in template or owned.get(p, key) == key]
        loc_phones = _unique([*own, *shared_phones])
        org_line = next((p for p in shared_phones if p in template and p not in owned), "")
        services, service_ev = svc.own(key)
        if sole and not any(_is_level(v) for v in services):
            services = sorted({*services, sole[0]})
            service_ev = [
                *service_ev,
                Evidence("service", sole[0], sole[1].url, sole[1].snippet, sole[1].region, "sole_level", "location"),
            ]
        accreditations, acc_ev = acc.own(key)
        # A site in several states: a license whose page names no state is each location's own.
        lic_here = _scoped_licenses(observations, hints, place["state"]) if stateless and place["state"] else lic
        licenses, lic_ev = lic_here.own_licenses(key)
        org_services, org_svc_ev = svc.organization(exclude=services)
        org_acc, org_acc_ev = acc.organization(exclude=accreditations)
        org_lic, org_lic_ev = lic_here.organization_licenses(exclude=licenses)
        ev = [
            *org_ev,
            *service_ev,
            *acc_ev,
            *lic_ev,
            *org_svc_ev,
            *org_acc_ev,
            *org_lic_ev,
            *place["evidence"],
            *(e for e in phone_ev if e.value in loc_phones),
        ]
        display = own[0] if own else (org_line or (main if main in loc_phones else next(iter(loc_phones), "")))
        loc = Location(
            location_key=key,
            name=names[key],
            phone=display,
            phones=loc_phones,
            phone_roles={p: roles[p] for p in loc_phones},
            phone_extensions={p: extensions[p] for p in loc_phones if p in extensions},
            accreditations=accreditations,
            licenses=licenses,
            services=services,
            organization_services=org_services,
            organization_accreditations=org_acc,
            organization_licenses=org_lic,
            evidence=_scoped_evidence(ev, own),
            **shared,
        )
        _set_address(loc, place)
        locations.append(loc)
    return locations


def _set_address(loc: Location, place: dict[str, Any]) -> None:
    loc.street, loc.city, loc.state, loc.postal_code = (
        place["street"],
        place["city"],
        place["state"],
        place["postal_code"],
    )
    loc.latitude, loc.longitude = place["latitude"], place["longitude"]
    loc.address_precision = "street" if place["street"] else "city"


def _names(places: dict[str, dict[str, Any]], org: str) -> dict[str, str]:
    """A location's own label, else "Organization – Town"; a label two locations share gets
    its town too ("PHP/IOP – Sacramento")."""
    labels = Counter(p["label"].lower() for p in places.values() if p["label"])
    out: dict[str, str] = {}
    for key, place in places.items():
        label, town = place["label"], place["city"]
        if not label:
            out[key] = f"{org} \u2013 {town}" if town else org
        elif labels[label.lower()] > 1 and town and town.lower() not in label.lower():
            out[key] = f"{label} \u2013 {town}"
        else:
            out[key] = label
    return out


# -- scoped facts --------------------------------------------------------------------------
@dataclass
class _Scoped:
    """A site's vocabulary facts split by scope: per location key, and organization-wide."""

    field_name: str
    org: dict[str, Evidence] = field(default_factory=dict)
    at: dict[str, dict[str, Evidence]] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)  # licenses: value -> parts

    def add(self, key: str | None, value: str, ev: Evidence) -> None:
        bucket = self.org if key is None else self.at.setdefault(key, {})
        if value not in bucket or _stronger(ev.basis, bucket[value].basis):
            bucket[value] = ev

    def all_values(self) -> list[str]:
        return sorted({*self.org, *(v for b in self.at.values() for v in b)})

    def all_evidence(self, scope: str) -> list[Evidence]:
        best: dict[str, Evidence] = {}
        for bucket in [*self.at.values(), self.org]:
            for value, ev in bucket.items():
                best.setdefault(value, ev)
        return [_scope(ev, scope) for ev in best.values()]

    def own(self, key: str) -> tuple[list[str], list[Evidence]]:
        bucket = self.at.get(key, {})
        return sorted(bucket), [_scope(ev, "location") for ev in bucket.values()]

    def organization(self, exclude: list[str]) -> tuple[list[str], list[Evidence]]:
        values = sorted(v for v in self.org if v not in exclude)
        return values, [_scope(self.org[v], "organization") for v in values]

    # licenses keep their parts (agency, state, number) beside the formatted value
    def all_licenses(self) -> list[dict[str, str]]:
        return _license_list(self.raw, self.all_values())

    def own_licenses(self, key: str) -> tuple[list[dict[str, str]], list[Evidence]]:
        values, ev = self.own(key)
        return _license_list(self.raw, values), ev

    def organization_licenses(self, exclude: list[dict[str, str]]) -> tuple[list[dict[str, str]], list[Evidence]]:
        values, ev = self.organization([format_license(lic) for lic in exclude])
        return _license_list(self.raw, values), ev


def _scope(ev: Evidence, scope: str) -> Evidence:
    return Evidence(ev.field, ev.value, ev.url, ev.snippet, ev.region, ev.basis, scope)


def evidence_scope(field_name: str, value: str, own_phones: list[str] | None = None) -> str:
    """The scope of an evidence row that the extractor did not scope: the organization's name
    and what a site says it does not offer speak for the organization; an address is its
    location's; a phone is the location's when printed in its own block (``own_phones``; None:
    the only location, or a directory record), else the organization's shared line."""
    if field_name in ("organization", "service_not_offered"):
        return ORGANIZATION
    if field_name == "phone" and own_phones is not None and value not in own_phones:
        return ORGANIZATION
    return LOCATION


def _scoped_evidence(evidence: list[Evidence], own_phones: list[str] | None = None) -> list[Evidence]:
    """Every evidence row with its scope (copies: one piece of evidence can be one location's
    own and the others' shared)."""
    return [ev if ev.scope else _scope(ev, evidence_scope(ev.field, ev.value, own_phones)) for ev in evidence]


def _hint_key(f: Fact | LicenseFact, hints: dict[str, str]) -> str | None:
    if f.scope != "location":
        return None
    return hints.get(f.location_hint or "")


def _scoped(observations: list[PageObservation], key: str, field_name: str, hints: dict[str, str]) -> _Scoped:
    out = _Scoped(field_name)
    for o in observations:
        for f in getattr(o, key):
            ev = Evidence(field_name, f.value, o.url, f.snippet, f.region, f.basis)
            out.add(_hint_key(f, hints), f.value, ev)
    return out


def _scoped_licenses(observations: list[PageObservation], hints: dict[str, str], state: str | None = None) -> _Scoped:
    """The site's licenses by scope, each completed from the registry (canonical agency, state,
    kind; the state inferred from ``state`` or the site's addresses when the page names none)."""
    state = site_licenses.site_state(observations) if state is None else state
    licenses, _ = _licenses(observations, state)
    keep = {format_license(item) for item in licenses}
    out = _Scoped("license")
    for o in observations:
        for lic in o.licenses:
            done = site_licenses.complete(lic, state)
            if done is None:
                continue
            text = format_license(done)
            if text not in keep:
                continue  # the same agency shown elsewhere with its number
            out.raw.setdefault(text, done)
            out.add(
                _hint_key(lic, hints),
                text,
                Evidence("license", text, o.url, lic.snippet, lic.region, done["basis"]),
            )
    return out


def _license_list(raw: dict[str, dict[str, str]], values: list[str]) -> list[dict[str, str]]:
    return [raw[v] for v in values if v in raw]


def _is_level(value: str) -> bool:
    """A level of care (detox, residential, php, iop, outpatient, sober living): a setting
    other than the telehealth mode."""
    term = vocabulary.services().terms.get(value)
    return term is not None and term.category == "setting" and value != "telehealth"


def _sole_level(svc: _Scoped) -> tuple[str, Evidence] | None:
    """The one level of care the whole site offers, with the organization's evidence for it."""
    levels = {v for v in svc.all_values() if _is_level(v)}
    if len(levels) != 1:
        return None
    value = next(iter(levels))
    ev = svc.org.get(value) or next(b[value] for b in svc.at.values() if value in b)
    return value, ev


# -- organization --------------------------------------------------------------------------
_GENERIC_TITLE = re.compile(
    r"^(?:home|homepage|welcome|contact(?: us)?|about(?: us)?|services|programs|blog|news|"
    r"locations?|admissions|insurance|faq|page not found|404.*|untitled)$",
    re.I,
)


_TAGLINE = re.compile(r"\s+[-\u2013\u2014|:\u00b7\u2022]\s+")


def _organization(observations: list[PageObservation]) -> tuple[str, list[Evidence]]:
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

    seed_name = next((o.seed_name for o in observations if o.seed_name), "")
    if seed_name:
        vote(seed_name, "seed", observations[0].seed_url, "seeds file")
    for o in observations:
        page_titles = set()
        for f in o.org_names:
            name = f.value.strip()
            if f.basis == "title":
                if name in page_titles:
                    continue
                page_titles.add(name)
            vote(name, f.basis, o.url, f.snippet)
            # "Millrace House - Sober Living for Men": the name before a tagline also votes.
            head = _TAGLINE.split(name, 1)[0].strip()
            if head != name and len(head) >= 3:
                vote(head, f.basis, o.url, f.snippet)
    if not votes:
        host = urlsplit(observations[0].seed_url).hostname or observations[0].site
        return host, [Evidence("organization", host, observations[0].seed_url, "host name", basis="host")]
    # "The Lilly Pad" (titles) and "The Lilly Pad West Palm Beach" (copyright line): the longer
    # spelling names the shorter one too, so it lends it half its votes.
    lent: Counter[str] = Counter()
    for short in votes:
        if len(short) >= 4:
            for long in votes:
                if long != short and long.startswith(short + " "):
                    lent[short] += votes[long] / 2
    key = max(votes, key=lambda k: (votes[k] + lent[k], -len(k)))
    name = (
        seed_name
        if seed_name and name_key(seed_name) == key and not badly_cased(seed_name)
        else (best_cased(spellings[key].items()))
    )
    url, snippet, basis = where[key]
    return name, [Evidence("organization", name, url, snippet, basis=basis)]


def _website(observations: list[PageObservation], seed_url: str) -> str:
    parts = urlsplit(observations[0].url or seed_url)
    return f"{parts.scheme}://{parts.netloc}/"


# -- phones --------------------------------------------------------------------------------
def _phones(observations: list[PageObservation]) -> tuple[list[str], dict[str, str], str, list[Evidence]]:
    roles: dict[str, str] = {}
    seen_count: Counter[str] = Counter()
    prominent: Counter[str] = Counter()
    evidence: dict[str, Evidence] = {}
    for o in observations:
        for p in o.phones:
            num, role = p.e164, p.role
            if not num:
                continue
            old = roles.get(num)
            roles[num] = role if old is None or _ROLE_RANK.get(role, 4) < _ROLE_RANK.get(old, 4) else old
            seen_count[num] += 1
            if p.region in ("header", "footer", "structured") and role in ("main", "toll_free"):
                prominent[num] += 1
            if num not in evidence or (p.source == "text" and evidence[num].basis != "text"):
                evidence[num] = Evidence("phone", num, o.url, p.snippet or p.raw, p.region, p.source)
    contact = [n for n in roles if roles[n] in CONTACT_ROLES]
    contact.sort(key=lambda n: (-prominent[n], -seen_count[n], n))
    mains = [n for n in contact if roles[n] in ("main", "toll_free")]
    main = max(mains, key=lambda n: (prominent[n], seen_count[n])) if mains else (contact[0] if contact else "")
    ev = [evidence[n] for n in contact]
    return contact, {n: roles[n] for n in contact}, main, ev


def _template_numbers(observations: list[PageObservation]) -> set[str]:
    """Numbers the site shows in its template (header, menu bar, footer, sidebar) or structured
    data, rather than only in a page's body: the organization's lines."""
    return {p.e164 for o in observations for p in o.phones if p.e164 and p.region != "main"}


def _extensions(observations: list[PageObservation]) -> dict[str, str]:
    """The extension shown with each number (the first one seen)."""
    out: dict[str, str] = {}
    for o in observations:
        for p in o.phones:
            if p.e164 and p.extension:
                out.setdefault(p.e164, p.extension)
    return out


# -- vocabulary facts ----------------------------------------------------------------------
def _vocab_facts(observations: list[PageObservation], key: str, field_name: str) -> tuple[list[str], list[Evidence]]:
    values: dict[str, Evidence] = {}
    for o in observations:
        for f in getattr(o, key):
            value = f.value
            if value not in values or _stronger(f.basis, values[value].basis):
                values[value] = Evidence(field_name, value, o.url, f.snippet, f.region, f.basis)
    return sorted(values), list(values.values())


def _service_status(
    observations: list[PageObservation], services: list[str], svc_ev: list[Evidence]
) -> tuple[list[str], list[Evidence], list[str], list[Evidence]]:
    """(offered, their evidence, not offered, their evidence): an explicit negative overrides.

    "We do not offer methadone" (basis ``negative``) wins over every positive mention of that
    service on the site; "we are outpatient only" (``negative_implied``: the levels of care it
    rules out) wins over menus, labels and implied values but not over a statement in the
    site's own voice naming that service.
    """
    negatives: dict[str, Evidence] = {}
    for o in observations:
        for f in o.services_not_offered:
            old = negatives.get(f.value)
            if old is None or (f.basis == "negative" and old.basis != "negative"):
                negatives[f.value] = Evidence("service_not_offered", f.value, o.url, f.snippet, f.region, f.basis)
    if not negatives:
        return services, svc_ev, [], []
    positive = {e.value: e for e in svc_ev}
    not_offered = [
        v
        for v, neg in negatives.items()
        if v not in positive or neg.basis == "negative" or positive[v].basis != "statement"
    ]
    # A value only ever implied by services that are now not offered goes with them.
    dropped = set(not_offered)
    support: dict[str, set[str]] = defaultdict(set)
    for o in observations:
        for f in o.services:
            support[f.value].add(f.basis)
    kept_values = {
        v
        for v in services
        if v not in dropped and any(not b.startswith("implied:") or b[8:] not in dropped for b in support[v])
    }
    kept = [e for e in svc_ev if e.value in kept_values]
    return (
        [v for v in services if v in kept_values],
        kept,
        sorted(not_offered),
        [negatives[v] for v in sorted(not_offered)],
    )


def _apply_service_status(observations: list[PageObservation], svc: _Scoped) -> tuple[list[str], list[Evidence]]:
    """Drop from ``svc`` (every scope) what the site says it does not offer; returns the not
    offered values and their evidence (:func:`_service_status` decides)."""
    best: dict[str, Evidence] = {}
    for bucket in [svc.org, *svc.at.values()]:
        for value, ev in bucket.items():
            if value not in best or _stronger(ev.basis, best[value].basis):
                best[value] = ev
    kept, _, not_offered, no_ev = _service_status(observations, sorted(best), list(best.values()))
    for bucket in [svc.org, *svc.at.values()]:
        for value in [v for v in bucket if v not in kept]:
            del bucket[value]
    return not_offered, no_ev


def _stronger(new: str, old: str) -> bool:
    order = ["statement", "label", "menu", "logo", "structured"]
    rank = {b: i for i, b in enumerate(order)}
    return rank.get(new, len(order)) < rank.get(old, len(order))


def _licenses(
    observations: list[PageObservation], state: str | None = None
) -> tuple[list[dict[str, Any]], list[Evidence]]:
    # The state of a license whose page does not tell it is the facility's (provdir.build.licenses).
    state = site_licenses.site_state(observations) if state is None else state
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    ev: dict[tuple[str, str, str], Evidence] = {}
    for o in observations:
        for lic in o.licenses:
            done = site_licenses.complete(lic, state)
            if done is None:
                continue
            key = site_licenses.key(done)
            if key not in found:
                found[key] = done
                ev[key] = Evidence("license", format_license(done), o.url, lic.snippet, lic.region, done["basis"])
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
def _places(
    observations: list[PageObservation], org: str = ""
) -> tuple[dict[str, dict[str, Any]], str, dict[str, str]]:
    """(places by key, mailing address, location hint -> place key)."""
    places: dict[str, dict[str, Any]] = {}
    hints: dict[str, str] = {}
    # A footer repeated on every page is one piece of evidence, not one per page: each
    # (label, region) votes once, and a label in the page body (a location card) or in
    # structured data outweighs the site template's.
    labels: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    region_weight = {"main": 3, "structured": 2}
    mailing = ""
    towns: list[tuple[str, AddressFact]] = []  # (page url, address) of town-only places
    offices: list[tuple[str, AddressFact]] = []  # a corporate office: a location only if none else
    home_towns: list[tuple[str, AddressFact]] = []  # a copyright line's town: likewise
    for o in observations:
        for a in o.addresses:
            if a.kind == "mailing":
                mailing = mailing or f"{a.street}, {a.city}, {a.state} {a.postal_code}".strip()
                continue
            if a.kind == "office":
                offices.append((o.url, a))
                continue
            if a.source == "copyright":
                home_towns.append((o.url, a))
                continue
            if a.precision == "city" or not a.street:
                towns.append((o.url, a))
                continue
            key = f"{street_key(a.street)}|{a.postal_code or a.city.upper()}"
            hints[place_hint(a.street, a.city, a.state, a.postal_code)] = key
            _add_place(places, labels, key, a, o.url, region_weight)
    # A town is one of the site's street addresses when exactly one of them is in that town;
    # several street addresses there leave it unresolved (its facts stay organization-wide).
    in_town: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, place in places.items():
        in_town[(place["city"].upper(), place["state"])].append(key)
    for url, a in towns:
        town = (a.city.upper(), a.state)
        hint = place_hint("", a.city, a.state)
        streets = in_town.get(town, [])
        if len(streets) > 1:
            continue
        if not streets and in_town and a.region in ("header", "footer", "sidebar", "nav"):
            # A town in the site template of an organization with street addresses is where it
            # says it serves ("Serving Denver, CO"), not another facility.
            continue
        key = streets[0] if streets else f"city|{a.city.upper()}|{a.state}"
        hints[hint] = key
        if streets:
            for p in a.phones:
                if p not in places[key]["phones"]:
                    places[key]["phones"].append(p)
            continue
        _add_place(places, labels, key, a, url, region_weight)
    if not places and not offices and home_towns:
        url, a = home_towns[0]  # every page's footer says the same
        key = f"city|{a.city.upper()}|{a.state}"
        hints[place_hint("", a.city, a.state)] = key
        _add_place(places, labels, key, a, url, region_weight)
    if not places:
        for url, a in offices:
            key = f"{street_key(a.street)}|{a.postal_code or a.city.upper()}"
            hints[place_hint(a.street, a.city, a.state, a.postal_code)] = key
            _add_place(places, labels, key, a, url, region_weight)
    for key, votes in labels.items():
        tally: Counter[str] = Counter()
        for (label, _region), weight in votes.items():
            # The organization's own name over an address is the fallback, not a place name:
            # "Springfield Clinic" beats "Redbud Hollow Behavioral Health" for that address.
            tally[label] += weight if label.lower() != org.lower() else weight / 10
        best = tally.most_common(1)[0][0]
        places[key]["label"] = "" if best.lower() == org.lower() else best
    return places, mailing, hints


def _add_place(places, labels, key: str, a: AddressFact, url: str, region_weight: dict[str, int]) -> None:
    place = places.setdefault(
        key,
        {
            "street": a.street,
            "city": a.city,
            "state": a.state,
            "postal_code": a.postal_code,
            "phones": [],
            "latitude": None,
            "longitude": None,
            "evidence": [],
            "label": "",
        },
    )
    if not place["postal_code"] and a.postal_code:
        place["postal_code"] = a.postal_code
    if a.latitude is not None and place["latitude"] is None:
        place["latitude"], place["longitude"] = a.latitude, a.longitude
    for p in a.phones:
        if p not in place["phones"]:
            place["phones"].append(p)
    if a.label:
        labels[key][(a.label, a.region)] = region_weight.get(a.region, 1)
    if not place["evidence"]:
        place["evidence"].append(Evidence("address", a.raw, url, a.snippet or a.raw, a.region, a.source))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def record_location(record: FacilityRecord) -> Location:
    """A directory record is one location."""
    url = record.url
    contact = [p for p in record.phones if p.role in CONTACT_ROLES and p.e164]
    phones = _unique([p.e164 for p in contact])
    main = next((p.e164 for p in contact if p.role == "main"), phones[0] if phones else "")
    evidence = [Evidence("phone", p.e164, url, p.snippet or p.raw, "structured", record.source) for p in contact]
    for key, field_name in (("services", "service"), ("accreditations", "accreditation")):
        evidence += [Evidence(field_name, f.value, url, f.snippet, f.region, f.basis) for f in getattr(record, key)]
    # a logo the registry cannot tell is published as the record gave it
    licenses = [site_licenses.complete(lic, "") or to_json(lic) for lic in record.licenses]
    evidence += [
        Evidence("license", format_license(lic), url, raw.snippet, "structured", record.source)
        for lic, raw in zip(licenses, record.licenses, strict=True)
    ]
    if record.street:
        raw = f"{record.street}, {record.city}, {record.state} {record.postal_code}"
        evidence.append(Evidence("address", raw, url, raw, "structured", record.source))
    return Location(
        source=record.source,
        site="",
        location_key=record.source_id,
        name=record.name or record.organization,
        organization=record.organization,
        street=record.street,
        city=record.city,
        state=record.state,
        postal_code=record.postal_code,
        phone=main,
        phones=phones,
        phone_roles={p.e164: p.role for p in contact},
        website=record.website,
        phone_extensions={p.e164: p.extension for p in contact if p.extension},
        accreditations=sorted({f.value for f in record.accreditations}),
        licenses=licenses,
        services=sorted({f.value for f in record.services}),
        source_urls=[url],
        latitude=record.latitude,
        longitude=record.longitude,
        evidence=_scoped_evidence(evidence),
    )
