"""Accuracy against hand-labelled real websites: ``provdir evaluate GOLD_DIR SITES_DIR``.

Serves every site folder on its own loopback address, runs the real crawl over all of them
(``provdir crawl`` in a subprocess, through Scrapy and the pipelines), and scores the published
directory against the gold files: precision / recall / F1 for phones, addresses,
accreditations, services and licenses, and the error in the number of locations.
It prints numbers; it never passes or fails.

Scoring rules (documented so the figures can be reproduced):

- phones: the site's contact phones (union over its rows) vs. gold ``phones`` (E.164). Any gold
  ``phones_not_contact`` number that is published is a *forbidden* hit, reported on its own.
- addresses: published streets vs. gold locations that have a street; a match needs the same
  house number, a similar street name (rapidfuzz ratio >= 85 on the USPS-style key) and the
  same ZIP (or one of ``zip_alternatives``, or the same city when a ZIP is missing).
- accreditations: vocabulary values vs. gold values mapped (``Joint Commission`` -> ``JC``);
  gold values outside the vocabulary (``FARR``) are not scored.
- services: the site's services (its rows' ``services`` and ``organization_services``; likewise
  for accreditations and licenses) vs. gold org-level services mapped onto the vocabulary
  (``dual_diagnosis`` -> ``co_occurring``, ``transitional_housing`` -> ``sober_living``,
  ``adolescent`` -> ``adolescents``; ``mat`` and the named medications count as one ``mat``
  unit). Only values the gold set can speak to are scored; others (payment, populations,
  ``substance_use``...) are listed as unscored.
- licenses: a gold license is found by a published license with the same state and a similar
  agency name (token-set ratio >= 80), or any license in its state when the gold agency is null;
  a published license that is no gold license counts against precision. A gold license whose
  agency is published with a wrong or empty state is a miss, and counted on its own line.
- locations: published rows for the site minus gold locations; the overall figure is the mean
  absolute error per site.
- per-location services (``loc-svc``): each published row is matched to at most one gold location,
  by the address rule above when the gold location has a street, else (a city-level gold location)
  a row without a street in the same city. A matched row's ``services`` are scored against that
  location's gold ``services`` (mapped as above); an unmatched row's services are all false
  positives and an unmatched gold location's services all false negatives, so a row that lists
  the organization's every service, or a location that is lost, both cost.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from rapidfuzz import fuzz

from provdir.extract.names import badly_cased, name_key, never_a_name
from provdir.normalize.address import parse_address, street_key

GOLD_SERVICE_MAP = {
    "dual_diagnosis": "co_occurring",
    "transitional_housing": "sober_living",
    "adolescent": "adolescents",
}
MAT_FAMILY = {"mat", "otp", "buprenorphine", "methadone", "naltrexone"}
GOLD_ACCREDITATION_MAP = {"Joint Commission": "JC", "The Joint Commission": "JC"}
VOCAB_ACCREDITATIONS = {"CARF", "JC", "COA", "NCQA", "HFAP", "LEGITSCRIPT", "NAATP"}
SCORED_SERVICES = {
    "co_occurring",
    "sober_living",
    "adolescents",
    "mat",
    "aftercare",
    "detox",
    "family_program",
    "iop",
    "outpatient",
    "php",
    "residential",
    "telehealth",
}
"""Project values that the gold labels speak to (mapped from the gold's own service names)."""


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def set_counts(predicted: set[str], gold: set[str]) -> Counts:
    return Counts(tp=len(predicted & gold), fp=len(predicted - gold), fn=len(gold - predicted))


def _gold_values(values: list[str]) -> set[str]:
    return {v for v in (GOLD_SERVICE_MAP.get(x, x) for x in values) if v in SCORED_SERVICES}


@dataclass
class SiteScore:
    slug: str
    fields: dict[str, Counts] = field(default_factory=dict)
    forbidden_phones: list[str] = field(default_factory=list)
    locations_predicted: int = 0
    locations_gold: int = 0
    names: NameCounts = field(default_factory=lambda: NameCounts())
    license_state_errors: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class NameCounts:
    """Per-row name judgements (see the module docstring)."""

    rows: int = 0
    org_right: int = 0
    display_ok: int = 0
    badly_cased: int = 0

    def add(self, other: NameCounts) -> None:
        self.rows += other.rows
        self.org_right += other.org_right
        self.display_ok += other.display_ok
        self.badly_cased += other.badly_cased


# -- mapping gold onto the vocabulary ------------------------------------------------------
def gold_services(gold: dict[str, Any]) -> set[str]:
    return _gold_values([s["value"] for s in gold.get("services", [])])


def scored_services(predicted: set[str]) -> tuple[set[str], set[str]]:
    """(scored, unscored) predicted services; the medication family collapses into ``mat``."""
    collapsed = {("mat" if v in MAT_FAMILY else v) for v in predicted}
    return collapsed & SCORED_SERVICES, collapsed - SCORED_SERVICES


def gold_accreditations(gold: dict[str, Any]) -> set[str]:
    out = set()
    for a in gold.get("accreditations", []):
        value = GOLD_ACCREDITATION_MAP.get(a["value"], a["value"])
        if value in VOCAB_ACCREDITATIONS:
            out.add(value)
    return out


def forbidden_numbers(gold: dict[str, Any]) -> set[str]:
    """E.164 numbers in the gold's not-contact list (faxes); 911/988 cannot be E.164 anyway."""
    import phonenumbers

    out = set()
    for item in gold.get("phones_not_contact", []):
        text = item.get("e164") or item.get("as_shown", "")
        for m in phonenumbers.PhoneNumberMatcher(text, "US"):
            out.add(phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
        if str(text).startswith("+"):
            out.add(text)
    return out


# -- addresses -----------------------------------------------------------------------------
def _address_key(street: str, city: str, state: str, zip5: str) -> tuple[str, str, str] | None:
    parsed = parse_address(f"{street}, {city}, {state} {zip5 or ''}".strip())
    key = street_key(parsed.street if parsed else street)
    number = key.split(" ", 1)[0] if key else ""
    return (number, key, city.lower()) if number[:1].isdigit() else None


def same_address(row: dict[str, Any], g: dict[str, Any]) -> bool:
    """A published row with a street and a gold location with a street are the same place."""
    if not row.get("street") or not g.get("street"):
        return False
    pk = _address_key(row["street"], row["city"], row["state"], row["postal_code"])
    gk = _address_key(g["street"], g["city"], g["state"], g.get("zip") or "")
    if pk is None or gk is None or pk[0] != gk[0] or fuzz.ratio(pk[1], gk[1]) < 85:
        return False
    zips = {g.get("zip"), *(g.get("zip_alternatives") or [])} - {None, ""}
    return bool(
        (row["postal_code"] and row["postal_code"] in zips)
        or ((not row["postal_code"] or not zips) and (row.get("city") or "").lower() == (g.get("city") or "").lower())
    )


def address_counts(rows: list[dict[str, Any]], gold: dict[str, Any]) -> tuple[Counts, list[str]]:
    gold_locs = [loc for loc in gold.get("locations", []) if loc.get("street")]
    unmatched = list(range(len(gold_locs)))
    counts = Counts()
    misses: list[str] = []
    for row in rows:
        if not row.get("street"):
            continue
        hit = next((i for i in unmatched if same_address(row, gold_locs[i])), None)
        if hit is None:
            counts.fp += 1
            misses.append(f"+ {row['street']}, {row['city']} {row['postal_code']}")
        else:
            counts.tp += 1
            unmatched.remove(hit)
    counts.fn = len(unmatched)
    misses += [f"- {gold_locs[i]['street']}, {gold_locs[i]['city']} {gold_locs[i].get('zip')}" for i in unmatched]
    return counts, misses


def match_locations(rows: list[dict[str, Any]], gold: dict[str, Any]) -> list[tuple[int | None, int | None]]:
    """Pairs (row index, gold location index), each side used at most once; ``None`` on the
    other side for a row or a gold location left unmatched. Street matches are made first, then
    city-level gold locations (no street) take a street-less row of the same city."""
    golds = gold.get("locations", [])
    free_rows = list(range(len(rows)))
    pairs: list[tuple[int | None, int | None]] = []
    unmatched_gold: list[int] = []
    for gi, g in enumerate(golds):
        if not g.get("street"):
            continue
        hit = next((ri for ri in free_rows if same_address(rows[ri], g)), None)
        if hit is None:
            unmatched_gold.append(gi)
        else:
            free_rows.remove(hit)
            pairs.append((hit, gi))
    for gi, g in enumerate(golds):
        if g.get("street"):
            continue
        city = (g.get("city") or "").lower()
        hit = next(
            (
                ri
                for ri in free_rows
                if not rows[ri].get("street") and (rows[ri].get("city") or "").lower() == city and city
            ),
            None,
        )
        if hit is None:
            unmatched_gold.append(gi)
        else:
            free_rows.remove(hit)
            pairs.append((hit, gi))
    pairs += [(None, gi) for gi in sorted(unmatched_gold)]
    pairs += [(ri, None) for ri in free_rows]
    return pairs


def location_service_counts(rows: list[dict[str, Any]], gold: dict[str, Any]) -> tuple[Counts, list[str]]:
    """Per-location services: each row's ``services`` against its matched gold location's."""
    counts = Counts()
    notes: list[str] = []
    golds = gold.get("locations", [])
    for ri, gi in match_locations(rows, gold):
        predicted = scored_services(set(rows[ri].get("services") or []))[0] if ri is not None else set()
        expected = _gold_values(golds[gi].get("services") or []) if gi is not None else set()
        c = set_counts(predicted, expected)
        counts.add(c)
        if gi is not None:
            where = golds[gi].get("name") or golds[gi].get("city")
        else:
            where = f"(extra row) {rows[ri]['name']}" if ri is not None else ""
        if c.fp or c.fn:
            notes.append(f"{where}: +{sorted(predicted - expected)} -{sorted(expected - predicted)}")
    return counts, notes


class PublishedLicense(NamedTuple):
    """A published license as ``facility_licenses`` gives it: its text and structured fields."""

    text: str
    agency: str
    state: str


def published_licenses(rows: list[dict[str, Any]]) -> list[PublishedLicense]:
    """The distinct licenses of ``facility_licenses`` rows, by text."""
    by_text = {r["license"]: PublishedLicense(r["license"], r["agency"], r.get("state") or "") for r in rows}
    return [by_text[t] for t in sorted(by_text)]


def license_counts(published: list[PublishedLicense], gold: dict[str, Any]) -> tuple[Counts, list[str]]:
    """Gold licenses found (same agency and the right state) and published licenses that are no
    gold license (``fp``, for precision). A gold license whose agency was found with a wrong or
    empty state is a miss, listed with ``state`` in the misses."""
    counts = Counts()
    misses = []
    used: set[int] = set()
    for lic in gold.get("licenses", []):
        same_agency = [i for i, p in enumerate(published) if _same_agency(p.agency, lic.get("agency"))]
        right = [i for i in same_agency if not lic.get("state") or published[i].state == lic["state"]]
        counts.tp += bool(right)
        counts.fn += not right
        used.update(right or same_agency)
        if not right:
            wrong = f" state: {[published[i].state for i in same_agency]}" if same_agency else ""
            misses.append(f"- {lic.get('agency')} ({lic.get('state')}){wrong}")
    extra = [p.text for i, p in enumerate(published) if i not in used]
    counts.fp = len(extra)
    misses += [f"+ {text}" for text in extra]
    return counts, misses


def license_state_errors(published: list[PublishedLicense], gold: dict[str, Any]) -> int:
    """Gold licenses whose agency was published with a wrong or empty state."""
    errors = 0
    for lic in gold.get("licenses", []):
        states = {p.state for p in published if _same_agency(p.agency, lic.get("agency"))}
        errors += bool(states) and bool(lic.get("state")) and lic["state"] not in states
    return errors


def _same_agency(published: str, gold: str | None) -> bool:
    # A gold license with no agency ("State-licensed") is any published license.
    if gold is None:
        return True
    return fuzz.token_set_ratio(published.lower(), gold.lower()) >= 80


# -- names -------------------------------------------------------------------------------
def name_counts(rows: list[dict[str, Any]], gold: dict[str, Any]) -> tuple[NameCounts, list[str]]:
    org_keys = {name_key(n) for n in [gold.get("org_name") or "", *(gold.get("org_aliases") or [])] if n}
    org_keys.discard("")
    loc_names = [loc.get("name") or "" for loc in gold.get("locations", [])]
    counts = NameCounts()
    notes: list[str] = []
    for row in rows:
        org, display = row.get("organization") or "", row.get("name") or ""
        counts.rows += 1
        org_ok = name_key(org) in org_keys
        counts.org_right += org_ok
        key = name_key(display)
        names_org = any(k and re.search(rf"(?<!\S){re.escape(k)}(?!\S)", key) for k in org_keys)
        names_loc = any(n and fuzz.token_set_ratio(key, name_key(n)) >= 85 for n in loc_names)
        ok = bool(display) and not badly_cased(display) and not never_a_name(display) and (names_org or names_loc)
        counts.display_ok += ok
        bad_case = badly_cased(org) or badly_cased(display)
        counts.badly_cased += bad_case
        if not org_ok:
            notes.append(f"org {org!r}")
        if not ok:
            notes.append(f"display {display!r}")
        if bad_case:
            notes.append(f"badly cased {org!r} / {display!r}")
    return counts, notes


# -- one site ------------------------------------------------------------------------------
def _both(row: dict[str, Any], column: str) -> list[str]:
    return [*(row.get(column) or []), *(row.get(f"organization_{column}") or [])]


def score_site(
    slug: str, gold: dict[str, Any], rows: list[dict[str, Any]], license_rows: Sequence[dict[str, Any]] = ()
) -> SiteScore:
    """Score one site's published ``facilities`` rows (and their ``facility_licenses`` rows)
    against its gold file (pure)."""
    score = SiteScore(slug, locations_predicted=len(rows), locations_gold=len(gold.get("locations", [])))
    phones = {p for r in rows for p in r.get("phones", [])}
    gold_phones = {p["e164"] for p in gold.get("phones", [])}
    score.fields["phones"] = set_counts(phones, gold_phones)
    score.forbidden_phones = sorted(phones & forbidden_numbers(gold))
    score.fields["addresses"], address_misses = address_counts(rows, gold)
    # Organization level: what the rows list as their own plus what the organization states
    # site-wide (organization_* columns).
    accreditations = {a for r in rows for a in _both(r, "accreditations")}
    score.fields["accreditations"] = set_counts(accreditations, gold_accreditations(gold))
    scored, unscored = scored_services({s for r in rows for s in _both(r, "services")})
    score.fields["services"] = set_counts(scored, gold_services(gold))
    licenses = published_licenses(list(license_rows))
    score.fields["licenses"], license_misses = license_counts(licenses, gold)
    score.names, name_notes = name_counts(rows, gold)
    score.license_state_errors = license_state_errors(licenses, gold)
    score.fields["loc_services"], loc_notes = location_service_counts(rows, gold)
    score.details = {
        "phones": {"extra": sorted(phones - gold_phones), "missing": sorted(gold_phones - phones)},
        "addresses": address_misses,
        "accreditations": {
            "extra": sorted(accreditations - gold_accreditations(gold)),
            "missing": sorted(gold_accreditations(gold) - accreditations),
        },
        "services": {
            "extra": sorted(scored - gold_services(gold)),
            "missing": sorted(gold_services(gold) - scored),
            "unscored": sorted(unscored),
        },
        "licenses": {"published": [lic.text for lic in licenses], "missing": license_misses},
        "names": name_notes,
        "loc_services": loc_notes,
    }
    return score


# -- the whole corpus ----------------------------------------------------------------------
FIELDS = ("phones", "addresses", "accreditations", "services", "licenses", "loc_services")
_HEAD = {"loc_services": "loc-svc"}


def evaluate(
    gold_dir: Path,
    sites_dir: Path,
    *,
    keep: Path | None = None,
    behaviours: dict[str, Any] | None = None,
    crawl_args: tuple[str, ...] = (),
) -> list[SiteScore]:
    """Serve, crawl and score every site that has both a folder and a gold file.

    ``behaviours`` (by slug) change how a site is served (see ``serve_sites``), e.g. as a
    client-rendered app (``benchmarks/render_accuracy.py``); ``crawl_args`` are added to the crawl."""
    import pandas as pd

    from provdir.sampleweb.server import serve_sites

    golds = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))}
    roots = {slug: sites_dir / slug for slug in golds if (sites_dir / slug).is_dir()}
    if not roots:
        raise SystemExit(f"no site folder under {sites_dir} matches a gold file in {gold_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp)
        with serve_sites(roots, port=0, first_host=120, behaviours=behaviours) as urls:
            seeds = work / "seeds.txt"
            seeds.write_text("".join(f"{u}\n" for u in urls.values()), encoding="utf-8")
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "provdir.cli",
                    "crawl",
                    str(seeds),
                    "--out",
                    str(work / "output"),
                    "--allow-private-networks",
                    "-s",
                    "DOWNLOAD_DELAY=0",
                    "-s",
                    "AUTOTHROTTLE_ENABLED=False",
                    *crawl_args,
                ],
                capture_output=True,
                text=True,
            )
        if proc.returncode not in (0, 3):
            raise SystemExit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        facilities = pd.read_parquet(work / "output" / "latest" / "facilities.parquet")
        records = [{k: _plain(v) for k, v in r.items()} for r in facilities.to_dict("records")]
        licenses = pd.read_parquet(work / "output" / "latest" / "facility_licenses.parquet").to_dict("records")
    scores = []
    for slug in roots:
        rows = [r for r in records if r["website"] == urls[slug]]
        ids = {r["facility_id"] for r in rows}
        scores.append(score_site(slug, golds[slug], rows, [r for r in licenses if r["facility_id"] in ids]))
    return scores


def _plain(value: Any) -> Any:
    """A Parquet cell as the scorer reads it: lists as lists, a missing value (NULL, read back
    by pandas as None or NaN) as an empty string."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        return list(value)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def report(scores: list[SiteScore], *, verbose: bool = False) -> str:
    lines = [f"{'site':<34}" + "".join(f"{_HEAD.get(f, f[:6]):>18}" for f in FIELDS) + f"{'locs':>10}"]
    lines.append(" " * 34 + "".join(f"{'P/R/F1':>18}" for f in FIELDS) + f"{'pred-gold':>10}")
    total = {f: Counts() for f in FIELDS}
    loc_err = 0
    forbidden = 0
    for s in scores:
        cells = []
        for f in FIELDS:
            c = s.fields[f]
            total[f].add(c)
            cells.append(f"{c.precision:>6.2f}/{c.recall:.2f}/{c.f1:.2f}".rjust(18))
        err = s.locations_predicted - s.locations_gold
        loc_err += abs(err)
        forbidden += len(s.forbidden_phones)
        lines.append(f"{s.slug:<34}" + "".join(cells) + f"{err:>+10d}")
        if verbose:
            for key, value in s.details.items():
                lines.append(f"    {key}: {value}")
            if s.forbidden_phones:
                lines.append(f"    FORBIDDEN phones published: {s.forbidden_phones}")
    cells = []
    for f in FIELDS:
        c = total[f]
        cells.append(f"{c.precision:>6.2f}/{c.recall:.2f}/{c.f1:.2f}".rjust(18))
    lines.append(f"{'OVERALL (micro)':<34}" + "".join(cells) + f"{loc_err:>10d}")
    lines.append(f"fax/crisis numbers published as contact phones: {forbidden}")
    names = NameCounts()
    for s in scores:
        names.add(s.names)
    share = (lambda n: n / names.rows) if names.rows else (lambda n: 1.0)
    lines.append(
        f"names over {names.rows} rows: organization right {share(names.org_right):.2f}, "
        f"display name acceptable {share(names.display_ok):.2f}, badly cased {names.badly_cased}"
    )
    lines.append(f"gold licenses published with a wrong or empty state: {sum(s.license_state_errors for s in scores)}")
    lines.append(f"location-count error: {loc_err / max(len(scores), 1):.2f} per site (mean absolute)")
    lines.append("locs: published rows minus gold locations per site; OVERALL is the sum of absolute errors")
    lines.append("loc_services: each row's services against its matched gold location's (see provdir/evaluate.py)")
    return "\n".join(lines)
