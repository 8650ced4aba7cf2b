"""Names an organization gives itself, and the text that is never a name.

A page is full of short capitalised text that is not the organization's name: share links
("Share on Facebook"), a review widget's logo, calls to action ("Call Now"), direction and form
labels ("Getting here", "Your Name"), greetings ("Welcome to ..."). The lists of such phrases
are data (``provdir/vocab/not_names.<lang>.csv``); this module reads them and judges a
candidate. It also picks a display spelling: a site that writes its name once in a lower-case
logo alt and ten times in a well-cased title is "Harris House", not "harris house".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

_WORD = re.compile(r"[^\W_]+(?:['\u2019.&-][^\W_]+)*")
_COPYRIGHT = re.compile(
    r"(?:(?:\u00a9|\(c\)|&copy;|copyright)\s*)+(?:(?:19|20)\d\d\s*(?:[-\u2013\u2014]\s*(?:(?:19|20)\d\d|present)\s*)?)?"
    r"[,.]?\s*(?P<name>[^\n|.,\u00b7\u2022]{3,80}?)"
    r"\s*(?:[,.]\s*(?:inc|llc|pllc|ltd|corp)\.?)?"
    r"\s*(?:[.,|\u00b7\u2022-]|all rights|$)",
    re.I,
)
_TRAILING_YEAR = re.compile(r"\s*(?:19|20)\d\d\s*$")
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "by",
        "for",
        "in",
        "of",
        "on",
        "or",
        "the",
        "to",
        "with",
        "de",
        "del",
        "la",
        "las",
        "los",
        "y",
    ]
)


@dataclass(frozen=True)
class NotName:
    phrase: str
    kind: str
    match: str


@cache
def not_names(lang: str = "en") -> tuple[NotName, ...]:
    """The never-a-name phrases for a language (English when there is no file for it)."""
    folder = resources.files("provdir.vocab")
    name = f"not_names.{lang}.csv"
    if not folder.joinpath(name).is_file():
        name = "not_names.en.csv"
    with folder.joinpath(name).open(encoding="utf-8") as fh:
        return tuple(NotName(r["phrase"].casefold(), r["kind"], r["match"]) for r in csv.DictReader(fh))


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def strip_greeting(text: str, lang: str = "en") -> str:
    """ "Welcome to Harris House" -> "Harris House" (greeting prefixes from the data file)."""
    low = text.casefold()
    for nn in not_names(lang):
        if nn.match == "prefix" and low.startswith(nn.phrase + " "):
            return text[len(nn.phrase) + 1 :].strip(" !,.:-")
    return text


@dataclass(frozen=True)
class _Judge:
    """The never-a-name phrases of one language, indexed once (judging is on the hot path)."""

    whole: dict[str, str]
    start: dict[str, str]
    word: re.Pattern[str] | None
    word_kind: dict[str, str]


@cache
def _judge(lang: str) -> _Judge:
    whole: dict[str, str] = {}
    start: dict[str, str] = {}
    word_kind: dict[str, str] = {}
    for nn in not_names(lang):
        phrase = " ".join(_words(nn.phrase))
        if nn.match == "whole":
            whole.setdefault(phrase, nn.kind)
        elif nn.match == "start":
            start.setdefault(phrase, nn.kind)
        elif nn.match == "word":
            word_kind.setdefault(phrase, nn.kind)
    alternation = "|".join(re.escape(p) for p in sorted(word_kind, key=len, reverse=True))
    word = re.compile(rf"(?<!\S)(?:{alternation})(?!\S)") if alternation else None
    return _Judge(whole, start, word, word_kind)


def never_a_name(text: str, lang: str = "en") -> str:
    """The kind of non-name ``text`` is (``social``, ``cta``, ``direction``...), or ''."""
    words = _words(text)
    if not words:
        return "empty"
    judge = _judge(lang)
    joined = " ".join(words)
    if joined in judge.whole:
        return judge.whole[joined]
    for n in range(len(words), 0, -1):
        kind = judge.start.get(" ".join(words[:n]))
        if kind:
            return kind
    if judge.word is not None:
        m = judge.word.search(joined)
        if m:
            return judge.word_kind[m.group(0)]
    if looks_like_host(text):
        return "host"
    return ""


def looks_like_host(text: str) -> bool:
    """ "harrishouse.org", "www.example.com": a host name, not how a provider names itself."""
    return bool(re.fullmatch(r"(?:https?://)?(?:[\w-]+\.)+[a-z]{2,}/?", text.strip(), re.I))


def badly_cased(name: str) -> bool:
    """All lower case, or all capitals beyond an acronym ("harris house", "HARRIS HOUSE")."""
    letters = [c for c in name if c.isalpha()]
    if len(letters) < 2:
        return False
    if all(c.islower() for c in letters):
        return True
    if all(c.isupper() for c in letters):
        # "SOBA", "DTC", "NPI" are acronyms; "HARRIS HOUSE" is shouting.
        return any(len(w) > 5 for w in name.split()) or len(name.split()) > 2
    return False


def recase(name: str) -> str:
    """Title case for a badly cased name, keeping short words lower and acronyms as written."""
    out = []
    for i, word in enumerate(name.split()):
        low = word.lower()
        if i and low in _SMALL_WORDS:
            out.append(low)
        elif word.isupper() and len(word) <= 4 and not name.isupper():
            out.append(word)
        else:
            out.append(low[:1].upper() + low[1:])
    return " ".join(out)


def best_cased(spellings: Iterable[tuple[str, float]]) -> str:
    """The best display spelling of one name among the site's (spelling, votes).

    Well-cased spellings win over badly cased ones whatever their votes; among the well-cased,
    the most voted. When the site only ever writes it badly, it is recased.
    """
    items = [(s, v) for s, v in spellings if s.strip()]
    if not items:
        return ""
    good = [(s, v) for s, v in items if not badly_cased(s)]
    if good:
        return max(good, key=lambda sv: (sv[1], sum(c.isupper() for c in sv[0][:1])))[0]
    best = max(items, key=lambda sv: sv[1])[0]
    return recase(best)


def name_key(name: str) -> str:
    """Case- and punctuation-insensitive key: spellings of one name share it."""
    return " ".join(_words(name.replace("&", " and ")))


def copyright_name(text: str) -> str:
    """The holder named in a copyright line ("© 2024 Harris House. All rights reserved.")."""
    m = _COPYRIGHT.search(text)
    if not m:
        return ""
    name = _TRAILING_YEAR.sub("", m.group("name")).strip(" -,")
    name = re.sub(r"^(?:by|the\s+copyright\s+of)\s+", "", name, flags=re.I)
    if not name or re.match(r"(?:all rights|\d)", name, re.I) or never_a_name(name):
        return ""
    if len(name.split()) > 8:
        return ""
    return name
