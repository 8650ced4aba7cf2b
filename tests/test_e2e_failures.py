"""End to end: a run survives bad seeds, dead sites and broken servers, and never publishes
a failed crawl over the last good directory."""

from __future__ import annotations

import json
import socket
import subprocess

import pandas as pd
import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from provdir.sources.seeds import site_key
from tests.helpers import ROOT, cli_in_process, crawl, scrapy_command, scrapy_crawl_command, write_seeds

pytestmark = pytest.mark.e2e


def _always_500(handler) -> bool:
    handler.send_response(500)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    handler.wfile.write(b"<h1>Internal Server Error</h1>")
    return True


def _dead_url(host: str) -> str:
    """A loopback address and port with nothing listening: connection refused."""
    with socket.socket() as s:
        s.bind((host, 0))
        port = s.getsockname()[1]
    return f"http://{host}:{port}/"


@pytest.fixture(scope="module")
def mixed_web():
    good = bundled_sites_dir() / "harris-house"
    with serve_sites({"good": good, "broken": good}, port=0, first_host=60, behaviours={"broken": _always_500}) as urls:
        yield urls


def test_dead_and_broken_sites_are_reported_and_the_rest_published(mixed_web, tmp_path):
    dead = _dead_url("127.0.0.62")
    seeds = write_seeds(tmp_path / "seeds.txt", [mixed_web["good"], mixed_web["broken"], dead])
    result = crawl(seeds, tmp_path / "out")
    assert result.returncode == 3, result.stderr[-2000:]  # published, with warnings
    manifest = result.manifest()
    sites = manifest["sites"]
    assert sites[site_key(mixed_web["good"])]["status"] == "ok"
    failed = {k: v for k, v in sites.items() if v["status"] == "failed"}
    assert len(failed) == 2
    assert any("HTTP 500" in e for v in failed.values() for e in v["errors"])
    assert any("onnection" in e and "refused" in e.lower() for v in failed.values() for e in v["errors"])
    assert "FAILED" in result.stdout
    facilities = pd.read_parquet(result.latest / "facilities.parquet")
    assert set(facilities["organization"]) == {"Harris House"}
    assert len(facilities) == 2


def test_run_where_every_site_fails_is_not_published_and_keeps_last_good(mixed_web, tmp_path):
    out = tmp_path / "out"
    good = crawl(write_seeds(tmp_path / "good.txt", [mixed_web["good"]]), out)
    assert good.returncode == 0, good.stderr[-2000:]
    before = (out / "latest" / "facilities.csv").read_bytes()
    target_before = (out / "latest").resolve()

    bad = crawl(write_seeds(tmp_path / "bad.txt", [mixed_web["broken"], _dead_url("127.0.0.63")]), out)
    assert bad.returncode == 1
    assert "Nothing published" in bad.stdout
    assert (out / "latest").resolve() == target_before
    assert (out / "latest" / "facilities.csv").read_bytes() == before
    runs = sorted((out / "runs").iterdir())
    assert json.loads((runs[-1] / "manifest.json").read_text())["status"] == "failed"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no seed URLs"),
        ("# only a comment\n\n", "no seed URLs"),
        ("https://ok.example.org/\nnot a url\n", ":2: not a valid http(s) URL"),
        ("https://ok.example.org/\nftp://files.example.org/\n", ":2: not a valid http(s) URL"),
    ],
)
def test_bad_seeds_file_exits_before_any_request(tmp_path, content, message):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(content)
    proc = cli_in_process("crawl", str(seeds), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert str(seeds) in proc.stderr and message in proc.stderr
    assert "nothing was crawled" in proc.stderr.lower()
    assert not (tmp_path / "out").exists()


def test_csv_seeds_without_url_column(tmp_path):
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("website,name\nhttps://a.example.org/,A\n")
    proc = cli_in_process("crawl", str(seeds), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "no 'url' column" in proc.stderr and f"{seeds}:1" in proc.stderr


def test_missing_seeds_file(tmp_path):
    proc = cli_in_process("crawl", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "not found" in proc.stderr


def test_loopback_seed_refused_without_allow_private_networks(mixed_web, tmp_path):
    seeds = write_seeds(tmp_path / "seeds.txt", [mixed_web["good"]])
    proc = cli_in_process("crawl", str(seeds), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "--allow-private-networks" in proc.stderr and f"{seeds}:2" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_bad_max_pages_argument(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.txt", ["https://a.example.org/"])
    proc = cli_in_process("crawl", str(seeds), "--max-pages-per-site", "zero")
    assert proc.returncode == 2
    assert "not a whole number" in proc.stderr


def test_csv_seed_name_becomes_organization_and_the_page_cap_holds(mixed_web, tmp_path):
    # One crawl for two promises of `provdir crawl`: a CSV seed's name is the organization, and
    # --max-pages-per-site caps what is scheduled (the spider's cap itself: tests/component).
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"url,name\n{mixed_web['good']},Harris House Foundation\n")
    result = crawl(seeds, tmp_path / "out", "--max-pages-per-site", "3")
    assert result.returncode == 0, result.stderr[-2000:]
    facilities = pd.read_parquet(result.latest / "facilities.parquet")
    assert set(facilities["organization"]) == {"Harris House Foundation"}
    (info,) = result.manifest()["sites"].values()
    assert info["pages_scheduled"] <= 3
    assert info["pages_ok"] <= 3


def test_scrapy_list_and_crawl_from_repository_root(mixed_web, tmp_path):
    listed = subprocess.run(scrapy_command("list"), cwd=ROOT, capture_output=True, text=True)
    assert listed.returncode == 0 and "provider_sites" in listed.stdout.split()
    seeds = write_seeds(tmp_path / "seeds.txt", [mixed_web["good"]])
    out = tmp_path / "out"
    proc = subprocess.run(
        scrapy_crawl_command(
            "provider_sites",
            out,
            "-a",
            f"seeds={seeds}",
            "-s",
            "PROVDIR_ALLOW_PRIVATE_NETWORKS=1",
            "-s",
            "PROVDIR_PUBLISH_ON_CLOSE=True",
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    # Publishing from `scrapy crawl` is opt-in (PublishOnClose), and recorded like the CLI's.
    facilities = pd.read_parquet(out / "latest" / "facilities.parquet")
    assert set(facilities["organization"]) == {"Harris House"}
    (manifest,) = (json.loads(p.read_text()) for p in out.glob("runs/*/manifest.json"))
    assert manifest["published"]["facilities"] == len(facilities) == manifest["health"]["figures"]["facilities"]


def test_bad_setting_value_exits_2_before_any_request(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.txt", ["http://127.0.0.1:9/"])
    proc = cli_in_process(
        "crawl", str(seeds), "--out", str(tmp_path / "out"), "--allow-private-networks", "-s", "DOWNLOAD_TIMEOUT=soon"
    )
    assert proc.returncode == 2
    assert "DOWNLOAD_TIMEOUT" in proc.stderr and "'soon'" in proc.stderr  # the setting is named
    assert "Traceback" not in proc.stderr
    assert not list((tmp_path / "out").glob("runs/*/manifest.json"))  # no run was started
