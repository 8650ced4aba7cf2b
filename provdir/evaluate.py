"""Accuracy against hand-labelled real websites: ``provdir evaluate GOLD_DIR SITES_DIR``.

Serves every site folder on its own loopback address, runs the real crawl over all of them
(``provdir crawl`` in a subprocess, through Scrapy and the pipelines), and scores the published
directory against the gold files: precision / recall / F1 for phones, addresses,
accreditations and services, recall for licenses, and the error in the number of locations.
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
- licenses: recall of gold licenses: a published license with the same state and a similar
  agency name (token-set ratio >= 80), or any state license when the gold agency is null.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

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
    "co_occurring", "sober_living", "adolescents", "mat", "aftercare", "detox", "family_program",
    "iop", "outpatient", "php", "residential", "telehealth",
}  # fmt: skip
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
    details: dict[str, Any] = field(default_factory=dict)


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
        hit = next((ri for ri in free_rows if not rows[ri].get("street") and (rows[ri].get("city") or "").lower() == city
                    and city), None)  # fmt: skip
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


def license_counts(published: list[str], gold: dict[str, Any]) -> tuple[Counts, list[str]]:
    counts = Counts()
    misses = []
    parsed = [_parse_license(text) for text in published]
    for lic in gold.get("licenses", []):
        ok = any(
            (not lic.get("state") or state == lic["state"])
            and (lic.get("agency") is None or fuzz.token_set_ratio(agency.lower(), lic["agency"].lower()) >= 80)
            for agency, state in parsed
        )
        counts.tp += ok
        counts.fn += not ok
        if not ok:
            misses.append(f"- {lic.get('agency')} ({lic.get('state')})")
    return counts, misses


def _parse_license(text: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)(?: \(([A-Z]{2})\))?(?: #\S+)?$", text)
    return (m.group(1), m.group(2) or "") if m else (text, "")


# -- one site ------------------------------------------------------------------------------
def _both(row: dict[str, Any], column: str) -> list[str]:
    return [*(row.get(column) or []), *(row.get(f"organization_{column}") or [])]


def score_site(slug: str, gold: dict[str, Any], rows: list[dict[str, Any]]) -> SiteScore:
    """Score one site's published rows against its gold file (pure)."""
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
    licenses = sorted({lic for r in rows for lic in _both(r, "licenses")})
    score.fields["licenses"], license_misses = license_counts(licenses, gold)
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
        "licenses": {"published": licenses, "missing": license_misses},
        "loc_services": loc_notes,
    }
    return score


# -- the whole corpus ----------------------------------------------------------------------
FIELDS = ("phones", "addresses", "accreditations", "services", "licenses", "loc_services")
_HEAD = {"loc_services": "loc-svc"}


def evaluate(gold_dir: Path, sites_dir: Path, *, keep: Path | None = None) -> list[SiteScore]:
    """Serve, crawl and score every site that has both a folder and a gold file."""
    import pandas as pd

    from provdir.sampleweb.server import serve_sites

    golds = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(gold_dir.glob("*.json"))}
    roots = {slug: sites_dir / slug for slug in golds if (sites_dir / slug).is_dir()}
    if not roots:
        raise SystemExit(f"no site folder under {sites_dir} matches a gold file in {gold_dir}")
    with tempfile.TemporaryDirectory() as tmp:
        work = keep or Path(tmp)
        with serve_sites(roots, port=0, first_host=120) as urls:
            seeds = work / "seeds.txt"
            seeds.write_text("".join(f"{u}\n" for u in urls.values()), encoding="utf-8")
            proc = subprocess.run(
                [sys.executable, "-m", "provdir.cli", "crawl", str(seeds), "--out", str(work / "output"),
                 "--allow-private-networks", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"],
                capture_output=True, text=True,
            )  # fmt: skip
        if proc.returncode not in (0, 3):
            raise SystemExit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        facilities = pd.read_parquet(work / "output" / "latest" / "facilities.parquet")
        records = [{k: _plain(v) for k, v in r.items()} for r in facilities.to_dict("records")]
    return [score_site(slug, golds[slug], [r for r in records if r["website"] == urls[slug]]) for slug in roots]


def _plain(value: Any) -> Any:
    """A Parquet cell as the scorer reads it: lists as lists, a missing value (NULL) as ''."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        return list(value)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def report(scores: list[SiteScore], *, verbose: bool = False) -> str:
    lines = [f"{'site':<34}" + "".join(f"{_HEAD.get(f, f[:6]):>18}" for f in FIELDS) + f"{'locs':>10}"]
    lines.append(
        " " * 34 + "".join(f"{'P/R/F1' if f != 'licenses' else 'recall':>18}" for f in FIELDS) + f"{'pred-gold':>10}"
    )
    total = {f: Counts() for f in FIELDS}
    loc_err = 0
    forbidden = 0
    for s in scores:
        cells = []
        for f in FIELDS:
            c = s.fields[f]
            total[f].add(c)
            cells.append(
                f"{c.recall:>18.2f}" if f == "licenses" else f"{c.precision:>6.2f}/{c.recall:.2f}/{c.f1:.2f}".rjust(18)
            )
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
        cells.append(
            f"{c.recall:>18.2f}" if f == "licenses" else f"{c.precision:>6.2f}/{c.recall:.2f}/{c.f1:.2f}".rjust(18)
        )
    lines.append(f"{'OVERALL (micro)':<34}" + "".join(cells) + f"{loc_err:>10d}")
    lines.append(f"fax/crisis numbers published as contact phones: {forbidden}")
    lines.append(f"location-count error: {loc_err / max(len(scores), 1):.2f} per site (mean absolute)")
    lines.append("locs: published rows minus gold locations per site; OVERALL is the sum of absolute errors")
    lines.append("loc_services: each row's services against its matched gold location's (see provdir/evaluate.py)")
    return "\n".join(lines)
