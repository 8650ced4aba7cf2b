"""One line per failure at the default log level (host, kind, what happens next), tracebacks
only at DEBUG; DNS failures not retried; an unreachable directory API given up on early with a
clear message; states done/total in the directory crawl's progress."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from provdir.sampleweb.locator import sample_rows, serve_locator
from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import FAST, ROOT, crawl, run_cli, scrapy_crawl_command, write_seeds

pytestmark = pytest.mark.e2e
DNS_HOST = "no-such-clinic.invalid"  # .invalid never resolves (RFC 6761)


def _always_500(handler) -> bool:
    handler.send_response(500)
    handler.end_headers()
    return True


def dead_url(host: str) -> str:
    with socket.socket() as s:
        s.bind((host, 0))
        return f"http://{host}:{s.getsockname()[1]}/"


def lines_about(stderr: str, host: str) -> list[str]:
    return [line for line in stderr.splitlines() if host in line]


def manifest(out: Path) -> dict:
    runs = sorted((out / "runs").iterdir())
    return json.loads((runs[-1] / "manifest.json").read_text())


@pytest.fixture(scope="module")
def failing_web():
    good = bundled_sites_dir() / "millrace-house"
    with serve_sites(
        {"good": good, "broken": good}, port=0, first_host=170, behaviours={"broken": _always_500}
    ) as urls:
        yield urls


@pytest.fixture(scope="module")
def failing_crawl(failing_web, tmp_path_factory):
    base = tmp_path_factory.mktemp("failing")
    refused = dead_url("127.0.0.173")
    seeds = write_seeds(
        base / "seeds.txt", [failing_web["good"], failing_web["broken"], refused, f"http://{DNS_HOST}/"]
    )
    result = crawl(seeds, base / "out", "-s", "PROVDIR_RETRY_BACKOFF_BASE=0.05")
    assert result.returncode == 3, result.stderr[-3000:]
    return result, refused


def test_one_warning_line_per_failed_host(failing_web, failing_crawl):
    result, refused = failing_crawl
    assert "Traceback" not in result.stderr
    for host, kind in (
        (refused.split("//")[1].rstrip("/"), "connection refused"),
        (DNS_HOST, "DNS lookup failed"),
        (failing_web["broken"].split("//")[1].rstrip("/"), "HTTP 500"),
    ):
        lines = lines_about(result.stderr, host)
        assert len(lines) == 1, lines
        assert kind in lines[0] and "reported FAILED" in lines[0], lines[0]
    assert not lines_about(result.stderr, failing_web["good"].split("//")[1].rstrip("/"))


def test_dns_failures_are_not_retried_but_refused_connections_are(failing_crawl):
    result, refused = failing_crawl
    [dns_line] = lines_about(result.stderr, DNS_HOST)
    assert "not retried" in dns_line
    [refused_line] = lines_about(result.stderr, refused.split("//")[1].rstrip("/"))
    assert "after 2 retries" in refused_line
    stats = json.loads((sorted((result.out / "runs").iterdir())[-1] / "stats.json").read_text())
    assert stats.get("retry/dns_not_retried", 0) >= 1


def test_tracebacks_only_at_debug(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.txt", [dead_url("127.0.0.174")])
    proc = run_cli(
        "crawl",
        str(seeds),
        "--out",
        str(tmp_path / "out"),
        "--allow-private-networks",
        *FAST,
        "-s",
        "PROVDIR_RETRY_BACKOFF_BASE=0.05",
        "-s",
        "RETRY_TIMES=0",
        "--log-level",
        "DEBUG",
    )
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr  # robots.txt's download error, kept whole at DEBUG


@pytest.mark.parametrize("api", ["dns", "refused"])
def test_unreachable_directory_api_is_given_up_on_early(api, tmp_path):
    url = (
        f"http://{DNS_HOST}/locator/exportsAsJson/v2"
        if api == "dns"
        else dead_url("127.0.0.175") + "locator/exportsAsJson/v2"
    )
    host = url.split("//")[1].split("/")[0]
    started = time.monotonic()
    proc = run_cli(
        "crawl-samhsa",
        "--states",
        "VA,MO,TX,CA,NY,OH",
        "--api-url",
        url,
        "--allow-private-networks",
        "--out",
        str(tmp_path / "out"),
        *FAST,
        # one retry, not the spider's four: the give-up counts requests that failed for good,
        # and each retry of a refused host waits longer (~6 s instead of ~17 s)
        "-s",
        "RETRY_TIMES=1",
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert elapsed < 60
    assert "Traceback" not in proc.stderr
    lines = lines_about(proc.stderr, host)
    assert len(lines) <= 3, lines  # two failed requests and the give-up line, not 6 states x 3 pages
    [gave_up] = [line for line in lines if "giving up" in line]
    assert "unreachable" in gave_up and "6 state(s)" in gave_up
    states = manifest(tmp_path / "out")["sites"]
    assert len(states) == 6 and all(s["status"] == "failed" for s in states.values())
    assert all(any("unreachable" in e for e in s["errors"]) for s in states.values())


def test_directory_progress_shows_states_done_of_total(tmp_path):
    with serve_locator(sample_rows({})) as api:
        proc = run_cli(
            "crawl-samhsa",
            "--states",
            "MO,TX,CA,CO",
            "--api-url",
            api,
            "--allow-private-networks",
            "--out",
            str(tmp_path / "out"),
            "--log-level",
            "INFO",
            "-s",
            "DOWNLOAD_DELAY=0.4",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "PROVDIR_PROGRESS_INTERVAL=0.2",
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    counts = [tuple(map(int, m)) for m in re.findall(r"progress: states (\d+)/(\d+)", proc.stderr)]
    assert counts and all(total == 4 for _, total in counts)
    assert [done for done, _ in counts] == sorted(done for done, _ in counts)  # never goes back
    assert counts[0][0] < 4


def test_scrapy_crawl_names_the_real_setting_for_private_networks(tmp_path):
    seeds = write_seeds(tmp_path / "seeds.txt", [dead_url("127.0.0.176")])
    # The shared helper keeps Scrapy's HTTP cache under the run's output, not in the checkout.
    proc = subprocess.run(
        scrapy_crawl_command("provider_sites", tmp_path / "out", "-a", f"seeds={seeds}"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    refused = [line for line in proc.stderr.splitlines() if "127.0.0.176" in line and "WARNING" in line]
    assert len(refused) == 1, proc.stderr[-3000:]
    assert "-s PROVDIR_ALLOW_PRIVATE_NETWORKS=True" in refused[0]
