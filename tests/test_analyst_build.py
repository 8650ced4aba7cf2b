"""What a publish ships for analysts, on hand-built stored runs: long tables, approximate
coordinates, the data-dictionary checks that gate publishing, datapackage.json, DuckDB, the
report page's safety and the xlsx/GeoJSON exports."""

from __future__ import annotations

import csv
import json
import re
import shutil

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from provdir.build import SchemaViolation, publish
from provdir.build.checks import check_directory
from provdir.build.export import export
from provdir.build.tables import FACILITY_COLUMNS, TABLES
from tests.helpers import cli_in_process
from tests.test_build_locations import fact, name, page, phone
from tests.test_history import JOPLIN, SPRINGFIELD, record, samhsa_run, site_run
from tests.test_publish import OBS, stored_run


def latest(out, stem: str) -> pd.DataFrame:
    return pd.read_parquet(out / "latest" / f"{stem}.parquet")


def samhsa_record_with_extension() -> dict:
    rec = record(
        "sa1",
        "Redbud Hollow",
        "1840 E Sunshine St Ste 200",
        "65804",
        "+14175550123",
        services=("outpatient", "medicaid"),
    )
    rec["phones"][0]["extension"] = "110"
    rec["phones"].append(
        {
            **rec["phones"][0],
            "raw": "417-555-0199",
            "e164": "+14175550199",
            "extension": "",
            "role": "admissions",
            "snippet": "Intake: 417-555-0199",
        }
    )
    return rec


# -- long tables ---------------------------------------------------------------------------
def test_long_tables_keep_one_row_per_source_with_roles_and_extensions(tmp_path):
    site_run(tmp_path, [SPRINGFIELD])
    samhsa_run(tmp_path, [samhsa_record_with_extension()])
    publish(tmp_path)
    fac = latest(tmp_path, "facilities")
    assert len(fac) == 1, "the site and SAMHSA records of one place merge"
    fid = fac.facility_id[0]

    svc = latest(tmp_path, "facility_services")
    outpatient = svc[svc.service == "outpatient"]
    assert sorted(outpatient.source) == ["samhsa", "site"]
    assert set(outpatient.samhsa_code) == {"OP"} and set(outpatient.category) == {"setting"}
    medicaid = svc[svc.service == "medicaid"]
    assert list(medicaid.source_key) == ["samhsa:sa1"] and list(medicaid.evidence) == ["SAMHSA: medicaid"]
    assert set(svc.facility_id) == {fid}

    ph = latest(tmp_path, "facility_phones").set_index(["phone", "source"])
    assert ph.loc[("+14175550123", "samhsa"), "extension"] == "110"
    assert pd.isna(ph.loc[("+14175550123", "site"), "extension"])  # missing: NULL in Parquet
    assert ph.loc[("+14175550123", "site"), "is_main"]
    assert ph.loc[("+14175550199", "samhsa"), "role"] == "admissions"
    assert not ph.loc[("+14175550199", "samhsa"), "is_main"]
    assert ph.loc[("+14175550123", "site"), "evidence"] == "Call +14175550123"


def test_long_tables_agree_with_the_wide_table(tmp_path):
    site_run(tmp_path, [SPRINGFIELD, JOPLIN], services=("outpatient", "detox", "medicaid"))
    samhsa_run(tmp_path, [samhsa_record_with_extension()])
    publish(tmp_path)
    fac = latest(tmp_path, "facilities")
    for stem, column, wide in (
        ("facility_services", "service", "services"),
        ("facility_accreditations", "accreditation", "accreditations"),
        ("facility_licenses", "license", "licenses"),
        ("facility_phones", "phone", "phones"),
    ):
        long = latest(tmp_path, stem)
        for _, row in fac.iterrows():
            mine = long[long.facility_id == row.facility_id]
            if stem == "facility_phones":
                assert set(mine[column]) == set(row[wide]), (stem, row["name"])
                continue
            # Issue 13: scope 'location' rows are the wide column, 'organization' rows its organization_* twin.
            assert set(mine[mine.scope == "location"][column]) == set(row[wide]), (stem, row["name"])
            assert set(mine[mine.scope == "organization"][column]) == set(row[f"organization_{wide}"]), stem


def test_carried_facility_keeps_its_phone_roles(tmp_path):
    site_run(tmp_path, [SPRINGFIELD, JOPLIN])
    publish(tmp_path)
    site_run(tmp_path, [SPRINGFIELD])  # Joplin is gone from the site: carried as missing
    publish(tmp_path)
    fac = latest(tmp_path, "facilities").set_index("facility_id")
    (joplin,) = fac.index[fac.status == "missing"]
    ph = latest(tmp_path, "facility_phones")
    carried = ph[ph.facility_id == joplin]
    assert list(carried.role) == ["main"] and list(carried.evidence) == ["Call +14175550123"]


def test_licenses_are_split_into_agency_state_and_number(tmp_path):
    lic = {
        "agency": "Missouri Department of Mental Health",
        "state": "MO",
        "number": "DMH-42",
        "snippet": "Licensed by the Missouri Department of Mental Health (license DMH-42)",
        "region": "main",
    }
    stored_run(tmp_path, [{**OBS[0], "licenses": [lic]}])
    publish(tmp_path)
    lics = latest(tmp_path, "facility_licenses")
    assert set(lics.license) == {"Missouri Department of Mental Health (MO) #DMH-42"}
    assert set(lics[["agency", "state", "number"]].itertuples(index=False, name=None)) == {
        ("Missouri Department of Mental Health", "MO", "DMH-42")
    }


# -- coordinates ---------------------------------------------------------------------------
def test_zip_centroid_where_the_source_gives_no_coordinates(tmp_path):
    site_run(
        tmp_path, [SPRINGFIELD, ("100 Main St", "00000", "Nowhere Clinic"), ("9 Rodeo Dr", "90210", "Wrong State")]
    )
    samhsa_run(tmp_path, [record("sa9", "Ozark Center", "500 S Elm St", "65802", "+14175550777")])
    publish(tmp_path)
    fac = latest(tmp_path, "facilities").set_index("name")
    spring = fac.loc["Springfield Clinic"]
    assert spring.coordinates_source == "zip_centroid"
    assert abs(spring.latitude - 37.17) < 0.1 and abs(spring.longitude + 93.25) < 0.1  # ZIP 65804
    ozark = fac.loc["Ozark Center"]  # SAMHSA gives 37.2, -93.3
    assert (ozark.coordinates_source, ozark.latitude, ozark.longitude) == ("source", 37.2, -93.3)
    for unplaced in ("Nowhere Clinic", "Wrong State"):  # unknown ZIP; a California ZIP in MO
        row = fac.loc[unplaced]
        assert pd.isna(row.coordinates_source) and pd.isna(row.latitude) and pd.isna(row.longitude)
    with (tmp_path / "latest" / "facilities.csv").open(encoding="utf-8") as fh:
        cells = {r["name"]: r for r in csv.DictReader(fh)}
    assert cells["Ozark Center"]["longitude"] == "-93.3", "numbers are not formula-escaped in CSV"


# -- the data dictionary gates publishing ---------------------------------------------------
def test_a_build_that_breaks_its_dictionary_is_not_published(tmp_path):
    stored_run(tmp_path, OBS)
    publish(tmp_path)
    before = (tmp_path / "latest").resolve()
    bad = [
        page(
            "/",
            addresses=OBS[0]["addresses"],
            org_names=[name("Harris House")],
            phones=[phone("+13146314299")],
            services=[fact("detox"), fact("teleportation")],
        )
    ]
    stored_run(tmp_path, bad)  # e.g. an observation written by an older vocabulary
    for force in (False, True):
        with pytest.raises(SchemaViolation) as exc:
            publish(tmp_path, force=force)
        # two locations and a site-wide fact: it is the organization's (issue 13)
        assert "facilities.organization_services" in str(exc.value) and "teleportation" in str(exc.value)
        assert "facility_services.service" in str(exc.value)
    assert (tmp_path / "latest").resolve() == before
    assert not [p for p in (tmp_path / "builds").iterdir() if p.name.startswith(".staging")]
    proc = cli_in_process("build", "--out", str(tmp_path))
    assert proc.returncode == 1 and "breaks its data dictionary" in proc.stderr
    assert (tmp_path / "latest").resolve() == before


@pytest.fixture(scope="module")
def published_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("analyst") / "out"
    site_run(out, [SPRINGFIELD, JOPLIN], services=("outpatient", "medicaid"))
    publish(out)
    return (out / "latest").resolve()


@pytest.fixture
def good_build(published_build, tmp_path):
    """A copy of one published build per test: tests break their copy's files."""
    copy = tmp_path / "copy"
    shutil.copytree(published_build, copy)
    return copy


def rewrite(directory, stem, change):
    rows = pq.read_table(directory / f"{stem}.parquet").to_pylist()
    rows = change(rows)
    spec = next(t for t in TABLES if t.name == stem)
    from provdir.build.tables import write_table

    write_table(rows, spec.columns, directory, stem)


def test_checks_pass_on_a_good_build(good_build):
    assert check_directory(good_build) == []


@pytest.mark.parametrize(
    ("stem", "change", "expected"),
    [
        ("facilities", lambda rows: [{**r, "state": "Missouri"} for r in rows], "facilities.state"),
        ("facilities", lambda rows: [{**r, "phones": ["417-555-0123"]} for r in rows], "facilities.phones"),
        ("facilities", lambda rows: [{**r, "latitude": 137.0} for r in rows], "facilities.latitude"),
        ("facilities", lambda rows: [{**r, "name": ""} for r in rows], "'required'"),
        ("facilities", lambda rows: [*rows, rows[0]], "facility_id"),  # duplicate primary key
        ("facility_services", lambda rows: [{**r, "facility_id": "F000000000000"} for r in rows], "not in facilities"),
        ("facility_phones", lambda rows: [{**r, "role": "fax"} for r in rows], "facility_phones.role"),
        (
            "changes",
            lambda rows: [{"facility_id": "F000000000000", "change": "vanished", "build_id": "x"}],
            "changes.change",
        ),
    ],
)
def test_checks_catch_a_file_that_breaks_its_dictionary(good_build, stem, change, expected):
    rewrite(good_build, stem, change)
    problems = check_directory(good_build)
    assert any(expected in p for p in problems), problems


def test_checks_catch_wrong_types_and_a_csv_that_disagrees(good_build):
    table = pq.read_table(good_build / "facilities.parquet")
    pq.write_table(
        table.set_column(
            table.schema.get_field_index("missed_runs"), "missed_runs", table["missed_runs"].cast(pa.string())
        ),
        good_build / "facilities.parquet",
    )
    lines = (good_build / "evidence.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (good_build / "evidence.csv").write_text("".join(lines[:-1]), encoding="utf-8")
    problems = check_directory(good_build)
    assert any("facilities.missed_runs: type string" in p for p in problems), problems
    assert any("evidence.csv:" in p and "rows where" in p for p in problems), problems


# -- dictionary, data package, DuckDB --------------------------------------------------------
def test_every_published_table_and_column_is_in_the_dictionary_and_the_package(tmp_path):
    site_run(tmp_path, [SPRINGFIELD])
    publish(tmp_path)
    folder = tmp_path / "latest"
    with (folder / "data_dictionary.csv").open(encoding="utf-8") as fh:
        described = {(r["table"], r["column"]) for r in csv.DictReader(fh)}
    published = {(p.stem, name) for p in folder.glob("*.parquet") for name in pq.read_schema(p).names}
    assert published == described
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["name"] for r in package["resources"]} == {p.stem for p in folder.glob("*.parquet")}
    for res in package["resources"]:
        assert (folder / res["path"]).exists()
        names = [f["name"] for f in res["schema"]["fields"]]
        with (folder / res["path"]).open(encoding="utf-8") as fh:
            assert next(csv.reader(fh)) == names
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert fields["state"]["constraints"]["enum"][:2] == ["AL", "AK"]
    assert fields["services"]["type"] == "list" and "detox" in fields["services"]["description"]
    assert package["resources"][0]["schema"]["primaryKey"] == ["facility_id"]


def test_frictionless_validates_the_package_and_catches_a_broken_csv(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    site_run(tmp_path, [SPRINGFIELD, JOPLIN], services=("outpatient", "detox"))
    publish(tmp_path)
    folder = (tmp_path / "latest").resolve()
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    path = broken / "facility_services.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",detox,", ",teleportation,", 1), encoding="utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("F000000000000,outpatient,Outpatient,setting,OP,site,site:x,,,\n")
    report = frictionless.validate(str(broken / "datapackage.json"))
    assert not report.valid
    kinds = {e[0] for e in report.flatten(["type"])}
    assert {"constraint-error", "foreign-key"} <= kinds, kinds


def test_duckdb_database_works_from_any_folder_and_views_sql_from_its_own(tmp_path, monkeypatch):
    site_run(tmp_path / "out", [SPRINGFIELD, JOPLIN], services=("outpatient", "medicaid"))
    publish(tmp_path / "out")
    folder = (tmp_path / "out" / "latest").resolve()
    assert not (folder / "directory.duckdb.wal").exists()
    monkeypatch.chdir(tmp_path)  # not the build folder
    con = duckdb.connect(str(tmp_path / "out" / "latest" / "directory.duckdb"), read_only=True)
    for spec in TABLES:
        ((count,),) = con.execute(f"SELECT count(*) FROM {spec.name}").fetchall()
        assert count == pq.read_metadata(folder / f"{spec.name}.parquet").num_rows, spec.name
    ((comment,),) = con.execute(
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'facilities' AND column_name = 'coordinates_source'"
    ).fetchall()
    assert "zip_centroid" in comment
    numbers = con.execute("SELECT facility_id, phone, role, is_main FROM phone_numbers ORDER BY ALL").fetchall()
    assert [n[1:] for n in numbers] == [("+14175550123", "main", True)] * 2
    con.close()

    monkeypatch.chdir(folder)
    mem = duckdb.connect()
    mem.execute((folder / "views.sql").read_text(encoding="utf-8"))
    # The site states medicaid site-wide for its two clinics: the organization's, not known per clinic.
    assert mem.execute("SELECT count(*) FROM services_offered WHERE service = 'medicaid'").fetchall() == [(0,)]
    stated = "SELECT count(*) FROM services_stated_by_organization WHERE service = 'medicaid'"
    assert mem.execute(stated).fetchall() == [(2,)]
    assert mem.execute("SELECT count(*) FROM active_facilities").fetchall() == [(2,)]


# -- report page and exports -----------------------------------------------------------------
HOSTILE = '=HYPERLINK("http://evil.example/","x")</script><script>alert(1)</script>'


@pytest.fixture
def hostile_build(tmp_path):
    obs = [{**OBS[0], "seed_name": HOSTILE}]
    stored_run(tmp_path, obs)
    publish(tmp_path)
    return tmp_path


def test_report_is_self_contained(hostile_build):
    html = (hostile_build / "latest" / "report.html").read_text(encoding="utf-8")
    assert "<link" not in html and "<script src" not in html and "<iframe" not in html
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "nothing is loaded from elsewhere"
    assert 'id="report-data"' in html and "data-rendered" in html


def test_report_text_cannot_close_its_script_or_inject_markup(hostile_build):
    from provdir.build.report import render

    html = render({"build_id": HOSTILE, "facilities": 1, "by_state": {"MO": 1}, "note": HOSTILE})
    assert html.count("</script>") == 2  # the data block's and the script's own: no injected one
    assert "<script>alert(1)" not in html
    title = html.split("<title>")[1].split("</title>")[0]
    assert "&lt;/script&gt;" in title
    blob = html.split('id="report-data">')[1].split("</script>")[0]
    assert json.loads(blob)["note"] == HOSTILE  # escaped for HTML, the same text for the script


def test_xlsx_export_is_spreadsheet_safe(hostile_build):
    from openpyxl import load_workbook

    path = export(hostile_build / "latest", "xlsx", to=hostile_build / "d.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[:3] == ["about", "data_dictionary", "facilities"]
    assert {spec.name for spec in TABLES} <= set(wb.sheetnames)
    ws = wb["facilities"]
    header = [c.value for c in ws[1]]
    assert header == [n for n, _, _ in FACILITY_COLUMNS]
    fac = latest(hostile_build, "facilities")
    assert ws.max_row == len(fac) + 1
    org = ws.cell(row=2, column=header.index("organization") + 1)
    assert org.value == HOSTILE and org.data_type == "s" and org.quotePrefix, "text, never a formula"
    phone_cell = ws.cell(row=2, column=header.index("phone") + 1)
    assert phone_cell.value == "+13146314299" and not phone_cell.quotePrefix
    phones_cell = ws.cell(row=2, column=header.index("services") + 1)
    assert phones_cell.value == "; ".join(fac.services[0])
    lat = ws.cell(row=2, column=header.index("latitude") + 1)
    assert isinstance(lat.value, float)
    with (hostile_build / "latest" / "facilities.csv").open(encoding="utf-8") as fh:
        assert next(csv.DictReader(fh))["organization"] == "'" + HOSTILE


def test_geojson_export_has_a_point_per_located_facility(hostile_build):
    path = export(hostile_build / "latest", "geojson")
    assert path.parent == hostile_build / "exports" and path.suffix == ".geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    fac = latest(hostile_build, "facilities")
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == fac.latitude.notna().sum() == 2
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert feature["geometry"]["type"] == "Point" and -180 <= lon <= -60 and 15 <= lat <= 72
        props = feature["properties"]
        assert props["coordinates_source"] == "zip_centroid" and props["approximate"] is True
        assert props["state"] == "MO" and props["phones"] == "+13146314299"


def test_export_cli(hostile_build):
    proc = cli_in_process(
        "export", "--format", "geojson", "--out", str(hostile_build), "--to", str(hostile_build / "m.json")
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((hostile_build / "m.json").read_text())["type"] == "FeatureCollection"
    proc = cli_in_process("export", "--format", "xlsx", "--out", str(hostile_build / "nothing"))
    assert proc.returncode == 1 and "nothing published" in proc.stderr
    proc = cli_in_process("export", "--format", "pdf", "--out", str(hostile_build))
    assert proc.returncode == 2
