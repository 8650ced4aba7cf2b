"""Scheduled, unattended runs: one run at a time, health against the previous run, the run
table, the run-health page in a real browser, and the documented cron/systemd examples."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import lxml.html
import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.browser import browse
from tests.helpers import FAST, ROOT, cli_command, cli_in_process, crawl, write_seeds

pytestmark = pytest.mark.e2e
DEPLOY = ROOT / "deploy"


def _slow(handler) -> bool:
    time.sleep(0.5)  # a slow site keeps the first run busy while the second one starts
    return False


@pytest.fixture(scope="module")
def web():
    roots = {
        "harris": bundled_sites_dir() / "harris-house",
        "redbud": bundled_sites_dir() / "redbud-hollow",
        "slow": bundled_sites_dir() / "millrace-house",
    }
    with serve_sites(roots, port=0, first_host=170, behaviours={"slow": _slow}) as urls:
        yield urls


def test_second_run_on_the_same_output_waits_its_turn(web, tmp_path):
    out = tmp_path / "out"
    seeds = write_seeds(tmp_path / "seeds.txt", [web["slow"]])
    first = subprocess.Popen(
        cli_command("crawl", str(seeds), "--out", str(out), "--allow-private-networks", *FAST),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(100):  # wait until the first run holds the lock and has a run folder
            if (out / "runs").exists() and any((out / "runs").iterdir()):
                break
            time.sleep(0.1)
        second = crawl(seeds, out)
        assert second.returncode == 4
        assert "another provdir run" in second.stderr
        assert len(list((out / "runs").iterdir())) == 1  # the second run did nothing
    finally:
        first.communicate(timeout=120)
    assert first.returncode == 0


def test_health_compares_with_the_previous_good_run_and_status_shows_it(web, tmp_path):
    out = tmp_path / "out"
    both = write_seeds(tmp_path / "both.txt", [web["harris"], web["redbud"]])
    assert crawl(both, out).returncode == 0
    # The same sites, with fewer pages read: a real drop, flagged.
    assert crawl(both, out, "--max-pages-per-site", "3").returncode == 0
    runs = sorted((out / "runs").iterdir())
    health = json.loads((runs[-1] / "manifest.json").read_text())["health"]
    assert health["previous_run"] == runs[0].name
    assert health["deltas"]["pages"] < 0
    assert any(w.startswith("pages fell from") for w in health["warnings"])
    status = cli_in_process("status", "--out", str(out))
    assert status.returncode == 0
    lines = status.stdout.splitlines()
    assert lines[0].split()[:4] == ["run_id", "source", "status", "finish"]
    assert runs[0].name in status.stdout and runs[1].name in status.stdout
    assert "pages fell from" in status.stdout


def test_a_one_site_run_is_not_compared_with_a_full_crawl(web, tmp_path):
    out = tmp_path / "out"
    assert crawl(write_seeds(tmp_path / "both.txt", [web["harris"], web["redbud"]]), out).returncode == 0
    one = write_seeds(tmp_path / "one.txt", [web["harris"]])
    assert crawl(one, out).returncode == 0
    assert crawl(one, out).returncode == 0
    runs = sorted((out / "runs").iterdir())
    first_one = json.loads((runs[1] / "manifest.json").read_text())["health"]
    assert first_one["previous_run"] is None and first_one["warnings"] == []  # no false "pages fell"
    second_one = json.loads((runs[2] / "manifest.json").read_text())["health"]
    assert second_one["previous_run"] == runs[1].name and second_one["warnings"] == []


def test_run_health_page_renders_in_headless_chromium(web, tmp_path):
    out = tmp_path / "out"
    seeds = write_seeds(tmp_path / "seeds.txt", [web["harris"], web["redbud"], "http://127.0.0.179:9/"])
    assert crawl(seeds, out).returncode == 3  # one dead site: published with warnings
    assert crawl(seeds, out).returncode == 3
    made = cli_in_process("report", "--out", str(out))
    assert made.returncode == 0
    page = out / "report-runs.html"
    dom = lxml.html.fromstring(browse(tmp_path, "--dump-dom", page.as_uri()).stdout)
    assert dom.body.get("data-rendered") == "yes"
    assert len(dom.cssselect("#facilities svg circle.point")) == 2  # two published runs
    coverage = dom.cssselect("#coverage svg rect.bar")
    assert len(coverage) == 11
    errors = {t.text_content() for t in dom.cssselect("#site-errors svg text")}
    assert any("(FAILED)" in t for t in errors)
    assert len(dom.cssselect("#services svg rect.bar")) > 0
    assert len(dom.cssselect("table#runs tr")) == 3  # header + two runs


def test_no_external_resources_in_the_run_page(web, tmp_path):
    out = tmp_path / "out"
    assert crawl(write_seeds(tmp_path / "s.txt", [web["harris"]]), out).returncode == 0
    assert cli_in_process("report", "--out", str(out)).returncode == 0
    html = (out / "report-runs.html").read_text()
    assert not re.search(r"<(?:script|link|img)[^>]+(?:src|href)=", html)


def _example(path, pattern):
    text = (DEPLOY / path).read_text()
    m = re.search(pattern, text, re.M)
    assert m, f"{path}: example command not found"
    return m.group(1)


def test_cron_example_runs_and_its_exit_code_is_the_crawls(web, tmp_path):
    command = _example("cron.example", r"^[^#\n]*?\s(cd .*)$")
    out = tmp_path / "out"
    seeds = write_seeds(tmp_path / "seeds.txt", [web["harris"]])
    env = {
        **os.environ,
        "PROVDIR_HOME": str(ROOT),
        "PROVDIR_SEEDS": str(seeds),
        "PROVDIR_OUT": str(out),
        "PROVDIR_FLAGS": "--allow-private-networks " + " ".join(FAST),
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
    }
    proc = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "latest" / "facilities.csv").exists()
    log = (out / "cron.log").read_text()
    assert "Published" in log


def test_systemd_example_units_agree_with_the_cli(tmp_path):
    service = (DEPLOY / "provdir-crawl.service").read_text()
    timer = (DEPLOY / "provdir-crawl.timer").read_text()
    assert re.search(r"^OnCalendar=\S+", timer, re.M) and "Persistent=true" in timer
    exec_start = re.search(r"^ExecStart=(.+)$", service, re.M).group(1)
    # The command parses with the real CLI (an unknown option would exit 2 here).
    argv = exec_start.split()
    assert argv[0].endswith("provdir") and argv[1] == "crawl"
    help_text = cli_in_process("crawl", "--help").stdout
    for option in (a for a in argv if a.startswith("--")):
        assert option.split("=")[0] in help_text
    # Exit codes the unit treats as success: 0 and 3 (published with warnings).
    assert re.search(r"^SuccessExitStatus=3$", service, re.M)


def test_lock_is_released_when_a_run_is_killed(web, tmp_path):
    from provdir.runs.lock import output_lock

    out = tmp_path / "out"
    code = "from provdir.runs.lock import output_lock; import pathlib, time\nwith output_lock(pathlib.Path(%r)):\n    time.sleep(30)"
    holder = subprocess.Popen([sys.executable, "-c", code % str(out)])
    try:
        for _ in range(50):
            if (out / ".provdir.lock").exists() and (out / ".provdir.lock").read_text().strip():
                break
            time.sleep(0.1)
        from provdir.runs.lock import Locked

        with pytest.raises(Locked), output_lock(out):
            pass
    finally:
        holder.kill()
        holder.wait()
    with output_lock(out):  # the kernel released the dead process's lock
        pass
