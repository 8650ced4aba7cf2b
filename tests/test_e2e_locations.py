"""End to end (issue 13): each facility row says only what the provider says about that location.

Crawls the bundled sample web (shared session crawl) and checks the three sites built for this:
a multi-location provider whose sites offer different programs, a sober-living operator that
publishes towns only, and a network that lists its facilities by city. Expected values come from
``provdir/sampleweb/facts.d/<slug>.json``.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from provdir.normalize.address import parse_address

pytestmark = pytest.mark.e2e
SLUGS = ["prairie-lantern-health", "cedar-lantern-sober-living", "tallgrass-recovery-network"]


@pytest.fixture(scope="module")
def facilities(sample_crawl) -> pd.DataFrame:
    return pd.read_parquet(sample_crawl.latest / "facilities.parquet")


@pytest.fixture(scope="module")
def services_long(sample_crawl) -> pd.DataFrame:
    return pd.read_parquet(sample_crawl.latest / "facility_services.parquet")


def rows_of(facilities: pd.DataFrame, sample_web: dict[str, str], slug: str) -> pd.DataFrame:
    return facilities[facilities["website"] == sample_web[slug]]


def row_for(rows: pd.DataFrame, loc: dict) -> pd.Series:
    match = rows[(rows["city"] == loc["city"]) & (rows["state"] == loc["state"])]
    assert len(match) == 1, f"no single row for {loc['name']}: {list(rows['city'])}"
    return match.iloc[0]


@pytest.mark.parametrize("slug", SLUGS)
def test_one_row_per_location_and_no_corporate_office(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    expected = sample_facts[slug]["locations"]
    assert sorted(rows["city"]) == sorted(loc["city"] for loc in expected)


@pytest.mark.parametrize("slug", SLUGS)
def test_address_precision_street_and_name(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    for loc in sample_facts[slug]["locations"]:
        row = row_for(rows, loc)
        assert row["address_precision"] == loc["address_precision"]
        if loc["street"]:
            parsed = parse_address(f"{loc['street']}, {loc['city']}, {loc['state']} {loc['postal_code']}")
            assert parsed is not None and row["street"] == parsed.full_street
            assert row["postal_code"] == loc["postal_code"]
        else:
            # no street, no ZIP: NULL in Parquet (missing values are NULL, not '')
            assert pd.isna(row["street"]) and pd.isna(row["postal_code"])
        assert row["name"] == loc["name"]


@pytest.mark.parametrize("slug", SLUGS)
def test_services_are_per_location_and_org_wide_apart(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    facts = sample_facts[slug]
    for loc in facts["locations"]:
        row = row_for(rows, loc)
        assert set(row["services"]) == set(loc["services"]), loc["name"]
        assert not set(row["services"]) & set(row["organization_services"])
        everything = set(row["services"]) | set(row["organization_services"])
        assert everything == set(facts["services"])
        assert not everything & set(facts["not_services"])


@pytest.mark.parametrize("slug", SLUGS)
def test_phones_stay_with_their_card(facilities, sample_web, sample_facts, slug):
    rows = rows_of(facilities, sample_web, slug)
    facts = sample_facts[slug]
    card_numbers = {loc["phone"] for loc in facts["locations"]} - set(facts["organization_phones"])
    for loc in facts["locations"]:
        row = row_for(rows, loc)
        assert row["phone"] == loc["phone"], loc["name"]
        assert set(row["phones"]) & card_numbers <= {loc["phone"]}, f"{loc['name']} lists a sibling's number"
        assert set(facts["organization_phones"]) <= set(row["phones"])  # the organization's line is shared
        assert not set(row["phones"]) & set(facts["not_phones"])


def test_long_table_scope_matches_the_wide_columns(facilities, services_long, sample_web):
    rows = rows_of(facilities, sample_web, "prairie-lantern-health")
    for _, row in rows.iterrows():
        mine = services_long[services_long.facility_id == row["facility_id"]]
        assert set(mine[mine.scope == "location"]["service"]) == set(row["services"])
        assert set(mine[mine.scope == "organization"]["service"]) == set(row["organization_services"])


def test_analyst_counts_detox_facilities_not_organizations(facilities, services_long, sample_web):
    """'Facilities offering detox in Oklahoma' is one clinic, not every clinic of the organization."""
    ok = facilities[(facilities["state"] == "OK") & (facilities["website"] == sample_web["prairie-lantern-health"])]
    local = services_long[(services_long.scope == "location") & (services_long.service == "detox")]
    assert set(ok["facility_id"]) & set(local["facility_id"]) == set(ok[ok["city"] == "Oklahoma City"]["facility_id"])


def test_readme_facility_or_organization_examples(sample_crawl, sample_web, monkeypatch):
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("## Facility or organization: what each row says\n")
    section = text[start : text.find("\n## ", start + 10)]
    (python,) = re.findall(r"```python\n(.*?)```", section, re.S)
    (sql,) = re.findall(r"```sql\n(.*?)```", section, re.S)
    monkeypatch.chdir(sample_crawl.out.parent)
    ns: dict = {}
    exec(compile(python, "README.md", "exec"), ns)
    assert list(ns["at_facility"]["name"]) == ["Oklahoma City Detox & Residential Center"]
    assert set(ns["org_offers_somewhere"]["name"]) == {"Norman Outpatient Clinic", "Edmond Recovery Residence"}
    con = duckdb.connect("output/latest/directory.duckdb", read_only=True)
    rows = con.execute(sql).fetchall()
    con.close()
    assert rows == [("Oklahoma City Detox & Residential Center", "Oklahoma City", "street")]
