"""Stable ids and history across simulated runs: re-runs, a failed source, renames, moves,
merges, statuses and the change list."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from provdir.build import PublishRefused, publish
from provdir.runs.store import create_run
from tests.test_build_locations import fact, name, page, phone

SITE = "127.0.0.9:8000"


def address(street: str, zip5: str, label: str) -> dict:
    return {
        "raw": street,
        "street": street,
        "city": "Springfield",
        "state": "MO",
        "postal_code": zip5,
        "kind": "physical",
        "label": label,
        "phones": [],
        "snippet": street,
        "region": "main",
        "source": "text",
        "latitude": None,
        "longitude": None,
    }


def site_run(out, places, *, status="ok", site_status="ok", services=("outpatient",), org="Redbud Hollow", licenses=()):
    run = create_run(out, "site")
    obs = [
        page(
            "/locations/",
            addresses=[address(*p) for p in places],
            org_names=[name(org)],
            phones=[phone("+14175550123")],
            services=[fact(s) for s in services],
            licenses=list(licenses),
        )
    ]
    if site_status == "ok":
        (run.dir / "observations.jsonl").write_text("".join(json.dumps(o) + "\n" for o in obs))
    run.write_manifest(
        {"run_id": run.run_id, "source": "site", "status": status, "sites": {SITE: {"status": site_status}}}
    )
    return run


def samhsa_run(out, records, state="MO"):
    run = create_run(out, "samhsa")
    (run.dir / "observations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    run.write_manifest(
        {"run_id": run.run_id, "source": "samhsa", "status": "ok", "sites": {f"samhsa:{state}": {"status": "ok"}}}
    )
    return run


def record(frid: str, org: str, street: str, zip5: str, phone_number: str, services=("outpatient",)) -> dict:
    return {
        "kind": "record",
        "source": "samhsa",
        "source_id": frid,
        "url": "http://api/page1",
        "organization": org,
        "name": org,
        "street": street,
        "city": "Springfield",
        "state": "MO",
        "postal_code": zip5,
        "phones": [
            {
                "raw": phone_number,
                "e164": phone_number,
                "extension": "",
                "role": "main",
                "snippet": phone_number,
                "region": "structured",
                "source": "structured",
            }
        ],
        "website": "",
        "latitude": 37.2,
        "longitude": -93.3,
        "record_type": "SA",
        "services": [
            {"value": s, "snippet": f"SAMHSA: {s}", "region": "structured", "basis": "samhsa:SET"} for s in services
        ],
        "accreditations": [],
        "licenses": [],
        "unmapped": [],
    }


SPRINGFIELD = ("1840 E Sunshine St Ste 200", "65804", "Springfield Clinic")
JOPLIN = ("2615 S Main St Ste 4B", "64804", "Joplin Clinic")


def table(out) -> pd.DataFrame:
    return pd.read_parquet(out / "latest" / "facilities.parquet").set_index("facility_id")


def changes(out) -> pd.DataFrame:
    return pd.read_parquet(out / "latest" / "changes.parquet")


def test_three_runs_keep_ids_and_first_seen(tmp_path):
    ids = []
    for _ in range(3):
        site_run(tmp_path, [SPRINGFIELD, JOPLIN])
        publish(tmp_path)
        ids.append(sorted(table(tmp_path).index))
    assert ids[0] == ids[1] == ids[2]
    assert len(ids[0]) == 2
    assert set(changes(tmp_path)["change"]) <= {"changed"}  # nothing added or removed on re-runs
    assert (table(tmp_path)["status"] == "active").all()


def test_renamed_program_keeps_its_id_and_records_the_change(tmp_path):
    site_run(tmp_path, [SPRINGFIELD])
    publish(tmp_path)
    (fid,) = table(tmp_path).index
    site_run(tmp_path, [(SPRINGFIELD[0], SPRINGFIELD[1], "Sunshine Family Clinic")])
    publish(tmp_path)
    assert list(table(tmp_path).index) == [fid]
    assert table(tmp_path).loc[fid, "name"] == "Sunshine Family Clinic"
    ch = changes(tmp_path)
    row = ch[(ch["change"] == "changed") & (ch["field"] == "name")].iloc[0]
    assert (row["old_value"], row["new_value"]) == ("Springfield Clinic", "Sunshine Family Clinic")
    assert row["old_run_id"] != row["new_run_id"]


def test_failed_site_never_makes_its_facilities_look_closed(tmp_path):
    site_run(tmp_path, [SPRINGFIELD, JOPLIN])
    publish(tmp_path)
    before = table(tmp_path)
    for _ in range(4):
        site_run(tmp_path, [], site_status="failed")  # the site did not answer: the run says nothing
        other = create_run(tmp_path, "samhsa")  # another source keeps publishing
        other.write_manifest({"run_id": other.run_id, "source": "samhsa", "status": "ok", "sites": {}})
        (other.dir / "observations.jsonl").write_text("")
        publish(tmp_path)
    after = table(tmp_path)
    assert sorted(after.index) == sorted(before.index)
    assert (after["status"] == "active").all()


def test_moved_facility_is_new_and_old_one_closes_after_three_runs(tmp_path):
    site_run(tmp_path, [SPRINGFIELD])
    publish(tmp_path)
    (old_id,) = table(tmp_path).index
    moved = ("3100 S Campbell Ave", "65807", "Springfield Clinic")
    statuses = []
    for _ in range(3):
        site_run(tmp_path, [moved])
        publish(tmp_path, force=True)
        statuses.append(table(tmp_path).loc[old_id, "status"])
    assert statuses == ["missing", "missing", "closed?"]
    t = table(tmp_path)
    new_id = t[t["street"] == "3100 S Campbell Ave"].index[0]
    assert new_id != old_id and t.loc[new_id, "status"] == "active"


def test_a_carried_facility_keeps_its_fact_rows_and_its_wide_columns_come_from_them(tmp_path):
    license = {
        "agency": "Missouri Department of Mental Health",
        "state": "MO",
        "number": "DMH 2024 #7",
        "snippet": "Certified by the Missouri Department of Mental Health (DMH 2024 #7)",
        "region": "footer",
        "agency_id": "MO-DMH",
        "kind": "program_certification",
        "as_shown": "Missouri Department of Mental Health",
    }
    site_run(tmp_path, [SPRINGFIELD], services=("outpatient", "iop"), licenses=[license])
    publish(tmp_path)
    (old_id,) = table(tmp_path).index

    def facts(name: str) -> list[dict]:
        rows = pd.read_parquet(tmp_path / "latest" / f"{name}.parquet").to_dict("records")
        return [r for r in rows if r["facility_id"] == old_id]

    before = {n: facts(n) for n in ("facility_services", "facility_licenses", "facility_phones")}
    wide_before = table(tmp_path).loc[old_id, ["services", "licenses", "phones"]].map(list).to_dict()
    assert before["facility_licenses"][0]["agency_id"] == "MO-DMH"

    site_run(tmp_path, [("3100 S Campbell Ave", "65807", "Springfield Clinic")], licenses=[license])
    publish(tmp_path, force=True)
    assert table(tmp_path).loc[old_id, "status"] == "missing"
    # carried as they were, not parsed back from "Agency (ST) #number"
    assert {n: facts(n) for n in before} == before
    assert table(tmp_path).loc[old_id, ["services", "licenses", "phones"]].map(list).to_dict() == wide_before
    assert wide_before["services"] == ["iop", "outpatient"]


def test_directory_twins_merge_and_a_later_site_record_keeps_the_older_id(tmp_path):
    samhsa_run(
        tmp_path,
        [
            record("sa1", "Redbud Hollow", "1840 E Sunshine St Ste 200", "65804", "+14175550123"),
            record(
                "mh1",
                "Redbud Hollow Behavioral Health",
                "1840 E Sunshine St Ste 200",
                "65804",
                "+14175550123",
                services=("mental_health",),
            ),
        ],
    )
    publish(tmp_path)
    t = table(tmp_path)
    assert len(t) == 1
    (fid,) = t.index
    assert set(t.loc[fid, "services"]) == {"outpatient", "mental_health"}
    assert set(t.loc[fid, "source_keys"]) == {"samhsa:sa1", "samhsa:mh1"}
    site_run(tmp_path, [SPRINGFIELD])
    publish(tmp_path)
    t = table(tmp_path)
    assert list(t.index) == [fid]
    assert t.loc[fid, "source"] == "site"  # the website's values are displayed
    assert t.loc[fid, "name"] == "Springfield Clinic"
    assert "samhsa" in set(t.loc[fid, "sources"]) and "site" in set(t.loc[fid, "sources"])


def test_merge_of_two_published_facilities_keeps_the_older_id(tmp_path):
    samhsa_run(tmp_path, [record("sa1", "Redbud Hollow", "1840 E Sunshine St Ste 200", "65804", "+14175550199")])
    publish(tmp_path)
    (older,) = table(tmp_path).index
    # Another name and number at the same address: a separate location for now.
    site_run(tmp_path, [SPRINGFIELD], org="Sunshine Wellness")
    publish(tmp_path)
    assert len(table(tmp_path)) == 2
    # The listing's number is updated to the site's main number: one place after all.
    samhsa_run(tmp_path, [record("sa1", "Redbud Hollow", "1840 E Sunshine St Ste 200", "65804", "+14175550123")])
    publish(tmp_path)
    t = table(tmp_path)
    assert list(t.index) == [older]
    assert set(t.loc[older, "source_keys"]) == {"samhsa:sa1", f"site:{SITE}:1840 E SUNSHINE ST|65804"}
    ch = changes(tmp_path)
    merged = ch[ch["change"] == "merged"]
    assert len(merged) == 1 and merged.iloc[0]["new_value"] == older and merged.iloc[0]["old_value"] != older
    assert "removed" not in set(ch["change"])  # the absorbed id is a merge, not a disappearance


def test_conflicting_phones_are_kept_with_their_sources(tmp_path):
    samhsa_run(tmp_path, [record("sa1", "Redbud Hollow", "1840 E Sunshine St Ste 200", "65804", "+14175550199")])
    site_run(tmp_path, [SPRINGFIELD])
    publish(tmp_path)
    (row,) = table(tmp_path).to_dict("records")
    assert row["phone"] == "+14175550123"  # the website wins
    assert "+14175550199" in list(row["phones"])
    assert "phone: +14175550199 [samhsa:sa1]" in list(row["conflicts"])


def test_mass_failure_is_not_published_unless_forced(tmp_path):
    site_run(tmp_path, [SPRINGFIELD, JOPLIN, ("1105 Kingshighway", "65401", "Rolla Clinic")])
    publish(tmp_path)
    before = (tmp_path / "latest").resolve()
    samhsa_run(tmp_path, [])  # the site source is fine, but suppose the new site run lost everything:
    site_run(tmp_path, [SPRINGFIELD], services=())
    # 1 active of 3 before would be below half, but the two missing ones are carried as 'missing'
    with pytest.raises(PublishRefused, match="mass failure"):
        publish(tmp_path)
    assert (tmp_path / "latest").resolve() == before
    publish(tmp_path, force=True)
    assert (table(tmp_path)["status"] == "missing").sum() == 2


def test_build_is_rerunnable_without_new_runs(tmp_path):
    site_run(tmp_path, [SPRINGFIELD, JOPLIN])
    publish(tmp_path)
    first = table(tmp_path)
    publish(tmp_path)
    second = table(tmp_path)
    assert sorted(first.index) == sorted(second.index)
    assert set(changes(tmp_path)["change"]) <= {"changed"}
    history = pd.read_csv(tmp_path / "changes_history.csv")
    assert (history["change"] == "added").sum() == 2


def test_state_read_with_pages_missing_does_not_count_against_absent_records(tmp_path):
    samhsa_run(
        tmp_path,
        [
            record("sa1", "Redbud Hollow", "1840 E Sunshine St Ste 200", "65804", "+14175550123"),
            record("sa2", "Ozark Counseling", "1105 Kingshighway", "65401", "+15735550152"),
        ],
    )
    publish(tmp_path)
    for _ in range(3):
        run = samhsa_run(
            tmp_path, [record("sa1", "Redbud Hollow", "1840 E Sunshine St Ste 200", "65804", "+14175550123")]
        )
        manifest = run.manifest()
        manifest["sites"]["samhsa:MO"]["complete"] = False  # some pages of the state could not be read
        run.write_manifest(manifest)
        publish(tmp_path, force=True)
    t = table(tmp_path)
    assert set(t["status"]) == {"active"}
