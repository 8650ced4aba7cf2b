"""Incremental re-crawls: unchanged pages cost a 304 and reuse their extraction; a changed
page is read again; a site that went away is still noticed (never served from the cache)."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import crawl, write_seeds

pytestmark = pytest.mark.e2e


def stats(out) -> dict:
    run = sorted((out / "runs").iterdir())[-1]
    return json.loads((run / "stats.json").read_text())


def test_second_run_over_an_unchanged_web_revalidates_and_reuses(tmp_path):
    roots = {name: bundled_sites_dir() / name for name in ("harris-house", "redbud-hollow")}
    out = tmp_path / "out"
    with serve_sites(roots, port=0, first_host=190) as urls:
        seeds = write_seeds(tmp_path / "seeds.txt", list(urls.values()))
        assert crawl(seeds, out).returncode == 0
        first = stats(out)
        before = pd.read_parquet(out / "latest" / "facilities.parquet")
        assert crawl(seeds, out).returncode == 0
        second = stats(out)
    after = pd.read_parquet(out / "latest" / "facilities.parquet")
    pages = second["response_received_count"]
    assert second.get("httpcache/revalidate", 0) >= pages - 4  # robots.txt/404s aside, every page a 304
    assert second["downloader/response_bytes"] < 0.25 * first["downloader/response_bytes"]
    assert second.get("pages/extraction_reused", 0) >= first["observations/written"] - 1
    # The same places keep their ids across runs (this also covers what the sample-web test
    # "rerun keeps facility ids" checked with two more crawls of the same two sites).
    assert len(list((out / "runs").iterdir())) == 2
    assert (
        after.set_index("source_key")["facility_id"].to_dict()
        == before.set_index("source_key")["facility_id"].to_dict()
    )
    assert (
        after.set_index("facility_id")["phones"].map(list).to_dict()
        == before.set_index("facility_id")["phones"].map(list).to_dict()
    )


def test_changed_page_is_read_again_and_a_gone_site_is_still_noticed(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(bundled_sites_dir() / "millrace-house", site)
    other = bundled_sites_dir() / "harris-house"
    out = tmp_path / "out"
    with serve_sites({"millrace": site, "harris": other}, port=0, first_host=195) as urls:
        seeds = write_seeds(tmp_path / "seeds.txt", list(urls.values()))
        assert crawl(seeds, out).returncode == 0
        contact = site / "contact" / "index.html"
        contact.write_text(contact.read_text().replace("555-0137", "555-0199"))
        for page in site.rglob("index.html"):  # the phone is in every page's header and footer
            page.write_text(page.read_text().replace("555-0137", "555-0199"))
        assert crawl(seeds, out).returncode == 0
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    millrace = facilities[facilities["organization"] == "Millrace House"].iloc[0]
    assert millrace["phone"] == "+15735550199"
    # The web is gone: the third run cannot read either site and must not publish from the cache.
    third = crawl(seeds, out)
    assert third.returncode == 1
    manifest = third.manifest()
    assert all(s["status"] == "failed" for s in manifest["sites"].values())
    assert set(pd.read_parquet(out / "latest" / "facilities.parquet")["status"]) == {"active"}
