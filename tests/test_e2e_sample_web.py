"""End to end: crawl the bundled sample web through Scrapy and check the published directory
against the hand-written facts of every site (provdir/sampleweb/facts.json)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from provdir.normalize.address import parse_address

pytestmark = pytest.mark.e2e
# Extensions of the contract vocabulary that the sample facts do not list (``mat`` is the
# unspecified-medication value, implied wherever a named medication is offered).
EXTENSION_VALUES = {"mat"}


@pytest.fixture(scope="module")
def facilities(sample_crawl) -> pd.DataFrame:
    return pd.read_parquet(sample_crawl.latest / "facilities.parquet")


@pytest.fixture(scope="module")
def evidence(sample_crawl) -> pd.DataFrame:
    return pd.read_parquet(sample_crawl.latest / "evidence.parquet")


def rows_of(facilities: pd.DataFrame, sample_web: dict[str, str], slug: str) -> pd.DataFrame:
    return facilities[facilities["website"] == sample_web[slug]]


def expected_street(loc: dict) -> str:
    parsed = parse_address(f"{loc['street']}, {loc['city']}, {loc['state']} {loc['postal_code']}")
    assert parsed is not None, loc
    return parsed.full_street


SLUGS = [
    "harris-house",
    "agarita-recovery",
    "quill-creek-recovery",
    "redbud-hollow",
    "fernglass-ketamine",
    "millrace-house",
]


@pytest.mark.parametrize("slug", SLUGS)
def test_one_row_per_location(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    assert len(rows) == len(sample_facts[slug]["locations"])


@pytest.mark.parametrize("slug", SLUGS)
def test_location_addresses_names_and_phones(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    for loc in sample_facts[slug]["locations"]:
        match = rows[rows["postal_code"] == loc["postal_code"]]
        assert len(match) == 1, f"{slug}: no single row for {loc}"
        row = match.iloc[0]
        assert row["street"] == expected_street(loc)
        assert (row["city"], row["state"]) == (loc["city"], loc["state"])
        # The site may qualify the name ("Springfield Clinic (Main Office)").
        assert row["name"].lower().startswith(loc["name"].lower())
        assert row["phone"] == loc["phone"]


@pytest.mark.parametrize("slug", SLUGS)
def test_contact_phones_and_no_fax_or_crisis_lines(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    published = {p for phones in rows["phones"] for p in phones}
    assert published == set(sample_facts[slug]["phones"])
    not_phones = {p for p in sample_facts[slug]["not_phones"] if p.startswith("+")}
    assert not published & not_phones


def org_level(rows: pd.DataFrame, column: str) -> list[set[str]]:
    """Per row: the location's own values plus what the organization states site-wide (issue 13:
    a multi-location organization's site-wide facts live in ``organization_<column>``)."""
    return [set(own) | set(org) for own, org in zip(rows[column], rows[f"organization_{column}"], strict=True)]


@pytest.mark.parametrize("slug", SLUGS)
def test_accreditations(facilities, sample_web, sample_facts, slug):
    for acc in org_level(rows_of(facilities, sample_web, slug), "accreditations"):
        assert acc == set(sample_facts[slug]["accreditations"])


@pytest.mark.parametrize("slug", SLUGS)
def test_licenses(facilities, sample_web, sample_facts, slug):
    expected = set()
    for lic in sample_facts[slug]["licenses"]:
        text = f"{lic['agency']} ({lic['state']})" + (f" #{lic['number']}" if lic["number"] else "")
        expected.add(text)
    for licenses in org_level(rows_of(facilities, sample_web, slug), "licenses"):
        assert licenses == expected


@pytest.mark.parametrize("slug", SLUGS)
def test_services_claimed_and_traps_avoided(facilities, sample_web, sample_facts, slug):
    facts = sample_facts[slug]
    for services in org_level(rows_of(facilities, sample_web, slug), "services"):
        published = services - EXTENSION_VALUES
        assert not published & set(facts["not_services"]), "a trap was published as a service"
        assert published == set(facts["services"])


@pytest.mark.parametrize("slug", SLUGS)
def test_mailing_address_is_not_a_location(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    for mailing in sample_facts[slug]["mailing_addresses"]:
        assert not rows["street"].str.startswith("PO Box").any()
        assert set(rows["mailing_address"]) == {mailing}


def test_organization_names(facilities, sample_web, sample_facts):
    for slug in SLUGS:
        orgs = set(rows_of(facilities, sample_web, slug)["organization"])
        assert orgs == {sample_facts[slug]["org_name"]}, slug


def test_every_published_value_has_evidence_on_its_site(facilities, evidence):
    by_facility = evidence.groupby("facility_id")
    for _, row in facilities.iterrows():
        ev = by_facility.get_group(row["facility_id"])
        assert ev["url"].str.startswith(row["website"]).all()
        assert (ev["snippet"].str.len() > 0).all()
        for field, values in (
            ("service", row["services"]),
            ("accreditation", row["accreditations"]),
            ("phone", row["phones"]),
        ):
            have = set(ev[ev["field"] == field]["value"])
            assert set(values) <= have, f"{row['name']}: {field} without evidence"


def test_csv_matches_parquet(sample_crawl, facilities):
    with (sample_crawl.latest / "facilities.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys())[:16] == [
        "facility_id",
        "name",
        "organization",
        "street",
        "city",
        "state",
        "postal_code",
        "phone",
        "phones",
        "website",
        "accreditations",
        "licenses",
        "services",
        "source_urls",
        "first_seen",
        "last_seen",
    ]
    assert len(rows) == len(facilities)
    by_id = {r["facility_id"]: r for r in rows}
    for _, row in facilities.iterrows():
        cells = by_id[row["facility_id"]]
        # a town-only location (issue 13) has no street: NULL in Parquet, an empty CSV cell
        assert cells["street"] == (row["street"] if isinstance(row["street"], str) else "")
        assert cells["phones"] == ";".join(row["phones"])
        assert cells["services"] == ";".join(row["services"])


def test_phones_are_e164(facilities):
    for phones in facilities["phones"]:
        for p in phones:
            assert p.startswith("+1") and len(p) == 12 and p[1:].isdigit()


def test_run_manifest_and_stats(sample_crawl, sample_web):
    manifest = sample_crawl.manifest()
    assert manifest["status"] == "ok" and manifest["finish_reason"] == "finished"
    assert len(manifest["sites"]) == len(sample_web)
    assert all(s["status"] == "ok" for s in manifest["sites"].values())
    assert manifest["published"]["facilities"] >= len(sample_web)
    run_dir = sample_crawl.out / "runs" / manifest["run_id"]
    assert (run_dir / "observations.jsonl").stat().st_size > 0
    assert (run_dir / "stats.json").exists()
