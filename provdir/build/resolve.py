"""Entity resolution: which records, from every source and page, are one facility location.

Keys (normalized once per record):
  - place: house number + street name with spaces removed ("71 Tan Bark Plaza" and
    "71 Tanbark Plaza" are both ``71|TANBARKPLZ``), the suite kept apart, ZIP5 (else city);
  - phones (E.164), the main phone, the registered domain of the website
    (``www.regionten.org/`` -> ``regionten.org``), normalized organization and program names.

Blocking keeps the cost near-linear: records are only compared inside a block of the same
(ZIP or city, house number); a record without a street is compared only with records sharing
its website domain *and* a phone. Blocks larger than ``MAX_BLOCK`` are split by street prefix.

The rule (thresholds in :class:`Rules`):
  1. Same place = same house number, same ZIP (or city), street names equal after compaction
     or rapidfuzz ratio >= ``street_ratio``.
  2. At the same place, records are one location when the organizations match (token-set
     ratio >= ``org_ratio`` on normalized names, so "Harris House" = "Harris House Foundation"),
     or their main phones are the same, or they share a phone or a website domain *and* their
     names are at least loosely alike (>= ``loose_org_ratio``). Otherwise they stay apart: two
     organizations in one building, or a program with its own name and main number (SAMHSA's
     "PACT" beside "Valley Community Services Board") are two locations.
  3. Both have suites and the suites differ and the organizations differ: apart.
  4. A record without a street joins a located record when they share the website domain and
     a phone, and only one location qualifies (a chain's shared number does not pick a place).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from provdir.build.locations import Location
from provdir.normalize.address import street_key
from provdir.normalize.url import registered_domain  # used here, and by verify and publish

MAX_BLOCK = 64
_LEGAL = re.compile(r"\b(?:inc|llc|pllc|pc|corp|corporation|co|ltd|lp|the|of|and)\b")
_NON_ALNUM = re.compile(r"[^a-z0-9 ]+")


@dataclass(frozen=True)
class Rules:
    street_ratio: float = 88
    org_ratio: float = 85
    loose_org_ratio: float = 60


@dataclass
class Keys:
    index: int
    house: str = ""
    street: str = ""
    unit: str = ""
    area: str = ""
    phones: frozenset[str] = frozenset()
    main_phone: str = ""
    domain: str = ""
    org: str = ""
    name: str = ""


@dataclass
class Resolution:
    clusters: list[list[int]]
    comparisons: int = 0
    pairs_matched: int = 0
    blocks: int = 0
    stats: dict[str, int] = field(default_factory=dict)


def normalize_name(name: str) -> str:
    text = _NON_ALNUM.sub(" ", name.lower().replace("&", " and "))
    return " ".join(_LEGAL.sub(" ", text).split())


def place_key(street: str) -> tuple[str, str, str]:
    """(house number, compact street, unit) of a USPS-style street."""
    key = street_key(street)
    unit = street[len(key) :].strip() if street.upper().startswith(key) else ""
    parts = key.split(" ", 1)
    if len(parts) < 2 or not parts[0][:1].isdigit():
        return "", "", ""
    return parts[0], parts[1].replace(" ", ""), unit.upper().replace(".", "")


def keys_of(i: int, loc: Location) -> Keys:
    house, street, unit = place_key(loc.street) if loc.street else ("", "", "")
    return Keys(
        index=i,
        house=house,
        street=street,
        unit=unit,
        area=loc.postal_code or f"{loc.city.upper()}|{loc.state}",
        phones=frozenset(loc.phones),
        main_phone=loc.phone,
        domain=registered_domain(loc.website),
        org=normalize_name(loc.organization),
        name=normalize_name(loc.name),
    )


def same_place(a: Keys, b: Keys, rules: Rules) -> bool:
    if not a.house or a.house != b.house or a.area != b.area:
        return False
    return a.street == b.street or fuzz.ratio(a.street, b.street) >= rules.street_ratio


def org_similarity(a: Keys, b: Keys) -> float:
    best = 0.0
    for x in {a.org, a.name} - {""}:
        for y in {b.org, b.name} - {""}:
            best = max(best, fuzz.token_set_ratio(x, y))
    return best


def same_location(a: Keys, b: Keys, rules: Rules) -> bool:
    """Rule 2 and 3 for two records already known to be at the same place."""
    sim = org_similarity(a, b)
    if a.unit and b.unit and a.unit != b.unit and sim < rules.org_ratio:
        return False
    if sim >= rules.org_ratio:
        return True
    if a.main_phone and a.main_phone == b.main_phone:
        return True
    linked = bool(a.phones & b.phones) or (a.domain and a.domain == b.domain)
    return bool(linked) and sim >= rules.loose_org_ratio


def resolve(locations: list[Location], rules: Rules = Rules()) -> Resolution:
    """Cluster locations into facility locations. Returns clusters of indices into ``locations``."""
    keys = [keys_of(i, loc) for i, loc in enumerate(locations)]
    parent = list(range(len(keys)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: int, y: int) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)

    blocks: dict[tuple[str, str], list[Keys]] = defaultdict(list)
    unlocated: list[Keys] = []
    for k in keys:
        if k.house:
            blocks[(k.area, k.house)].append(k)
        else:
            unlocated.append(k)
    result = Resolution(clusters=[], blocks=len(blocks))
    for block in blocks.values():
        for group in _split(block):
            for x in range(len(group)):
                for y in range(x + 1, len(group)):
                    a, b = group[x], group[y]
                    result.comparisons += 1
                    if same_place(a, b, rules) and same_location(a, b, rules):
                        result.pairs_matched += 1
                        union(a.index, b.index)
    _attach_unlocated(keys, unlocated, find, union, result)
    clusters: dict[int, list[int]] = defaultdict(list)
    for i in range(len(keys)):
        clusters[find(i)].append(i)
    result.clusters = list(clusters.values())
    return result


def _split(block: list[Keys]) -> list[list[Keys]]:
    """A block larger than MAX_BLOCK (a big medical building) is split by street prefix."""
    if len(block) <= MAX_BLOCK:
        return [block]
    by_prefix: dict[str, list[Keys]] = defaultdict(list)
    for k in block:
        by_prefix[k.street[:4]].append(k)
    return [g[i : i + MAX_BLOCK] for g in by_prefix.values() for i in range(0, len(g), MAX_BLOCK)]


def _attach_unlocated(keys: list[Keys], unlocated: list[Keys], find, union, result: Resolution) -> None:
    """Rule 4: a record without a street joins the one location sharing its domain and a phone."""
    if not unlocated:
        return
    by_domain_phone: dict[tuple[str, str], set[int]] = defaultdict(set)
    for k in keys:
        if k.house and k.domain:
            for p in k.phones:
                by_domain_phone[(k.domain, p)].add(k.index)
    for k in unlocated:
        if not k.domain:
            continue
        candidates: set[int] = set()
        for p in k.phones:
            candidates |= {find(i) for i in by_domain_phone.get((k.domain, p), ())}
        result.comparisons += len(candidates)
        if len(candidates) == 1:
            union(k.index, candidates.pop())
            result.pairs_matched += 1
