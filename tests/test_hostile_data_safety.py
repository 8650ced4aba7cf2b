"""Data safety: killing a crawl (SIGTERM, SIGKILL) at any moment leaves output/latest/ as the
last good build, byte for byte and readable; an interrupted crawl with JOBDIR resumes to a
complete run."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import cli_command, cli_in_process, write_seeds
from tests.hostile import MeasuredPopen, crawl, finish

pytestmark = pytest.mark.e2e

PAGE_DELAY = 0.15  # each page of the slow site takes this long to answer


class SlowSite:
    """harris-house from the sample web, every answer delayed; counts requests per path."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, handler) -> bool:
        with self.lock:
            self.hits[handler.path] += 1
        time.sleep(PAGE_DELAY)
        return False  # then serve the page normally

    def pages(self) -> int:
        with self.lock:
            return sum(n for p, n in self.hits.items() if not p.startswith(("/robots.txt", "/sitemap")))


@pytest.fixture(scope="module")
def slow_site():
    site = SlowSite()
    with serve_sites(
        {"harris": bundled_sites_dir() / "harris-house"}, port=0, first_host=180, behaviours={"harris": site}
    ) as urls:
        yield urls["harris"], site


def _start(seeds: Path, out: Path, *extra: str) -> tuple[MeasuredPopen, float]:
    from tests.helpers import FAST

    args = cli_command("crawl", str(seeds), "--out", str(out), "--allow-private-networks", *FAST, *extra)
    return MeasuredPopen(
        args, cwd=Path(__file__).resolve().parents[1], stdout=-1, stderr=-1, text=True
    ), time.monotonic()


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.02)


def _snapshot(out: Path) -> tuple[Path, bytes, bytes]:
    latest = out / "latest"
    return latest.resolve(), (latest / "facilities.csv").read_bytes(), (latest / "facilities.parquet").read_bytes()


def _assert_latest_unchanged(out: Path, before: tuple[Path, bytes, bytes]) -> None:
    assert _snapshot(out) == before
    assert (
        len(pd.read_csv(out / "latest" / "facilities.csv"))
        == len(pd.read_parquet(out / "latest" / "facilities.parquet"))
        > 0
    )


@pytest.fixture(scope="module")
def published(slow_site, tmp_path_factory):
    """A first, good crawl: output/latest/ exists. The kill tests crawl again into the same output."""
    url, site = slow_site
    base = tmp_path_factory.mktemp("safety")
    seeds = write_seeds(base / "seeds.txt", [url])
    out = base / "out"
    good = crawl(seeds, out)
    assert good.returncode == 0, good.stderr[-3000:]
    (info,) = good.manifest()["sites"].values()
    reference = {"facilities": pd.read_csv(out / "latest" / "facilities.csv"), "pages_ok": info["pages_ok"]}
    return seeds, out, site, reference, site.pages()


def test_sigterm_mid_crawl_keeps_the_last_good_directory(published):
    seeds, out, site, _, _ = published
    before = _snapshot(out)
    already = site.pages()
    proc, started = _start(seeds, out)
    _wait_for(lambda: site.pages() >= already + 4)  # mid-crawl: a few pages in
    proc.send_signal(signal.SIGTERM)
    result = finish(proc, out, started, timeout=90)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]  # nothing published
    manifest = result.manifest()
    assert manifest["status"] != "ok" and manifest["finish_reason"] == "shutdown"
    _assert_latest_unchanged(out, before)


@pytest.mark.parametrize("moment", ["start", "mid", "end"])
def test_sigkill_at_any_moment_keeps_the_last_good_directory(published, moment):
    seeds, out, site, _, per_crawl = published
    before = _snapshot(out)
    runs_before = set((out / "runs").iterdir())
    already = site.pages()
    proc, started = _start(seeds, out)
    if moment == "start":  # as soon as the run directory exists
        _wait_for(lambda: len(set((out / "runs").iterdir()) - runs_before) == 1)
    elif moment == "mid":
        _wait_for(lambda: site.pages() >= already + 4)
    else:  # every page answered: extracting, writing, or publishing
        _wait_for(lambda: site.pages() >= already + per_crawl)
    proc.send_signal(signal.SIGKILL)
    finish(proc, out, started, timeout=30)
    if moment == "end":
        _assert_latest_readable(out, before)
    else:
        _assert_latest_unchanged(out, before)
    killed = set((out / "runs").iterdir()) - runs_before
    # The killed run left a manifest saying it never finished (or, if it finished in time, ok).
    # A later `provdir build` publishes from good runs only and works.
    proc = cli_in_process("build", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(pd.read_parquet(out / "latest" / "facilities.parquet")) > 0
    assert killed


def _assert_latest_readable(out: Path, before: tuple[Path, bytes, bytes]) -> None:
    """Killed at the very end, the crawl may have published: latest is then the old or the new
    build, complete either way, never a mix."""
    target, csv, _ = _snapshot(out)
    if target == before[0]:
        assert csv == before[1]
    assert (
        len(pd.read_csv(out / "latest" / "facilities.csv"))
        == len(pd.read_parquet(out / "latest" / "facilities.parquet"))
        > 0
    )


def test_jobdir_resume_completes_an_interrupted_crawl(published, tmp_path):
    seeds, _, site, reference, total_pages = published  # the first crawl, uninterrupted: the reference
    with site.lock:
        site.hits.clear()

    out, jobdir = tmp_path / "out", tmp_path / "job"
    proc, started = _start(seeds, out, "-s", f"JOBDIR={jobdir}")
    _wait_for(lambda: site.pages() >= 5)
    proc.send_signal(signal.SIGTERM)
    first = finish(proc, out, started, timeout=90)
    assert first.returncode == 1 and first.manifest()["finish_reason"] == "shutdown"
    assert 5 <= site.pages() < total_pages  # interrupted half-way

    proc, started = _start(seeds, out, "-s", f"JOBDIR={jobdir}")
    resumed = finish(proc, out, started, timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr[-3000:]
    # Every page fetched once across both runs: the resumed crawl went on, it did not restart.
    pages = {p: n for p, n in site.hits.items() if not p.startswith(("/robots.txt", "/sitemap"))}
    assert sum(pages.values()) == total_pages and set(pages.values()) == {1}, pages
    # The published directory is the same as an uninterrupted crawl's.
    columns = ["name", "street", "city", "state", "postal_code", "phone"]
    expected = reference["facilities"][columns].sort_values(columns)
    got = pd.read_csv(out / "latest" / "facilities.csv")[columns].sort_values(columns)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    (info,) = resumed.manifest()["sites"].values()
    assert info["pages_ok"] == reference["pages_ok"]
    assert resumed.stats()["resume/observations_carried_over"] > 0
