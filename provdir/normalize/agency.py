"""State licensing and certifying agencies: the registry (``vocab/licensing_agencies.yaml``) and
the name matching that finds them in page text.

Names are compared after normalisation, not by listing spellings: case, punctuation, ``&``/
``and``, ``Dept``/``Department``, ``Healthcare``/``Health Care`` and the state's own name
("Missouri", "State of Missouri", "New York State", "Commonwealth of Virginia") are folded, so
the registry's "Missouri Department of Mental Health" is found as "Mo. Dept. of Mental Health"
(abbreviated state names are data, ``vocab/state_abbreviations.csv``) and as "the Department of
Mental Health" (whose state is then the facility's, see
:func:`resolve`). Acronyms match case-sensitively as whole words; one that several states use
("DMH", "DHHS") resolves only once the state is known.

A former name resolves to the current agency (``agency_id``) but is published as the registry
spells the former name: that is what the provider claims, and the id says who holds it now.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Agency:
    id: str
    state: str
    name: str
    acronyms: tuple[str, ...]
    roles: tuple[str, ...]
    credentials: tuple[str, ...]
    license_pattern: str = ""


@dataclass(frozen=True)
class Mention:
    """A licensing body named in a text span [start, end)."""

    start: int
    end: int
    text: str
    """The words as shown."""
    name: str
    """What to publish: the registry's spelling of the name matched (current or former), or
    the generic or shown name when the state is not known yet."""
    state: str
    agency: Agency | None
    """The registry agency (its current id), or None when the state decides it."""
    how: str
    """``name``, ``short``, ``division``, ``former``, ``acronym``, ``generic``, ``state``."""


@dataclass(frozen=True)
class _Name:
    agency: Agency
    publish: str
    how: str


# -- normalisation -------------------------------------------------------------------------
_WORD = re.compile(r"[A-Za-z0-9]+(?:'s)?")
_FOLD = {
    "dept": ["department"],
    "depts": ["department"],
    "dep": ["department"],
    "div": ["division"],
    "svcs": ["services"],
    "svc": ["services"],
    "srvcs": ["services"],
    "serv": ["services"],
    "healthcare": ["health", "care"],
    "hlth": ["health"],
    "admin": ["administration"],
    "comm": ["commission"],
    "ofc": ["office"],
    "bur": ["bureau"],
    "dev": ["developmental"],
    "disab": ["disabilities"],
    "behavioural": ["behavioral"],
}


@cache
def _abbreviations() -> tuple[re.Pattern[str], dict[str, list[str]]]:
    """A pattern of the abbreviated state names (``vocab/state_abbreviations.csv``) and, per
    form as written, the words of the state's name it stands for ("W.Va." -> west virginia)."""
    vocab = resources.files("provdir.vocab")
    with vocab.joinpath("us_states.csv").open(encoding="utf-8") as fh:
        names = {r["abbr"]: r["name"] for r in csv.DictReader(fh)}
    with vocab.joinpath("state_abbreviations.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    words: dict[str, list[str]] = {}
    for row in rows:
        name = re.findall(r"[A-Za-z]+", names[row["abbr"]].lower())
        for form in (row["short"], row["short"].upper()):
            words[_squeeze(form)] = name
    # Longest first ("W.Va." before "Va.", "N.Y.S." before "N.Y."); a space may follow an
    # inner period ("W. Va."). Not after a letter or period ("D.Va." is not Virginia).
    alts = [
        r"\.\s?".join(map(re.escape, f.rstrip(".").split("."))) + r"\." for f in sorted(words, key=len, reverse=True)
    ]
    # Every form starts with a capital, at most five letters and a period (a unit test checks
    # the file): checked first, so the alternatives are tried only at such words.
    return re.compile(r"(?<![\w.])(?=[A-Z][A-Za-z]{0,5}\.)(?:" + "|".join(alts) + r")(?![\w])"), words


def _squeeze(form: str) -> str:
    return re.sub(r"\s+", "", form)


@cache
def _words() -> re.Pattern[str]:
    # Compiled once: built on each call, the pattern (every state abbreviation) was formatted,
    # hashed and looked up in re's cache for every phrase read.
    return re.compile(rf"(?P<abbr>{_abbreviations()[0].pattern})|&|[A-Za-z0-9]+(?:'s)?")


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Normalised words of ``text`` with their character spans (``&`` is the word "and"; an
    abbreviated state name such as "Mo." or "N.C." is the state's name)."""
    abbr_words = _abbreviations()[1]
    out: list[tuple[str, int, int]] = []
    for m in _words().finditer(text):
        if m.group("abbr"):
            out += [(w, m.start(), m.end()) for w in abbr_words[_squeeze(m.group(0))]]
            continue
        word = m.group(0).lower()
        if word == "&":
            out.append(("and", m.start(), m.end()))
            continue
        word = word.removesuffix("'s")
        for w in _FOLD.get(word, [word]):
            out.append((w, m.start(), m.end()))
    return out


def normalize(text: str) -> str:
    """'Mo. Dept. of Mental Health & Addiction' -> 'mo department of mental health and addiction'."""
    return " ".join(w for w, _, _ in tokens(text))


# -- the registry --------------------------------------------------------------------------
@dataclass
class Registry:
    agencies: list[Agency]
    by_id: dict[str, Agency]
    names: dict[tuple[str, ...], list[_Name]]
    """Normalised name with the state's name folded away -> the agencies it may mean."""
    acronyms: dict[str, list[_Name]]
    generic: dict[str, str]
    samhsa_roles: dict[str, str]
    state_words: dict[tuple[str, ...], str]
    """Normalised state name ('new york', 'dc') -> USPS code."""
    longest: int

    def in_state(self, state: str) -> list[Agency]:
        return [a for a in self.agencies if a.state == state]

    def states(self) -> list[str]:
        return sorted({a.state for a in self.agencies})

    def core(self, text: str) -> tuple[str, ...]:
        """The normalised words of a name without its state ('State of X', 'X State', 'X')."""
        words = normalize(text).split()
        out: list[str] = []
        i = 0
        while i < len(words):
            n = self.state_at(words, i)
            if n:
                i += n
                if i < len(words) and words[i] == "state" and (not out or out[-1] != "of"):
                    i += 1  # "New York State Office of ..."
                if len(out) >= 2 and out[-1] == "of" and out[-2] in ("state", "commonwealth", "territory"):
                    del out[-2:]  # "State of California Department ..."
                continue
            out.append(words[i])
            i += 1
        while out and out[0] in ("the", "state"):
            out.pop(0)
        return tuple(out)

    def state_at(self, words: list[str], i: int) -> int:
        """How many words at ``words[i]`` spell a state's name (0 when none)."""
        for n in (4, 3, 2, 1):
            if i + n <= len(words) and tuple(words[i : i + n]) in self.state_words:
                return n
        return 0


_PAREN = re.compile(r"\s*\(([^)]*)\)")
_YEARS = re.compile(r"\s*\[([^\]]*)\]")


def _split_entry(entry: str) -> tuple[str, list[str], str]:
    """'Name (ACR, ACR2) [1990-2013]' -> ('Name', ['ACR', 'ACR2'], '1990-2013')."""
    years = ""
    m = _YEARS.search(entry)
    if m:
        years = m.group(1)
        entry = entry[: m.start()] + entry[m.end() :]
    acronyms: list[str] = []
    m = _PAREN.search(entry)
    if m:
        acronyms = [a.strip() for a in m.group(1).split(",") if a.strip()]
        entry = entry[: m.start()] + entry[m.end() :]
    return entry.strip(), acronyms, years


@cache
def registry() -> Registry:
    text = resources.files("provdir.vocab").joinpath("licensing_agencies.yaml").read_text("utf-8")
    # libyaml's loader where PyYAML was built with it: the same result, 8x faster (0.03 s, not 0.2 s)
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    state_words: dict[tuple[str, ...], str] = {}
    with resources.files("provdir.vocab").joinpath("us_states.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            state_words[tuple(normalize(row["name"]).split())] = row["abbr"]
    for code, spellings in (raw.get("state_names") or {}).items():
        for spelling in spellings:
            state_words[tuple(normalize(spelling).split())] = code
    agencies: list[Agency] = []
    names: dict[tuple[str, ...], list[_Name]] = defaultdict(list)
    acronyms: dict[str, list[_Name]] = defaultdict(list)
    reg = Registry(
        agencies,
        {},
        names,
        acronyms,
        dict(raw.get("generic") or {}),
        dict(raw.get("samhsa_roles") or {}),
        state_words,
        0,
    )
    for state, entries in (raw.get("states") or {}).items():
        for e in entries:
            agency = Agency(
                id=e["id"],
                state=state,
                name=e["name"],
                acronyms=tuple(e.get("acronyms") or ()),
                roles=tuple(e.get("roles") or ()),
                credentials=tuple(e.get("credentials") or ()),
                license_pattern=e.get("license_pattern") or "",
            )
            agencies.append(agency)
            reg.by_id[agency.id] = agency
            forms: list[tuple[str, str, str]] = [(agency.name, agency.name, "name")]
            forms += [(s, agency.name, "short") for s in e.get("short") or ()]
            for acr in agency.acronyms:
                acronyms[acr].append(_Name(agency, agency.name, "acronym"))
            for kind in ("divisions", "former"):
                for entry in e.get(kind) or ():
                    name, acrs, _years = _split_entry(entry)
                    # A division is the department's license; a former name is published as shown.
                    publish = agency.name if kind == "divisions" else name
                    how = "division" if kind == "divisions" else "former"
                    forms.append((name, publish, how))
                    for acr in acrs:
                        acronyms[acr].append(_Name(agency, publish, how))
            for text, publish, how in forms:
                key = reg.core(text)
                if len(key) >= 2 and all(n.agency is not agency or n.how != how for n in names[key]):
                    names[key].append(_Name(agency, publish, how))
    reg.longest = max(len(k) for k in names)
    return reg


def state_code(words: list[str], reg: Registry | None = None) -> str:
    reg = reg or registry()
    for i in range(len(words)):
        n = reg.state_at(words, i)
        if n:
            return reg.state_words[tuple(words[i : i + n])]
    return ""


# -- finding and resolving -----------------------------------------------------------------
# A capitalised word right after a matched name extends it into another body ("Department of
# Health Professions", "Department of Health Care Policy and Financing"): no match. Title-case
# headings capitalise these small and licensing words, which do not extend a name; a division
# named after its department ("Department of Public Health Bureau of ...") is found on its own.
_CONTINUES = re.compile(
    r"[ \t]+(?!(?:Of|And|For|In|As|At|To|The|With|Under|Since|Or|By|On|From|Is|Are|Has|Licen\w*|Certif\w*|"
    r"Approv\w*|Accredit\w*|Design\w*|Logo|Seal|Badge|Icon|Image|Programs?|Facilit\w*|Providers?|Numbers?|"
    r"No|Lic|Division|Office|Bureau|Section|Unit|Administration|Center)\b)[A-Z][a-z]"
)
# A name ending in one of these words is complete: a capitalised word after it starts something
# else ("... Commission Copyright 2024"), unlike "Department of Health" + "Professions".
_ENDS_A_NAME = frozenset(
    {
        "commission",
        "administration",
        "authority",
        "services",
        "agency",
        "programs",
        "hospitals",
        "supports",
        "corporation",
        "disabilities",
    }
)
_FEDERAL = re.compile(r"(?:\bU\.\s?S\.?|\bUS|\bUnited States|\b[Ff]ederal|\bHHS')\s*$")
_STATE_OF = re.compile(r"\b(?:the\s+)?(?:State|Commonwealth|Territory)\s+of\s+", re.I)


def find(text: str, state_hint: str = "") -> list[Mention]:
    """Licensing bodies named in ``text``: registry names (with their state folded), acronyms,
    and "the State of X". Leftmost-longest, no overlaps."""
    reg = registry()
    toks = tokens(text)
    words = [w for w, _, _ in toks]
    found: list[Mention] = []
    i = 0
    while i < len(toks):
        hit = _name_at(reg, words, i)
        if hit and (words[hit[0] - 1] in _ENDS_A_NAME or not _CONTINUES.match(text, toks[hit[0] - 1][2])):
            j, names = hit
            start = toks[i][1]
            end = toks[j - 1][2]
            state = _state_before(reg, words, i) or _state_after(reg, words, j) or state_hint
            found.append(_pick(text, start, end, names, state, bool(state_hint)))
            i = j
            continue
        i += 1
    found += _acronyms(reg, text, found, state_hint)
    # "the U.S. Department of Health and Human Services" is federal, not a state's.
    found = [m for m in found if not _FEDERAL.search(text, max(0, m.start - 16), m.start)]
    named = sorted(found, key=lambda m: m.start)
    for st in _states_named(reg, text, found):
        # "the Division of X of the State of North Carolina": the state of the name before it.
        if any(re.fullmatch(r"\s*,?\s*(?:of|in)\s*", text[m.end : st.start]) for m in named):
            continue
        found.append(st)
    found.sort(key=lambda m: m.start)
    return found


def _name_at(reg: Registry, words: list[str], i: int) -> tuple[int, list[_Name]] | None:
    # The name may start with the state ("Texas Health and Human Services Commission", "State of
    # Ohio Department of Health"): skip it, then try the longest registry name.
    k = i
    if words[k] in ("state", "commonwealth") and k + 1 < len(words) and words[k + 1] == "of":
        n = reg.state_at(words, k + 2)
        if n:
            k += 2 + n
    else:
        n = reg.state_at(words, k)
        if n:
            k += n
            if k < len(words) and words[k] == "state":
                k += 1
    if k < len(words) and words[k] == "the":
        return None
    for length in range(min(reg.longest, len(words) - k), 0, -1):
        key = tuple(words[k : k + length])
        if key in reg.names:
            # "Department of Health" inside "Department of Health and Human Services" is not it:
            # longest first, so the shorter key only wins when the longer one is unknown.
            return k + length, reg.names[key]
    return None


def _state_before(reg: Registry, words: list[str], i: int) -> str:
    for back in (4, 3, 2, 1):
        lo = i - back
        if lo < 0:
            break
        n = reg.state_at(words, lo)
        if n and lo + n == i:
            return reg.state_words[tuple(words[lo:i])]
    # The state may be inside the matched span ("Missouri Department ...", "State of Ohio ..."):
    n = reg.state_at(words, i)
    if n:
        return reg.state_words[tuple(words[i : i + n])]
    if i + 2 < len(words) and words[i] in ("state", "commonwealth") and words[i + 1] == "of":
        n = reg.state_at(words, i + 2)
        if n:
            return reg.state_words[tuple(words[i + 2 : i + 2 + n])]
    return ""


def _state_after(reg: Registry, words: list[str], j: int) -> str:
    # "Department of Health of the State of Ohio", "Department of Mental Health (Missouri)"
    tail = words[j : j + 5]
    if tail[:1] == ["of"] or tail[:1] == ["in"]:
        rest = [w for w in tail[1:] if w not in ("the", "state", "commonwealth", "of")]
        n = reg.state_at(rest, 0) if rest else 0
        if n:
            return reg.state_words[tuple(rest[:n])]
    return ""


def _pick(text: str, start: int, end: int, names: list[_Name], state: str, hinted: bool) -> Mention:
    shown = text[start:end]
    if state:
        here = [n for n in names if n.agency.state == state]
        if here:
            best = min(here, key=lambda n: _HOW_RANK[n.how])
            return Mention(start, end, shown, best.publish, state, best.agency, best.how)
        if hinted:
            state = ""
    if len({n.agency.id for n in names}) == 1 and not state:
        best = min(names, key=lambda n: _HOW_RANK[n.how])
        return Mention(start, end, shown, best.publish, best.agency.state, best.agency, best.how)
    # Several states have a body of this name (or the page names one the registry lacks): the
    # name as shown, with the page's state if it named one.
    return Mention(start, end, shown, _shown_name(shown, state), state, None, "generic")


_HOW_RANK = {"name": 0, "short": 1, "acronym": 2, "division": 3, "former": 4}


def _shown_name(shown: str, state: str) -> str:
    name = " ".join(shown.split()).strip(" .,;:")
    name = re.sub(r"^(?:the|The)\s+", "", name)
    name = re.sub(r"\bDept\b\.?", "Department", name)
    name = re.sub(r"\s*&\s*", " and ", name)
    return name


# "DMH-04417" and "BHA.FS.60742634" are license numbers, "DHCS-licensed" an acronym.
_ACRONYM = re.compile(r"(?<![\w/.-])([A-Z][A-Za-z]*[A-Z](?:/[A-Z]+)*)(?![\w/]|-\d|\.\w)")


def _acronyms(reg: Registry, text: str, taken: list[Mention], state_hint: str) -> list[Mention]:
    out: list[Mention] = []
    spans = [(m.start, m.end) for m in taken]
    candidates = [(m.start(1), m.end(1), m.group(1)) for m in _ACRONYM.finditer(text)]
    multi = _multi_word_acronyms()
    if multi:  # "MN DHS", "DC Health"
        candidates += [(m.start(), m.end(), m.group(0)) for m in multi.finditer(text)]
    for start, end, acr in sorted(candidates, key=lambda c: (c[0], -c[1])):
        names = reg.acronyms.get(acr)
        if not names and acr not in reg.generic:
            continue
        if any(s <= start < e or s < end <= e for s, e in spans):
            continue
        if any(0 <= start - e <= 2 and text[e:start].strip() in ("(", "") for _, e in spans):
            continue  # "(DHCS)" right after the name it abbreviates
        before = normalize(text[max(0, start - 40) : start]).split()
        state = _state_suffix(reg, before) or state_hint
        spans.append((start, end))
        if names:
            m = _pick(text, start, end, names, state, bool(state_hint) or bool(state))
            if m.agency or acr not in reg.generic:
                if m.agency is None:
                    m = Mention(start, end, acr, acr, m.state, None, "acronym")
                out.append(m)
                continue
        out.append(Mention(start, end, acr, reg.generic[acr], state if state in reg.states() else "", None, "generic"))
    return out


@cache
def _multi_word_acronyms() -> re.Pattern[str] | None:
    multi = sorted((a for a in registry().acronyms if " " in a), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, multi)) + r")(?!\w)") if multi else None


def _state_suffix(reg: Registry, words: list[str]) -> str:
    """A state name ending ``words`` ("Missouri DMH", "the State of Ohio's OhioMHAS")."""
    for n in (4, 3, 2, 1):
        if len(words) >= n and reg.state_at(words, len(words) - n) == n:
            return reg.state_words[tuple(words[-n:])]
    return ""


def _states_named(reg: Registry, text: str, taken: list[Mention]) -> list[Mention]:
    """'the State of Texas', 'the Commonwealth of Virginia': a state as the licensing body."""
    out = []
    for m in _STATE_OF.finditer(text):
        if any(t.start <= m.start() < t.end or t.start <= m.end() < t.end for t in taken):
            continue
        words = tokens(text[m.end() : m.end() + 40])
        ws = [w for w, _, _ in words]
        n = reg.state_at(ws, 0) if ws else 0
        if not n:
            continue
        end = m.end() + words[n - 1][2]
        shown = text[m.start() : end]
        out.append(
            Mention(m.start(), end, shown, _shown_name(shown, ""), reg.state_words[tuple(ws[:n])], None, "state")
        )
    return out


def resolve(text: str, state: str) -> Mention | None:
    """The first licensing body in ``text`` once the facility's ``state`` is known."""
    found = [m for m in find(text, state) if m.how != "state"]
    return found[0] if found else None


def samhsa_agencies(label: str, state: str) -> list[Agency]:
    """The agencies of ``state`` that SAMHSA's license label (``State substance abuse agency``)
    means: the registry's agencies with that role."""
    reg = registry()
    role = reg.samhsa_roles.get(label)
    if not role:
        return []
    return [a for a in reg.in_state(state) if role in a.roles]


def samhsa_license(label: str, state: str) -> tuple[str, str]:
    """(agency, agency_id) for SAMHSA's label in ``state``: the registry agency of that role
    when the state has exactly one, else the label itself (and no id)."""
    agencies = samhsa_agencies(label, state)
    if len(agencies) == 1:
        return agencies[0].name, agencies[0].id
    return label, ""


def coverage() -> dict[str, dict[str, Any]]:
    """Per state: the agencies and the roles they cover (for the coverage report)."""
    reg = registry()
    out: dict[str, dict[str, Any]] = {}
    for st in reg.states():
        agencies = reg.in_state(st)
        out[st] = {"agencies": [a.id for a in agencies], "roles": sorted({r for a in agencies for r in a.roles})}
    return out
