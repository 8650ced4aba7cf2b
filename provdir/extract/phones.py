"""Phone numbers, from visible text and ``tel:`` links, with the role the page gives them.

Found with libphonenumber's matcher (``phonenumbers``), which copes with ``(916) – 723-1319``,
``314.631.4299`` and ``1 (866) 969-4300``. The role comes from the words right before the
number on the same line ("Fax:", "Admissions", "Crisis line") or right after it ("(fax)").
A fax, a TTY line, a crisis line and national numbers (911, 988, SAMHSA's helpline) are kept
with their role so they can be shown as evidence, but they are never contact phones. A label
in a neighbouring element counts too (``<dt>Fax</dt><dd>555-0124</dd>``, a number followed by
a block that only says "Fax").

*Whose number is it*: a number the page shows as someone else's is not a fact about the
facility at all and is recorded as a rejected mention with its reason (``rejected``):

- ``credit_line``: a web agency's credit ("Website by Acme Digital 555-0100");
- ``other_org``: the label beside the number names another organization, an insurer, a
  government office or a hotline ("Aetna Member Services: 1-800-...", "Poison Control");
- ``other_org_list``: a number in the body under a heading that introduces other
  organizations' numbers ("Insurance company contact numbers", "Community resources"), whose
  label does not speak as or name the organization.

The cue lists are data: ``provdir/vocab/other_organizations.en.csv`` and
``provdir/vocab/phone_not_ours.en.csv``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import unquote

import phonenumbers

from provdir.extract.claims import names_any
from provdir.extract.page import Block, Page
from provdir.model.items import PhoneFact
from provdir.normalize.phone import CONTACT_ROLES, REGION, e164, parse_number
from provdir.vocab import vocabulary

__all__ = ["CONTACT_ROLES", "REGION", "e164", "extract_phones", "parse_number", "read_phones"]


_ROLE_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("fax", re.compile(r"\bfax\b|\bf\s*[:.]\s*$|facsimile", re.I)),
    ("tty", re.compile(r"\b(?:tty|tdd)\b(?!\s*/\s*voice)", re.I)),
    ("crisis", re.compile(r"crisis|hotline|lifeline|suicide|emergenc", re.I)),
    ("text", re.compile(r"\btext(?:line| us| line)?\b|\bsms\b", re.I)),
    (
        "admissions",
        re.compile(
            r"admission|intake|new (?:patient|client)s?|enroll|get started|"
            r"appointment|referrals?",
            re.I,
        ),
    ),
    ("toll_free", re.compile(r"toll[\s-]?free", re.I)),
]
# "(fax)" / "[F]" anywhere after the number, or a bare "fax" / "- f" that ends the line or phrase.
_AFTER_LABEL = re.compile(
    r"[ \t]*(?:[(\[][ \t]*(?:24/7 |24-hour )?(fax|f|tty|tdd|text|sms|crisis|hotline)\b"
    r"|[-\u2013\u2014]?[ \t]*(fax|f|tty|tdd|text|sms)[ \t]*(?:$|[,;.|)\n]))",
    re.I,
)
_AFTER_ROLE = {
    "fax": "fax",
    "f": "fax",
    "tty": "tty",
    "tdd": "tty",
    "text": "text",
    "sms": "text",
    "crisis": "crisis",
    "hotline": "crisis",
}
# A block that is nothing but a role label ("Fax", "Fax:", "(Fax)", "24/7 Crisis Line").
_LABEL_ONLY = re.compile(r"^[\s(\[]*(?:[\w/-]+\s+){0,3}[\w/-]+[\s)\]:.]*$")
_TOLL_FREE_AREA = frozenset({"800", "833", "844", "855", "866", "877", "888"})
_CONTEXT_CHARS = 40


def role_from_context(before: str, after: str, num: phonenumbers.PhoneNumber | None) -> str:
    """Role from the label before the number (same line), or a parenthesised label after it."""
    # A label right after the number on the same line: "555-0123 (fax)", "555-0123 fax". A word
    # with a colon ("Fax:") introduces the *next* number ("Phone: ... Fax: ...").
    after_label = _AFTER_LABEL.match(after)
    if after_label:
        word = (after_label.group(1) or after_label.group(2)).lower()
        return _AFTER_ROLE.get(word, "main")
    for role, pattern in _ROLE_CUES:
        if pattern.search(before):
            return role
    if num is not None and str(num.national_number)[:3] in _TOLL_FREE_AREA:
        return "toll_free"
    return "main"


def _label_before(text: str, start: int) -> str:
    """Text on the same line before a number, back to the previous number or line start."""
    line_start = text.rfind("\n", 0, start) + 1
    return text[max(line_start, start - _CONTEXT_CHARS) : start]


def contact_numbers_in(text: str) -> list[str]:
    """E.164 contact numbers in a piece of text (faxes, crisis and national lines left out)."""
    out: list[str] = []
    non_facility = vocabulary.non_facility_numbers()
    for match in phonenumbers.PhoneNumberMatcher(text, REGION, leniency=phonenumbers.Leniency.VALID):
        number = e164(match.number)
        role = role_from_context(_label_before(text, match.start), text[match.end : match.end + 24], match.number)
        if role in CONTACT_ROLES and number not in non_facility and number not in out:
            out.append(number)
    return out


def extract_phones(page: Page, *, blog: bool, org_terms: tuple[str, ...] = ()) -> list[PhoneFact]:
    """The page's numbers that may be the facility's (see :func:`read_phones`)."""
    return read_phones(page, blog=blog, org_terms=org_terms)[0]


@dataclass(frozen=True)
class _NotOurs:
    credit: re.Pattern[str]
    list_heading: re.Pattern[str]
    other_org: re.Pattern[str]
    affiliate: re.Pattern[str]


@cache
def _not_ours() -> _NotOurs:
    def rows(name: str) -> list[dict[str, str]]:
        with resources.files("provdir.vocab").joinpath(name).open(encoding="utf-8") as fh:
            return list(csv.DictReader(fh))

    def alternation(patterns: list[str]) -> re.Pattern[str]:
        return re.compile(rf"(?<![\w-])(?:{'|'.join(patterns)})(?![\w-])", re.I)

    ours = rows("phone_not_ours.en.csv")
    others = rows("other_organizations.en.csv")
    return _NotOurs(
        credit=alternation([r["pattern"] for r in ours if r["kind"] == "credit"]),
        list_heading=alternation([r["pattern"] for r in ours if r["kind"] == "list_heading"]),
        other_org=alternation([r["pattern"] for r in others if r["kind"] != "affiliate"]),
        # "Our sister program, X: 555-...": another program even in the first person.
        affiliate=alternation([r["pattern"] for r in others if r["kind"] == "affiliate"]),
    )


def other_orgs_heading(text: str) -> str:
    """The words of a heading that introduce a list of other organizations, or ''."""
    m = _not_ours().list_heading.search(text)
    return m.group(0) if m else ""


# Words a label uses for the facility's own line ("Call us 24/7:", "Main office phone").
_NEUTRAL_LABEL = re.compile(
    r"\b(?:call|calls|calling|phone|tel|telephone|ph|p|t|o|m|c|office|main|local|toll[\s-]?free|number|contact|"
    r"questions|today|now|anytime|24/7|24 hours|day or night|us|at|or|and|line|direct|general|info|"
    r"information|reach|give|a|the|for|to|by|on|here|click|dial|mobile|cell)\b|[\W\d_]+",
    re.I,
)
_FIRST_PERSON = re.compile(r"\b(?:we|our|us|we're|ours)\b", re.I)
# "Medicaid accepted - call 555-0140": a payment the facility takes, not the insurer's line.
_ACCEPTS = re.compile(r"\b(?:accept(?:s|ed|ing)?|welcome[ds]?|in[- ]network|take[sn]?|bill(?:s|ed)?)\b", re.I)


def _entry_label(text: str, start: int, blocks: list[Block], i: int) -> str:
    """The words that name whose number this is: the clause before it on its line, else the
    line above it in its block, else the previous short block (a table cell, a list heading)."""
    line_start = text.rfind("\n", 0, start) + 1
    before = re.split(r"[.!?;](?:\s|$)", text[line_start:start])[-1]
    if before.strip(" :-\u2013\u2014|,"):
        return before
    if line_start:
        prev_line_start = text.rfind("\n", 0, line_start - 1) + 1
        return text[prev_line_start : line_start - 1]
    if i and blocks[i - 1].region == blocks[i].region and len(blocks[i - 1].flat.split()) <= 10:
        return blocks[i - 1].flat
    return ""


def _names_someone(label: str, org_terms: tuple[str, ...]) -> bool:
    """Does the label name someone other than the facility (and not speak as it)?"""
    return not _speaks_as_org(label, org_terms) and bool(_NEUTRAL_LABEL.sub(" ", label).strip())


def _speaks_as_org(label: str, org_terms: tuple[str, ...]) -> bool:
    """ "Call us", "our office", "Cedar Bluff Recovery:": the facility's own voice or name."""
    return bool(_FIRST_PERSON.search(label)) or names_any(label.lower(), org_terms)


def _neighbour_role(blocks: list[Block], i: int, at_start: bool, at_end: bool) -> str:
    """A role label in the element before or after a number's own element.

    A label between two numbers belongs to one of them: see :func:`_closes_previous_number`.
    """
    for j, usable in ((i - 1, at_start), (i + 1, at_end)):
        if not usable or not 0 <= j < len(blocks) or blocks[j].region != blocks[i].region:
            continue
        label = blocks[j].flat
        if sum(ch.isdigit() for ch in label) >= 7 or len(label) > 40 or not _LABEL_ONLY.match(label):
            continue
        closes = _closes_previous_number(blocks, j)
        if j < i and closes:
            continue  # "555-0145 | (Fax) | 555-0140": the label closes the number before it
        if j > i and not closes and _starts_with_number(blocks, j + 1, blocks[i]):
            continue  # "Phone | 555-0140 | Fax | 555-0145": the label opens the next number
        for role, pattern in _ROLE_CUES:
            if role in ("fax", "tty", "crisis") and pattern.search(label):
                return role
    return ""


def _starts_with_number(blocks: list[Block], j: int, same_region_as: Block) -> bool:
    if not 0 <= j < len(blocks) or blocks[j].region != same_region_as.region:
        return False
    return sum(ch.isdigit() for ch in blocks[j].flat[:20]) >= 7


def _ends_with_number(block: Block, same_region_as: Block) -> bool:
    tail = block.flat[-20:]
    return block.region == same_region_as.region and sum(ch.isdigit() for ch in tail) >= 7


def _closes_previous_number(blocks: list[Block], j: int) -> bool:
    """Is the label block ``j``, sitting between two numbers, the label of the one before?

    A term element (``<dt>``, ``<th>``) or a colon introduces the next number; otherwise the
    page's own pattern decides: when the number before was itself introduced by a label
    block, labels come first on this page.
    """
    label = blocks[j]
    if label.tag in ("dt", "th", "label") or label.flat.rstrip().endswith(":"):
        return False
    if not j or not _ends_with_number(blocks[j - 1], label):
        return False
    before = blocks[j - 2] if j >= 2 and blocks[j - 2].region == label.region else None
    return not (before is not None and not before.has_digit and len(before.flat) <= 40)


def _headings_above(blocks: list[Block]) -> list[str]:
    """For each block, the headings it sits under in its region (h1 > h2 > ...), joined: a
    number under "Medicaid providers" > "Cedar Counseling" is under both."""
    out: list[str] = []
    stacks: dict[str, list[tuple[int, str]]] = {}
    for b in blocks:
        stack = stacks.setdefault(b.region, [])
        if b.heading:
            level = int(b.tag[1]) if b.tag[1:].isdigit() else 6
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, b.flat))
        out.append(" | ".join(text for _, text in stack))
    return out


def read_phones(
    page: Page, *, blog: bool, org_terms: tuple[str, ...] = ()
) -> tuple[list[PhoneFact], list[dict[str, str]]]:
    """(numbers that may be the facility's, rejected numbers with their reason)."""
    facts: list[PhoneFact] = []
    rejected: list[dict[str, str]] = []
    non_facility = vocabulary.non_facility_numbers()
    not_ours = _not_ours()
    headings = _headings_above(page.blocks)
    h1 = next((b.flat for b in page.blocks if b.tag == "h1" and b.region == "main"), "")
    page_topic = f"{page.title} {h1}"
    shown_as_ours: set[str] = set()
    rejected_numbers: set[str] = set()

    def reject(number: str, reason: str, cue: str, snippet: str, region: str) -> None:
        rejected_numbers.add(number)
        if len(rejected) < 200:
            rejected.append(
                {
                    "field": "phone",
                    "value": number,
                    "reason": reason,
                    "cue": cue,
                    "snippet": snippet[:200],
                    "region": region,
                }
            )

    for i, block in enumerate(page.blocks):
        if blog and block.region == "main":
            continue  # a blog post's numbers are often someone else's (helplines, other orgs)
        text = block.text
        if not block.has_digit:
            continue
        last_end = 0
        matches = list(phonenumbers.PhoneNumberMatcher(text, REGION, leniency=phonenumbers.Leniency.VALID))
        for k, match in enumerate(matches):
            num = match.number
            before = text[max(last_end, 0) : match.start]
            before = before[-_CONTEXT_CHARS:] if "\n" not in before else before.rsplit("\n", 1)[-1]
            role = role_from_context(before, text[match.end : match.end + 24], num)
            number = e164(num)
            line_start = text.rfind("\n", 0, match.start) + 1
            line_end = text.find("\n", match.end)
            snippet = text[line_start : line_end if line_end != -1 else len(text)]
            last_end = match.end
            if role == "main" and not before.strip():
                at_start = k == 0 and not text[: match.start].strip(" (\n")
                at_end = k == len(matches) - 1 and not text[match.end :].strip(" )\n.")
                role = _neighbour_role(page.blocks, i, at_start, at_end) or role
            if number in non_facility:
                role = "crisis"
            # A credit sits in the footer or on a short line of its own ("Website by Acme 555-0100").
            credit_zone = block.region == "footer" or len(snippet.split()) <= 12
            credit = credit_zone and (not_ours.credit.search(snippet) or not_ours.credit.search(block.flat[:160]))
            if credit:
                reject(number, "credit_line", credit.group(0), snippet, block.region)
                continue
            label = _entry_label(text, match.start, page.blocks, i)
            other = not_ours.affiliate.search(label)
            if not other and not _speaks_as_org(label, org_terms) and not _ACCEPTS.search(label):
                other = not_ours.other_org.search(label)
            if other and role in CONTACT_ROLES:
                reject(number, "other_org", other.group(0), f"{label} {snippet}".strip(), block.region)
                continue
            if block.region in ("main", "sidebar") and role in CONTACT_ROLES:
                topic = not_ours.list_heading.search(headings[i]) or (
                    not headings[i] and not_ours.list_heading.search(page_topic)
                )
                if topic and _names_someone(label, org_terms):
                    reject(number, "other_org_list", topic.group(0), f"{label} {snippet}".strip(), block.region)
                    continue
            if role in CONTACT_ROLES:
                shown_as_ours.add(number)
            facts.append(
                PhoneFact(
                    raw=match.raw_string,
                    e164=number,
                    extension=num.extension or "",
                    role=role,
                    snippet=snippet[:200],
                    region=block.region,
                    source="text",
                )
            )
    for link in page.tel_links:
        raw = unquote(link.href[4:]).strip()
        num = parse_number(raw)
        if num is None:
            continue
        number = e164(num)
        if number in rejected_numbers and number not in shown_as_ours:
            # The link of a number the page shows as someone else's (an insurer's list entry).
            reject(number, "other_org_link", link.href, link.text or link.context, link.region)
            continue
        # Only the link's own words: the parent's text may hold a neighbouring "Fax:" label.
        # A number the page also labels as fax or crisis elsewhere loses its contact role
        # when the site's pages are combined (the strictest role wins).
        role = role_from_context(link.text, "", num)
        if number in non_facility:
            role = "crisis"
        words = link.text or ""
        other = role in CONTACT_ROLES and (
            not_ours.affiliate.search(words)
            or (
                not _speaks_as_org(words, org_terms) and not _ACCEPTS.search(words) and not_ours.other_org.search(words)
            )
        )
        if other and number not in shown_as_ours:
            # A link labelled with another organization's name ("Call our sister program's office").
            reject(number, "other_org", other.group(0), words, link.region)
            continue
        facts.append(
            PhoneFact(
                raw=link.href,
                e164=number,
                extension=num.extension or "",
                role=role,
                snippet=(link.text or link.context)[:200],
                region=link.region,
                source="tel_href",
            )
        )
    # A number rejected on one line but shown as the facility's own elsewhere on the page stays.
    rejected = [r for r in rejected if r["value"] not in shown_as_ours]
    return facts, rejected
