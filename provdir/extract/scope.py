"""Which place a page's facts speak about: one location of the organization, or all of it.

A multi-location provider names its programs in three kinds of places, and only two of them say
where a program is delivered:

- a *card* or table row of a locations page: a heading ("Adolescent PHP/IOP"), an address and a
  few lines, one card per clinic. The services in that card (and in the headings the card sits
  under) are that clinic's;
- a *page about one location*: a clinic's own page, whose title or main heading names the place
  (its label or its town) and whose body shows that one address;
- everything else (site menus, headers, footers, about pages, a paragraph above the cards) speaks
  for the organization as a whole.

:func:`assign_scopes` sets ``scope`` and ``location_hint`` on a page's facts. Facts found inside
a card are re-read card by card with the same claim rules (:func:`provdir.extract.services.
extract_services` over the card's blocks), because a page-wide pass keeps one fact per value and
would credit "PHP/IOP" to the first card only.

:func:`city_places` finds the places a site names only by town ("ENGLEWOOD, CO" in a contact
block, "The Penrose Home is located in Centennial, Colorado"): sober homes keep their streets
private, networks list their facilities by city. Each becomes an address of ``precision="city"``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from provdir.extract.page import Block, Page
from provdir.extract.phones import contact_numbers_in
from provdir.model.items import AddressFact, Fact, LicenseFact
from provdir.normalize.address import state_abbr, state_names
from provdir.vocab.vocabulary import town_names

LOCATION, ORGANIZATION = "location", "organization"
MAX_LABEL_WORDS = 8
MAX_TOWN_LINE = 60
MAX_PARAGRAPH = 5000
MAX_CARD_WORDS = 100


def place_hint(street: str, city: str, state: str, postal_code: str = "") -> str:
    """The text a location-scoped fact carries to name its place (the build maps it back)."""
    if street:
        return f"{street}, {city}, {state} {postal_code}".strip()
    return f"{city}, {state}"


def address_hint(a: AddressFact) -> str:
    return place_hint(a.street, a.city, a.state, a.postal_code)


# -- towns without a street ------------------------------------------------------------------
@cache
def _cities() -> dict[str, frozenset[str]]:
    """Lower-cased town names per state (``provdir/vocab/us_towns.csv``, USPS names from the
    ``zipcodes`` package's table): a town line is taken only when the town exists in that state.
    A small file of its own, because loading the whole ZIP table costs >100 MB in every crawl."""
    out: dict[str, set[str]] = {}
    for state, town in town_names():
        out.setdefault(state, set()).add(town.lower())
    return {state: frozenset(names) for state, names in out.items()}


def is_town(city: str, state: str) -> bool:
    towns = _cities().get(state, frozenset())
    name = city.lower().strip()
    # USPS writes "St Augustine" and "Saint Augustine"; sites write "St. Augustine"
    return name in towns or re.sub(r"\b(st|ste|mt|ft)\.", r"\1", name) in towns


@cache
def _town_line() -> re.Pattern[str]:
    states = "|".join(re.escape(s) for s in state_names())
    return re.compile(
        rf"^(?P<city>[A-Za-z][A-Za-z.' -]{{1,30}}?),?\s+(?P<state>{states})\.?(?:,?\s+(?P<zip>\d{{5}})(?:-\d{{4}})?)?$",
        re.I,
    )


@cache
def _located_in() -> re.Pattern[str]:
    states = "|".join(re.escape(s) for s in state_names() if len(s) > 2)
    return re.compile(
        rf"\b(?:is|are|is conveniently|are conveniently)\s+located\s+in\s+(?:beautiful\s+|historic\s+|sunny\s+)?"
        rf"(?P<city>[A-Z][a-z]+(?:[ -][A-Z][a-z]+){{0,2}}),?\s+(?P<state>(?i:{states})|[A-Z]{{2}})\b"
    )


@cache
def _place_cues() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(cue, one-town cue, not-own-voice) patterns from ``provdir/vocab/place_cues.en.csv``."""
    kinds: dict[str, list[str]] = {"cue": [], "one": [], "not_own": []}
    with resources.files("provdir.vocab").joinpath("place_cues.en.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            kinds[row["kind"]].append(row["pattern"])

    def alt(patterns: list[str]) -> str:
        return "|".join(f"(?:{p})" for p in patterns)

    def cue(patterns: list[str]) -> re.Pattern[str]:
        return re.compile(rf"(?i:{alt(patterns)})\s+in\s+")

    return cue(kinds["cue"]), cue(kinds["one"]), re.compile(alt(kinds["not_own"]), re.I)


_PLACE_WORD = r"(?:St\.|Ste\.|Ft\.|Mt\.|[A-Z][a-z]+(?:'[a-z]+)?)"
_PLACE = re.compile(
    rf"(?:(?:beautiful|historic|sunny|downtown)\s+)?(?P<city>{_PLACE_WORD}(?:[ -]{_PLACE_WORD}){{0,2}})"
)
_SEP = re.compile(r",?\s*(?:and|&)\s+|,\s*")


@cache
def _state_after() -> re.Pattern[str]:
    names = "|".join(re.escape(s) for s in state_names() if len(s) > 2)
    return re.compile(rf",?\s+(?P<state>(?i:{names})\b|[A-Z]{{2}}\b)")


def _place_list(text: str) -> list[tuple[str, str]]:
    """The towns a sentence lists from its start: "Denver, CO and Aurora, CO", "Malibu, and
    Santa Monica" -> [(town, state or "")]. A town without a state takes the next one named."""
    out: list[tuple[str, str]] = []
    pos = 0
    while m := _PLACE.match(text, pos):
        city, pos = m["city"], m.end()
        state = ""
        if (s := _state_after().match(text, pos)) and state_abbr(s["state"]):
            state, pos = state_abbr(s["state"]), s.end()
        out.append((city, state))
        sep = _SEP.match(text, pos)
        if not sep:
            break
        pos = sep.end()
    for n in range(len(out) - 2, -1, -1):  # "Denver and Aurora, CO": the state is both towns'
        if not out[n][1]:
            out[n] = (out[n][0], out[n + 1][1])
    return out


def _sentence(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end] (a period inside "St. Augustine" does not end it)."""
    lo = max((m.end() for m in re.finditer(r"(?<!\bSt)(?<!\bMt)(?<!\bFt)[.!?]\s", text[:start])), default=0)
    hi = re.compile(r"(?<!\bSt)(?<!\bMt)(?<!\bFt)[.!?](?:\s|$)").search(text, end)
    return text[lo : hi.end() if hi else len(text)].strip()


def cued_places(text: str, site_state: str, *, serving: bool = True) -> list[tuple[str, str, str]]:
    """(town, state, sentence) for each town a sentence of ``text`` puts one of the site's places
    in: "our second home in Tampa, Florida", "homes in Denver, CO and Aurora, CO", "serving
    residents in St. Augustine, FL". A town written without a state takes ``site_state`` (the one
    state of the page's other addresses), or is dropped when there is none. Sentences about where
    clients come from, a client's own story, or a distance to somewhere else are not places.
    ``serving=False`` drops the "serving residents in" cues (a page with a street address of its
    own says where it serves, not another place). A state's name is not a town ("our homes in
    Florida")."""
    cue, one, not_own = _place_cues()
    out: list[tuple[str, str, str]] = []
    states = {n.lower() for n in state_names()}
    for pattern, most in ((cue, 0), (one, 1)) if serving else ((cue, 0),):
        for m in pattern.finditer(text):
            sentence = _sentence(text, m.start(), m.end())
            if not_own.search(sentence) or sentence.startswith('"'):
                continue
            towns = _place_list(text[m.end() :])
            if most and len(towns) > most:
                continue
            for town, state in towns:
                state = state or site_state
                if state and town.lower() not in states and is_town(town, state):
                    out.append((town, state, sentence))
    return out


def city_places(page: Page, *, blog: bool, street_addresses: list[AddressFact]) -> list[AddressFact]:
    """Town-only places: a whole line "Town, ST [ZIP]" outside the menus, or a sentence saying a
    place "is located in Town, State". A town that one of the page's street addresses already
    gives is that address (its second line), not another place."""
    covered = {(a.city.lower(), a.state) for a in street_addresses}
    # The state a town written alone is in: the page's addresses (a footer repeats the site's)
    # when they are all in one state; lines "Town, ST" and towns cued with a state count too.
    states = {a.state for a in street_addresses if a.state}
    for b in page.blocks:
        for line in b.lines if len(b.flat) <= MAX_PARAGRAPH else []:
            if len(line) <= MAX_TOWN_LINE and (t := _town_line().match(line.strip())):
                states.add(state_abbr(t["state"]))
        if b.region == "main" and not blog and len(b.flat) <= MAX_PARAGRAPH:
            states.update(state for _town, state, _s in cued_places(b.flat, ""))  # "homes in Denver, CO"
    states.discard("")
    site_state = next(iter(states)) if len(states) == 1 else ""
    out: list[AddressFact] = []
    seen: set[tuple[str, str]] = set()

    def add(city: str, state: str, postal: str, block: Block, raw: str, label: str) -> None:
        city = city.strip().rstrip(".")
        city = city.title() if city.isupper() or city.islower() else city
        key = (city.lower(), state)
        if key in covered or key in seen or not is_town(city, state):
            return
        seen.add(key)
        out.append(
            AddressFact(
                raw=raw,
                city=city,
                state=state,
                postal_code=postal,
                precision="city",
                label=label,
                phones=contact_numbers_in(block.text),
                snippet=raw[:200],
                region=block.region,
                source="text",
            )
        )

    for i, block in enumerate(page.blocks):
        if block.region == "nav" or (blog and block.region == "main"):
            continue
        lines = block.lines
        # a town line is short; a long line is prose (and matching it would cost on huge pages)
        towns = [_town_line().match(line.strip()) if len(line) <= MAX_TOWN_LINE else None for line in lines]
        first = next((n for n, m in enumerate(towns) if m), len(lines))
        for n, m in enumerate(towns):
            if m is None or (n and _STREET_NUMBER.match(lines[n - 1])):
                continue
            if n == 0 and i and _STREET_NUMBER.match(page.blocks[i - 1].flat):
                continue  # the town line under a street line of its own block
            state = state_abbr(m["state"])
            # A heading that ends with the town ("Residential & Detox Facilities / Orangevale,
            # CA") names the place in its lines above; a list of towns has no names of its own.
            # A list item "Tallgrass Wichita / Wichita, KS" names its place in its first lines too.
            above = " ".join(lines[:first])
            named = (
                first and (block.heading or _name_line_text(above)) and not _GENERIC_HEADING.match(above.strip(" :-|"))
            )
            label = above if named else _heading_label(page.blocks, i)
            add(m["city"], state, m["zip"] or "", block, lines[n].strip(), label)
        # Hero sections are often marked up as a banner: a sentence there still locates a place.
        if block.region in ("main", "header") and not block.heading and not blog and len(block.flat) <= MAX_PARAGRAPH:
            for m in _located_in().finditer(block.flat):
                state = state_abbr(m["state"])
                if state:
                    lo = block.flat.rfind(".", 0, m.start()) + 1
                    add(m["city"], state, "", block, block.flat[lo : m.end()].strip(), _heading_label(page.blocks, i))
            if block.region == "main":
                found = cued_places(block.flat, site_state, serving=not street_addresses)
                for town, state, sentence in found:
                    # a heading names the one place a paragraph is about, not each of a list
                    label = _heading_label(page.blocks, i) if len(found) == 1 else ""
                    add(town, state, "", block, sentence, label)
    return out


@cache
def _copyright_town() -> re.Pattern[str]:
    states = "|".join(re.escape(s) for s in state_names() if len(s) > 2)
    return re.compile(rf"(?P<words>(?:[A-Z][a-z.]+[ ,]+){{1,3}}?)(?P<state>(?i:{states}))\b")


def copyright_town(page: Page) -> AddressFact | None:
    """The town of a copyright line ("(c) Rincon Recovery Center, Tucson Arizona"): where the
    organization is, for a site that gives no other address (the build uses it only then)."""
    for block in page.blocks:
        if block.region != "footer" or not re.search(r"\u00a9|&copy;|\bcopyright\b", block.flat, re.I):
            continue
        for m in _copyright_town().finditer(block.flat):
            state = state_abbr(m["state"])
            words = [w.strip(" ,.") for w in re.split(r"[ ,]+", m["words"].strip()) if w.strip(" ,.")]
            for n in (3, 2, 1):  # the longest run of words before the state that is one of its towns
                city = " ".join(words[-n:])
                if len(words) >= n and state and is_town(city, state):
                    return AddressFact(
                        raw=f"{city}, {state}",
                        city=city,
                        state=state,
                        precision="city",
                        snippet=block.flat[:200],
                        region="footer",
                        source="copyright",
                    )
    return None


_STREET_NUMBER = re.compile(r"^\s*\d{1,6}[A-Za-z]?\s+\w")
_GENERIC_HEADING = re.compile(
    r"^(?:our |other )?(?:address(?:es)?|locations?|offices?|contact(?: us| info(?:rmation)?)?|"
    r"get in touch|directions|visit us|find us|hours|call us|where we are|homes?|houses?|facilities)\s*:?$",
    re.I,
)


def _heading_label(blocks: list[Block], i: int) -> str:
    """The nearest heading above block ``i`` (same region) when it reads like a place's name."""
    for j in range(i - 1, max(i - 5, -1), -1):
        prev = blocks[j]
        if prev.region != blocks[i].region:
            break
        if prev.heading:
            text = prev.flat.strip(" :-|")
            if 1 <= len(text.split()) <= MAX_LABEL_WORDS and not _GENERIC_HEADING.match(text) and "?" not in text:
                return text.title() if text.isupper() else text
            break
    return ""


# -- cards and location pages ----------------------------------------------------------------
@dataclass
class Card:
    hint: str
    blocks: list[int]
    """The card's own blocks (its heading, address, phone and description lines)."""
    headings: list[int]
    """Headings of the sections the card sits under (a list of cards titled "Eating Disorders")."""


def _level(block: Block) -> int:
    return int(block.tag[1]) if block.heading else 9


def _place_block(page: Page, a: AddressFact) -> list[int]:
    """Indices of the main-region blocks that show address ``a``."""
    out = []
    number = a.street.split(" ", 1)[0] if a.street else ""
    city = a.city.lower()
    for b in page.blocks:
        if b.region != "main":
            continue
        low = b.flat.lower()
        if a.precision == "city":
            if a.raw.lower() in low:
                out.append(b.index)
        elif (a.postal_code and a.postal_code in low) or (not a.postal_code and city and city in low):
            prev = page.blocks[b.index - 1].flat if b.index else ""
            if number and (re.search(rf"(?<!\d){re.escape(number)}(?!\d)", low) or prev.startswith(number)):
                out.append(b.index)
    return out


def find_cards(page: Page, places: list[AddressFact]) -> list[Card]:
    """One card per showing of a place in the page body.

    A card is the innermost heading section the place sits in, when that section shows no other
    place; in a section that lists several places, each place's card runs from its own lines to
    the next place's (a short name line just above the next address belongs to the next card).
    """
    blocks = page.blocks
    at: dict[int, set[str]] = {}
    for a in places:
        if a.kind != "physical":
            continue
        for i in _place_block(page, a):
            at.setdefault(i, set()).add(address_hint(a))
    if not at:
        return []
    main = [b for b in blocks if b.region == "main"]
    # innermost section of every main block: the index of the heading that opens it (or -1)
    section: dict[int, int] = {}
    current = -1
    for b in main:
        if b.heading:
            current = b.index
        section[b.index] = current
    members: dict[int, list[int]] = {}
    for b in main:
        members.setdefault(section[b.index], []).append(b.index)
    cards: list[Card] = []
    for sec, idx in members.items():
        showing = [i for i in idx if i in at]
        hints = {h for i in showing for h in at[i]}
        if not showing:
            continue
        if len(hints) == 1 and sec != -1:
            if sum(len(blocks[i].flat.split()) for i in idx) <= MAX_CARD_WORDS:
                cards.append(Card(next(iter(hints)), idx, _ancestors(blocks, sec)))
            else:
                # A long section that shows an address is prose about the organization with a
                # "visit us" line, not a place's card: only the address lines and the few short
                # lines after it (phone, hours) are the place's.
                for i in showing:
                    tail = [j for j in idx if i < j <= i + 2 and len(blocks[j].flat.split()) <= MAX_LABEL_WORDS * 2]
                    cards.append(Card(next(iter(hints)), [i, *tail], [sec]))
            continue
        for k, i in enumerate(showing):
            if len(at[i]) != 1:
                continue  # one block showing two places: nothing in it is one place's
            end = showing[k + 1] if k + 1 < len(showing) else idx[-1] + 1
            start = i
            if k and _name_line(blocks[i - 1]) and i - 1 > showing[k - 1]:
                start = i - 1
            if k + 1 < len(showing) and _name_line(blocks[end - 1]) and end - 1 > i:
                end -= 1
            own = [j for j in idx if start <= j < end]
            heads = _ancestors(blocks, sec) + ([sec] if sec != -1 else [])
            cards.append(Card(next(iter(at[i])), own, heads))
    return cards


def _name_line(block: Block) -> bool:
    return _name_line_text(block.flat)


def _name_line_text(text: str) -> bool:
    return not any(ch.isdigit() for ch in text) and 1 <= len(text.split()) <= MAX_LABEL_WORDS


def _ancestors(blocks: list[Block], sec: int) -> list[int]:
    """Headings of higher rank above section ``sec`` (its parent section, grandparent, ...)."""
    if sec < 0:
        return []
    out: list[int] = []
    level = _level(blocks[sec])
    for j in range(sec - 1, -1, -1):
        b = blocks[j]
        if b.region == "main" and b.heading and _level(b) < level:
            out.append(j)
            level = _level(b)
    return out


def card_phones(page: Page, places: list[AddressFact]) -> None:
    """A number printed in a place's card is that place's (before or after its address lines)."""
    by_hint: dict[str, list[str]] = {}
    for card in find_cards(page, places):
        numbers = by_hint.setdefault(card.hint, [])
        for i in card.blocks:
            numbers.extend(n for n in contact_numbers_in(page.blocks[i].text) if n not in numbers)
    for a in places:
        for n in by_hint.get(address_hint(a), []):
            if n not in a.phones:
                a.phones.append(n)


def page_place(page: Page, places: list[AddressFact], page_kind: str) -> tuple[str, str]:
    """(hint, region) of the one place a page is about, or ("", "").

    A page is about a place when its body shows that place and no other, it is not the home
    page (a home page speaks for the whole organization), and its title or main heading names
    the place: its label or its town. Some themes mark a page's hero section up as a banner:
    a place shown there (and no place in the body) scopes the facts of that section.
    """
    if page_kind in ("home", "blog"):
        return "", ""
    for region in ("main", "header"):
        shown = {address_hint(a): a for a in places if a.kind == "physical" and a.region == region}
        if not shown:
            continue
        if len(shown) != 1:
            return "", ""
        hint, a = next(iter(shown.items()))
        heads = [b.flat for b in page.blocks if b.region == region and b.heading][:3]
        headline = " ".join([page.title, *heads]).lower()
        if (a.label and a.label.lower() in headline) or (a.city and a.city.lower() in headline):
            return hint, region
        return "", ""
    return "", ""


def _block_of(page: Page, snippet: str, region: str) -> int:
    probe = " ".join(snippet.split())[:80]
    for b in page.blocks:
        if b.region == region and probe and probe in b.flat:
            return b.index
    return -1


def assign_scopes(
    page: Page,
    page_kind: str,
    places: list[AddressFact],
    services: list[Fact],
    accreditations: list[Fact],
    licenses: list[LicenseFact],
    reread,
) -> list[Fact]:
    """Set ``scope``/``location_hint`` on the page's facts in place; return the page's services
    with the page-wide facts that sat inside a card replaced by the card-by-card re-reading.

    ``reread(page)`` runs the service extractor over a page (here: one card's blocks).
    """
    cards = find_cards(page, places)
    about, about_region = page_place(page, places, page_kind)
    card_of: dict[int, str] = {}
    for card in cards:
        for i in card.blocks:
            card_of.setdefault(i, card.hint)

    def scope_one(fact: Fact | LicenseFact) -> bool:
        """True when the fact sat inside a card (it is re-read with the card)."""
        if fact.region not in ("main", about_region):
            return False
        i = _block_of(page, fact.snippet, fact.region)
        if i in card_of:
            fact.scope, fact.location_hint = LOCATION, card_of[i]
            return True
        if about and fact.region == about_region:
            fact.scope, fact.location_hint = LOCATION, about
        return False

    for fact in accreditations:
        scope_one(fact)
    for lic in licenses:
        scope_one(lic)
    if not cards:
        for fact in services:
            scope_one(fact)
        return services
    kept = [f for f in services if not scope_one(f) and not f.basis.startswith("implied:")]
    for card in cards:
        sub = Page(
            url=page.url, html="", title="", blocks=[page.blocks[i] for i in sorted({*card.headings, *card.blocks})]
        )
        for fact in reread(sub):
            fact.scope, fact.location_hint = LOCATION, card.hint
            kept.append(fact)
    return kept
