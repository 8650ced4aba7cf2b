"""The controlled vocabularies, read from the data files in ``provdir/vocab/``.

Adding a synonym is a data change, not a code change. Synonym conventions in the CSV files:

- ``|`` separates synonyms;
- a synonym written in capitals (``PHP``, ``IOP``, ``MAT``) matches case-sensitively, so the
  acronym ``MAT`` never matches the word "mat" and ``DUI`` never matches inside another word;
- a synonym starting with ``^`` (``^residential``) counts only when it is a whole label (a menu
  item, a heading, a short list item), because the bare word is too common in sentences
  ("a quiet residential street").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Term:
    value: str
    label: str
    category: str
    samhsa_code: str
    implies: tuple[str, ...] = ()
    kind: str = ""


@dataclass(frozen=True)
class Match:
    value: str
    start: int
    end: int
    text: str
    label_only: bool


@dataclass
class Matcher:
    """Finds vocabulary synonyms in text, leftmost-longest, without overlaps.

    Leftmost-longest matters: "intensive outpatient" must yield ``iop`` only, never also
    ``outpatient``; "partial hospitalization" must not yield ``hospital_inpatient``.
    """

    terms: dict[str, Term]
    _patterns: list[tuple[re.Pattern[str], str, bool]] = field(default_factory=list)

    @classmethod
    def from_synonyms(cls, terms: dict[str, Term], synonyms: dict[str, list[str]]) -> Matcher:
        entries: list[tuple[str, str, bool]] = []
        for value, syns in synonyms.items():
            for syn in syns:
                label_only = syn.startswith("^")
                entries.append((syn.lstrip("^"), value, label_only))
        # Longest first so the combined scan prefers "intensive outpatient" over "outpatient".
        entries.sort(key=lambda e: -len(e[0]))
        matcher = cls(terms)
        for syn, value, label_only in entries:
            # A hyphen and a space are interchangeable ("co-occurring", "co occurring", "sober
            # living", "sober-living"), but never optional: "medi-cal" must not match "medical".
            escaped = re.escape(syn).replace(r"\-", "\x00").replace(r"\ ", r"[\s\-]+")
            escaped = escaped.replace("\x00", r"[\s\-]")
            acronym = _is_acronym(syn)
            flags = 0 if acronym else re.IGNORECASE
            # Plurals of phrases: "outpatient clinics", "recovery residences".
            plural = "" if acronym or not syn[-1].isalpha() else "(?:s|es)?"
            pattern = re.compile(rf"(?<![\w-]){escaped}{plural}(?![\w-])", flags)
            matcher._patterns.append((pattern, value, label_only))
        return matcher

    def find(self, text: str) -> list[Match]:
        taken: list[tuple[int, int]] = []
        found: list[Match] = []
        for pattern, value, label_only in self._patterns:
            for m in pattern.finditer(text):
                s, e = m.span()
                if any(s < te and ts < e for ts, te in taken):
                    continue
                taken.append((s, e))
                found.append(Match(value, s, e, m.group(0), label_only))
        found.sort(key=lambda m: m.start)
        return found

    def values(self) -> Iterator[str]:
        return iter(self.terms)


def _is_acronym(syn: str) -> bool:
    letters = [c for c in syn if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _rows(name: str) -> list[dict[str, str]]:
    with resources.files("provdir.vocab").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@cache
def services() -> Matcher:
    terms: dict[str, Term] = {}
    synonyms: dict[str, list[str]] = {}
    for row in _rows("services.csv"):
        implies = tuple(v for v in row["implies"].split(";") if v)
        terms[row["value"]] = Term(row["value"], row["label"], row["category"], row["samhsa_code"], implies)
        synonyms[row["value"]] = [s for s in row["synonyms"].split("|") if s]
    return Matcher.from_synonyms(terms, synonyms)


@cache
def accreditations() -> Matcher:
    terms: dict[str, Term] = {}
    synonyms: dict[str, list[str]] = {}
    for row in _rows("accreditations.csv"):
        terms[row["value"]] = Term(row["value"], row["label"], "accreditation", row["samhsa_code"], kind=row["kind"])
        synonyms[row["value"]] = [s for s in row["synonyms"].split("|") if s]
    return Matcher.from_synonyms(terms, synonyms)


@cache
def accreditation_logo_tokens() -> dict[str, str]:
    """Tokens that identify an accreditor's logo in an image file name (``carf-logo.png``)."""
    tokens: dict[str, str] = {}
    for row in _rows("accreditations.csv"):
        for tok in row["logo_tokens"].split("|"):
            if tok:
                tokens[tok] = row["value"]
    return tokens


@cache
def non_facility_numbers() -> dict[str, str]:
    """Numbers that are never a facility's contact phone (911, 988, national helplines)."""
    return {row["number"]: row["name"] for row in _rows("non_facility_numbers.csv")}


@cache
def license_agencies() -> list[tuple[re.Pattern[str], str, str]]:
    """(pattern, state, canonical agency) for licensing agencies known by name or acronym."""
    out = []
    for row in _rows("license_agencies.csv"):
        pat = row["pattern"]
        flags = 0 if _is_acronym(pat) else re.IGNORECASE
        out.append((re.compile(rf"(?<!\w){re.escape(pat)}(?!\w)", flags), row["state"], row["agency"]))
    return out


SERVICE_VALUES: tuple[str, ...] = (
    "substance_use", "mental_health", "co_occurring", "detox", "hospital_inpatient",
    "residential", "php", "iop", "outpatient", "sober_living", "telehealth", "otp",
    "buprenorphine", "methadone", "naltrexone", "family_program", "aftercare", "dui",
    "ketamine", "adolescents", "veterans", "women", "men", "lgbtq", "medicaid", "medicare",
    "private_insurance", "self_pay", "sliding_fee",
)  # fmt: skip
"""The contract vocabulary (issue 2); the data file may extend it (``mat``), never rename."""

ACCREDITATION_VALUES: tuple[str, ...] = ("CARF", "JC", "COA", "NCQA", "HFAP", "LEGITSCRIPT", "NAATP")
