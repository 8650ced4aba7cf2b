"""Shared fixtures: loopback sites and real crawls through the provdir CLI (in a subprocess,
since Twisted's reactor runs once per process)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from provdir.sampleweb import load_facts
from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# A real page of SAMHSA's locator API (public federal data), copied into the repo: see its README.
SAMHSA_FIXTURE = ROOT / "tests" / "fixtures" / "samhsa" / "locator-listing-page1.json"
# Tests crawl loopback servers: no politeness delay needed, and it keeps the suite fast.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    out: Path

    @property
    def latest(self) -> Path:
        return self.out / "latest"

    def manifest(self) -> dict:
        runs = sorted((self.out / "runs").iterdir())
        return json.loads((runs[-1] / "manifest.json").read_text())


def run_cli(*args: str, cwd: Path = ROOT, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "provdir.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


def crawl(seeds: Path, out: Path, *extra: str) -> CrawlResult:
    proc = run_cli("crawl", str(seeds), "--out", str(out), "--allow-private-networks", *FAST, *extra)
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, out)


def write_seeds(path: Path, urls: list[str]) -> Path:
    path.write_text("# test seeds\n" + "".join(f"{u}\n" for u in urls), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sample_facts() -> dict:
    return load_facts()


@pytest.fixture(scope="session")
def sample_web():
    """The bundled sample web, each site on its own 127.0.0.x address (free ports)."""
    with serve_sites(site_roots(bundled_sites_dir()), port=0, first_host=40) as urls:
        yield urls


@pytest.fixture(scope="session")
def sample_crawl(sample_web, tmp_path_factory) -> CrawlResult:
    """One real crawl of the whole sample web through Scrapy and the pipelines."""
    base = tmp_path_factory.mktemp("sample-crawl")
    seeds = write_seeds(base / "seeds.txt", list(sample_web.values()))
    result = crawl(seeds, base / "output")
    assert result.returncode == 0, result.stderr[-3000:]
    return result
