"""Rendering the pages only a browser can read, with headless Chromium through scrapy-playwright.

Only pages that need it are rendered, after the plain fetch: the spider asks
:meth:`Renderer.consider` about every HTML page it read, and a page that
:func:`provdir.extract.shell.needs_browser` calls an app shell is requested again with
``meta["playwright"]``, which scrapy-playwright's download handler serves from the browser. The
rest of the crawl stays plain Scrapy.

The browser is a renderer, never a client of its own. Every request a rendered page makes is
intercepted (a Playwright route registered on the page before it loads) and either aborted or
answered by this process:

- the page itself is answered with the body the plain fetch already downloaded (no second
  fetch of it), sent along with the render request;
- every other request is first checked by the private-network guard, exactly as Scrapy's own
  requests are (the literal address, or the host's addresses as resolved and pinned by
  :class:`provdir.crawl.netguard.GuardedResolver`); a refused one is aborted before any
  connection and counted as ``netguard/refused/browser``;
- requests to other sites (analytics, fonts, maps iframes, CDNs) and media (images, fonts,
  audio/video) are aborted;
- what remains (the site's own scripts, styles, data) is downloaded by Scrapy's downloader
  (``engine.download_async``): the same guard middleware, robots.txt, per-host delays and
  concurrency, size limits and HTTP cache as any page, and the connection pinned to the checked
  address; a GET answered 200 is reused by the run's later renders (an app's bundle is fetched
  once). The browser itself never opens a connection.

Bounded: at most ``PROVDIR_RENDER_MAX_PAGES_PER_SITE`` renders per site, one browser context with
``PROVDIR_RENDER_CONCURRENCY`` pages, ``PROVDIR_RENDER_TIMEOUT`` seconds per page, the V8 heap
capped per renderer, and rendering stopped for the rest of the run when the browser's processes
pass ``PROVDIR_RENDER_MAX_MEMORY_MB``.

Without a browser (none found, or ``PROVDIR_RENDER = off``) the crawl runs as before; the pages and
sites that needed one are counted (``pages/needs_browser``), named in the run manifest and the
summary, and their facilities are published with ``needs_browser`` set.

Settings: ``PROVDIR_RENDER`` (``auto``: render when a Chromium is found; ``off``), ``PROVDIR_CHROMIUM``
(the executable; else the environment variable of that name, else ``chromium`` on ``PATH``).
:class:`BrowserRendering` is the Scrapy add-on that wires scrapy-playwright in when rendering is on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from lxml import etree
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from provdir.crawl import netguard
from provdir.crawl.policy import canonical
from provdir.extract.shell import SHELL_TEXT_CHARS, needs_browser
from provdir.extract.shell import signals as shell_signals

log = logging.getLogger(__name__)

RENDER_SLOT = "provdir-render"
"""Downloader slot of the render requests: their concurrency is the browser's, and a render never
holds the slot of its host (the page's own requests need that slot)."""

# Found on Debian/Ubuntu (chromium, chromium-browser) and where Chrome is installed.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# --headless is Playwright's. Without the background-networking flags Chromium phones home
# (component updates, safe browsing, sync): nothing the crawl needs, and a closed network
# refuses it. --no-sandbox: containers usually lack the user namespaces the sandbox needs.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

MAX_SHELL_BYTES = 256 * 1024  # a shell sent along with its render request (larger: fetched again)
MAX_ASSET_BYTES = 4 * 1024 * 1024  # a script, style or data response kept for the run's other renders
MAX_ASSETS_BYTES = 64 * 1024 * 1024  # all of them

# Playwright resource types that never carry a provider's facts.
ABORTED_TYPES = frozenset({"image", "media", "font", "texttrack", "eventsource", "websocket", "manifest", "other"})
# Response headers not passed on to the browser: Scrapy has already decoded the body.
_DROPPED_HEADERS = frozenset({b"content-encoding", b"content-length", b"transfer-encoding", b"set-cookie"})


def chromium_path(settings: Any = None) -> str | None:
    """The Chromium executable to drive: setting or environment ``PROVDIR_CHROMIUM``, else PATH."""
    given = (settings.get("PROVDIR_CHROMIUM") if settings is not None else None) or os.environ.get("PROVDIR_CHROMIUM")
    if given:
        found = shutil.which(given)
        return found if found else (given if Path(given).is_file() and os.access(given, os.X_OK) else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def render_mode(settings: Any) -> str:
    """``auto`` or ``off`` (``PROVDIR_RENDER``; booleans accepted)."""
    value = str(settings.get("PROVDIR_RENDER", "auto")).strip().lower()
    if value in ("off", "false", "0", "no", "none"):
        return "off"
    if value in ("auto", "on", "true", "1", "yes", ""):
        return "auto"
    raise ValueError(f"PROVDIR_RENDER must be auto or off, got {value!r}")


def unavailable_reason(settings: Any) -> str:
    """Why pages cannot be rendered in this crawl ('' when they can)."""
    if render_mode(settings) == "off":
        return "rendering is off"
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError:
        return "scrapy-playwright is not installed"
    if chromium_path(settings) is None:
        return "no Chromium found (install chromium or set PROVDIR_CHROMIUM)"
    return ""


class BrowserRendering:
    """Scrapy add-on: scrapy-playwright's download handler and a bounded Chromium, when available.

    Listed in ``ADDONS``; decides once, before the crawler is built, and records the decision in
    ``PROVDIR_RENDER_UNAVAILABLE`` ('' when rendering is on).
    """

    def update_settings(self, settings: Any) -> None:
        why = unavailable_reason(settings)
        settings.set("PROVDIR_RENDER_UNAVAILABLE", why, priority="addon")
        if why:
            return
        handler = "provdir.crawl.render_handler.RenderOnDemandHandler"
        handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
        if handlers.get("http") and handlers["http"] != handler:
            # A handler set before this add-on (a Redis worker's host lease) keeps serving every
            # request the browser does not render.
            settings.set("PROVDIR_RENDER_INNER_HANDLER", handlers["http"], priority="addon")
        handlers.update({"http": handler, "https": handler})
        _merge(settings, "DOWNLOAD_HANDLERS", handlers)
        heap = max(settings.getint("PROVDIR_RENDER_MAX_MEMORY_MB") // 4, 64)
        settings.set("PLAYWRIGHT_BROWSER_TYPE", "chromium", priority="addon")
        settings.set(
            "PLAYWRIGHT_LAUNCH_OPTIONS",
            {
                "executable_path": chromium_path(settings),
                "headless": True,
                "args": [*CHROMIUM_ARGS, f"--js-flags=--max-old-space-size={heap}"],
            },
            priority="addon",
        )
        concurrency = max(1, min(settings.getint("PROVDIR_RENDER_CONCURRENCY"), 4))
        settings.set("PLAYWRIGHT_MAX_CONTEXTS", 1, priority="addon")
        settings.set("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", concurrency, priority="addon")
        timeout_ms = int(settings.getfloat("PROVDIR_RENDER_TIMEOUT") * 1000)
        settings.set("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT", timeout_ms, priority="addon")
        # The route installed by Renderer answers every request; were it missing (its page init
        # callback failed), scrapy-playwright's own route would let Chromium connect by itself:
        # that route aborts everything instead.
        settings.set("PLAYWRIGHT_PROCESS_REQUEST_HEADERS", None, priority="addon")
        settings.set("PLAYWRIGHT_ABORT_REQUEST", "provdir.crawl.render.abort_unrouted", priority="addon")
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots[RENDER_SLOT] = {"concurrency": concurrency, "delay": 0}
        _merge(settings, "DOWNLOAD_SLOTS", slots)


def _merge(settings: Any, name: str, value: dict[str, Any]) -> None:
    """Set a dict setting the project also sets (its entries kept in ``value``), at its priority."""
    settings.set(name, value, priority=max(settings.getpriority(name) or 0, SETTINGS_PRIORITIES["addon"]))


@dataclass
class SiteRendering:
    """What happened to one site's pages that needed a browser."""

    needs_browser: int = 0
    requested: int = 0
    rendered: int = 0
    unrendered: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "pages_needing_browser": self.needs_browser,
            "pages_rendered": self.rendered,
            "pages_unrendered": self.unrendered,
            "render_failed": self.failed,
            "why": dict(self.reasons),
            "errors": self.errors[:5],
            "complete": self.unrendered == 0 and self.failed == 0,
        }


class Renderer:
    """The spider's side of rendering: which pages to render, their budget, the browser's guard."""

    def __init__(self, crawler: Crawler, in_scope: Callable[[str, str], bool]) -> None:
        self.crawler = crawler
        self.in_scope = in_scope
        self.unavailable = "the crawl has not started"
        self.sites: dict[str, SiteRendering] = {}
        self._assets: dict[tuple[str, str], tuple[int, dict[str, str], bytes]] = {}
        self._assets_bytes = 0
        self._fallback: netguard.GuardedResolver | None = None
        self.peak_rss = 0
        self.key = f"{os.getpid()}-{id(self)}"
        _RENDERERS[self.key] = self
        # The spider is built before the add-ons have run: the settings are read when it opens.
        crawler.signals.connect(self._configure, signal=signals.spider_opened)
        crawler.signals.connect(self._response_received, signal=signals.response_received)

    def _configure(self) -> None:
        settings = self.crawler.settings
        unavailable = settings.get("PROVDIR_RENDER_UNAVAILABLE")
        if unavailable is None:  # the add-on is not in ADDONS
            unavailable = unavailable_reason(settings) or "the BrowserRendering add-on is not enabled"
        self.unavailable = unavailable
        self.budget = settings.getint("PROVDIR_RENDER_MAX_PAGES_PER_SITE")
        self.timeout_ms = int(settings.getfloat("PROVDIR_RENDER_TIMEOUT") * 1000)
        self.max_memory = settings.getint("PROVDIR_RENDER_MAX_MEMORY_MB") * 1024 * 1024
        self.policy = netguard.NetPolicy.from_settings(settings)
        self.dns_timeout = settings.getfloat("DNS_TIMEOUT")
        if self.unavailable:
            log.info("pages that need a browser will not be rendered: %s", self.unavailable)

    @property
    def stats(self) -> Any:
        return self.crawler.stats  # set once the crawl starts, after the spider is built

    @property
    def active(self) -> bool:
        return not self.unavailable

    # -- which pages -----------------------------------------------------------------------
    def consider(
        self,
        response: TextResponse,
        site: str,
        *,
        in_scope_links: int,
        is_home: bool,
        callback: Callable[..., Any],
        errback: Callable[..., Any],
        root: etree._Element | None = None,
    ) -> scrapy.Request | None:
        """The render request for ``response`` when it needs a browser and may have one. ``root``
        is the tree the spider read the links from: the page is not parsed a second time."""
        if is_rendered(response) or response.meta.get("provdir_render"):
            measured = shell_signals(response.text)
            if measured is not None and measured.text_chars < SHELL_TEXT_CHARS:
                self.stats.inc_value("render/still_empty")  # the app showed nothing in the browser either
            return None
        why = needs_browser(response.text, in_scope_links=in_scope_links, is_home=is_home, root=root)
        if not why:
            return None
        state = self.sites.setdefault(site, SiteRendering())
        state.needs_browser += 1
        state.reasons[why] += 1
        self.stats.inc_value("pages/needs_browser")
        if not self.active:
            state.unrendered += 1
            self.stats.inc_value("render/unavailable")
            return None
        if state.requested >= self.budget:
            state.unrendered += 1
            self.stats.inc_value("render/over_budget")
            return None
        state.requested += 1
        self.stats.inc_value("render/requested")
        # The shell travels with the request (plain data: JOBDIR and Redis serialize it), so the
        # browser is answered with it instead of fetching the page again, whichever worker renders.
        shell = _shell_meta(response) if len(response.body) <= MAX_SHELL_BYTES else None
        return scrapy.Request(
            response.url,
            callback=callback,
            errback=errback,
            dont_filter=True,
            priority=response.request.priority if response.request else 0,
            meta={
                "site": site,
                "is_seed": bool(response.meta.get("is_seed")),
                "provdir_render": True,
                # A dotted path, not a bound method: the request stays serializable (JOBDIR, Redis).
                "playwright": True,
                "playwright_page_init_callback": "provdir.crawl.render.init_page",
                "provdir_renderer": self.key,
                "provdir_shell": shell,
                "playwright_page_goto_kwargs": {"wait_until": "networkidle", "timeout": self.timeout_ms},
                "download_slot": RENDER_SLOT,
                "dont_cache": True,
                "dont_retry": True,
                "autothrottle_dont_adjust_delay": True,
            },
        )

    def rendered(self, response: Response, site: str) -> None:
        """A render came back (called by the spider's callback)."""
        state = self.sites.setdefault(site, SiteRendering())
        state.rendered += 1
        self.stats.inc_value("render/pages")

    def failed(self, failure: Failure) -> None:
        """A render failed (called by the spider's errback): the plain page's facts stand."""
        request = failure.request  # type: ignore[attr-defined]
        site = request.meta["site"]
        state = self.sites.setdefault(site, SiteRendering())
        state.failed += 1
        message = f"{request.url}: {failure.type.__name__}: {failure.getErrorMessage()}"[:300]
        if len(state.errors) < 10:
            state.errors.append(message)
        self.stats.inc_value("render/failed")
        self.stats.inc_value(f"render/failed/{failure.type.__name__}")
        log.warning("render failed: %s", message)
        if self.active and "BrowserType.launch" in failure.getErrorMessage():
            # The executable is there but does not start (missing libraries, wrong binary): the rest
            # of the run reports its pages instead of failing each of them slowly.
            self.unavailable = f"the browser could not be started ({failure.getErrorMessage().splitlines()[0][:160]})"
            self.stats.inc_value("render/stopped_launch")

    # -- the browser's requests ------------------------------------------------------------
    async def init_page(self, page: Any, request: scrapy.Request) -> None:
        """Called by scrapy-playwright before the page loads: every request goes through our route
        (registered last, so it runs before scrapy-playwright's own, which it never falls back to)."""
        site, url = request.meta["site"], request.url
        shell = request.meta.get("provdir_shell")

        async def route(route: Any, pw_request: Any) -> None:
            try:
                await self._answer(route, pw_request, site=site, page_url=url, shell=shell)
            except Exception as exc:  # a closed page, a Playwright error: the request is simply not served
                log.debug("browser request %s not served: %s", pw_request.url, exc)
                self.stats.inc_value("render/subrequest_error")
                with contextlib.suppress(Exception):  # the page may be closed already
                    await route.abort("failed")

        await page.route("**", route)

    async def _answer(
        self, route: Any, pw_request: Any, *, site: str, page_url: str, shell: dict[str, Any] | None
    ) -> None:
        url = pw_request.url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            await self._abort(route, "scheme")
            return
        host = parts.hostname or ""
        in_scope = self.in_scope(url, site)
        # The guard first, for every request it can judge without a lookup of another site's name
        # (an address literal) and for the site's own hosts (pinned by the resolver already).
        if in_scope or netguard.parse_address(host) is not None:
            why = await self.refusal(host)
            if why:
                self.stats.inc_value("netguard/refused")
                self.stats.inc_value("netguard/refused/browser")
                log.warning("browser request refused (private network): %s: %s", url[:200], why)
                await route.abort("blockedbyclient")
                return
        if not in_scope:
            await self._abort(route, "third_party")
            return
        if pw_request.resource_type in ABORTED_TYPES:
            await self._abort(route, "media")
            return
        frame = pw_request.frame
        if pw_request.is_navigation_request() and frame.parent_frame is not None:
            await self._abort(route, "iframe")
            return
        if shell is not None and pw_request.is_navigation_request() and canonical(url) == canonical(page_url):
            await route.fulfill(
                status=shell["status"],
                headers={"Content-Type": shell["content_type"]},
                body=shell["text"].encode("utf-8"),
            )
            return
        await self._fetch(route, pw_request, site)

    async def _fetch(self, route: Any, pw_request: Any, site: str) -> None:
        """A request of the page, downloaded by Scrapy (guard, robots.txt, politeness, cache).

        A GET answered 200 is kept for the rest of the run (bounded), so that every page of an app
        does not download its bundle again."""
        key = (pw_request.method, pw_request.url)
        if key in self._assets:
            status, headers, body = self._assets[key]
            self.stats.inc_value("render/subrequests_reused")
            await route.fulfill(status=status, headers=headers, body=body)
            return
        body = pw_request.post_data_buffer or b""
        headers = {k: v for k, v in (await pw_request.all_headers()).items() if k.lower() in ("accept", "content-type")}
        request = scrapy.Request(
            pw_request.url,
            method=pw_request.method,
            body=body,
            headers=headers,
            dont_filter=True,
            meta={"site": site, "provdir_browser_request": True, "handle_httpstatus_all": True},
        )
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            kind = getattr(exc, "kind", None) or "ignored"
            self.stats.inc_value(f"render/subrequest_refused/{kind}")
            await route.abort("blockedbyclient")
            return
        except Exception as exc:
            self.stats.inc_value("render/subrequest_failed")
            log.debug("browser request %s failed: %s", pw_request.url, exc)
            await route.abort("failed")
            return
        self.stats.inc_value("render/subrequests")
        headers = _browser_headers(response)
        size = len(response.body)
        if (
            pw_request.method == "GET"
            and response.status == 200
            and size <= MAX_ASSET_BYTES
            and self._assets_bytes + size <= MAX_ASSETS_BYTES
        ):
            self._assets[key] = (response.status, headers, response.body)
            self._assets_bytes += size
        await route.fulfill(status=response.status, headers=headers, body=response.body)

    async def _abort(self, route: Any, kind: str) -> None:
        self.stats.inc_value(f"render/aborted/{kind}")
        await route.abort("blockedbyclient")

    async def refusal(self, host: str) -> str:
        """Why ``host`` must not be contacted ('' when it may), judged as PrivateNetworkGuard does."""
        if self.policy.allow_private:
            return ""
        resolver = netguard.installed_resolver()
        if resolver is None:
            if self._fallback is None:
                from twisted.internet import reactor

                self._fallback = netguard.GuardedResolver(reactor, self.policy, self.dns_timeout)
            resolver = self._fallback
        try:
            verdict = await maybe_deferred_to_future(resolver.check(host))
        except DNSLookupError:
            return ""  # Scrapy's download of it fails on its own
        return verdict.refused

    # -- memory ----------------------------------------------------------------------------
    def _response_received(self, response: Response, request: scrapy.Request) -> None:
        if not is_rendered(response):
            return
        rss = browser_rss()
        if rss is None:
            return
        self.peak_rss = max(self.peak_rss, rss)
        self.stats.max_value("render/browser_peak_rss_mb", round(rss / 1024 / 1024, 1))
        if self.max_memory and rss > self.max_memory and self.active:
            self.unavailable = (
                f"the browser passed its memory cap ({self.max_memory // 1024 // 1024} MB): "
                "rendering stopped for the rest of the run"
            )
            self.stats.inc_value("render/stopped_memory")
            log.warning("%s", self.unavailable)

    # -- reports ---------------------------------------------------------------------------
    def site_report(self, site: str) -> dict[str, Any] | None:
        state = self.sites.get(site)
        return state.report() if state else None

    def summary(self) -> dict[str, Any]:
        """For the run manifest: is rendering on, and which sites needed a browser."""
        need = sorted(self.sites)
        incomplete = sorted(s for s, st in self.sites.items() if st.unrendered or st.failed)
        return {
            "rendering": "on" if not self.unavailable else "off",
            "unavailable": self.unavailable,
            "sites_needing_browser": need,
            "sites_incomplete": incomplete,
            "pages_needing_browser": sum(s.needs_browser for s in self.sites.values()),
            "pages_rendered": sum(s.rendered for s in self.sites.values()),
            "browser_peak_rss_mb": round(self.peak_rss / 1024 / 1024, 1) if self.peak_rss else None,
        }


_RENDERERS: dict[str, Renderer] = {}


def abort_unrouted(pw_request: Any) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: a request our route did not answer is never sent."""
    log.warning("browser request without the provdir route, aborted: %s", pw_request.url[:200])
    return True


async def init_page(page: Any, request: scrapy.Request) -> None:
    """scrapy-playwright's page init callback (``playwright_page_init_callback``): the route of the
    renderer that asked for the page (or of this process's renderer, for a request that another
    Redis worker queued)."""
    renderer = _RENDERERS.get(request.meta.get("provdir_renderer", "")) or next(reversed(_RENDERERS.values()), None)
    if renderer is None:
        # No renderer to judge the page's requests: none may leave.
        async def refuse(route: Any, pw_request: Any) -> None:
            await route.abort("blockedbyclient")

        await page.route("**", refuse)
        return
    await renderer.init_page(page, request)


def is_rendered(response: Response) -> bool:
    """The response is a browser's rendering (scrapy-playwright flags its responses)."""
    return "playwright" in response.flags


def _shell_meta(response: TextResponse) -> dict[str, Any]:
    return {"status": response.status, "text": response.text, "content_type": "text/html; charset=utf-8"}


def _browser_headers(response: Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in response.headers.items():
        if key.lower() in _DROPPED_HEADERS:
            continue
        out[key.decode("latin-1")] = b", ".join(values).decode("latin-1")
    return out


def browser_rss(root: int | None = None) -> int | None:
    """Memory (bytes) of the processes this process started (Playwright's driver and Chromium's
    processes), from /proc; None where there is no /proc. Proportional set size where the kernel
    gives it (Chromium's processes share most of their pages: summing their RSS counts the
    shared libraries once per process), else resident set size."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    root = root or os.getpid()
    children: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        total += _process_memory(proc / str(pid))
    return total


def _process_memory(pid_dir: Path) -> int:
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in (pid_dir / name).read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return 0
