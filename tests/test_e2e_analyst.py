"""End to end for analysts: the README's examples run against a real crawl of the sample web,
the data package validates, the long tables agree with the wide one, and the dataset report
renders in a real headless browser."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import lxml.html
import pandas as pd
import pytest

from provdir.build import publish
from provdir.build.checks import check_directory
from provdir.build.report import TILES
from provdir.build.tables import FACILITY_COLUMNS, TABLES
from tests.browser import browse, chromium
from tests.helpers import ROOT
from tests.test_build_locations import fact, phone
from tests.test_publish import stored_run

pytestmark = pytest.mark.e2e
ANSWER_COLUMNS = ["facility_id", "name", "street", "city", "postal_code", "phone", "extension", "role", "is_main"]


# -- the README's examples ------------------------------------------------------------------
def readme_blocks(section: str = "## Using the directory") -> list[tuple[str, str]]:
    """(language, code) of every python and sql block in a README section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(section + "\n")
    end = text.find("\n## ", start + len(section))
    return re.findall(r"```(python|sql)\n(.*?)```", text[start : end if end > 0 else None], re.S)


def run_readme_examples(base: Path, monkeypatch) -> tuple[dict, list[pd.DataFrame]]:
    """Run the examples from ``base`` (the folder holding ``output/``), as an analyst would."""
    monkeypatch.chdir(base)
    namespace: dict = {}
    results: list[pd.DataFrame] = []
    con = duckdb.connect("output/latest/directory.duckdb", read_only=True)
    try:
        for lang, code in readme_blocks():
            if lang == "python":
                exec(compile(code, "README.md", "exec"), namespace)
            else:
                results.append(con.execute(code).df())
    finally:
        con.close()
    return namespace, results


def as_rows(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame[ANSWER_COLUMNS].astype(object).itertuples(index=False, name=None)]


def test_readme_has_the_examples():
    langs = [lang for lang, _ in readme_blocks()]
    assert langs.count("python") >= 2 and langs.count("sql") >= 2


def test_readme_examples_run_on_the_sample_crawl(sample_crawl, monkeypatch):
    ns, (answer_sql, parquet_sql) = run_readme_examples(sample_crawl.out.parent, monkeypatch)
    answer = ns["answer"]
    assert list(answer.columns) == ANSWER_COLUMNS
    assert list(answer_sql.columns) == ANSWER_COLUMNS
    assert as_rows(answer) == as_rows(answer_sql), "pandas and DuckDB give the same answer"
    assert set(ns["wide"].facility_id) == set(answer.facility_id)
    # No sample facility is CARF + detox + Medicaid in Missouri (Harris House takes no Medicaid).
    assert answer.empty
    # The README says so and shows the query that does return rows: CARF + detox in Missouri.
    assert sorted(ns["in_missouri"]["name"]) == ["Harris House Treatment Center", "Transitional Housing"]
    # The plain Parquet query: CARF in MO is Harris House's two locations.
    assert set(parquet_sql["name"]) == {"Harris House Treatment Center", "Transitional Housing"}


def test_carf_detox_in_missouri_is_harris_house(sample_crawl, sample_web):
    con = duckdb.connect(str(sample_crawl.latest / "directory.duckdb"), read_only=True)
    query = """
        SELECT f.name, f.website, p.phone FROM facilities f JOIN phone_numbers p USING (facility_id)
        WHERE f.state = 'MO'
          AND f.facility_id IN (SELECT facility_id FROM accreditations_held WHERE accreditation = 'CARF')
          AND f.facility_id IN (SELECT facility_id FROM {view} WHERE service = 'detox')
        ORDER BY f.name"""
    at_facility = con.execute(query.format(view="services_offered")).fetchall()
    stated = con.execute(query.format(view="services_stated_by_organization")).fetchall()
    con.close()
    # Issue 13: Harris House lists detox in its menu and both addresses in its footer; no page
    # ties detox to either address, so it is the organization's, stated for both rows.
    assert at_facility == []
    assert stated == [
        ("Harris House Treatment Center", sample_web["harris-house"], "+13146314299"),
        ("Transitional Housing", sample_web["harris-house"], "+13146314299"),
    ]


def test_readme_answer_lists_the_facility_that_qualifies(tmp_path, monkeypatch):
    out = tmp_path / "output"

    def site(host: str, state: str, zip5: str, org: str, services, accreditations, phones):
        seed = f"http://{host}/"
        addr = {
            "raw": "x",
            "street": "100 Main St",
            "city": "Town",
            "state": state,
            "postal_code": zip5,
            "kind": "physical",
            "label": org,
            "phones": [],
            "snippet": "100 Main St",
            "region": "footer",
            "source": "text",
            "latitude": None,
            "longitude": None,
        }
        return {
            "source": "site",
            "site": host,
            "seed_url": seed,
            "url": seed,
            "seed_name": org,
            "org_names": [],
            "phones": phones,
            "addresses": [addr],
            "licenses": [],
            "services": [fact(s) for s in services],
            "accreditations": [fact(a, basis="logo", region="footer") for a in accreditations],
        }

    everything = ("detox", "medicaid", "substance_use")
    stored_run(
        out,
        [
            site(
                "127.0.0.71:8000",
                "MO",
                "63303",
                "Wanted Recovery",
                everything,
                ["CARF"],
                [phone("+13145550101"), {**phone("+13145550102", role="admissions"), "extension": "12"}],
            ),
            site("127.0.0.72:8000", "MO", "63111", "No Medicaid House", ("detox",), ["CARF"], [phone("+13145550103")]),
            site("127.0.0.73:8000", "KS", "66044", "Kansas Detox", everything, ["CARF"], [phone("+17855550104")]),
            site(
                "127.0.0.74:8000", "MO", "65804", "Joint Commission Only", everything, ["JC"], [phone("+14175550105")]
            ),
        ],
    )
    publish(out)
    ns, (answer_sql, _) = run_readme_examples(tmp_path, monkeypatch)
    expected = [
        ("Wanted Recovery", "+13145550101", None, "main", True),  # no extension: NULL
        ("Wanted Recovery", "+13145550102", "12", "admissions", False),
    ]
    for frame in (ns["answer"], answer_sql):
        got = [
            (r.name, r.phone, r.extension if isinstance(r.extension, str) else None, r.role, bool(r.is_main))
            for r in frame.itertuples()
        ]
        assert got == expected
    assert as_rows(ns["answer"]) == as_rows(answer_sql)
    assert list(ns["wide"]["name"]) == ["Wanted Recovery"]


# -- the published files -------------------------------------------------------------------
def test_sample_build_keeps_its_data_dictionary(sample_crawl):
    assert check_directory(sample_crawl.latest.resolve()) == []


def test_frictionless_validates_the_sample_directory(sample_crawl):
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(sample_crawl.latest.resolve() / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(report.tasks) == len(TABLES)  # every published table is described and checked
    # The command the README gives, from the folder itself.
    cli = Path(sys.executable).parent / "frictionless"
    proc = subprocess.run(
        [str(cli), "validate", "datapackage.json"], cwd=sample_crawl.latest, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_long_tables_agree_with_the_wide_table(sample_crawl):
    fac = pd.read_parquet(sample_crawl.latest / "facilities.parquet")
    for stem, column, wide in (
        ("facility_services", "service", "services"),
        ("facility_accreditations", "accreditation", "accreditations"),
        ("facility_licenses", "license", "licenses"),
        ("facility_phones", "phone", "phones"),
    ):
        long = pd.read_parquet(sample_crawl.latest / f"{stem}.parquet")
        if stem == "facility_services":  # the wide services column holds what is offered
            long = long[long["status"] == "offered"]
        if "scope" in long:  # issue 13: 'organization' rows are the organization_* column's
            org = long[long.scope == "organization"].groupby("facility_id")[column].apply(set).to_dict()
            for _, row in fac.iterrows():
                assert org.get(row.facility_id, set()) == set(row[f"organization_{wide}"]), (stem, row["name"])
            long = long[long.scope == "location"]
        by_facility = long.groupby("facility_id")[column].apply(set).to_dict()
        for _, row in fac.iterrows():
            assert by_facility.get(row.facility_id, set()) == set(row[wide]), (stem, row["name"])
        assert long["evidence"].str.len().gt(0).all(), f"{stem}: every row says what it was read from"
        assert long["source_key"].isin({k for keys in fac.source_keys for k in keys}).all()


def test_every_sample_facility_is_on_the_map(sample_crawl):
    fac = pd.read_parquet(sample_crawl.latest / "facilities.parquet").set_index("name")
    # Without Chromium the client-rendered site is published unread (needs_browser): it has no
    # address, so it is nowhere on the map rather than somewhere made up.
    unread = fac[fac.needs_browser]
    assert unread.latitude.isna().all() and unread.longitude.isna().all()
    assert list(unread.index) == ([] if chromium() else ["Kestrel Point Recovery"])
    fac = fac[~fac.needs_browser]
    assert fac.latitude.notna().all() and fac.longitude.notna().all()
    # Agarita's page gives schema.org geo; the others are placed at their ZIP's centre.
    assert fac.loc["Agarita Recovery Clinic", "coordinates_source"] == "source"
    others = fac.drop(index="Agarita Recovery Clinic")
    # town-only locations (issue 13) sit at their town's centre
    assert set(others[others.address_precision == "street"].coordinates_source) == {"zip_centroid"}
    assert set(others[others.address_precision == "city"].coordinates_source) == {"city_centroid"}
    golden = fac.loc["Aspen House"]  # Golden, CO
    assert abs(golden.latitude - 39.75) < 0.2 and abs(golden.longitude + 105.2) < 0.2
    harris = fac.loc["Harris House Treatment Center"]  # ZIP 63303, St. Charles MO
    assert abs(harris.latitude - 38.76) < 0.2 and abs(harris.longitude + 90.55) < 0.2


# -- the dataset report in a real browser ----------------------------------------------------
def test_report_renders_in_headless_chromium(sample_crawl, tmp_path):
    url = (sample_crawl.latest.resolve() / "report.html").as_uri()
    dom = lxml.html.fromstring(browse(tmp_path, "--dump-dom", url).stdout)
    assert dom.body.get("data-rendered") == "ok", "the page's script ran to the end"
    assert dom.get_element_by_id("render-status").text_content().startswith("Charts rendered")
    tiles = {g.get("data-state"): int(g.get("data-count")) for g in dom.cssselect("svg#state-map g.tile")}
    assert set(tiles) == set(TILES)
    # WA: kestrel-point-recovery, the client-rendered sample site, rendered by the same Chromium.
    assert {s: n for s, n in tiles.items() if n} == {
        "CA": 1,
        "CO": 4,
        "KS": 4,
        "MO": 6,
        "OK": 4,
        "OR": 1,
        "TX": 1,
        "WA": 1,
    }

    def cell(table: str, value: str, state: str) -> int:
        (td,) = dom.cssselect(f'table#{table} tr[data-value="{value}"] td.cell[data-state="{state}"]')
        return int(td.get("data-count"))

    # Issue 13: services by state count locations the site ties the service to. Harris House's
    # detox and Redbud Hollow's Medicaid are stated site-wide for several addresses: not counted.
    assert cell("services-by-state", "detox", "MO") == 0
    assert cell("services-by-state", "medicaid", "MO") == 0
    assert cell("services-by-state", "detox", "OK") == 1  # Prairie Lantern's Oklahoma City card
    assert cell("services-by-state", "ketamine", "CO") == 1
    assert cell("accreditations-by-state", "CARF", "MO") == 2
    assert cell("accreditations-by-state", "CARF", "CA") == 1
    bars = {g.get("data-column"): int(g.get("data-filled")) for g in dom.cssselect("svg#completeness-chart g.bar")}
    assert list(bars) == [n for n, _, _ in FACILITY_COLUMNS]
    assert bars["name"] == 22 and bars["licenses"] == 3 and bars["conflicts"] == 0
    listed = {tr[0].text_content(): int(tr[1].text_content()) for tr in dom.cssselect("table#sources-listed tr")}
    assert listed == {"site": 22}


def test_report_screenshot_is_a_real_picture(sample_crawl, tmp_path):
    shot = tmp_path / "report.png"
    url = (sample_crawl.latest.resolve() / "report.html").as_uri()
    browse(tmp_path, f"--screenshot={shot}", "--window-size=1280,2600", url)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2600)
    assert len(data) > 60_000, "a blank or unstyled page compresses to far less"
    keep = os.environ.get("PROVDIR_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
