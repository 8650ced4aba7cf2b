"""Street addresses in visible text: contact blocks, footers, location lists, paragraphs.

``usaddress`` parses an address but does not find one in running text, so the search is
anchored on what every US address ends with: a state and a ZIP code ("St. Charles, MO 63303").
From each anchor we look back, within the same block, for where the street starts (a house
number or a PO box), and keep the first candidate that parses as a complete address. The line
just above the street, or the heading over the block, is taken as the location's name.
"""

from __future__ import annotations

import re
from functools import cache

from provdir.extract.names import badly_cased, never_a_name, recase
from provdir.extract.page import Block, Page
from provdir.extract.phones import contact_numbers_in
from provdir.model.items import AddressFact
from provdir.normalize.address import parse_address, state_names

LOOKBACK = 140
_STREET_START = re.compile(
    r"(?:(?<=^)|(?<=[\s,:;(|>\u2022]))(?:(?<!suite )(?<!ste )(?<!ste\. )(?<!unit )(?<!# )"
    r"\d{1,6}[A-Za-z]?(?:-\d{1,4})?\s+(?=[A-Za-z0-9])|p\.?\s*o\.?\s*box\b|post\s+office\s+box\b)",
    re.I,
)
_GENERIC_LABELS = re.compile(
    r"^(?:our )?(?:address|addresses|location|locations|office|offices|headquarters|visit us|"
    r"find us|contact(?: us| info(?:rmation)?)?|get in touch|directions|mailing address|"
    r"physical address|main office|call us|phone|hours|where we are)\s*:?$",
    re.I,
)
_MAILING = re.compile(r"mailing|mail to|send (?:mail|correspondence)|remit|p\.?\s*o\.?\s*box", re.I)
# An address introduced as the organization's office is where it is run from, not a facility.
_OFFICE = re.compile(
    r"\b(?:corporate|administrative|admin|business|executive|billing)\s+(?:office|offices|headquarters)\b|"
    r"\b(?:corporate\s+)?headquarters\b",
    re.I,
)


@cache
def _anchor() -> re.Pattern[str]:
    states = "|".join(re.escape(s) for s in state_names())
    return re.compile(rf"(?<![\w])(?P<state>{states})\.?,?\s+(?P<zip>\d{{5}}(?:-\d{{4}})?)(?!\d)", re.I)


def extract_addresses(page: Page, *, blog: bool) -> list[AddressFact]:
    facts: list[AddressFact] = []
    blocks = page.blocks
    for i, block in enumerate(blocks):
        if blog and block.region == "main":
            continue
        text = block.text
        if not block.has_digit:
            continue
        prev_end = 0
        for anchor in _anchor().finditer(text):
            found = _address_before(text, prev_end, anchor)
            if found is None:
                joined = _join_previous_block(blocks, i, text, anchor, prev_end)
                if joined is not None:
                    # Street and city in two blocks (<p>street</p><p>city, ST ZIP</p>): read
                    # them as one two-line block.
                    text, anchor = joined
                    found = _address_before(text, 0, anchor)
            if found is None:
                continue
            start, parsed = found
            prev_end = anchor.end()
            next_anchor = _anchor().search(text, anchor.end())
            tail = text[anchor.end() : next_anchor.start() if next_anchor else len(text)]
            raw = " ".join(text[start : anchor.end()].replace("\n", ", ").split()).replace(",,", ",")
            before = text[:start]
            label = _label(before, blocks, i)
            mailing = parsed.po_box or bool(_MAILING.search(before[-60:]))
            office = not mailing and bool(_OFFICE.search(before[-60:] or _heading_before(blocks, i)))
            facts.append(
                AddressFact(
                    raw=raw,
                    street=parsed.full_street,
                    city=parsed.city,
                    state=parsed.state,
                    postal_code=parsed.postal_code,
                    kind="mailing" if mailing else "office" if office else "physical",
                    label=label,
                    phones=contact_numbers_in(tail) or _phones_after(blocks, i, next_anchor is None),
                    snippet=_snippet(text, start, anchor.end()),
                    region=block.region,
                    source="text",
                )
            )
    return facts


def _heading_before(blocks: list[Block], i: int) -> str:
    """The short block just above an address block (its heading, or a title line)."""
    if i and blocks[i - 1].region == blocks[i].region and len(blocks[i - 1].flat) <= 60:
        return blocks[i - 1].flat
    return ""


def _phones_after(blocks: list[Block], i: int, last_in_block: bool) -> list[str]:
    """Phones in the one or two blocks right after an address block, up to the next heading
    or address: a location card often puts its phone in the next paragraph."""
    if not last_in_block:
        return []
    for block in blocks[i + 1 : i + 3]:
        if block.region != blocks[i].region or block.heading or _anchor().search(block.text):
            break
        numbers = contact_numbers_in(block.text)
        if numbers:
            return numbers
    return []


def _join_previous_block(blocks: list[Block], i: int, text: str, anchor: re.Match[str], floor: int):
    """When the anchor's line holds only the city, prepend the previous short block of the same
    region (the street line) and re-find the anchor in the joined text."""
    if i == 0 or floor or any(ch.isdigit() for ch in text[: anchor.start()]):
        return None
    prev = blocks[i - 1]
    if prev.region != blocks[i].region or prev.heading or len(prev.text) > 120 or not _STREET_START.search(prev.text):
        return None
    joined = f"{prev.text}\n{text}"
    m = _anchor().search(joined, len(prev.text) + 1)
    return (joined, m) if m else None


def _address_before(text: str, floor: int, anchor: re.Match[str]):
    lo = max(floor, anchor.start() - LOOKBACK)
    window = text[lo : anchor.start()]
    for cand in _STREET_START.finditer(window):
        start = lo + cand.start()
        parsed = parse_address(text[start : anchor.end()])
        if parsed is not None:
            return start, parsed
    return None


def _label(before: str, blocks: list[Block], i: int) -> str:
    """A location name: the line right above the street, else the nearest heading above."""
    lines = [ln.strip(" :-|,;\u2022\u00b7") for ln in before.split("\n")]
    lines = [ln for ln in lines if ln]
    if lines:
        candidate = lines[-1]
        mid_sentence = bool(before) and not before.endswith("\n") and bool(re.search(r"\b[a-z]+\W*$", candidate))
        if _name_like(candidate) and not mid_sentence:
            return _display(candidate)
    for j in range(i - 1, max(i - 4, -1), -1):
        prev = blocks[j]
        if prev.region != blocks[i].region:
            break
        if prev.heading:
            # The nearest heading is the card's title; a heading further up titles another card.
            if _name_like(prev.flat) or _names_program(prev.flat):
                return _display(prev.flat.strip(" :-|,;"))
            break
    return ""


def _display(label: str) -> str:
    """A shouted or lower-case heading ("PENROSE HOME") in the casing a name is written in."""
    return recase(label) if badly_cased(label) else label


def _names_program(text: str) -> bool:
    """A short heading that is mostly a program's name ("PHP/IOP", "Detox")."""
    from provdir.vocab import vocabulary

    words = text.split()
    covered = sum(m.end - m.start for m in vocabulary.services().find(text))
    return 1 <= len(words) <= 6 and covered >= 0.5 * len(text.replace(" ", ""))


def _name_like(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 9 or _GENERIC_LABELS.match(text) or never_a_name(text):
        return False
    # "House (no mail, please)": without its note, one common word is not a place's name.
    core = re.sub(r"\([^)]*\)", "", text).strip(" :-")
    if len(core.split()) < 2 and not (core[:1].isupper() and core[1:2].islower() and len(core) > 8):
        return False
    if sum(ch.isdigit() for ch in text) > 2 or "@" in text or text.endswith("."):
        return False
    return sum(ch.isalpha() for ch in text) >= 3


def _snippet(text: str, start: int, end: int) -> str:
    lo = text.rfind("\n", 0, max(start - 1, 0))
    lo = 0 if lo == -1 else lo + 1
    return " ".join(text[lo : end + 40].split())[:200]
