"""Unattended publishing (issue 19): clocks that ran ahead, kills at each durable step of a
publish, torn history rows, leftovers of killed builds.

Each test names the fault it pins down; "fails without the fix" notes say what the code before
issue 19 did (checked by running the test against it).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from provdir.build import publish
from provdir.build.transaction import CHANGES_HISTORY, FAULT_ENV, FAULT_EXIT, JOURNAL
from provdir.runs.store import create_run, latest_good_runs
from tests.test_build_locations import FOOTER, name, page, phone

ROOT = Path(__file__).resolve().parents[1]
FUTURE = "20991231T235959000000Z"


def stored_run(out, observations, status="ok", run_id=None):
    run = create_run(out, "site", run_id)
    with (run.dir / "observations.jsonl").open("w") as fh:
        for o in observations:
            fh.write(json.dumps(o) + "\n")
    run.write_manifest({"run_id": run.run_id, "source": "site", "status": status})
    return run


def site(org: str, tel: str = "+13146314299") -> list[dict]:
    return [page("/", addresses=FOOTER, org_names=[name(org)], phones=[phone(tel)])]


def organizations(out: Path) -> set[str]:
    return set(pd.read_parquet(out / "latest" / "facilities.parquet")["organization"])


def history_rows(out: Path) -> list[dict[str, str]]:
    with (out / CHANGES_HISTORY).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- time is not order ---------------------------------------------------------------------
def test_a_run_dated_ahead_does_not_win_over_later_runs(tmp_path):
    """Fails without the fix: runs sorted by id, the 2099 run stayed "newest" for ever."""
    stored_run(tmp_path, site("Clock Ahead House"), run_id=f"{FUTURE}-site-abcd")
    later = stored_run(tmp_path, site("Harris House"))  # made later, dated now
    assert latest_good_runs(tmp_path)["site"].run_id == later.run_id
    publish(tmp_path)
    assert organizations(tmp_path) == {"Harris House"}


def test_a_run_dated_ahead_is_reported(tmp_path, caplog):
    stored_run(tmp_path, site("Harris House"), run_id=f"{FUTURE}-site-abcd")
    publish(tmp_path)
    assert any(
        "dated ahead of this machine's clock" in r.getMessage() and FUTURE in r.getMessage() for r in caplog.records
    )


def test_status_reports_a_run_dated_ahead(tmp_path, capsys):
    from provdir.cli import main

    stored_run(tmp_path, site("Harris House"), run_id=f"{FUTURE}-site-abcd")
    assert main(["status", "--out", str(tmp_path)]) == 0
    assert (
        f"1 run(s) dated ahead of this machine's clock (it ran ahead?): {FUTURE}-site-abcd" in capsys.readouterr().out
    )


def test_builds_dated_ahead_never_get_the_new_build_pruned(tmp_path):
    """Fails without the fix: pruning by name removed the build just published (latest dangled)."""
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    real = (tmp_path / "latest").resolve()
    # Five builds made while the clock ran ahead (copies of a real one, as such builds would be).
    import shutil

    for i in range(5):
        shutil.copytree(real, tmp_path / "builds" / f"2099010{i}T000000000000Z")
        (tmp_path / "builds" / f"2099010{i}T000000000000Z" / "build.json").write_text("{}")
    stored_run(tmp_path, site("Harris House", "+13145550100"))
    result = publish(tmp_path)
    latest = (tmp_path / "latest").resolve()
    assert latest.name == result.build_id and latest.is_dir()
    assert set(pd.read_parquet(latest / "facilities.parquet")["phone"]) == {"+13145550100"}


def test_the_build_latest_points_to_is_never_pruned(tmp_path):
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    first = (tmp_path / "latest").resolve().name
    for _ in range(6):
        stored_run(tmp_path, site("Harris House"))
        publish(tmp_path)
    builds = sorted(p.name for p in (tmp_path / "builds").iterdir())
    assert first not in builds and len(builds) == 5  # old builds do go
    assert (tmp_path / "latest").resolve().name in builds


# -- publishing as one transaction -----------------------------------------------------------
def _publish_killed_at(out: Path, step: str) -> subprocess.CompletedProcess:
    env = {**os.environ, FAULT_ENV: step}
    return subprocess.run(
        [sys.executable, "-c", "import sys; from provdir.build import publish; publish(sys.argv[1])", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _consistent(out: Path) -> None:
    """History lists the changes of published builds only, each once; the registry is the
    published build's; nothing of a killed build is left."""
    latest = (out / "latest").resolve()
    rows = history_rows(out)
    by_build: dict[str, int] = {}
    for r in rows:
        by_build[r["build_id"]] = by_build.get(r["build_id"], 0) + 1
    for build_id, n in by_build.items():
        build = out / "builds" / build_id
        assert build.is_dir(), f"history lists build {build_id}, which was never published"
        assert n == len(pd.read_csv(build / "changes.csv")), f"rows of {build_id} listed {n} times"
    assert (out / "registry.csv").read_bytes() == (latest / "state" / "registry.csv").read_bytes()
    assert not list((out / "builds").glob(".staging-*"))
    assert not (out / JOURNAL).exists()


@pytest.mark.e2e
@pytest.mark.parametrize("step", ["staged", "renamed", "journal", "swap", "registry", "history"])
def test_a_kill_at_any_step_of_a_publish_leaves_history_registry_and_latest_together(tmp_path, step):
    """Fails without the fix: history was appended before ``latest`` moved, so a kill between
    them listed a build never published, and the next build appended its changes again."""
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    first = (tmp_path / "latest").resolve().name
    stored_run(tmp_path, site("Harris House", "+13145550100"))  # a changed phone: change rows
    killed = _publish_killed_at(tmp_path, step)
    assert killed.returncode == FAULT_EXIT, killed.stderr[-2000:]
    published_by_kill = (tmp_path / "latest").resolve().name != first
    assert published_by_kill == (step in ("swap", "registry", "history"))
    stored_run(tmp_path, site("Harris House", "+13145550101"))
    publish(tmp_path)  # the next start reconciles, then publishes
    _consistent(tmp_path)
    phones = {r["new_value"] for r in history_rows(tmp_path) if r["field"] == "phone"}
    assert phones == ({"+13145550100", "+13145550101"} if published_by_kill else {"+13145550101"})


def test_a_torn_last_history_row_is_dropped_not_glued_to_the_next(tmp_path, caplog):
    """Fails without the fix: the next build's first row was appended onto the torn one."""
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    path = tmp_path / CHANGES_HISTORY
    path.write_bytes(path.read_bytes() + b"F0000000000AA,changed,phone,+1314")  # a kill mid-append
    stored_run(tmp_path, site("Harris House", "+13145550100"))
    publish(tmp_path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert all(len(r) == len(rows[0]) for r in rows)
    assert not any(r[0] == "F0000000000AA" for r in rows)
    assert (tmp_path / f"{CHANGES_HISTORY}.torn").read_bytes() == b"F0000000000AA,changed,phone,+1314"
    assert any("torn" in r.getMessage() for r in caplog.records)


def test_a_damaged_history_row_refuses_the_build_naming_the_line(tmp_path):
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    path = tmp_path / CHANGES_HISTORY
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(2, "just,three,fields\n")
    path.write_text("".join(lines), encoding="utf-8")
    stored_run(tmp_path, site("Harris House", "+13145550100"))
    before = (tmp_path / "latest").resolve()
    from provdir.build.publish import StateDamaged

    with pytest.raises(StateDamaged, match=rf"{CHANGES_HISTORY}:3: 3 fields"):
        publish(tmp_path)
    assert (tmp_path / "latest").resolve() == before


def test_staging_left_by_a_killed_build_is_removed_on_the_next_start(tmp_path):
    """Fails without the fix: ``.staging-*`` folders of killed builds stayed for ever."""
    stored_run(tmp_path, site("Harris House"))
    leftover = tmp_path / "builds" / ".staging-20260101T000000000000Z"
    leftover.mkdir(parents=True)
    (leftover / "facilities.parquet").write_bytes(b"x" * 1000)
    (tmp_path / ".registry.csv.tmp-4242").write_text("half a registry")
    (tmp_path / ".sequence.tmp-4243").write_text("7\n")  # a worker's, mid-write: not ours to remove
    publish(tmp_path)
    assert not leftover.exists()
    assert not (tmp_path / ".registry.csv.tmp-4242").exists()
    assert (tmp_path / ".sequence.tmp-4243").exists()


def test_history_values_are_defused_for_spreadsheets(tmp_path):
    """Fails without the fix: changes_history.csv carried a page's formula raw."""
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    stored_run(tmp_path, site('=HYPERLINK("http://x")'))
    publish(tmp_path)
    values = [v for r in history_rows(tmp_path) for v in (r["old_value"], r["new_value"])]
    assert any("HYPERLINK" in v for v in values)
    assert not any(v.startswith("=") for v in values)


# -- exports read one build --------------------------------------------------------------------
def test_an_export_made_during_a_publish_reads_one_build(tmp_path, monkeypatch):
    """Fails without the fix: each sheet was read through the moving ``latest`` link, so a
    publish landing mid-export gave a workbook of two builds."""
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    from provdir.build import export as export_module
    from provdir.build.export import export

    stored_run(tmp_path, site("Harris House"))
    first = publish(tmp_path).build_id
    stored_run(tmp_path, site("Harris House", "+13145550100"))
    real_read = pq.read_table
    swapped: list[str] = []
    busy: list[bool] = []

    def read_then_publish(path, *args, **kwargs):
        table = real_read(path, *args, **kwargs)
        if not busy:  # a publish lands right after the first table was read
            busy.append(True)
            swapped.append(publish(tmp_path).build_id)
        return table

    monkeypatch.setattr(export_module.pq, "read_table", read_then_publish)
    path = export(tmp_path / "latest", "xlsx", to=tmp_path / "x.xlsx")
    assert swapped and swapped[0] != first
    monkeypatch.setattr(export_module.pq, "read_table", real_read)
    wb = load_workbook(path, read_only=True)
    changes = list(wb["changes"].iter_rows(values_only=True))
    build_col = changes[0].index("build_id")
    assert {row[build_col] for row in changes[1:]} <= {first}  # the first build's change rows only
    phones = {row[list(changes[0]).index("new_value")] for row in changes[1:]}
    assert "+13145550100" not in phones
