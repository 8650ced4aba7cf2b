"""End to end: a provider whose state certification is shown only as a seal image and a number
(sample site ``tallgrass-crossing-counseling``), crawled alone through Scrapy and the pipelines.
The license is published with the agency read from the seal, the number from the line beside it,
and the state from the agency; the funding, staff and membership sentences publish nothing."""

from __future__ import annotations

import pandas as pd
import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import crawl, write_seeds

pytestmark = pytest.mark.e2e
SLUG = "tallgrass-crossing-counseling"


@pytest.fixture(scope="module")
def seal_crawl(tmp_path_factory):
    base = tmp_path_factory.mktemp("seal-crawl")
    with serve_sites({SLUG: bundled_sites_dir() / SLUG}, port=0, first_host=215) as urls:
        result = crawl(write_seeds(base / "seeds.txt", list(urls.values())), base / "output")
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def facility(seal_crawl) -> pd.Series:
    rows = pd.read_parquet(seal_crawl.latest / "facilities.parquet")
    assert len(rows) == 1
    return rows.iloc[0]


def test_license_from_seal_and_number(facility, sample_facts):
    (lic,) = sample_facts[SLUG]["licenses"]
    assert list(facility["licenses"]) == [f"{lic['agency']} ({lic['state']}) #{lic['number']}"]


def test_license_long_table_is_structured(seal_crawl, facility, sample_facts):
    (lic,) = sample_facts[SLUG]["licenses"]
    rows = pd.read_parquet(seal_crawl.latest / "facility_licenses.parquet")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["agency"], row["state"], row["number"], row["agency_id"]) == (
        lic["agency"],
        lic["state"],
        lic["number"],
        lic["agency_id"],
    )
    assert row["as_shown"] == "ODMHSAS"
    assert not row["state_inferred"]  # the seal names the agency, and the agency its state
    assert row["evidence"] == "seal: /images/odmhsas-seal.png"


def test_license_evidence_is_the_seal(seal_crawl):
    ev = pd.read_parquet(seal_crawl.latest / "evidence.parquet")
    lic = ev[ev["field"] == "license"]
    assert set(lic["basis"]) == {"seal"}
    assert lic["url"].str.contains("/").all()


def test_accreditation_from_seal_not_from_resource_logos(facility, sample_facts):
    assert set(facility["accreditations"]) == set(sample_facts[SLUG]["accreditations"])


def test_contact_phone_not_fax_or_988(facility, sample_facts):
    assert list(facility["phones"]) == sample_facts[SLUG]["phones"]
