"""A generated web for crawl benchmarks: N treatment-center sites, each on its own loopback address.

Every site is deterministic from its number: a name, one street address, one phone, 12-29 pages
of ~15 KB (nav, header phone, main text, footer with the address), robots.txt (with a Disallow
and, on two sites in three, a Sitemap line), a sitemap.xml, one broken link (404) and trap links
of the kinds a crawler must not follow (calendar pages that never end, session ids, reply
permalinks, a robots-disallowed folder). Pages are built on request from a shared pool of
paragraphs, so 2,000 sites do not sit in memory.

:class:`WebServer` serves the web from a separate process (one asyncio loop, one listening
socket per site on 127.x.y.z, HTTP/1.1 keep-alive) with a configurable latency and jitter per
response, and counts what the crawler did: connections, requests, in flight (total and per
host), spacing between a host's requests, trap and disallowed fetches. Only loopback addresses
are ever bound.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import multiprocessing as mp
import random
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

# Real (city, state, ZIP, area code) combinations, so that addresses and phones validate.
PLACES = [
    ("Springfield", "MO", "65802", "417"),
    ("Columbia", "MO", "65201", "573"),
    ("Tulsa", "OK", "74103", "918"),
    ("Omaha", "NE", "68102", "402"),
    ("Wichita", "KS", "67202", "316"),
    ("Des Moines", "IA", "50309", "515"),
    ("Madison", "WI", "53703", "608"),
    ("Boise", "ID", "83702", "208"),
    ("Eugene", "OR", "97401", "541"),
    ("Spokane", "WA", "99201", "509"),
    ("Fresno", "CA", "93721", "559"),
    ("Tucson", "AZ", "85701", "520"),
    ("Albuquerque", "NM", "87102", "505"),
    ("El Paso", "TX", "79901", "915"),
    ("Austin", "TX", "78701", "512"),
    ("Shreveport", "LA", "71101", "318"),
    ("Jackson", "MS", "39201", "601"),
    ("Mobile", "AL", "36602", "251"),
    ("Macon", "GA", "31201", "478"),
    ("Asheville", "NC", "28801", "828"),
    ("Richmond", "VA", "23219", "804"),
    ("Lexington", "KY", "40507", "859"),
    ("Knoxville", "TN", "37902", "865"),
    ("Akron", "OH", "44308", "330"),
    ("Lansing", "MI", "48933", "517"),
    ("Peoria", "IL", "61602", "309"),
    ("Erie", "PA", "16501", "814"),
    ("Albany", "NY", "12207", "518"),
    ("Burlington", "VT", "05401", "802"),
    ("Portland", "ME", "04101", "207"),
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Washington Blvd",
    "Lake Rd",
    "Hillcrest Dr",
    "River Rd",
    "Park Ave",
    "Elm St",
    "Broadway",
    "Church St",
    "Mill Rd",
    "Spring St",
    "Highland Ave",
]
ADJ = [
    "Cedar",
    "Willow",
    "Harbor",
    "Summit",
    "Bright",
    "Silver",
    "Quiet",
    "North",
    "Blue",
    "Golden",
    "Stone",
    "Meadow",
    "Pine",
    "River",
    "Clear",
    "Red",
    "Oak",
    "Hidden",
    "High",
    "Open",
]
NOUN = [
    "Ridge",
    "Path",
    "Springs",
    "Haven",
    "Bridge",
    "Grove",
    "Point",
    "Valley",
    "Creek",
    "Harbor",
    "Hill",
    "Meadows",
    "Trail",
    "Crossing",
    "Landing",
    "Gate",
    "Field",
    "Rock",
    "Shore",
    "Hollow",
]
KIND = ["Recovery Center", "Treatment Center", "Behavioral Health", "Recovery", "Counseling Services"]
PROGRAMS = [
    ("detox", "Medical Detox"),
    ("residential", "Residential Treatment"),
    ("outpatient", "Outpatient Program"),
    ("iop", "Intensive Outpatient Program"),
    ("php", "Partial Hospitalization"),
    ("family", "Family Program"),
    ("sober-living", "Sober Living"),
]
_WORDS = [
    "recovery",
    "support",
    "clients",
    "families",
    "counselors",
    "therapy",
    "group",
    "individual",
    "program",
    "care",
    "plan",
    "week",
    "days",
    "evening",
    "schedule",
    "insurance",
    "admission",
    "intake",
    "staff",
    "licensed",
    "clinical",
    "team",
    "progress",
    "goals",
    "relapse",
    "prevention",
    "skills",
    "coping",
    "health",
    "wellness",
    "community",
    "meetings",
    "alumni",
    "aftercare",
    "nutrition",
    "sleep",
    "exercise",
    "medication",
    "management",
    "evidence",
    "based",
    "approach",
    "trauma",
    "informed",
    "compassionate",
    "private",
    "rooms",
    "campus",
    "visit",
    "tour",
    "questions",
    "call",
    "today",
    "confidential",
    "assessment",
]


def _paragraphs(n: int = 400) -> list[str]:
    rng = random.Random(17)
    out = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(5, 8)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(9, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        out.append(" ".join(sentences))
    return out


PARAGRAPHS = _paragraphs()
STYLE = (
    "<style>\n"
    + "\n".join(
        f".c{i}{{margin:{i % 7}px {i % 5}px;padding:{i % 3}px;color:#{(i * 2654435761) % 0xFFFFFF:06x};"
        f"font-size:{12 + i % 6}px;line-height:1.{i % 9}}}"
        for i in range(60)
    )
    + "\n</style>"
)
SCRIPT = (
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    + "".join(f"gtag('event','v{i}',{{'n':{i}}});" for i in range(40))
    + "</script>"
)


@dataclass
class Site:
    number: int
    name: str
    street: str
    city: str
    state: str
    postal_code: str
    phone: str  # national format as shown on the page
    e164: str
    has_sitemap: bool
    paths: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return f"site{self.number:05d}"


def make_site(i: int, *, pages_min: int = 12, pages_max: int = 29) -> Site:
    rng = random.Random(i * 7919 + 1)
    city, state, zip_code, area = PLACES[i % len(PLACES)]
    name = f"{ADJ[i % 20]} {NOUN[(i // 20) % 20]} {KIND[(i // 400) % 5]}" + (f" {i // 2000 + 1}" if i >= 2000 else "")
    exchange = 201 + (i // 10000) * 7 + (i % 7) * 100  # 201..901, never 555 or N11
    line = i % 10000
    phone = f"({area}) {exchange}-{line:04d}"
    street = f"{100 + i % 8900} {STREETS[i % len(STREETS)]}"
    site = Site(i, name, street, city, state, zip_code, phone, f"+1{area}{exchange}{line:04d}", i % 3 != 0)
    n = rng.randint(pages_min, pages_max)
    paths = ["/", "/contact/", "/about/", "/admissions/", "/programs/"]
    paths += [f"/programs/{slug}/" for slug, _ in PROGRAMS[: rng.randint(3, len(PROGRAMS))]]
    paths += ["/blog/"]
    k = 1
    while len(paths) < n:
        paths.append(f"/blog/post-{k}/")
        k += 1
    site.paths = paths[:n]
    return site


def render(site: Site, path: str, root: str) -> bytes | None:
    """The HTML of ``path`` on ``site`` (None: not a page of the site)."""
    if path not in site.paths and not path.startswith("/events/"):
        return None
    rng = random.Random(zlib.crc32(f"{site.number}{path}".encode()))
    title = path.strip("/").split("/")[-1].replace("-", " ").title() or "Home"
    nav = "".join(
        f'<li><a href="{p}">{p.strip("/").split("/")[-1].replace("-", " ").title() or "Home"}</a></li>'
        for p in site.paths
        if not p.startswith("/blog/post-")
    )
    posts = [p for p in site.paths if p.startswith("/blog/post-")]
    body = "".join(f'<p class="c{rng.randrange(60)}">{rng.choice(PARAGRAPHS)}</p>\n' for _ in range(13))
    extra = ""
    if path == "/contact/":
        extra = (
            f"<h2>Visit us</h2><p>{site.name}<br>{site.street}<br>{site.city}, {site.state} {site.postal_code}</p>"
            f'<p>Call <a href="tel:{site.e164}">{site.phone}</a>, 24 hours a day.</p>'
        )
    elif path == "/blog/":
        extra = "<ul>" + "".join(f'<li><a href="{p}">Post {p.rsplit("-", 1)[-1].strip("/")}</a></li>' for p in posts)
        extra += '</ul><a href="/blog/page/2/">Older posts</a>'
    elif path.startswith("/events/"):
        # A calendar that never ends: every month links to the next one.
        tail = path.rstrip("/").split("/")
        year, month = (int(tail[-2]), int(tail[-1])) if len(tail) >= 4 and tail[-1].isdigit() else (2026, 1)
        nxt = (year + (month == 12), month % 12 + 1)
        extra = f'<a href="/events/{nxt[0]}/{nxt[1]:02d}/">Next month</a>'
    elif path == "/about/":
        extra = '<p>Read <a href="/about/our-history-old/">our history</a> (moved).</p>'  # broken link (404)
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {site.name}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:site_name" content="{site.name}">
{STYLE}
</head><body class="page">
<header class="site-header"><a class="logo" href="/"><img src="/img/logo.png" alt="{site.name} logo"></a>
<a class="header-phone" href="tel:{site.e164}">Call {site.phone}</a>
<nav class="main-navigation"><ul>{nav}</ul></nav></header>
<main id="content"><h1>{title}</h1>
{body}{extra}
<p><a href="/events/2026/05/">Events calendar</a> · <a href="{path}?replytocom={rng.randrange(999)}">Reply</a> ·
<a href="/contact/;jsessionid={rng.randrange(10**8):08d}">Contact us</a></p>
</main>
<footer id="colophon" class="site-footer"><div class="footer-widgets">
<p>{site.name}<br>{site.street}<br>{site.city}, {site.state} {site.postal_code}</p>
<p>Phone: {site.phone}</p>
<p><a href="/private/staff/">Staff portal</a> · <a href="/wp-login.php">Log in</a> · <a href="{root}feed/">RSS</a></p>
</div><p>&copy; 2026 {site.name}. All rights reserved.</p></footer>
{SCRIPT}
</body></html>
"""
    return html.encode()


def robots(site: Site, root: str) -> bytes:
    text = "User-agent: *\nDisallow: /private/\nDisallow: /wp-admin/\n"
    if site.has_sitemap:
        text += f"\nSitemap: {root}sitemap.xml\n"
    return text.encode()


def sitemap(site: Site, root: str) -> bytes | None:
    if not site.has_sitemap:
        return None
    urls = "".join(f"<url><loc>{root.rstrip('/')}{p}</loc></url>" for p in site.paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


def address(i: int) -> str:
    """Loopback address of site ``i``: 127.1.0.1, 127.1.0.2, ... (all of 127/8 is loopback)."""
    host = f"127.{1 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}"
    assert ipaddress.ip_address(host).is_loopback
    return host


# -- the server -----------------------------------------------------------------------------
@dataclass
class HostCounts:
    connections: int = 0
    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    last_arrival: float = 0.0
    gaps: list[float] = field(default_factory=list)
    robots: int = 0
    traps: int = 0
    disallowed: int = 0
    not_found: int = 0


class _Web:
    def __init__(self, n: int, latency: float, jitter: float, pages_min: int, pages_max: int) -> None:
        self.sites = [make_site(i, pages_min=pages_min, pages_max=pages_max) for i in range(n)]
        self.latency, self.jitter = latency, jitter
        self.counts = [HostCounts() for _ in range(n)]
        self.rng = random.Random(5)
        self.in_flight = 0
        self.busy_integral = 0.0  # integral of requests in flight over time
        self.last_change = 0.0
        self.first = self.last = 0.0

    def _flight(self, delta: int) -> None:
        now = time.monotonic()
        if self.last_change:
            self.busy_integral += self.in_flight * (now - self.last_change)
        self.last_change = now
        self.in_flight += delta

    def answer(self, i: int, path: str, root: str) -> tuple[int, bytes, str]:
        site, c = self.sites[i], self.counts[i]
        path = path.split("?", 1)[0].split(";", 1)[0]
        if path == "/robots.txt":
            c.robots += 1
            return 200, robots(site, root), "text/plain"
        if path == "/sitemap.xml":
            body = sitemap(site, root)
            return (200, body, "application/xml") if body else (404, b"not found", "text/plain")
        if path.startswith("/events/"):
            c.traps += 1
        if path.startswith(("/private/", "/wp-admin/")):
            c.disallowed += 1
        body = render(site, path, root)
        if body is None:
            c.not_found += 1
            return 404, b"<html><body><h1>Not found</h1></body></html>", "text/html; charset=utf-8"
        return 200, body, "text/html; charset=utf-8"

    async def handle(self, i: int, root: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        c = self.counts[i]
        c.connections += 1
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    return
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                now = time.monotonic()
                self.first = self.first or now
                if c.last_arrival:
                    c.gaps.append(now - c.last_arrival)
                c.last_arrival = now
                c.requests += 1
                c.in_flight += 1
                c.max_in_flight = max(c.max_in_flight, c.in_flight)
                self._flight(+1)
                try:
                    await asyncio.sleep(max(0.0, self.latency + self.rng.uniform(-self.jitter, self.jitter)))
                    status, body, ctype = self.answer(i, parts[1], root)
                    close = headers.get("connection", "").lower() == "close" or parts[2] == "HTTP/1.0"
                    etag = hashlib.blake2b(body, digest_size=8).hexdigest()
                    reason = "OK" if status == 200 else "Not Found"
                    writer.write(
                        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                        f'ETag: "{etag}"\r\n{"Connection: close" + chr(13) + chr(10) if close else ""}\r\n'.encode()
                        + body
                    )
                    await writer.drain()
                finally:
                    c.in_flight -= 1
                    self._flight(-1)
                    self.last = time.monotonic()
                if close:
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    def summary(self) -> dict[str, Any]:
        gaps = sorted(g for c in self.counts for g in c.gaps)
        span = max(self.last - self.first, 1e-9)
        multi = [c for c, s in zip(self.counts, self.sites, strict=True) if len(s.paths) >= 10 and c.connections]
        return {
            "connections": sum(c.connections for c in self.counts),
            "requests": sum(c.requests for c in self.counts),
            "requests_per_connection_sites_ge10": (
                sum(c.requests for c in multi) / max(sum(c.connections for c in multi), 1)
            ),
            "in_flight_mean": self.busy_integral / span,
            "max_in_flight_per_host": max((c.max_in_flight for c in self.counts), default=0),
            "gap_min": gaps[0] if gaps else None,
            "gap_p05": gaps[len(gaps) // 20] if gaps else None,
            "gap_median": gaps[len(gaps) // 2] if gaps else None,
            "robots_fetches_max": max((c.robots for c in self.counts), default=0),
            "robots_fetches_mean": sum(c.robots for c in self.counts) / max(len(self.counts), 1),
            "trap_requests": sum(c.traps for c in self.counts),
            "disallowed_requests": sum(c.disallowed for c in self.counts),
            "not_found": sum(c.not_found for c in self.counts),
            "served_seconds": span,
        }


def _serve(n: int, latency: float, jitter: float, pages_min: int, pages_max: int, conn: Any) -> None:
    async def main() -> None:
        web = _Web(n, latency, jitter, pages_min, pages_max)
        servers = []
        roots: list[str] = []
        for i in range(n):
            server = await asyncio.start_server(
                lambda r, w, i=i: web.handle(i, roots[i], r, w), address(i), 0, backlog=64
            )
            servers.append(server)
            roots.append(f"http://{address(i)}:{server.sockets[0].getsockname()[1]}/")
        urls = roots
        conn.send(urls)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, conn.recv)  # "stop"
        conn.send(web.summary())

    asyncio.run(main())


class WebServer:
    """The generated web served from a child process: ``with WebServer(n, ...) as web: web.urls``."""

    def __init__(
        self, n: int, *, latency: float = 0.3, jitter: float = 0.2, pages_min: int = 12, pages_max: int = 29
    ) -> None:
        self.args = (n, latency, jitter, pages_min, pages_max)
        self.urls: list[str] = []
        self.stats: dict[str, Any] = {}

    def __enter__(self) -> WebServer:
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(*self.args, child), daemon=True)
        self._proc.start()
        self.urls = self._conn.recv()
        return self

    def collect(self) -> dict[str, Any]:
        """Stop counting and return the server's figures."""
        if not self.stats:
            self._conn.send("stop")
            self.stats = self._conn.recv()
        return self.stats

    def __exit__(self, *exc: object) -> None:
        try:
            self.collect()
        finally:
            self._proc.terminate()
            self._proc.join(5)
