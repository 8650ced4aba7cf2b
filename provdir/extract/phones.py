"""Phone numbers, from visible text and ``tel:`` links, with the role the page gives them.

Found with libphonenumber's matcher (``phonenumbers``), which copes with ``(916) – 723-1319``,
``314.631.4299`` and ``1 (866) 969-4300``. The role comes from the words right before the
number on the same line ("Fax:", "Admissions", "Crisis line") or right after it ("(fax)").
A fax, a crisis line and national numbers (911, 988, SAMHSA's helpline) are kept with their
role so they can be shown as evidence, but they are never contact phones.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import phonenumbers

from provdir.extract.page import Page
from provdir.model.items import PhoneFact
from provdir.normalize.phone import CONTACT_ROLES, REGION, e164, parse_number
from provdir.vocab import vocabulary

__all__ = ["CONTACT_ROLES", "REGION", "e164", "extract_phones", "parse_number"]


_ROLE_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("fax", re.compile(r"\bfax\b|\bf\s*[:.]\s*$|facsimile", re.I)),
    ("crisis", re.compile(r"crisis|hotline|lifeline|suicide|emergenc", re.I)),
    ("text", re.compile(r"\btext(?:line| us| line)?\b|\bsms\b", re.I)),
    ("admissions", re.compile(r"admission|intake|new (?:patient|client)s?|enroll|get started|"
                              r"appointment|referrals?", re.I)),
    ("toll_free", re.compile(r"toll[\s-]?free", re.I)),
]  # fmt: skip
# "(fax)" / "[F]" anywhere after the number, or a bare "fax" / "- f" that ends the line or phrase.
_AFTER_LABEL = re.compile(
    r"[ \t]*(?:[(\[][ \t]*(fax|f|tty|text|sms)\b|[-\u2013\u2014]?[ \t]*(fax|f|tty|text|sms)[ \t]*(?:$|[,;.|)\n]))",
    re.I,
)
_TOLL_FREE_AREA = frozenset({"800", "833", "844", "855", "866", "877", "888"})
_CONTEXT_CHARS = 40



def role_from_context(before: str, after: str, num: phonenumbers.PhoneNumber | None) -> str:
    """Role from the label before the number (same line), or a parenthesised label after it."""
    # A label right after the number on the same line: "555-0123 (fax)", "555-0123 fax". A word
    # with a colon ("Fax:") introduces the *next* number ("Phone: ... Fax: ...").
    after_label = _AFTER_LABEL.match(after)
    if after_label:
        word = (after_label.group(1) or after_label.group(2)).lower()
        return "fax" if word in ("fax", "f") else "text" if word in ("text", "sms") else "main"
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
        role = role_from_context(_label_before(text, match.start), text[match.end : match.end + 12], match.number)
        if role in CONTACT_ROLES and number not in non_facility and number not in out:
            out.append(number)
    return out


def extract_phones(page: Page, *, blog: bool) -> list[PhoneFact]:
    facts: list[PhoneFact] = []
    non_facility = vocabulary.non_facility_numbers()
    for block in page.blocks:
        if blog and block.region == "main":
            continue  # a blog post's numbers are often someone else's (helplines, other orgs)
        text = block.text
        if not block.has_digit:
            continue
        last_end = 0
        for match in phonenumbers.PhoneNumberMatcher(text, REGION, leniency=phonenumbers.Leniency.VALID):
            num = match.number
            before = text[max(last_end, 0) : match.start]
            before = before[-_CONTEXT_CHARS:] if "\n" not in before else before.rsplit("\n", 1)[-1]
            role = role_from_context(before, text[match.end : match.end + 12], num)
            number = e164(num)
            if number in non_facility:
                role = "crisis"
            line_start = text.rfind("\n", 0, match.start) + 1
            line_end = text.find("\n", match.end)
            snippet = text[line_start : line_end if line_end != -1 else len(text)]
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
            last_end = match.end
    for link in page.tel_links:
        raw = unquote(link.href[4:]).strip()
        num = parse_number(raw)
        if num is None:
            continue
        number = e164(num)
        # Only the link's own words: the parent's text may hold a neighbouring "Fax:" label.
        # A number the page also labels as fax or crisis elsewhere loses its contact role
        # when the site's pages are combined (the strictest role wins).
        role = role_from_context(link.text, "", num)
        if number in non_facility:
            role = "crisis"
        facts.append(
            PhoneFact(raw=link.href, e164=number, extension=num.extension or "", role=role,
                      snippet=(link.text or link.context)[:200], region=link.region, source="tel_href")
        )  # fmt: skip
    return facts
