"""End to end, as on a stranger's machine: the repository's files alone (a copy with no
``../shared`` beside it) run ``provdir demo``'s path: the sample directory and the sample web are
crawled, resolved into one directory, and every listing with a website is verified against it.
The planted out-of-date listings (a changed phone, a moved clinic, a service the website no
longer offers) are found; the up-to-date ones are confirmed."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.e2e
PLACES: dict = {}


def fresh_copy(dest: Path) -> Path:
    """The files git would check out (tracked, plus new files not ignored), nothing else."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("stranger")
    clone = fresh_copy(base / "provider-directory")
    assert not (clone.parent / "shared").exists()
    env = {**os.environ, "PYTHONPATH": str(clone)}  # the copy's code, not the checkout's
    proc = subprocess.run(
        [sys.executable, "-m", "provdir.cli", "demo", "--port", "0"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    latest = clone / "output" / "latest"
    PLACES.update(clone=clone, latest=latest, env=env)
    facilities = pq.read_table(latest / "facilities.parquet").to_pylist()
    verification = pq.read_table(latest / "verification.parquet").to_pylist()
    return proc, facilities, verification


def facility(facilities, name: str, street_prefix: str = "") -> dict:
    found = [f for f in facilities if f["name"].startswith(name) and f["street"].startswith(street_prefix)]
    assert len(found) == 1, [(f["name"], f["street"]) for f in facilities]
    return found[0]


def checks(verification, fac: dict, field: str) -> list[dict]:
    return [r for r in verification if r["facility_id"] == fac["facility_id"] and r["field"] == field]


def test_the_code_that_ran_is_the_copy(demo):
    proc, _, _ = demo
    assert "sample directory" in proc.stderr and "127.0.0.10:" in proc.stderr


def test_listing_and_website_of_one_place_are_one_facility(demo):
    _, facilities, _ = demo
    harris = facility(facilities, "Harris House Treatment Center")
    assert sorted(harris["sources"]) == ["samhsa", "site"]
    assert harris["phone"] == "+13146314299"
    # SAMHSA's SA and MH listings of the Springfield Clinic and its website: one row.
    springfield = facility(facilities, "Springfield Clinic")
    keys = springfield["source_keys"]
    assert sum(k.startswith("samhsa:") for k in keys) == 2 and any(k.startswith("site:") for k in keys)


def test_the_website_wins_over_an_old_listing_and_the_disagreement_is_kept(demo):
    _, facilities, verification = demo
    agarita = facility(facilities, "Agarita Recovery Clinic")
    assert agarita["phone"] == "+15125550142"
    assert any("+15125550199" in c for c in agarita["conflicts"])
    [phone] = checks(verification, agarita, "phone")
    assert (phone["status"], phone["directory_value"], phone["website_value"]) == (
        "conflict",
        "+15125550199",
        "+15125550142",
    )
    assert phone["evidence_url"].startswith("http://127.0.0.")


def test_a_moved_clinic_is_an_address_conflict(demo):
    _, facilities, verification = demo
    old = facility(facilities, "Fernglass Ketamine", "2525")
    assert old["sources"] == ["samhsa"]
    [address] = checks(verification, old, "address")
    assert address["status"] == "conflict"
    assert address["website_value"].startswith("1800 30th St Ste 207")
    assert facility(facilities, "Fernglass Ketamine", "1800")["sources"] == ["site"]


def test_a_service_the_website_no_longer_offers_is_only_in_the_directory(demo):
    _, facilities, verification = demo
    quill = facility(facilities, "Quill Creek Recovery Center")
    statuses = {r["value"]: r["status"] for r in checks(verification, quill, "service")}
    assert statuses["iop"] == "only_directory"
    assert statuses["detox"] == "confirmed" and statuses["residential"] == "confirmed"


def test_up_to_date_listings_are_confirmed(demo):
    _, facilities, verification = demo
    harris = facility(facilities, "Harris House Treatment Center")
    assert {r["status"] for r in checks(verification, harris, "phone")} == {"confirmed"}
    assert {r["status"] for r in checks(verification, harris, "address")} == {"confirmed"}
    accreditations = {r["value"]: r["status"] for r in checks(verification, harris, "accreditation")}
    assert accreditations["CARF"] == "confirmed"
    assert harris["verified_at"]


def test_listed_only_facilities_are_published_unverified(demo):
    _, facilities, verification = demo
    osage = facility(facilities, "Osage Bend Recovery Services")
    assert osage["sources"] == ["samhsa"] and not osage["website"]
    assert not checks(verification, osage, "phone") and not osage["verified_at"]


def test_the_summary_says_what_was_merged_and_found(demo):
    proc, _, _ = demo
    out = proc.stdout
    assert "listed in the directory and read on their website (merged into one row each)" in out
    assert "Agarita Recovery Clinic: phone differs: directory '+15125550199', website '+15125550142'" in out
    assert "Fernglass Ketamine & Wellness: address differs" in out
    assert "Quill Creek Recovery Center: the directory lists service 'iop'; the website does not show it" in out


# -- types: every published file says what datapackage.json says ---------------------------
ARROW_FOR = {
    "string": "string",
    "date": "date32[day]",
    "integer": "int64",
    "number": "double",
    "boolean": "bool",
    "list": "list<element: string>",
}
DUCKDB_FOR = {
    "string": "VARCHAR",
    "date": "DATE",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "list": "VARCHAR[]",
}


@pytest.fixture(scope="module")
def resources(demo) -> dict[str, dict[str, str]]:
    """table -> column -> the data package's type."""
    package = json.loads((PLACES["latest"] / "datapackage.json").read_text())
    return {r["name"]: {f["name"]: f["type"] for f in r["schema"]["fields"]} for r in package["resources"]}


def test_the_package_has_a_licence(demo):
    package = json.loads((PLACES["latest"] / "datapackage.json").read_text())
    assert [lic["name"] for lic in package["licenses"]] == ["CC0-1.0"]
    assert package["licenses"][0]["path"].startswith("https://creativecommons.org/publicdomain/zero/")


def test_the_package_declares_the_dates(resources):
    assert resources["facilities"]["first_seen"] == resources["facilities"]["verified_at"] == "date"
    assert resources["verification"]["verified_at"] == "date"


def test_parquet_types_are_the_packages_and_missing_is_null(resources):
    for table, fields in resources.items():
        parquet = pq.read_table(PLACES["latest"] / f"{table}.parquet")
        for name, kind in fields.items():
            assert str(parquet.schema.field(name).type) == ARROW_FOR[kind], (table, name)
            if kind == "string":
                assert "" not in parquet.column(name).to_pylist(), f"{table}.{name}: '' where NULL is meant"
    facilities = pq.read_table(PLACES["latest"] / "facilities.parquet").to_pylist()
    assert any(f["verified_at"] is None for f in facilities)  # never checked: NULL, not ''
    assert all(isinstance(f["first_seen"], datetime.date) for f in facilities)


def test_duckdb_types_are_the_packages(resources):
    import duckdb

    con = duckdb.connect(str(PLACES["latest"] / "directory.duckdb"), read_only=True)
    try:
        for table, fields in resources.items():
            got = dict(
                con.execute(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?", [table]
                ).fetchall()
            )
            for name, kind in fields.items():
                assert got[name] == DUCKDB_FOR[kind], (table, name, got[name])
        never = con.execute("SELECT count(*) FROM facilities WHERE verified_at IS NULL").fetchone()[0]
        blank = con.execute("SELECT count(*) FROM facilities WHERE website = ''").fetchone()[0]
        assert never > 0 and blank == 0
        assert con.execute("SELECT max(verified_at) - min(first_seen) FROM facilities").fetchone()[0] == 0  # date math
    finally:
        con.close()


def test_xlsx_cells_have_the_packages_types(resources):
    import openpyxl

    to = PLACES["latest"].parent / "directory.xlsx"
    proc = subprocess.run(
        [sys.executable, "-m", "provdir.cli", "export", "--format", "xlsx", "--to", str(to)],
        cwd=PLACES["clone"],
        env=PLACES["env"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    wb = openpyxl.load_workbook(to, read_only=True)
    for table in ("facilities", "verification"):
        rows = list(wb[table].iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        for name, kind in resources[table].items():
            i = header.index(name)
            values = [r[i] for r in body if i < len(r) and r[i] is not None]  # read-only rows drop trailing blanks
            if kind == "date":
                assert values and all(isinstance(v, datetime.datetime | datetime.date) for v in values), (table, name)
            elif kind == "string":
                assert all(isinstance(v, str) and v for v in values), (table, name)
            elif kind == "number":
                assert all(isinstance(v, int | float) for v in values), (table, name)
