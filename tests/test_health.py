"""Honest health: like compared with like (a resumed run with its whole crawl, a one-site or
verification-only crawl with its own earlier runs), and a killed run shown as interrupted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from provdir.runs import health
from provdir.runs.store import create_run, list_runs


def site(pages_ok: int) -> dict:
    return {"status": "ok", "pages_ok": pages_ok, "errors": []}


def stored(out, manifest: dict, stats: dict | None = None, source: str = "site"):
    run = create_run(out, source)
    run.write_manifest({"run_id": run.run_id, "source": source, "status": "ok", **manifest})
    (run.dir / "stats.json").write_text(json.dumps(stats or {}))
    return run


def test_a_resumed_run_is_judged_on_its_whole_crawl():
    # The resumed run fetched 28 pages itself; its sites' progress (restored from JOBDIR) says
    # the crawl read 76, as the previous run did: no drop.
    previous = health.figures({"sites": {"a": site(40), "b": site(36)}}, {"response_received_count": 76})
    resumed = health.figures({"sites": {"a": site(40), "b": site(36)}}, {"response_received_count": 28})
    result = health.compare(resumed, previous)
    assert result["deltas"]["pages"] == 0 and result["warnings"] == []


def test_a_real_drop_is_still_flagged():
    previous = health.figures({"sites": {"a": site(40), "b": site(36)}}, {})
    now = health.figures({"sites": {"a": site(40), "b": site(3)}}, {})
    warnings = health.compare(now, previous)["warnings"]
    assert "pages fell from 76 to 43" in warnings and "b: 3 pages read, 36 last time" in warnings


def test_a_verification_only_crawl_is_compared_with_its_own_previous_runs(tmp_path):
    full = {"sites": {f"s{i}": site(10) for i in range(30)}}
    directory = {"sites": {"regionten.org": site(8), "orchard.example": site(5)}}
    first_directory = stored(tmp_path, directory)
    stored(tmp_path, full)
    now = stored(tmp_path, directory)
    assert health.previous_good(now, "site") == first_directory  # not the full crawl in between
    lone = stored(tmp_path, {"sites": {"new.example": site(4)}})
    assert health.previous_good(lone, "site") is None  # nothing like it before: no comparison


def test_runs_of_other_states_are_not_compared(tmp_path):
    va = stored(tmp_path, {"sites": {"samhsa:VA": site(3)}}, source="samhsa")
    stored(tmp_path, {"sites": {f"samhsa:{s}": site(5) for s in ("MO", "TX", "CA")}}, source="samhsa")
    again = stored(tmp_path, {"sites": {"samhsa:VA": site(3)}}, source="samhsa")
    assert health.previous_good(again, "samhsa") == va


def test_a_killed_run_is_interrupted_in_status(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = create_run(tmp_path, "site")
    killed.write_manifest(
        {"run_id": killed.run_id, "source": "site", "status": "running", "pid": dead.pid, "host": health._hostname()}
    )
    alive = create_run(tmp_path, "site")
    alive.write_manifest(
        {
            "run_id": alive.run_id,
            "source": "site",
            "status": "running",
            "pid": __import__("os").getpid(),
            "host": health._hostname(),
        }
    )
    elsewhere = create_run(tmp_path, "site")
    elsewhere.write_manifest(
        {"run_id": elsewhere.run_id, "source": "site", "status": "running", "pid": dead.pid, "host": "another-machine"}
    )
    rows = {r["run_id"]: r["status"] for r in health.status_rows(list_runs(tmp_path))}
    assert rows == {killed.run_id: "interrupted", alive.run_id: "running", elsewhere.run_id: "running"}


@pytest.mark.e2e
def test_build_names_its_runs_and_warns_about_a_newer_one_it_skipped(tmp_path):
    from tests.helpers import cli_in_process
    from tests.test_publish import OBS, stored_run

    good = stored_run(tmp_path, OBS)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed = create_run(tmp_path, "site")
    killed.write_manifest(
        {"run_id": killed.run_id, "source": "site", "status": "running", "pid": dead.pid, "host": health._hostname()}
    )
    proc = cli_in_process("build", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert f"Built from site run {good.run_id}" in proc.stdout
    assert f"skipped a newer site run, {killed.run_id} (interrupted)" in proc.stderr
