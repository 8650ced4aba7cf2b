"""Entity resolution: pairwise quality on labelled data, and cost at scale.

    python benchmarks/resolution.py                 # quality + scale for 10k and 100k
    python benchmarks/resolution.py --sizes 10000 100000 1000000

Quality, two labelled sets:
  * SAMHSA: the real locator page (tests/fixtures/samhsa/...), 30 rows, with the SA/MH twins
    labelled by hand below (PACT is a separate program beside Valley CSB at 85 Sangers Lane);
  * sample web x directory: the bundled sample sites' locations (extracted from their pages)
    against directory-style records written here with the drift real listings show ("South"
    for "S", a "Foundation" suffix, a dropped suite, another org in the same building).
Scale: a generator makes N records shaped like the fixture's rows (SA/MH twins, website
duplicates, typos, compact/spaced street names, dropped suites, intake numbers, other
organizations in the same building, chains sharing one number); each N runs in a fresh process
so peak memory is its own. Prints time, peak RSS, comparisons and pairwise P/R/F1.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, html_pages
from provdir.build.locations import Location, site_locations
from provdir.build.resolve import resolve

# Hand labels for the real SAMHSA page: groups of frid prefixes that are one location.
SAMHSA_SAME = [
    {"a1e80691", "39d6ca2b"},  # 800 Preston Avenue (MH / SA "Peterson Building")
    {"ab740701", "033f7e25"},  # Empowering Families, 901 Preston Ave Suite 201
    {"0ec8a49c", "41d91d4d"},  # Region Ten Fluvanna, 13623 James Madison Hwy
    {"58fd3065", "ce1ca08b"},  # Region Ten Greene, 9963 Spotswood Trail
    {"edbf46a9", "af259599"},  # Region Ten Louisa, 101 Ashley Street
    {"b84c535e", "95a5afc4"},  # Region Ten Nelson, 71 Tan Bark / Tanbark Plaza
    {"a42f731e", "9cad1fe5"},  # Valley CSB, 85 Sangers Lane (PACT c6626ede is its own program)
]


def pairwise(clusters: list[list[int]], truth: list[int]) -> tuple[float, float, float]:
    def c2(n: int) -> int:
        return n * (n - 1) // 2

    tp = sum(c2(n) for cluster in clusters for n in Counter(truth[i] for i in cluster).values())
    predicted = sum(c2(len(c)) for c in clusters)
    actual = sum(c2(n) for n in Counter(truth).values())
    p = tp / predicted if predicted else 1.0
    r = tp / actual if actual else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def samhsa_set() -> tuple[list[Location], list[int]] | None:
    fixture = ROOT / "tests" / "fixtures" / "samhsa" / "locator-listing-page1.json"
    if not fixture.exists():
        return None
    from provdir.build.locations import record_location
    from provdir.sources.samhsa import row_to_record

    rows = json.loads(fixture.read_text())["rows"]
    locs = [record_location(row_to_record(r, page_url="fixture")) for r in rows]
    label = {}
    for n, group in enumerate(SAMHSA_SAME):
        for prefix in group:
            label[prefix] = n
    truth = [label.get(r["frid"][:8], 1000 + i) for i, r in enumerate(rows)]
    return locs, truth


def sample_web_set() -> tuple[list[Location], list[int]]:
    from provdir.extract import extract_page
    from provdir.model.items import PageObservation
    from provdir.sampleweb.server import bundled_sites_dir

    by_site: dict[str, list[PageObservation]] = {}
    root = bundled_sites_dir()
    for url, html in html_pages(root):
        slug = url.split("/")[3]
        site_url = f"http://{slug}.example/"
        page_url = site_url + "/".join(url.split("/")[4:]).replace("index.html", "")
        obs = extract_page(html, page_url, site=slug, seed_url=site_url)
        by_site.setdefault(slug, []).append(obs)
    site_locs = [loc for obs in by_site.values() for loc in site_locations(obs)]
    truth = list(range(len(site_locs)))
    by_street = {(loc.street.split(" ")[0], loc.postal_code): i for i, loc in enumerate(site_locs)}

    def listing(key, org, street, city, zip5, phone, web, same_as=None):
        loc = Location(
            source="samhsa",
            site="",
            location_key=key,
            name=org,
            organization=org,
            street=street,
            city=city,
            state="MO",
            postal_code=zip5,
            phone=phone,
            phones=[phone],
            website=web,
        )
        site_locs.append(loc)
        truth.append(truth[by_street[same_as]] if same_as else 10_000 + len(truth))

    listing(
        "hh1",
        "Harris House Foundation",
        "2706 S River Rd",
        "St. Charles",
        "63303",
        "+13146314299",
        "http://harris-house.example",
        ("2706", "63303"),
    )
    listing(
        "hh2",
        "Harris House Foundation",
        "8315 S Broadway",
        "St. Louis",
        "63111",
        "+13146314299",
        "http://harris-house.example",
        ("8315", "63111"),
    )
    listing(
        "rb1",
        "Redbud Hollow Behavioral Health",
        "1840 E Sunshine St",
        "Springfield",
        "65804",
        "+14175550123",
        "http://www.redbud-hollow.example",
        ("1840", "65804"),
    )  # (suite dropped)
    listing(
        "rb2",
        "Redbud Hollow Behavioral Health Inc",
        "2615 S Main St Ste 4B",
        "Joplin",
        "64804",
        "+14175550146",
        "",
        ("2615", "64804"),
    )
    listing(
        "oz1",
        "Ozark Family Counseling",
        "1840 E Sunshine St Ste 310",
        "Springfield",
        "65804",
        "+14175550177",
        "http://ozarkfamily.example",
    )  # (another organization in the same building)
    listing(
        "mh1",
        "Millrace House",
        "608 Hickman Ave",
        "Columbia",
        "65201",
        "+15735550137",
        "http://millrace-house.example",
        ("608", "65201"),
    )
    return site_locs, truth


# -- scale ---------------------------------------------------------------------------------
STREETS = [
    "Market",
    "Preston",
    "Tan Bark",
    "Old Lynchburg",
    "Spotswood",
    "Hydraulic Ridge",
    "Rio",
    "Sangers",
    "Medical Center",
    "University",
    "Burnet",
    "Ashley",
    "James Madison",
    "Green Hills",
    "Hospital",
    "Lee",
]
SUFFIX = ["St", "Ave", "Rd", "Dr", "Ln", "Plz", "Blvd", "Hwy", "Trl", "Way"]
WORDS = [
    "Region",
    "Valley",
    "Blue",
    "Ridge",
    "Harbor",
    "Cedar",
    "Summit",
    "Pine",
    "River",
    "Hope",
    "New",
    "Dawn",
    "Path",
    "Bridge",
    "Oak",
    "Haven",
    "Sunrise",
    "North",
    "Grace",
    "Mercy",
]
KINDS = ["Community Services Board", "Recovery Center", "Behavioral Health", "Treatment Center", "Counseling"]


def generate(n: int, seed: int = 7) -> tuple[list[Location], list[int]]:
    rng = random.Random(seed)
    locs: list[Location] = []
    truth: list[int] = []
    base = 0
    while len(locs) < n:
        base += 1
        org = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(KINDS)}"
        street_name = rng.choice(STREETS) + (f" {rng.randint(1, 99)}" if rng.random() < 0.5 else "")
        number = str(rng.randint(1, 19999))
        suffix = rng.choice(SUFFIX)
        suite = f" Ste {rng.randint(1, 400)}" if rng.random() < 0.3 else ""
        zip5 = f"{rng.randint(20000, 99999):05d}"
        phone = f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        web = f"http://www.{org.split()[0].lower()}{base}.org"
        copies = 1 + (rng.random() < 0.45) + (rng.random() < 0.3)  # SA/MH twin, website copy
        for c in range(copies):
            street = f"{number} {street_name} {suffix}{suite}"
            name = org
            p = phone
            if c:
                r = rng.random()
                if r < 0.25 and " " in street_name:
                    street = f"{number} {street_name.replace(' ', '', 1)} {suffix}{suite}"  # Tan Bark / Tanbark
                elif r < 0.45 and suite:
                    street = f"{number} {street_name} {suffix}"  # dropped suite
                elif r < 0.6:
                    i = rng.randrange(len(street_name))
                    street = f"{number} {street_name[:i]}{street_name[i + 1 :]} {suffix}{suite}"  # typo
                if rng.random() < 0.3:
                    name = f"{org} Inc"
                if rng.random() < 0.2:
                    p = f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"  # intake line
                    name = org if rng.random() < 0.7 else f"{org} {rng.choice(['Outpatient', 'Clinic', 'Services'])}"
            locs.append(
                Location(
                    source="samhsa" if c < 2 else "site",
                    site="",
                    location_key=f"{base}-{c}",
                    name=name,
                    organization=name,
                    street=street,
                    city="Springfield",
                    state="VA",
                    postal_code=zip5,
                    phone=p,
                    phones=[p],
                    website=web if c == 2 or rng.random() < 0.5 else "",
                )
            )
            truth.append(base)
        if rng.random() < 0.05:  # another organization in the same building: a hard negative
            other = f"{rng.choice(WORDS)} {rng.choice(KINDS)} Group"
            p = f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
            locs.append(
                Location(
                    source="samhsa",
                    site="",
                    location_key=f"{base}-x",
                    name=other,
                    organization=other,
                    street=f"{number} {street_name} {suffix} Ste {rng.randint(401, 999)}",
                    city="Springfield",
                    state="VA",
                    postal_code=zip5,
                    phone=p,
                    phones=[p],
                )
            )
            truth.append(-base)
    return locs[:n], truth[:n]


def run_scale(n: int) -> None:
    locs, truth = generate(n)
    start = time.perf_counter()
    result = resolve(locs)
    elapsed = time.perf_counter() - start
    p, r, f1 = pairwise(result.clusters, truth)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"N={n:>9,}  resolve {elapsed:7.1f} s  peak RSS {rss:7.0f} MiB  comparisons {result.comparisons:>10,} "
        f"({result.comparisons / n:.2f}/record)  clusters {len(result.clusters):>9,}  P {p:.3f} R {r:.3f} F1 {f1:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_scale(args.one)
        return
    print("Quality (pairwise, labelled by hand)")
    labelled = samhsa_set()
    if labelled is None:
        print("  SAMHSA fixture not found beside the repository; skipped")
    else:
        locs, truth = labelled
        result = resolve(locs)
        p, r, f1 = pairwise(result.clusters, truth)
        print(
            f"  SAMHSA page 1 ({len(locs)} rows -> {len(result.clusters)} locations): P {p:.3f} R {r:.3f} F1 {f1:.3f}"
        )
    locs, truth = sample_web_set()
    result = resolve(locs)
    p, r, f1 = pairwise(result.clusters, truth)
    print(
        f"  sample web x directory ({len(locs)} records -> {len(result.clusters)} locations): P {p:.3f} R {r:.3f} F1 {f1:.3f}"
    )
    print("Scale (generated records; each size in its own process; generation time not counted)")
    for n in args.sizes:
        subprocess.run([sys.executable, __file__, "--one", str(n)], check=True)


if __name__ == "__main__":
    main()
