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


# Unicode letters and digits: "ñ" or "é" is part of a word, and a synonym may start with one
# (Spanish "ácido", "éxito"). ASCII text (most pages) takes the faster ASCII class: the same
# tokens, about 40% less time.
_TOKEN = re.compile(r"[^\W_]+")
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass
class Matcher:
    """Finds vocabulary synonyms in text, leftmost-longest, without overlaps.

    Leftmost-longest matters: "intensive outpatient" must yield ``iop`` only, never also
    ``outpatient``; "partial hospitalization" must not yield ``hospital_inpatient``. Synonyms
    are indexed by their first word, so a scan tokenizes the text once and tries only the
    synonyms that can start at each word (longest first) — about ten times faster than one
    big alternation, which Python's ``re`` would try at every character.
    """

    terms: dict[str, Term]
    _by_first: dict[str, list[tuple[re.Pattern[str], str, bool]]] = field(default_factory=dict)

    @classmethod
    def from_synonyms(cls, terms: dict[str, Term], synonyms: dict[str, list[str]]) -> Matcher:
        entries: list[tuple[str, str, bool]] = []
        for value, syns in synonyms.items():
            for syn in syns:
                label_only = syn.startswith("^")
                entries.append((syn.lstrip("^"), value, label_only))
        entries.sort(key=lambda e: -len(e[0]))
        matcher = cls(terms)
        for syn, value, label_only in entries:
            # A hyphen and a space are interchangeable ("co-occurring", "co occurring", "sober
            # living", "sober-living"), but never optional: "medi-cal" must not match "medical".
            escaped = re.escape(syn).replace(r"\-", "\x00").replace(r"\ ", r"[\s\-]+")
            escaped = escaped.replace("\x00", r"[\s\-]")
            acronym = _is_acronym(syn)
            # Plurals of phrases: "outpatient clinics", "recovery residences".
            plural = "" if acronym or not syn[-1].isalpha() else "(?:s|es)?"
            pattern = re.compile(rf"{escaped}{plural}(?![\w-])", 0 if acronym else re.IGNORECASE)
            first = _TOKEN.match(syn)
            if first is None:
                raise ValueError(f"vocabulary synonym must start with a letter or digit: {syn!r}")
            matcher._by_first.setdefault(first.group(0).lower(), []).append((pattern, value, label_only))
        return matcher

    def find(self, text: str) -> list[Match]:
        found: list[Match] = []
        taken = 0
        by_first = self._by_first
        tokens = _ASCII_TOKEN if text.isascii() else _TOKEN
        # Most sentences hold no word a synonym starts with: said in C (findall, map, isdisjoint)
        # before the word-by-word scan in Python (Matcher.find was 10% of a crawl's CPU).
        if by_first.keys().isdisjoint(map(str.lower, tokens.findall(text))):
            return found
        for token in tokens.finditer(text):
            start = token.start()
            if start < taken:
                continue
            candidates = by_first.get(token.group(0).lower())
            if not candidates:
                continue
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
                continue
            for pattern, value, label_only in candidates:  # longest synonym first
                m = pattern.match(text, start)
                if m:
                    found.append(Match(value, start, m.end(), m.group(0), label_only))
                    taken = m.end()
                    break
        return found

    def values(self) -> Iterator[str]:
        return iter(self.terms)


def _is_acronym(syn: str) -> bool:
    letters = [c for c in syn if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _rows(name: str) -> list[dict[str, str]]:
    """A vocabulary CSV's rows; lines starting with ``#`` (the file's source notes) are skipped."""
    with resources.files("provdir.vocab").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _tuples(name: str) -> Iterator[list[str]]:
    """A large vocabulary CSV's data rows as plain lists (``csv.DictReader`` is three times slower),
    after its source notes and its header."""
    with resources.files("provdir.vocab").joinpath(name).open(encoding="utf-8") as fh:
        reader = csv.reader(line for line in fh if not line.startswith("#"))
        next(reader)
        yield from reader


@cache
def area_code_states() -> dict[str, str]:
    """US area code -> the one state its numbers are in (``us_area_codes.csv``)."""
    return {row["area_code"]: row["state"] for row in _rows("us_area_codes.csv")}


# The ZIP table is read from files derived from the zipcodes package, not from the package at run
# time: ``zipcodes.matching`` scans the whole table on every call (~50 ms, a minute per thousand ZIP
# codes) and ``zipcodes.list_all`` takes ~1 s; these two files load in a tenth of that.
@cache
def zip_centroids() -> dict[str, tuple[str, tuple[float, float]]]:
    """Five-digit ZIP code -> (its state, its centre (latitude, longitude)) (``us_zip_centroids.csv``)."""
    return {zip5: (state, (float(lat), float(lon))) for zip5, state, lat, lon in _tuples("us_zip_centroids.csv")}


def town_names() -> Iterator[tuple[str, str]]:
    """(ST, town) for every USPS town name and acceptable alternate (``us_towns.csv``)."""
    for state, town, *_ in _tuples("us_towns.csv"):
        yield state, town


@cache
def town_centroids() -> dict[tuple[str, str], tuple[float, float]]:
    """(TOWN in capitals, ST) -> the mean of the town's ZIP centres (``us_towns.csv``)."""
    return {(town.upper(), state): (float(lat), float(lon)) for state, town, lat, lon in _tuples("us_towns.csv") if lat}


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
def substances() -> frozenset[str]:
    """Substances people are treated for (``substances.txt``), lower case."""
    text = resources.files("provdir.vocab").joinpath("substances.txt").read_text(encoding="utf-8")
    return frozenset(ln.strip().lower() for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))


@cache
def non_facility_numbers() -> dict[str, str]:
    """Numbers that are never a facility's contact phone (911, 988, national helplines)."""
    return {row["number"]: row["name"] for row in _rows("non_facility_numbers.csv")}


@cache
def license_cues() -> dict[str, re.Pattern[str]]:
    """Cue name -> one pattern (``license_cues.csv``): licensing verbs, funding, membership,
    staff subjects, licensing headings. The licensing agencies themselves are a registry:
    :mod:`provdir.normalize.agency`."""
    by_cue: dict[str, list[str]] = {}
    for row in _rows("license_cues.csv"):
        by_cue.setdefault(row["cue"], []).append(row["pattern"])
    flags = {"staff_body": 0}  # professional boards are proper names
    return {
        cue: re.compile("|".join(f"(?:{p})" for p in pats), flags.get(cue, re.IGNORECASE))
        for cue, pats in by_cue.items()
    }


@cache
def credential_kinds() -> list[tuple[str, re.Pattern[str]]]:
    """(kind, pattern) in file order: specific designations (CCBHC, OTP) before the generic
    license/certification words."""
    out = []
    for row in _rows("credential_kinds.csv"):
        syns = [s for s in row["synonyms"].split("|") if s]
        alts = "|".join(re.escape(s) if _is_acronym(s) else f"(?i:{re.escape(s)})" for s in syns)
        out.append((row["kind"], re.compile(rf"(?<!\w)(?:{alts})(?!\w)")))
    return out


@dataclass(frozen=True)
class CueGroup:
    """Claim cues of one category, compiled into one pattern (rows of a lexicon file)."""

    category: str
    pattern: re.Pattern[str]
    fields: frozenset[str]


@cache
def claim_cues(lang: str = "en") -> tuple[CueGroup, ...]:
    """The claim cue lexicon of a language (``claim_cues.<lang>.csv``; English when missing).

    Rows are regex fragments. Consecutive ``word`` rows of one category become one
    ``\\b(?:a|b|...)\\b`` alternation; a ``regex`` row is compiled as written (it carries its
    own anchors). The file's order is the order cues are tried: the first category that
    matches decides, as a reviewer reads the file.
    """
    name = f"claim_cues.{lang}.csv"
    if not resources.files("provdir.vocab").joinpath(name).is_file():
        name = "claim_cues.en.csv"
    groups: list[tuple[str, str, frozenset[str], list[str]]] = []
    for row in _rows(name):
        fields = frozenset(f for f in row["fields"].split(";") if f)
        key = (row["category"], row["form"], fields)
        if row["form"] == "word" and groups and groups[-1][:3] == key:
            groups[-1][3].append(row["pattern"])
        else:
            groups.append((*key, [row["pattern"]]))
    out = []
    for category, form, fields, patterns in groups:
        source = rf"\b(?:{'|'.join(patterns)})\b" if form == "word" else patterns[0]
        out.append(CueGroup(category, re.compile(source, re.IGNORECASE), fields))
    return tuple(out)


@cache
def accreditation_seals() -> list[tuple[str, str]]:
    """(URL substring, accreditation value): seal scripts, iframes and seal links."""
    return [(row["url_pattern"].lower(), row["value"]) for row in _rows("accreditation_seals.csv")]


SERVICE_VALUES: tuple[str, ...] = (
    "substance_use",
    "mental_health",
    "co_occurring",
    "detox",
    "hospital_inpatient",
    "residential",
    "php",
    "iop",
    "outpatient",
    "sober_living",
    "telehealth",
    "otp",
    "buprenorphine",
    "methadone",
    "naltrexone",
    "family_program",
    "aftercare",
    "dui",
    "ketamine",
    "adolescents",
    "veterans",
    "women",
    "men",
    "lgbtq",
    "medicaid",
    "medicare",
    "private_insurance",
    "self_pay",
    "sliding_fee",
)
"""The contract vocabulary (issue 2); the data file may extend it (``mat``), never rename."""

ACCREDITATION_VALUES: tuple[str, ...] = ("CARF", "JC", "COA", "NCQA", "HFAP", "LEGITSCRIPT", "NAATP")
