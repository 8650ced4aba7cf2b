"""Shared fixtures: loopback sites and real crawls through the provdir CLI (in a subprocess,
since Twisted's reactor runs once per process). Helpers tests import are in ``tests.helpers``."""

from __future__ import annotations

import pytest

from provdir.sampleweb import load_facts
from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots
from tests.helpers import ROOT, CrawlResult, crawl, write_seeds


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


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_clean():
    """No test may write Scrapy's project data (``.scrapy/``: HTTP cache, JOBDIR) into the
    checkout: crawls write under their own temporary output directory."""
    scrapy_dir = ROOT / ".scrapy"
    existed = scrapy_dir.exists()
    yield
    assert existed or not scrapy_dir.exists(), f"a test wrote {scrapy_dir}: point HTTPCACHE_DIR/JOBDIR at tmp_path"
