"""Extraction: pure functions from a page (HTML + URL) to facts with evidence.

:func:`extract_page` is the one entry point spiders call; it parses the page once
(:mod:`provdir.extract.page`) and runs every extractor over the same labelled text blocks.
No network, no Scrapy: the same function re-reads saved pages in tests and benchmarks.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from lxml import etree

from provdir.extract import claims
from provdir.extract.addresses import extract_addresses
from provdir.extract.credentials import extract_accreditations, extract_licenses
from provdir.extract.names import copyright_name, never_a_name, strip_greeting
from provdir.extract.page import Page, html_root, parse_page
from provdir.extract.phones import read_phones
from provdir.extract.scope import assign_scopes, card_phones, city_places, copyright_town
from provdir.extract.services import (
    extract_not_offered,
    extract_services,
    implied,
    page_program_values,
    page_subject_text,
)
from provdir.extract.structured import facts_from_structured, is_blog, structured_items
from provdir.model.items import Fact, PageObservation
from provdir.vocab import vocabulary

__all__ = ["extract_page", "html_root", "page_kind", "parse_page", "warm_up"]

"""Changes when extraction reads different facts from the same bytes (issue 13: fact scope, town
places): the extraction cache keys on it, so unchanged pages are read again after an upgrade."""

_KIND_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("contact", re.compile(r"contact|get-in-touch|reach-us", re.I)),
    ("locations", re.compile(r"location|directions|find-us|our-centers|offices|facilities", re.I)),
    ("admissions", re.compile(r"admission|intake|get-started|insurance|payment|verify", re.I)),
    ("about", re.compile(r"about|who-we-are|accreditation|credential|licens|mission|history|carf", re.I)),
    (
        "program",
        re.compile(
            r"program|service|treatment|level|care|detox|residential|outpatient|iop|php|"
            r"housing|sober|recovery|therapy|mat\b|medication",
            re.I,
        ),
    ),
]
_TITLE_SEP = re.compile(r"\s+[|\u2013\u2014:\u00bb>\u00b7\u2022-]\s+|\s*\|\s*")


def warm_up() -> None:
    """Load the tables extraction reads lazily (the towns of every state takes a second or two),
    so that the first page a crawl reads does not pay for it inside its extraction time limit."""
    from provdir.extract.scope import is_town

    is_town("", "")
    vocabulary.services()


def page_kind(url: str, blog: bool) -> str:
    path = urlsplit(url).path.strip("/")
    if blog:
        return "blog"
    if not path or path.lower() in ("index.html", "index.php", "home"):
        return "home"
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(path):
            return kind
    return "other"


def org_name_candidates(page: Page, structured_names: list[Fact]) -> list[Fact]:
    """Names the page gives its organization in its own voice: structured data, og:site_name,
    title segments, the site logo's alt text, the copyright line.

    Never a share link's or a widget's logo ("Facebook"), a call to action, a direction or form
    label or a greeting (:func:`provdir.extract.names.never_a_name`; "Welcome to X" gives X).
    """
    out: list[Fact] = []

    def add(value: str, snippet: str, region: str, basis: str) -> None:
        value = strip_greeting(" ".join(value.split()).strip(" -|,:\u00b7\u2022"), page.lang)
        if value and not never_a_name(value, page.lang):
            out.append(Fact(value=value, snippet=snippet[:200], region=region, basis=basis))

    for f in structured_names:
        add(f.value, f.snippet, f.region, f.basis)
    site_name = page.meta.get("og:site_name", "").strip()
    if site_name:
        add(site_name, f"og:site_name: {site_name}", "header", "meta")
    for seg in _TITLE_SEP.split(page.title):
        seg = seg.strip()
        if 2 <= len(seg) <= 80:
            add(seg, f"title: {page.title}", "header", "title")
    for img in page.images:
        if img.region in ("header", "nav") and "logo" in f"{img.src} {img.alt}".lower() and img.alt:
            name = re.sub(r"\blogo\b", "", img.alt, flags=re.I).strip(" -|")
            if name and not never_a_name(f"{img.src.rsplit('/', 1)[-1]} {img.alt}".replace("-", " "), page.lang):
                add(name, f"logo: {img.alt}", "header", "logo")
    for block in page.blocks:
        # The theme's site title: a short header link to the home page ("navbar-brand").
        if block.region in ("header", "nav") and block.link_href and _is_home(block.link_href, page.url):
            words = block.flat.split()
            if 1 <= len(words) <= 6 and any(c.isupper() for c in block.flat):
                add(block.flat, f"home link: {block.flat}", "header", "home_link")
    for block in page.blocks:
        if block.region == "footer" and len(block.flat) <= 300:
            holder = copyright_name(block.flat)
            if holder:
                add(holder, block.flat, "footer", "copyright")
                break
    return out


def _is_home(href: str, page_url: str) -> bool:
    a, b = urlsplit(href), urlsplit(page_url)
    return a.netloc == b.netloc and a.path.strip("/").lower() in ("", "index.html", "index.php", "home")


# Words too common to stand for an organization on their own ("Recovery offers ...").
_COMMON_FIRST_WORDS = frozenset(
    [
        "the",
        "new",
        "our",
        "recovery",
        "center",
        "centers",
        "treatment",
        "behavioral",
        "health",
        "healing",
        "hope",
        "life",
        "family",
        "community",
        "care",
        "clinic",
        "house",
        "home",
        "wellness",
        "mental",
        "addiction",
        "serenity",
        "journey",
        "first",
        "great",
        "american",
        "national",
        "county",
        "city",
        "valley",
        "river",
        "north",
        "south",
        "east",
        "west",
        "about",
        "contact",
        "welcome",
        "services",
        "programs",
        "admissions",
        "locations",
        "insurance",
        "pricing",
        "treatments",
        "resources",
        "careers",
        "donate",
        "gallery",
        "events",
        "privacy",
        "terms",
    ]
)


def _mostly_service(name: str) -> bool:
    covered = sum(m.end - m.start for m in vocabulary.services().find(name))
    return covered >= 0.5 * len(name)


def org_terms(names: list[str]) -> tuple[str, ...]:
    """Lower-cased ways a sentence names "this organization": the full name, its first two
    words ("harris house"), and a distinctive first word ("fernglass")."""
    terms: set[str] = set()
    for name in names:
        low = name.lower().strip()
        if not low or len(low) < 4 or _mostly_service(name):
            continue  # a title segment naming a program ("Detox Program") is not the org
        terms.add(low)
        words = [w for w in re.split(r"\W+", low) if w]
        if words and words[0] == "the":
            words = words[1:]
        if len(words) >= 2:
            terms.add(" ".join(words[:2]))
        if words and len(words[0]) >= 5 and words[0] not in _COMMON_FIRST_WORDS:
            terms.add(words[0])
    return tuple(sorted(terms))


def extract_page(
    html: str,
    url: str,
    *,
    site: str = "",
    seed_url: str = "",
    seed_name: str = "",
    known_org_names: tuple[str, ...] = (),
    root: etree._Element | None = None,
) -> PageObservation:
    """Read every fact one page offers. ``known_org_names`` come from the seed or earlier pages;
    ``root`` is the page's tree (:func:`html_root`) when the caller has parsed it already."""
    page = parse_page(html, url, root)
    items = structured_items(html, url) if "itemtype" in html or "ld+json" in html else []
    blog = claims.is_blog_url(url) or is_blog(items) or page.meta.get("og:type", "").lower() == "article"
    names, structured_phones, structured_addresses = facts_from_structured(items)
    org_names = org_name_candidates(page, names)
    # A title segment that names a service in a place ("Alcohol Detox in Tempe, AZ") or asks a
    # question is the page's subject, not a name the organization speaks with.
    own_names = [f.value for f in org_names if f.basis != "title" or not page_subject_text(f.value)]
    terms = org_terms([seed_name, *known_org_names, *own_names])

    services, rejected = extract_services(
        page, blog=blog, org_terms=terms, program_values=set() if blog else page_program_values(page, terms)
    )
    accreditations, rejected_acc = extract_accreditations(page, blog=blog)
    phones, rejected_phones = read_phones(page, blog=blog, org_terms=terms)
    rejected_lic: list[dict[str, str]] = []
    licenses = extract_licenses(page, blog=blog, rejected=rejected_lic)
    kind = page_kind(url, blog)
    addresses = [*structured_addresses, *extract_addresses(page, blog=blog)]
    addresses += city_places(page, blog=blog, street_addresses=[a for a in addresses if a.street])
    if not addresses and (town := copyright_town(page)) is not None:
        addresses.append(town)

    def reread(card: Page) -> list[Fact]:
        # A card's heading names its program: its descriptive sentences are claims for it.
        named = {m.value for b in card.blocks if b.heading for m in vocabulary.services().find(b.flat)}
        return extract_services(card, blog=blog, org_terms=terms, program_values=named)[0]

    card_phones(page, addresses)
    services = assign_scopes(page, kind, addresses, services, accreditations, licenses, reread)
    services += scoped_implied(services)
    return PageObservation(
        source="site",
        site=site,
        seed_url=seed_url,
        url=url,
        page_kind=kind,
        title=page.title,
        seed_name=seed_name,
        org_names=org_names,
        phones=[*structured_phones, *phones],
        addresses=addresses,
        accreditations=accreditations,
        licenses=licenses,
        services=services,
        rejected=rejected + rejected_acc + rejected_phones + rejected_lic,
        services_not_offered=extract_not_offered(page, blog=blog, org_terms=terms),
        content_hash=hashlib.sha1(" ".join(b.text for b in page.blocks).encode()).hexdigest(),
    )


def scoped_implied(facts: list[Fact]) -> list[Fact]:
    """What the claimed services imply, within each scope: detox at one clinic implies
    substance-use treatment at that clinic, not at the organization's other places."""
    groups: dict[tuple[str, str], list[Fact]] = {}
    for f in facts:
        groups.setdefault((f.scope, f.location_hint), []).append(f)
    out: list[Fact] = []
    for (scope, hint), group in groups.items():
        for f in implied(group):
            f.scope, f.location_hint = scope, hint
            out.append(f)
    return out
