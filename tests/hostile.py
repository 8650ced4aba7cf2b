"""A loopback web server that misbehaves on purpose, for the hostile-web tests and benchmark.

Each :class:`HostileServer` binds one 127.0.0.x address (a free port) and answers from a table of
routes: a path (``"/"``) or a prefix (``"/chain/*"``) maps to a function that writes the answer,
however broken. Every request is recorded (time, path, headers) and the number of requests in
progress at once is tracked, so tests can assert what reached the server, when, and how often.

Only loopback addresses are ever bound or named.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import socket
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import brotli

from tests.helpers import FAST, ROOT, WarmProcess, cli_command, scrapy_crawl_command, start_cli

Route = Callable[["Handler"], None]


@dataclass
class Hit:
    t: float
    path: str
    headers: dict[str, str]


class Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "hostile/1"
    protocol_version = "HTTP/1.0"  # one request per connection: simple to misbehave on

    def do_GET(self) -> None:
        hostile = self.server.hostile
        self._hit = hostile._enter(self)
        self._active = True
        try:
            route = hostile.route_for(urlsplit(self.path).path)
            route(self)
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the crawler hung up: that is what the tests are about
        finally:
            self._done()

    def _done(self) -> None:
        """This request no longer counts as in flight (once)."""
        if self._active:
            self._active = False
            self.hostile._leave(self._hit)

    def log_message(self, format: str, *args: object) -> None:
        pass

    # helpers for routes
    @property
    def hostile(self) -> HostileServer:
        return self.server.hostile

    def send(
        self,
        status: int,
        body: bytes = b"",
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        # Out of the in-flight count before the body's last write: once the client has the whole
        # response it may send its next request at once, before this thread is scheduled again.
        self._done()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hostile: HostileServer


@dataclass
class HostileServer:
    host: str
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        assert ipaddress.ip_address(self.host).is_loopback, self.host
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self.counters: dict[str, int] = {}
        self._in_flight: list[Hit] = []
        self.busiest: list[Hit] = []  # the requests in flight at the busiest moment

    # lifecycle
    def __enter__(self) -> HostileServer:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        _Server.address_family = family
        self._server = _Server((self.host, 0), Handler)
        self._server.hostile = self
        threading.Thread(target=self._server.serve_forever, name=f"hostile-{self.host}", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def url(self, path: str = "/", host: str | None = None) -> str:
        host = host or self.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}{path}"

    @property
    def netloc(self) -> str:
        return urlsplit(self.url()).netloc

    # routing and bookkeeping
    def route_for(self, path: str) -> Route:
        if path in self.routes:
            return self.routes[path]
        prefixes = sorted((p for p in self.routes if p.endswith("*") and path.startswith(p[:-1])), key=len)
        if prefixes:
            return self.routes[prefixes[-1]]
        return not_found

    def _enter(self, handler: Handler) -> Hit:
        with self._lock:
            hit = Hit(time.monotonic(), handler.path, {k.lower(): v for k, v in handler.headers.items()})
            self.hits.append(hit)
            self._in_flight.append(hit)
            if len(self._in_flight) > len(self.busiest):
                self.busiest = list(self._in_flight)
            return hit

    def _leave(self, hit: Hit) -> None:
        with self._lock:
            self._in_flight.remove(hit)

    @property
    def max_active(self) -> int:
        """The most requests in flight at once."""
        return len(self.busiest)

    def describe_busiest(self) -> str:
        """The requests that were in flight at once at the busiest moment, for a failure message."""
        start = self.hits[0].t if self.hits else 0.0
        return f"{self.max_active} in flight: " + ", ".join(f"{h.path} since {h.t - start:.3f} s" for h in self.busiest)

    def next_count(self, key: str) -> int:
        """1 on the first call for ``key``, 2 on the second, ... (thread-safe)."""
        with self._lock:
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def count(self, prefix: str = "", exclude_robots: bool = False) -> int:
        return len(self.hits_for(prefix, exclude_robots))

    def hits_for(self, prefix: str = "", exclude_robots: bool = False) -> list[Hit]:
        aux = ("/robots.txt", "/sitemap.xml")
        return [h for h in self.hits if h.path.startswith(prefix) and not (exclude_robots and h.path.startswith(aux))]


# -- routes ----------------------------------------------------------------------------------
def not_found(h: Handler) -> None:
    h.send(404, b"<h1>Not found</h1>")


def page(
    body: str | bytes,
    status: int = 200,
    ctype: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    delay: float = 0.0,
) -> Route:
    data = body.encode() if isinstance(body, str) else body

    def route(h: Handler) -> None:
        if delay:
            h.hostile.stopping.wait(delay)
        h.send(status, data, ctype, headers)

    return route


def html(title: str, *, links: list[str] = (), text: str = "", head: str = "") -> str:
    anchors = "".join(f'<li><a href="{href}">{href.strip("/").split("/")[-1] or "home"}</a></li>' for href in links)
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body><main><h1>{title}</h1>"
        f"<p>{text}</p><ul>{anchors}</ul></main></body></html>"
    )


def robots(text: str) -> Route:
    return page(text, ctype="text/plain")


def never_answer(h: Handler) -> None:
    """Accept the connection, read the request, never write a byte."""
    h.hostile.stopping.wait(120)


def drip(total: int = 100_000, interval: float = 0.25) -> Route:
    """Headers at once, then the body one byte at a time, forever (for a test's lifetime)."""

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(total))
        h.end_headers()
        h.wfile.write(b"<html>")
        h.wfile.flush()
        for _ in range(total):
            if h.hostile.stopping.wait(interval):
                return
            h.wfile.write(b" ")
            h.wfile.flush()

    return route


def reset_mid_body(declared: int = 100_000, sent: int = 5_000) -> Route:
    """Promise ``declared`` bytes, send ``sent``, then reset the connection (TCP RST)."""

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(declared))
        h.end_headers()
        h.wfile.write(b"<html><body>" + b"x" * sent)
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    return route


def sequence(*routes: Route, key: str | None = None) -> Route:
    """The n-th request answered by ``routes[n-1]`` (the last one repeats)."""

    def route(h: Handler) -> None:
        n = h.hostile.next_count(key or urlsplit(h.path).path)
        routes[min(n, len(routes)) - 1](h)

    return route


def status(code: int, headers: dict[str, str] | None = None) -> Route:
    return page(f"<h1>{code}</h1>", status=code, headers=headers)


def redirect(location: str, code: int = 302) -> Route:
    return page(b"", status=code, headers={"Location": location})


def redirect_chain(prefix: str) -> Route:
    """``{prefix}N`` redirects to ``{prefix}N+1``, forever."""

    def route(h: Handler) -> None:
        n = int(urlsplit(h.path).path.rsplit("/", 1)[-1] or 0)
        h.send(302, b"", headers={"Location": f"{prefix}{n + 1}"})

    return route


def meta_refresh_chain(prefix: str) -> Route:
    """``{prefix}N`` is a page that meta-refreshes to ``{prefix}N+1`` at once, forever."""

    def route(h: Handler) -> None:
        n = int(urlsplit(h.path).path.rsplit("/", 1)[-1] or 0)
        h.send(
            200,
            f'<html><head><meta http-equiv="refresh" content="0; url={prefix}{n + 1}"></head>'
            f"<body>moved</body></html>".encode(),
        )

    return route


def compressed(body: bytes, encoding: str) -> Route:
    return page(body, headers={"Content-Encoding": encoding})


# -- hostile bodies (built once per process) -------------------------------------------------
@cache
def gzip_bomb(mib: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    return b"".join([*(c.compress(chunk) for _ in range(mib)), c.flush()])


@cache
def deflate_bomb(mib: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 15)
    chunk = b"\0" * (1 << 20)
    return b"".join([*(c.compress(chunk) for _ in range(mib)), c.flush()])


@cache
def brotli_bomb(mib: int) -> bytes:
    c = brotli.Compressor(quality=5)
    chunk = b"\0" * (1 << 20)
    return b"".join([*(c.process(chunk) for _ in range(mib)), c.finish()])


def pdf_bytes() -> bytes:
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 200


def single_line_page(mib: float) -> bytes:
    """A page that is one line of ``mib`` MiB (no newline anywhere)."""
    filler = b"Serenity recovery, open daily. " * int(mib * (1 << 20) / 32)
    return b"<html><body><p>" + filler + b"</p></body></html>"


def slow_to_extract_page(mib: float) -> bytes:
    """One line dense with phone numbers and addresses: costly for the extractors (~10 s/MiB)."""
    sentence = b"Our detox program in Joplin, MO 64801, call 417-555-0100. "
    return b"<html><body><p>" + sentence * int(mib * (1 << 20) / len(sentence)) + b"</p></body></html>"


def deep_nesting(depth: int = 100_000) -> bytes:
    return b"<html><body>" + b"<div>" * depth + b"Call (417) 555-0100" + b"</div>" * depth + b"</body></html>"


CONTACT_HTML = html(
    "Contact Serenity Ridge",
    text="Serenity Ridge Recovery, 1200 Main Street, Joplin, MO 64801. Call (417) 555-0142 for admissions.",
)


# -- running the CLI and measuring it ---------------------------------------------------------
@dataclass
class Crawl:
    returncode: int
    stdout: str
    stderr: str
    out: Path
    seconds: float
    peak_rss_mib: float

    def runs(self) -> list[Path]:
        return sorted((self.out / "runs").iterdir()) if (self.out / "runs").is_dir() else []

    def manifest(self) -> dict:
        return json.loads((self.runs()[-1] / "manifest.json").read_text())

    def stats(self) -> dict:
        return json.loads((self.runs()[-1] / "stats.json").read_text())

    def site(self, url_or_netloc: str) -> dict:
        key = urlsplit(url_or_netloc).netloc if "://" in url_or_netloc else url_or_netloc
        return self.manifest()["sites"][key]


def _high_water_mib(pid: int) -> float | None:
    """The process's own peak resident memory so far (``VmHWM``), None once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def finish(proc: subprocess.Popen | WarmProcess, out: Path, started: float, timeout: float = 240) -> Crawl:
    """Wait for ``proc`` and measure its peak resident memory.

    ``VmHWM`` read every few milliseconds while it runs (the high-water mark only rises, so the
    last reading is the peak, give or take the last milliseconds). Not ``wait4``'s ``ru_maxrss``:
    Linux carries the memory a child had before ``exec`` into it, which is the memory of the
    process that started it, so a pytest worker grown to 460 MiB by earlier tests made a 190 MiB
    crawl read as 460 MiB. ``ru_maxrss`` remains the figure where ``/proc`` is not available."""
    peak = 0.0

    def watch() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _high_water_mib(proc.pid) or 0.0)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    reader = threading.Thread(target=lambda: setattr(proc, "_outputs", proc.communicate()), daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        proc.kill()
        reader.join()
        raise TimeoutError(f"crawl did not finish in {timeout} s")
    watcher.join()
    rusage = getattr(proc, "_rusage", None)
    stdout, stderr = proc._outputs  # type: ignore[attr-defined]
    if not peak:
        peak = rusage.ru_maxrss / 1024 if rusage else float("nan")
    return Crawl(proc.returncode, stdout, stderr, out, time.monotonic() - started, peak)


class MeasuredPopen(subprocess.Popen):
    """Popen that keeps the child's resource usage (``os.wait4``) when it is reaped."""

    def _try_wait(self, wait_flags: int):  # type: ignore[override]
        try:
            pid, status, rusage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return (self.pid, 0)
        if pid == self.pid:
            self._rusage = rusage
        return (pid, status)


def crawl(
    seeds: Path,
    out: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    private: bool = True,
    timeout: float = 240,
    warm: bool = True,
) -> Crawl:
    """``provdir crawl SEEDS`` in a process of its own (``tests.helpers.start_cli``), fast
    politeness settings, measured. ``warm=False``: a fresh interpreter, whose peak memory is the
    crawl's own (a child of the warm interpreter also holds every module of the project)."""
    args = ["crawl", str(seeds), "--out", str(out), *(["--allow-private-networks"] if private else []), *FAST, *extra]
    started = time.monotonic()
    if warm:
        return finish(start_cli(*args, env=env), out, started, timeout)
    proc = MeasuredPopen(
        cli_command(*args),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    return finish(proc, out, started, timeout)


def scrapy_crawl(
    seeds: Path, out: Path, *settings: str, env: dict[str, str] | None = None, timeout: float = 240
) -> Crawl:
    """``scrapy crawl provider_sites`` directly: no CLI seed check, only the in-crawl guard."""
    args = scrapy_crawl_command("provider_sites", out, "-a", f"seeds={seeds}", "-s", "LOG_LEVEL=INFO", *settings)
    started = time.monotonic()
    proc = MeasuredPopen(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    return finish(proc, out, started, timeout)


def gaps(hits: list[Hit]) -> list[float]:
    return [b.t - a.t for a, b in itertools.pairwise(hits)]
