"""``provdir crawl --processes N``: the sites split between N crawler processes, one crawl."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from provdir.crawl.processes import parse_part, partition
from provdir.runs.store import latest_good_runs
from tests.helpers import crawl, write_seeds


def test_partition_gives_each_site_to_exactly_one_process():
    sites = [f"127.0.0.{i}:80" for i in range(11)] + ["127.0.0.3:80"]  # a site seeded twice
    parts = [partition(sites, k, 3) for k in range(3)]
    assert set().union(*parts) == set(sites)
    assert sum(len(p) for p in parts) == 11  # no site in two parts
    assert sorted(len(p) for p in parts) == [3, 4, 4]  # balanced
    assert parse_part("1/3") == (1, 3)
    for bad in ("3/3", "x/2", "1", "-1/2"):
        with pytest.raises(ValueError):
            parse_part(bad)


def _facilities(out) -> pd.DataFrame:
    cols = ["name", "street", "city", "state", "postal_code", "phone", "website", "services", "accreditations"]
    df = pd.read_parquet(out / "latest" / "facilities.parquet", columns=cols)
    df["services"] = df["services"].map(lambda v: tuple(sorted(v)))
    df["accreditations"] = df["accreditations"].map(lambda v: tuple(sorted(v)))
    return df.sort_values(["website", "street", "name"]).reset_index(drop=True)


@pytest.mark.e2e
def test_two_processes_publish_the_same_facilities_as_one(sample_web, sample_crawl, tmp_path):
    seeds = write_seeds(tmp_path / "seeds.txt", list(sample_web.values()))
    result = crawl(seeds, tmp_path / "out", "--processes", "2")
    assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-2000:]
    runs = sorted((tmp_path / "out" / "runs").iterdir())
    manifests = [json.loads((r / "manifest.json").read_text()) for r in runs]
    assert len(manifests) == 2 and len({m["crawl_id"] for m in manifests}) == 1
    sites = [set(m["sites"]) for m in manifests]
    assert sites[0] and sites[1] and not sites[0] & sites[1]  # each site crawled by one process
    assert len(sites[0] | sites[1]) == len(sample_web)
    assert all(len(m["seeds"]) == len(sample_web) for m in manifests)  # every seed named
    assert {m["process"]["pid"] for m in manifests} - {None} and len({m["process"]["pid"] for m in manifests}) == 2
    crawl_run = latest_good_runs(tmp_path / "out")["site"]
    assert len(getattr(crawl_run, "members", [])) == 2  # the build read both as one crawl
    pd.testing.assert_frame_equal(_facilities(tmp_path / "out"), _facilities(sample_crawl.out))


@pytest.mark.e2e
def test_ctrl_c_stops_every_process_cleanly_and_publishes_nothing(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots
    from tests.helpers import FAST, ROOT

    def slow(handler) -> bool:
        time.sleep(0.5)  # every page takes a while: the crawl is still running when stopped
        return False

    roots = site_roots(bundled_sites_dir())
    with serve_sites(roots, port=0, first_host=191, behaviours=dict.fromkeys(roots, slow)) as urls:
        seeds = write_seeds(tmp_path / "seeds.txt", list(urls.values()))
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "provdir.cli",
                "crawl",
                str(seeds),
                "--out",
                str(tmp_path / "out"),
                "--allow-private-networks",
                "--processes",
                "2",
                *FAST,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list((tmp_path / "out" / "runs").glob("*/manifest.json"))) < 2:
            time.sleep(0.2)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err[-2000:]
    manifests = [json.loads(p.read_text()) for p in (tmp_path / "out" / "runs").glob("*/manifest.json")]
    assert len(manifests) == 2
    assert all(m["finish_reason"] == "shutdown" and m["status"] == "failed" for m in manifests), manifests
    assert not (tmp_path / "out" / "latest").exists()
    assert "Nothing published" in out
