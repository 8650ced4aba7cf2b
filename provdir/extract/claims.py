"""Claims vs. mentions: does a piece of text say the organization *offers* something?

Treatment-center pages mention services they do not offer all the time: they explain what
detox is, refer clients to detox elsewhere, plan a future MAT expansion, list their funders,
describe how "most" programs work, or ask questions a family should put to other providers.
This module applies the general cues that turn a vocabulary match into a rejected mention.
The cues are data: ``provdir/vocab/claim_cues.<lang>.csv`` (category, pattern, the fields it
applies to, why), read by :func:`provdir.vocab.vocabulary.claim_cues`; the phrase that fired is
recorded with the rejection. The cues are scoped to the *clause* a match sits in, so "We do
not offer methadone, but we provide buprenorphine" rejects methadone and keeps buprenorphine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from provdir.vocab import vocabulary

_CLAUSE_SPLIT = re.compile(r";|\s(?:but|however|whereas|while|although)\s|\.\s", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])|\n")
_FIRST_PERSON = re.compile(r"\b(?:we|our|us|we're|we've|we'll|ours)\b", re.I)
# Passive offering voice on the provider's own (non-blog) pages: "Social detoxification is
# provided in the residential setting".
_PASSIVE_OFFER = re.compile(r"\b(?:is|are) (?:provided|offered)\b", re.I)
_QUESTION_START = re.compile(r"^(?:what|how|why|when|where|who|which|is|are|does|do|can|should|will|did|was)\b", re.I)

_BLOG_PATH = re.compile(
    r"/(?:blog|blogs|news|articles?|posts?|press|stories|insights|learn|education|category|"
    r"tag|author|resources/articles?|\d{4}/\d{2})(?:/|$)",
    re.I,
)


@dataclass(frozen=True)
class Verdict:
    claim: bool
    reason: str = ""


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def clause_around(sentence: str, start: int, end: int) -> str:
    """The clause of ``sentence`` that contains the span [start, end)."""
    lo, hi = 0, len(sentence)
    for m in _CLAUSE_SPLIT.finditer(sentence):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return sentence[lo:hi]


@dataclass(frozen=True)
class Cue:
    """The cue that makes a mention not a claim: its category and the words that fired."""

    category: str
    phrase: str


def find_cue(clause: str, *, field: str | None = None, lang: str = "en") -> Cue | None:
    """The first cue (in lexicon order) that applies to ``field`` and matches the clause."""
    for group in vocabulary.claim_cues(lang):
        if field is not None and field not in group.fields:
            continue
        m = group.pattern.search(clause)
        if m:
            return Cue(group.category, m.group(0))
    return None


def negative_cue(clause: str, *, field: str | None = None, lang: str = "en") -> str:
    """Category of the first cue that makes a mention in this clause not a claim, or ''."""
    cue = find_cue(clause, field=field, lang=lang)
    return cue.category if cue else ""


def is_question(text: str) -> bool:
    t = text.strip()
    return t.endswith("?") or bool(_QUESTION_START.match(t) and len(t.split()) > 2 and "?" in t)


def is_question_heading(text: str) -> bool:
    t = text.strip()
    return t.endswith("?") or bool(_QUESTION_START.match(t))


def speaks_for_self(sentence: str, org_terms: tuple[str, ...]) -> bool:
    """Does the sentence speak as or about the organization ("we offer", "Harris House provides")?"""
    if _FIRST_PERSON.search(sentence) or _PASSIVE_OFFER.search(sentence):
        return True
    return names_any(sentence.lower(), org_terms)


def names_any(low: str, terms: tuple[str, ...]) -> bool:
    """Does lower-cased ``low`` hold one of ``terms`` as whole words (no word character, as
    ``\\w`` means it, on either side)?"""
    # str.find, not a pattern: the terms change from page to page (a page's title names the
    # organization), and compiling a pattern per page's terms cost 0.5% of a crawl's CPU (py-spy,
    # 150 sites: 1,747 patterns for 3,000 pages); per-term patterns filled re's own cache.
    for term in terms:
        if not term:
            continue
        end = len(term)
        at = low.find(term)
        while at >= 0:
            if (at == 0 or not _is_word_char(low[at - 1])) and (
                at + end == len(low) or not _is_word_char(low[at + end])
            ):
                return True
            at = low.find(term, at + 1)
    return False


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what re's \w matches in a str pattern


def is_blog_url(url: str) -> bool:
    path = urlsplit(url).path
    return bool(_BLOG_PATH.search(path))
