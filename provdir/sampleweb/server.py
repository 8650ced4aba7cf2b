"""Serve folders of static sites on loopback, each on its own 127.0.0.x address.

Used by ``provdir demo`` (the bundled sample web), the end-to-end tests and the accuracy
benchmark. ``/path/`` serves ``path/index.html`` (or ``index.php``), ``.php`` files are HTML,
a root with ``200.html`` serves it for every other route (a single-page app), and the
placeholder ``http://SITE_ROOT`` in robots.txt and sitemaps becomes the site's real root URL.
Only loopback addresses are ever bound.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import mimetypes
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

PLACEHOLDER = b"http://SITE_ROOT"
FIRST_HOST = 11  # 127.0.0.11, .12, ...
SPA_FALLBACK = "200.html"
"""A site root holding this file serves it for every route that is not a file (the single-page-app
fallback of static hosts such as surge.sh; Netlify and others do the same with a rewrite rule)."""

Behaviour = Callable[[BaseHTTPRequestHandler], bool]
"""A hook that may answer a request itself (return True), e.g. to fail with 500."""


def bundled_sites_dir() -> Path:
    return Path(str(resources.files("provdir.sampleweb").joinpath("sites")))


def _resolve(root: Path, url_path: str) -> Path | None:
    rel = unquote(urlsplit(url_path).path).lstrip("/")
    target = (root / rel).resolve()
    if root.resolve() not in (target, *target.parents):
        return None  # path traversal
    if target.is_dir():
        for index in ("index.html", "index.php", "index.htm"):
            if (target / index).is_file():
                return target / index
        return None
    return target if target.is_file() else None


def _spa_route(root: Path, url_path: str) -> bool:
    """A route of a single-page app served from ``root`` (not a file: its last segment has no '.')."""
    return (root / SPA_FALLBACK).is_file() and "." not in urlsplit(url_path).path.rsplit("/", 1)[-1]


def make_handler(root: Path, behaviour: Behaviour | None = None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "provdir-sampleweb/1"
        # Keep-alive, as real web servers: a crawler reuses one connection for a host's pages.
        # A site with a behaviour hook stays on HTTP/1.0 (one request per connection), since a
        # hook may answer without a Content-Length, which only a closed connection can end.
        protocol_version = "HTTP/1.1" if behaviour is None else "HTTP/1.0"

        def setup(self) -> None:
            super().setup()
            self.server.connections += 1  # type: ignore[attr-defined]

        def do_GET(self) -> None:
            self.server.request_log.append(self.path)  # type: ignore[attr-defined]
            self.server.request_times.append(time.monotonic())  # type: ignore[attr-defined]
            if behaviour is not None and behaviour(self):
                return
            path = _resolve(root, self.path)
            if path is None and _spa_route(root, self.path):
                path = root / SPA_FALLBACK  # a single-page app: every route gets the same shell
            if path is None:
                self.send_error(404)
                return
            body = path.read_bytes()
            if path.name in ("robots.txt", "sitemap.xml") or path.suffix == ".xml":
                host, port = self.server.server_address[:2]
                body = body.replace(PLACEHOLDER, f"http://{host}:{port}".encode())
            # Validators, as real servers send them, so re-crawls can revalidate (304).
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = formatdate(path.stat().st_mtime, usegmt=True)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            ctype = (
                "text/html; charset=utf-8"
                if path.suffix in (".html", ".htm", ".php")
                else (mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            )
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextlib.contextmanager
def serve_sites(
    roots: dict[str, Path],
    *,
    port: int = 0,
    first_host: int = FIRST_HOST,
    behaviours: dict[str, Behaviour] | None = None,
    servers_out: dict[str, ThreadingHTTPServer] | None = None,
) -> Iterator[dict[str, str]]:
    """Serve each root on 127.0.0.<first_host + i>; yields {name: root URL}. ``port=0`` picks free ports.

    Each server counts the TCP connections it accepted (``connections``) and logs the paths it
    was asked for (``request_log``) and when (``request_times``, monotonic); pass
    ``servers_out`` (a dict) to get them by site name.
    """
    servers: list[ThreadingHTTPServer] = []
    urls: dict[str, str] = {}
    try:
        for i, (name, root) in enumerate(sorted(roots.items())):
            host = f"127.0.0.{first_host + i}"
            assert ipaddress.ip_address(host).is_loopback
            handler = make_handler(root, (behaviours or {}).get(name))
            try:
                server = ThreadingHTTPServer((host, port), handler)
            except OSError:
                if port == 0:
                    raise
                server = ThreadingHTTPServer((host, 0), handler)  # fixed port taken: any free one
            server.daemon_threads = True
            server.connections, server.request_log, server.request_times = 0, [], []  # type: ignore[attr-defined]
            servers.append(server)
            if servers_out is not None:
                servers_out[name] = server
            threading.Thread(target=server.serve_forever, name=f"site-{name}", daemon=True).start()
            urls[name] = f"http://{host}:{server.server_address[1]}/"
        yield urls
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def site_roots(directory: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted(directory.iterdir()) if p.is_dir()}
