"""Proxies (issue 19): with ``http_proxy`` set, the private-network guard still decides what is
fetched. A proxy on loopback logs every URL it is asked for; names the guard cannot resolve
and names resolving to private addresses must never reach it. Proxies are off unless asked for.

No real DNS is used: ``.invalid`` names never resolve, the other names are mapped by
``PROVDIR_RESOLVER_OVERRIDES``; ``PROVDIR_ALLOWED_NETWORKS`` lets loopback addresses stand in
for the public proxy and site."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers import write_seeds
from tests.hostile import scrapy_crawl

pytestmark = pytest.mark.e2e
PROXY_HOST = "127.0.0.187"
PUBLIC = "http://public-site.example/"
PRIVATE = ["http://intranet.invalid/", "http://metadata.example/"]


class LoggingProxy:
    """A forward proxy that answers every request itself and logs the absolute URL asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.asked.append(self.path)
                body = b"<html><head><title>Public</title></head><body><h1>Public site</h1></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((PROXY_HOST, 0), Handler)
        self.url = f"http://{PROXY_HOST}:{self.server.server_address[1]}"

    def __enter__(self) -> LoggingProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _env(proxy: LoggingProxy) -> dict[str, str]:
    return {
        "http_proxy": proxy.url,
        "https_proxy": proxy.url,
        "no_proxy": "",
        "PROVDIR_RESOLVER_OVERRIDES": json.dumps(
            {"public-site.example": ["127.0.0.188"], "metadata.example": ["169.254.169.254"]}
        ),
        "PROVDIR_ALLOWED_NETWORKS": json.dumps([f"{PROXY_HOST}/32", "127.0.0.188/32"]),
    }


def test_names_the_guard_cannot_resolve_or_refuses_never_reach_the_proxy(tmp_path):
    """Fails without the fix: the proxy was asked for http://intranet.invalid/ (the guard let an
    unresolvable name through, and the proxy resolves names itself)."""
    seeds = write_seeds(tmp_path / "seeds.txt", [PUBLIC, *PRIVATE])
    with LoggingProxy() as proxy:
        result = scrapy_crawl(seeds, tmp_path / "out", "-s", "HTTPPROXY_ENABLED=True", env=_env(proxy))
    assert result.returncode == 0, result.stderr[-3000:]
    assert any(url.startswith(PUBLIC) for url in proxy.asked), proxy.asked  # the proxy is used
    assert not [u for u in proxy.asked if "intranet" in u or "metadata" in u or "169.254" in u], proxy.asked
    stats = result.stats()
    assert stats.get("netguard/refused/unresolvable", 0) >= 1
    assert stats.get("netguard/refused/private_network", 0) >= 1


def test_proxies_are_off_unless_asked_for(tmp_path):
    """Fails without the fix: http_proxy in the environment was used without being asked for."""
    seeds = write_seeds(tmp_path / "seeds.txt", [PUBLIC, *PRIVATE])
    with LoggingProxy() as proxy:
        scrapy_crawl(seeds, tmp_path / "out", env=_env(proxy))
    assert proxy.asked == []
