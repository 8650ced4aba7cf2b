"""Hostile web, network faults: every way a site can fail to answer ends in a bounded time, is
retried with backoff, and is reported in the run manifest by kind; the other sites are
unaffected and the run publishes."""

from __future__ import annotations

import socket

import pytest

from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from provdir.sources.seeds import site_key
from tests.helpers import write_seeds
from tests.hostile import HostileServer, crawl, drip, gaps, never_answer, page, reset_mid_body, robots

pytestmark = pytest.mark.e2e

TIMEOUT = 2  # DOWNLOAD_TIMEOUT for the test (project default 20)
BACKOFF = 0.5  # PROVDIR_RETRY_BACKOFF_BASE for the test (project default 1.0)


def _refused_url(host: str) -> str:
    with socket.socket() as s:
        s.bind((host, 0))
        port = s.getsockname()[1]
    return f"http://{host}:{port}/"


@pytest.fixture(scope="module")
def faults(tmp_path_factory):
    """One crawl over a good site and one site per network fault."""
    never = HostileServer("127.0.0.121", {"/robots.txt": robots(""), "/": never_answer})
    dripping = HostileServer("127.0.0.122", {"/robots.txt": robots(""), "/": drip(interval=0.2)})
    reset = HostileServer("127.0.0.123", {"/robots.txt": robots(""), "/": reset_mid_body()})
    tls = HostileServer("127.0.0.124", {"/": page("<h1>plain http</h1>")})  # an https:// seed: no TLS here
    good = serve_sites({"good": bundled_sites_dir() / "harris-house"}, port=0, first_host=120)
    with never, dripping, reset, tls, good as urls:
        base = tmp_path_factory.mktemp("faults")
        seeds = {
            "good": urls["good"],
            "never": never.url(),
            "drip": dripping.url(),
            "reset": reset.url(),
            "tls": f"https://{tls.netloc}/",
            "refused": _refused_url("127.0.0.125"),
            "dns": "http://no-such-host.invalid/",
        }
        result = crawl(
            write_seeds(base / "seeds.txt", list(seeds.values())),
            base / "out",
            "-s",
            f"DOWNLOAD_TIMEOUT={TIMEOUT}",
            "-s",
            "RETRY_TIMES=1",
            "-s",
            f"PROVDIR_RETRY_BACKOFF_BASE={BACKOFF}",
            "--log-level",
            "INFO",
        )
        yield result, seeds, {"never": never, "drip": dripping, "reset": reset, "tls": tls}


def test_every_network_fault_is_reported_by_kind_and_the_rest_published(faults):
    result, seeds, _ = faults
    assert result.returncode == 3, result.stderr[-3000:]  # published, some sites failed
    sites = result.manifest()["sites"]
    assert sites[site_key(seeds["good"])]["status"] == "ok"
    expected = {
        "never": "timeout",
        "drip": "timeout",
        "reset": "connection_lost",
        "tls": "tls",
        "refused": "connection_refused",
        "dns": "dns",
    }
    for name, kind in expected.items():
        info = sites[site_key(seeds[name])]
        assert info["status"] == "failed", (name, info)
        assert kind in info["failures"], (name, info)
        assert info["errors"], name
    stats = result.stats()
    for kind in set(expected.values()):
        assert stats.get(f"pages/failed/{kind}", 0) >= 1, kind
    assert (result.out / "latest" / "facilities.csv").exists()
    assert "FAILED" in result.stdout


def test_timeouts_bound_the_run(faults):
    result, _, servers = faults
    # The dripping server would take 100_000 * 0.2 s to finish its body; the never-answering
    # one never does. DOWNLOAD_TIMEOUT (2 s here) ends both: two attempts each, then reported.
    assert result.seconds < 45, result.seconds
    assert servers["drip"].count("/", exclude_robots=True) == 2
    assert servers["never"].count("/", exclude_robots=True) == 2


def test_failed_requests_are_retried_with_backoff(faults):
    _, _, servers = faults
    attempts = servers["reset"].hits_for("/", exclude_robots=True)
    assert [h.path for h in attempts] == ["/", "/"]  # RETRY_TIMES=1: one retry, then reported
    # The retry waits PROVDIR_RETRY_BACKOFF_BASE before hitting the host again.
    assert gaps(attempts)[0] >= BACKOFF * 0.9, gaps(attempts)
