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
- services: the site's services vs. gold org-level services mapped onto the vocabulary
  (``dual_diagnosis`` -> ``co_occurring``, ``transitional_housing`` -> ``sober_living``,
  ``adolescent`` -> ``adolescents``; ``mat`` and the named medications count as one ``mat``
  unit). Only values the gold set can speak to are scored; others (payment, populations,
  ``substance_use``...) are listed as unscored.
- licenses: recall of gold licenses: a published license with the same state and a similar
  agency name (token-set ratio >= 80), or any state license when the gold agency is null.
- locations: published rows for the site minus gold locations.
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
    out = set()
    for s in gold.get("services", []):
        value = GOLD_SERVICE_MAP.get(s["value"], s["value"])
        if value in SCORED_SERVICES:
            out.add(value)
    return out


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


def address_counts(rows: list[dict[str, Any]], gold: dict[str, Any]) -> tuple[Counts, list[str]]:
    gold_locs = [loc for loc in gold.get("locations", []) if loc.get("street")]
    unmatched = list(range(len(gold_locs)))
    counts = Counts()
    misses: list[str] = []
    for row in rows:
        if not row.get("street"):
            continue
        pk = _address_key(row["street"], row["city"], row["state"], row["postal_code"])
        hit = None
        for i in unmatched:
            g = gold_locs[i]
            gk = _address_key(g["street"], g["city"], g["state"], g.get("zip") or "")
            if pk is None or gk is None or pk[0] != gk[0] or fuzz.ratio(pk[1], gk[1]) < 85:
                continue
            zips = {g.get("zip"), *(g.get("zip_alternatives") or [])} - {None, ""}
            if (row["postal_code"] and row["postal_code"] in zips) or (
                (not row["postal_code"] or not zips) and row["city"].lower() == g["city"].lower()
            ):
                hit = i
                break
        if hit is None:
            counts.fp += 1
            misses.append(f"+ {row['street']}, {row['city']} {row['postal_code']}")
        else:
            counts.tp += 1
            unmatched.remove(hit)
    counts.fn = len(unmatched)
    misses += [f"- {gold_locs[i]['street']}, {gold_locs[i]['city']} {gold_locs[i].get('zip')}" for i in unmatched]
    return counts, misses


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
def score_site(slug: str, gold: dict[str, Any], rows: list[dict[str, Any]]) -> SiteScore:
    """Score one site's published rows against its gold file (pure)."""
    score = SiteScore(slug, locations_predicted=len(rows), locations_gold=len(gold.get("locations", [])))
    phones = {p for r in rows for p in r.get("phones", [])}
    gold_phones = {p["e164"] for p in gold.get("phones", [])}
    score.fields["phones"] = set_counts(phones, gold_phones)
    score.forbidden_phones = sorted(phones & forbidden_numbers(gold))
    score.fields["addresses"], address_misses = address_counts(rows, gold)
    accreditations = {a for r in rows for a in r.get("accreditations", [])}
    score.fields["accreditations"] = set_counts(accreditations, gold_accreditations(gold))
    scored, unscored = scored_services({s for r in rows for s in r.get("services", [])})
    score.fields["services"] = set_counts(scored, gold_services(gold))
    licenses = sorted({lic for r in rows for lic in r.get("licenses", [])})
    score.fields["licenses"], license_misses = license_counts(licenses, gold)
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
    }
    return score


# -- the whole corpus ----------------------------------------------------------------------
FIELDS = ("phones", "addresses", "accreditations", "services", "licenses")


def evaluate(gold_dir: Path, sites_dir: Path, *, keep: Path | None = None,
             behaviours: dict[str, Any] | None = None, crawl_args: tuple[str, ...] = ()) -> list[SiteScore]:  # fmt: skip
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
                [sys.executable, "-m", "provdir.cli", "crawl", str(seeds), "--out", str(work / "output"),
                 "--allow-private-networks", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                 *crawl_args],
                capture_output=True, text=True,
            )  # fmt: skip
        if proc.returncode not in (0, 3):
            raise SystemExit(f"crawl failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
        facilities = pd.read_parquet(work / "output" / "latest" / "facilities.parquet")
        records = [{k: _cell(v) for k, v in r.items()} for r in facilities.to_dict("records")]
    return [score_site(slug, golds[slug], [r for r in records if r["website"] == urls[slug]]) for slug in roots]


def _cell(value: Any) -> Any:
    """A published cell as the scoring reads it: lists as lists, a missing value (NULL, read
    back as None or NaN) as ''."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        return list(value)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


def report(scores: list[SiteScore], *, verbose: bool = False) -> str:
    lines = [f"{'site':<34}" + "".join(f"{f[:6]:>18}" for f in FIELDS) + f"{'locs':>10}"]
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
    lines.append("locs: published rows minus gold locations per site; OVERALL is the sum of absolute errors")
    return "\n".join(lines)
