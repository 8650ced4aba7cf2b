"""Private-network guard (SSRF): without --allow-private-networks no request reaches a loopback,
private, link-local or IPv6-equivalent address, judged *after* DNS resolution, whether the URL
comes from a seed, a redirect or a link; non-web URL schemes have no download handler.

No real DNS is used: ``PROVDIR_RESOLVER_OVERRIDES`` maps the test's host names to 127.0.0.x, and
``PROVDIR_ALLOWED_NETWORKS`` lets one loopback address stand in for a public site."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys

import pytest

from provdir.crawl.netguard import GuardedResolver, NetPolicy, is_private, parse_overrides, refusal
from provdir.sources.seeds import site_key
from tests.helpers import ROOT, cli_in_process, write_seeds
from tests.hostile import HostileServer, crawl, html, page, redirect, robots, scrapy_crawl

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.0.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.0.10",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "2002:a9fe:a9fe::1",
        "64:ff9b::a9fe:a9fe",
        "fec0::1",
        "224.0.0.1",
    ],
)
def test_private_loopback_link_local_and_ipv6_equivalents_are_private(address):
    assert is_private(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2002:808:808::1"])
def test_public_addresses_are_not_private(address):
    assert not is_private(address)


class _Receiver:
    """What Twisted's HostnameEndpoint gives a resolver: collects the addresses it may connect to."""

    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution) -> None:
        pass

    def addressResolved(self, address) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


def _resolve(resolver: GuardedResolver, host: str) -> list[str]:
    receiver = _Receiver()
    resolver.resolveHostName(receiver, host, 80)
    assert receiver.complete
    return receiver.addresses


def test_resolver_gives_no_private_address_to_connect_to():
    overrides = parse_overrides(
        {
            "metadata.example": "169.254.169.254",
            "intranet.example": "10.0.0.5",
            "v6.example": "fd00::1",
            "mapped.example": "::ffff:192.168.1.1",
            "mixed.example": ["93.184.215.14", "127.0.0.1"],
            "public.example": ["93.184.215.14", "2606:4700:4700::1111"],
            "mirror.example": "10.9.8.7",
        }
    )
    policy = NetPolicy(overrides=overrides, allowed_networks=(ipaddress.ip_network("10.9.8.0/24"),))
    resolver = GuardedResolver(reactor=None, policy=policy)
    for host in ("metadata.example", "intranet.example", "v6.example", "mapped.example", "mixed.example"):
        assert _resolve(resolver, host) == [], host
        assert host in resolver.refused
    assert _resolve(resolver, "public.example") == ["93.184.215.14", "2606:4700:4700::1111"]
    assert _resolve(resolver, "mirror.example") == ["10.9.8.7"]  # an allowed network
    assert _resolve(resolver, "nothing.invalid") == []  # never resolves, no DNS query
    # --allow-private-networks: everything resolves.
    open_resolver = GuardedResolver(reactor=None, policy=NetPolicy(allow_private=True, overrides=overrides))
    assert _resolve(open_resolver, "metadata.example") == ["169.254.169.254"]


def test_blocking_refusal_resolves_names_and_odd_spellings():
    policy = NetPolicy(overrides=parse_overrides({"sneaky.example": "127.0.0.9"}))
    assert "127.0.0.9" in refusal("sneaky.example", policy=policy)
    for host in ("127.1", "2130706433", "0x7f.0.0.1", "[::1]", "localhost"):
        assert refusal(host, policy=policy), host
    assert refusal("nothing.invalid", policy=policy) == ""  # fails later as a DNS error


@pytest.fixture(scope="module")
def targets():
    """Servers that must never be reached: a name's private address, 127.0.0.1 and ::1."""
    anything = page(html("Internal admin"))
    with (
        HostileServer("127.0.0.172", {"*": anything}) as private,
        HostileServer("127.0.0.1", {"*": anything}) as local,
        HostileServer("::1", {"*": anything}) as v6,
    ):
        yield private, local, v6


def _env(**hosts: str) -> dict[str, str]:
    return {"PROVDIR_RESOLVER_OVERRIDES": json.dumps(hosts)}


def test_cli_refuses_private_seeds_after_resolution_before_any_request(targets, tmp_path):
    private, local, v6 = targets
    seeds = write_seeds(
        tmp_path / "seeds.txt",
        [
            f"http://sneaky.example:{private.port}/",  # a public-looking name that resolves to 127.0.0.172
            f"http://127.1:{local.port}/",
            f"http://2130706433:{local.port}/",
            v6.url(),
        ],
    )
    proc = cli_in_process(
        "crawl", str(seeds), "--out", str(tmp_path / "out"), env=_env(**{"sneaky.example": "127.0.0.172"})
    )
    assert proc.returncode == 2, proc.stderr
    assert "sneaky.example resolves to a private" in proc.stderr and "127.0.0.172" in proc.stderr
    for line in (2, 3, 4, 5):
        assert f"{seeds}:{line}:" in proc.stderr
    assert private.count() == local.count() == v6.count() == 0
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def guarded(targets, tmp_path_factory):
    """A crawl (``scrapy crawl``: no CLI seed check) of two "public" sites and private seeds."""
    private, local, v6 = targets
    sneaky = f"http://sneaky.example:{private.port}/"
    public1 = HostileServer("127.0.0.173", {"/robots.txt": robots(""), "/": redirect(f"{sneaky}latest/meta-data/")})
    public2 = HostileServer("127.0.0.174")
    with public1, public2:
        public2.routes.update(
            {
                "/robots.txt": robots(f"Sitemap: {sneaky}sitemap.xml\n"),
                "/": page(
                    html(
                        "Serenity Ridge",
                        links=[
                            "/contact/",
                            "/moved",
                            sneaky,
                            private.url(),
                            v6.url(),
                            f"http://2130706433:{local.port}/",
                        ],
                    )
                ),
                "/contact/": page(html("Contact", text="Call (417) 555-0142")),
                "/moved": redirect(private.url("/admin")),
            }
        )
        hosts = {"sneaky.example": "127.0.0.172", "public1.example": "127.0.0.173", "public2.example": "127.0.0.174"}
        env = {**_env(**hosts), "PROVDIR_ALLOWED_NETWORKS": json.dumps(["127.0.0.173/32", "127.0.0.174/32"])}
        seeds = [
            f"http://public1.example:{public1.port}/",
            f"http://public2.example:{public2.port}/",
            sneaky,
            f"http://2130706433:{local.port}/",
            f"http://127.1:{local.port}/",
            v6.url(),
        ]
        base = tmp_path_factory.mktemp("ssrf")
        result = scrapy_crawl(write_seeds(base / "seeds.txt", seeds), base / "out", env=env)
        yield result, seeds, public2


def test_no_request_reaches_a_private_address(targets, guarded):
    private, local, v6 = targets
    result, _, public2 = guarded
    assert result.returncode == 0, result.stderr[-3000:]
    assert private.count() == local.count() == v6.count() == 0
    assert public2.count("/contact/") == 1  # the public site itself is crawled


def test_private_seeds_and_seed_redirects_are_refused_and_reported(guarded):
    result, seeds, _ = guarded
    sites = result.manifest()["sites"]
    # public1's seed redirects to sneaky.example (127.0.0.172); the others are private seeds.
    for url in [seeds[0], *seeds[2:]]:
        info = sites[site_key(url)]
        assert info["status"] == "failed" and info["failures"].get("private_network"), (url, info)
        assert any("private" in e for e in info["errors"])
    assert sites[site_key(seeds[1])]["status"] == "ok"
    # One refusal per private seed (4) and public1's redirect. (robots.txt is fetched by Scrapy's
    # middleware after the guard, so a refused host's robots.txt is never even asked for.)
    assert result.stats()["netguard/refused/private_network"] >= 5
    assert result.manifest()["counts"]["requests_refused_private_network"] >= 5


def test_connections_are_refused_even_without_the_middleware(targets, tmp_path):
    """The resolver itself hands no private address to the connection (no DNS rebinding window)."""
    private, local, _ = targets
    seeds = write_seeds(
        tmp_path / "seeds.txt",
        [f"http://sneaky.example:{private.port}/", f"http://2130706433:{local.port}/", f"http://127.1:{local.port}/"],
    )
    # DOWNLOADER_MIDDLEWARES given on the command line replaces the project's: no PrivateNetworkGuard.
    result = scrapy_crawl(
        seeds,
        tmp_path / "out",
        "-s",
        "DOWNLOADER_MIDDLEWARES={}",
        "-s",
        "RETRY_TIMES=0",
        env=_env(**{"sneaky.example": "127.0.0.172"}),
    )
    assert private.count() == local.count() == 0
    assert all(s["failures"].get("dns") for s in result.manifest()["sites"].values())


_HANDLERS_PROBE = """
import asyncio, json, os
os.environ["SCRAPY_SETTINGS_MODULE"] = "provdir.crawl.settings"
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
import scrapy
from scrapy.core.downloader.handlers import DownloadHandlers
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler
crawler = get_crawler(settings_dict=dict(get_project_settings()))
crawler.spider = scrapy.Spider(name="probe")
handlers = DownloadHandlers(crawler)
out = {}
for url in ["file:///etc/hostname", "data:text/html,<h1>hi</h1>", "ftp://127.0.0.1:9/x", "s3://bucket/key"]:
    try:
        asyncio.get_event_loop().run_until_complete(handlers.download_request_async(scrapy.Request(url)))
        out[url.split(":")[0]] = "fetched"
    except Exception as exc:
        out[url.split(":")[0]] = type(exc).__name__
print(json.dumps(out))
"""


def test_non_web_url_schemes_have_no_download_handler():
    proc = subprocess.run([sys.executable, "-c", _HANDLERS_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.splitlines()[-1]) == dict.fromkeys(["file", "data", "ftp", "s3"], "NotSupported")


def test_allow_private_networks_lifts_the_guard(targets, tmp_path):
    """--allow-private-networks lifts the guard (the demo and tests need it); nothing else does."""
    private, _, _ = targets
    result = crawl(write_seeds(tmp_path / "seeds.txt", [private.url()]), tmp_path / "out")
    assert result.returncode == 0 and private.count("/", exclude_robots=True) >= 1
    proc = cli_in_process(
        "crawl", str(write_seeds(tmp_path / "again.txt", [private.url()])), "--out", str(tmp_path / "o2")
    )
    assert proc.returncode == 2
