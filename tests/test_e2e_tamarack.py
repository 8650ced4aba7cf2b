"""End to end on one sample site built for issue 14 (tamarack-ridge-counseling): other
organizations' numbers, referred/planned/SEO services, an outpatient-only clinic's negatives and
its name, through a real crawl and the published tables."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import crawl, write_seeds

pytestmark = pytest.mark.e2e
SLUG = "tamarack-ridge-counseling"


@pytest.fixture(scope="module")
def published(tmp_path_factory, sample_facts):
    base = tmp_path_factory.mktemp("tamarack")
    with serve_sites({SLUG: bundled_sites_dir() / SLUG}, port=0, first_host=90) as urls:
        result = crawl(write_seeds(base / "seeds.txt", [urls[SLUG]]), base / "output")
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = sorted((base / "output" / "runs").iterdir())
    observations = [json.loads(line) for line in (run / "observations.jsonl").read_text().splitlines()]
    return {
        "facilities": pd.read_parquet(result.latest / "facilities.parquet"),
        "services": pd.read_parquet(result.latest / "facility_services.parquet"),
        "observations": observations,
        "facts": sample_facts[SLUG],
    }


def test_one_location_with_only_its_own_phone(published):
    rows, facts = published["facilities"], published["facts"]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["city"], row["postal_code"], row["phone"]) == ("Bend", "97703", "+15415550140")
    assert set(row["phones"]) == set(facts["phones"])
    assert not set(row["phones"]) & set(facts["not_phones"])


def test_other_organizations_numbers_are_kept_as_rejected_with_reasons(published):
    reasons: dict[str, set[str]] = {}
    for obs in published["observations"]:
        for r in obs.get("rejected", []):
            if r["field"] == "phone":
                reasons.setdefault(r["value"], set()).add(r["reason"])
    assert "credit_line" in reasons["+15415550188"]
    assert "other_org" in reasons["+18002747603"]
    assert reasons["+15415550199"] == {"other_org_list"}
    assert "+15415550140" not in reasons


def test_services_offered_and_not_offered(published):
    row, facts = published["facilities"].iloc[0], published["facts"]
    services = set(row["services"])
    assert services == set(facts["services"])
    assert not services & set(facts["not_services"])
    assert set(row["services_not_offered"]) == set(facts["services_not_offered"])


def test_long_table_status_column_with_evidence(published):
    svc = published["services"]
    not_offered = svc[svc["status"] == "not_offered"]
    assert set(not_offered["service"]) == set(published["facts"]["services_not_offered"])
    detox = not_offered[not_offered["service"] == "detox"].iloc[0]
    assert "do not have beds" in detox["evidence"] and detox["url"].endswith("/programs/")
    assert set(svc[svc["status"] == "offered"]["service"]) == set(published["facts"]["services"])


def test_organization_and_display_name_from_the_sites_own_voice(published):
    row = published["facilities"].iloc[0]
    assert row["organization"] == published["facts"]["org_name"]
    assert row["name"] == published["facts"]["locations"][0]["name"]
