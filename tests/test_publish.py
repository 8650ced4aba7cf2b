"""Publishing from stored runs: atomic swap, failed runs ignored, stable ids."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest

from provdir.build import NothingToPublish, publish
from provdir.build.publish import OutputUnwritable
from provdir.runs.store import create_run, list_runs, read_observations
from tests.test_build_locations import FOOTER, fact, name, page, phone


def stored_run(out, observations, status="ok"):
    run = create_run(out, "site")
    with (run.dir / "observations.jsonl").open("w") as fh:
        for o in observations:
            fh.write(json.dumps(o) + "\n")
    run.write_manifest({"run_id": run.run_id, "source": "site", "status": status})
    return run


OBS = [
    page(
        "/",
        addresses=FOOTER,
        org_names=[name("Harris House")],
        phones=[phone("+13146314299")],
        services=[fact("detox")],
    )
]


def test_publish_writes_tables_and_points_latest_at_the_build(tmp_path):
    stored_run(tmp_path, OBS)
    result = publish(tmp_path)
    latest = tmp_path / "latest"
    assert latest.is_symlink()
    for name_ in (
        "facilities.csv",
        "facilities.parquet",
        "evidence.csv",
        "evidence.parquet",
        "data_dictionary.csv",
        "vocabulary.csv",
        "build.json",
    ):
        assert (latest / name_).exists(), name_
    df = pd.read_parquet(latest / "facilities.parquet")
    assert result.facilities == len(df) == 2
    assert set(df["phone"]) == {"+13146314299"}


def test_failed_run_is_not_published(tmp_path):
    with pytest.raises(NothingToPublish):
        stored_run(tmp_path, OBS, status="failed")
        publish(tmp_path)
    assert not (tmp_path / "latest").exists()


def test_latest_good_run_is_used_and_failed_newer_run_ignored(tmp_path):
    stored_run(tmp_path, OBS)
    stored_run(tmp_path, [page("/", org_names=[name("Broken")])], status="failed")
    publish(tmp_path)
    df = pd.read_parquet(tmp_path / "latest" / "facilities.parquet")
    assert set(df["organization"]) == {"Harris House"}


def test_ids_and_first_seen_stable_across_publishes(tmp_path):
    stored_run(tmp_path, OBS)
    publish(tmp_path)
    first = pd.read_parquet(tmp_path / "latest" / "facilities.parquet").set_index("source_key")
    changed = [page("/", addresses=FOOTER, org_names=[name("Harris House")], phones=[phone("+13145550100")])]
    stored_run(tmp_path, changed)  # a changed phone: same places, same ids
    publish(tmp_path)
    second = pd.read_parquet(tmp_path / "latest" / "facilities.parquet").set_index("source_key")
    assert first["facility_id"].to_dict() == second["facility_id"].to_dict()
    assert first["first_seen"].to_dict() == second["first_seen"].to_dict()
    assert set(second["phone"]) == {"+13145550100"}


def test_crash_while_building_keeps_last_good_directory(tmp_path, monkeypatch):
    stored_run(tmp_path, OBS)
    publish(tmp_path)
    before = (tmp_path / "latest").resolve()
    stored_run(tmp_path, OBS)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    # Simulate a failure half-way through writing the new build (the swap logic is under test).
    monkeypatch.setattr(sys.modules["provdir.build.publish"], "write_dictionary", boom)
    with pytest.raises(OutputUnwritable, match=r"disk full\. Nothing was published"):
        publish(tmp_path)
    assert (tmp_path / "latest").resolve() == before
    assert pd.read_parquet(tmp_path / "latest" / "facilities.parquet").shape[0] == 2
    assert not [p for p in (tmp_path / "builds").iterdir() if p.name.startswith(".staging")]


def test_torn_last_line_of_observations_is_skipped(tmp_path):
    run = stored_run(tmp_path, OBS)
    with (run.dir / "observations.jsonl").open("a") as fh:
        fh.write('{"site": "127.0.0.9:8000", "url": "http://')
    assert len(read_observations(run)) == 1
    assert list_runs(tmp_path)[0].run_id == run.run_id


def test_parquet_list_columns_are_real_lists(tmp_path):
    stored_run(tmp_path, OBS)
    publish(tmp_path)
    import pyarrow.parquet as pq

    schema = pq.read_schema(tmp_path / "latest" / "facilities.parquet")
    assert str(schema.field("phones").type) == "list<element: string>"
    assert str(schema.field("services").type) == "list<element: string>"
    assert schema.field("facility_id").metadata[b"description"].startswith(b"Stable id")
