"""provider_sites: crawl treatment-center websites listed in a seeds file.

The spider decides only *where* to look: it starts at each seed, reads the site's sitemaps,
follows in-scope links in priority order up to a per-site page cap, and hands every HTML page
to :func:`provdir.extract.extract_page`. Each site's scope is the host (and port) of its seed
URL (``www.`` or not), so sites served on one machine at different 127.0.0.x addresses never
mix; a seed that redirects elsewhere (``https://www.``, a new domain) adds the new host. The
redirect middlewares ask :meth:`ProviderSitesSpider.redirect_allowed` before following.

Failures are counted per site and per kind (``pages/failed/<kind>``: timeout, dns, tls, ...) and
reported in the run manifest. With ``-s JOBDIR=DIR`` the per-site state and the ids of earlier
runs of the job are kept in Scrapy's spider state; a resumed crawl carries the observations its
interrupted runs wrote over into the new run, so the published run is complete.

    scrapy crawl provider_sites -a seeds=seeds.txt [-a max_pages_per_site=40]
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path
from time import monotonic, thread_time
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from lxml import etree
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.response import get_base_url
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.internet import error as neterror
from twisted.python.failure import Failure

from provdir.crawl import policy as crawl_policy
from provdir.crawl.extract_cache import ExtractionCache, body_hash
from provdir.crawl.failures import failure_line, retries_text
from provdir.crawl.middlewares import seconds_setting
from provdir.crawl.render import Renderer, is_rendered
from provdir.extract import extract_page, html_root, warm_up
from provdir.model.items import PageObservation
from provdir.normalize.url import join
from provdir.redact import redact_text
from provdir.runs.store import Run, read_observations, runs_dir, utc_now_iso, valid_run_id
from provdir.sources.seeds import Seed, SeedsError, load_seeds, site_key


@dataclass
class SiteState:
    """What happened on one site during the run (reported in the run manifest)."""

    seed: Seed
    netlocs: set[str] = field(default_factory=set)
    scheduled: set[str] = field(default_factory=set)
    pages_ok: int = 0
    pages_failed: int = 0
    skipped_non_html: int = 0
    errors: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def scope(self) -> frozenset[str]:
        """The scope keys of :attr:`netlocs` (which only grow: a seed's redirect adds its host)."""
        # Kept beside the fields, not as one: it is no part of the state JOBDIR saves.
        cached = self.__dict__.get("_scope")
        if cached is None or cached[0] != len(self.netlocs):
            cached = self.__dict__["_scope"] = (len(self.netlocs), frozenset(_scope_key(n) for n in self.netlocs))
        return cached[1]

    def finished(self) -> bool:
        """Every page scheduled for this site has been answered (for the progress line)."""
        return len(self.scheduled) <= self.pages_ok + self.pages_failed + self.skipped_non_html

    def report(self) -> dict[str, Any]:
        return {
            "seed": self.seed.url,
            "name": self.seed.name,
            "pages_scheduled": len(self.scheduled),
            "pages_ok": self.pages_ok,
            "pages_failed": self.pages_failed,
            "skipped_non_html": self.skipped_non_html,
            "status": "ok" if self.pages_ok else "failed",
            "failures": dict(self.failures),
            "errors": self.errors[:10],
        }

    # Pickled into JOBDIR as plain data, so that a resumed job survives small code changes.
    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __setstate__(self, state: dict[str, Any]) -> None:
        fresh = SiteState(seed=state["seed"])
        for f in fields(self):
            setattr(self, f.name, state.get(f.name, getattr(fresh, f.name)))


class ProviderSitesSpider(scrapy.Spider):
    name = "provider_sites"
    _open_sites: list[str]
    _last_activity: dict[str, float]
    _done_since: dict[str, float]

    def __init__(
        self,
        seeds: str | None = None,
        max_pages_per_site: str | int | None = None,
        part: str | None = None,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        if not seeds:
            raise ValueError("provider_sites needs a seeds file: -a seeds=FILE")
        try:
            self.seeds = load_seeds(seeds)
        except SeedsError as exc:
            raise ValueError(str(exc)) from exc
        # -a part=K/N (provdir crawl --processes N): this process crawls the K-th share of the
        # sites; crawl_seeds stays the whole list (the run's manifest names every seed).
        self.crawl_seeds, self.part = self.seeds, part
        if part:
            from provdir.crawl.processes import parse_part, partition

            keep = partition([s.site for s in self.seeds], *parse_part(part))
            self.seeds = [s for s in self.seeds if s.site in keep]
        self.seeds_file = seeds
        self._max_pages_arg = max_pages_per_site
        self.sites: dict[str, SiteState] = {s.site: SiteState(seed=s, netlocs={s.site}) for s in self.seeds}

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any):
        spider = super().from_crawler(crawler, *args, **kwargs)
        arg = spider._max_pages_arg
        try:
            spider.max_pages = int(arg) if arg is not None else crawler.settings.getint("PROVDIR_MAX_PAGES_PER_SITE")
        except ValueError as exc:
            raise ValueError(f"max_pages_per_site must be a whole number, got {arg!r}") from exc
        if spider.max_pages < 1:
            raise ValueError("max_pages_per_site must be at least 1")
        spider.extract_time_limit = seconds_setting(crawler.settings, "PROVDIR_EXTRACT_TIME_LIMIT")
        warm_up()  # load extraction tables now, not inside the first page's time limit
        spider.max_links_per_page = crawler.settings.getint("PROVDIR_MAX_LINKS_PER_PAGE", MAX_LINKS_PER_PAGE)
        spider.extraction_cache = (
            ExtractionCache.for_output(Path(crawler.settings.get("PROVDIR_OUTPUT_DIR")))
            if crawler.settings.getbool("PROVDIR_REUSE_EXTRACTION")
            else ExtractionCache(None)
        )
        crawler.signals.connect(spider.request_dropped, signal=scrapy.signals.request_dropped)
        # The sites being crawled (PROVDIR_SITE_WINDOW), and when each last answered. Set here,
        # not in __init__, which the Redis worker's spider does not run.
        spider._open_sites = []
        spider._last_activity = {}
        spider._done_since = {}
        spider.renderer = Renderer(crawler, spider._in_scope)
        return spider

    # -- where to start --------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        for item_or_request in self._resume():
            yield item_or_request
        for req in self.start_requests():
            if req.meta.get("is_seed"):  # a seed's page request and its robots.txt request go together
                await self._backlog_room()
                self._open_sites.append(req.meta["site"])
                self._last_activity[req.meta["site"]] = monotonic()
            yield req

    async def _backlog_room(self) -> None:
        """Wait while the crawl already holds enough work.

        Scrapy pulls start requests as fast as it can whenever the downloader is busy, so
        100,000 seeds became 200,000 queued requests (and their per-site queues) within seconds:
        seeds are taken as the crawl gets through them, ``PROVDIR_START_BACKLOG`` queued
        requests at most. And the host queue visits every site it holds in turn, so without a
        bound every seed's site was open at once, each with its own kept-alive connection (2,013
        file descriptors at 2,000 sites: past the usual limit of 1,024) and its own download slot
        and queue: at most ``PROVDIR_SITE_WINDOW`` sites are crawled at once."""
        engine = getattr(self.crawler, "engine", None)
        scheduler = getattr(getattr(engine, "_slot", None), "scheduler", None)
        limit = self.settings.getint("PROVDIR_START_BACKLOG", START_BACKLOG)
        window = self.settings.getint("PROVDIR_SITE_WINDOW", SITE_WINDOW)
        if scheduler is None or not hasattr(scheduler, "__len__"):
            return
        while engine.running and (
            (limit > 0 and len(scheduler) >= limit) or (window > 0 and self._sites_open(window) >= window)
        ):
            await asyncio.sleep(0.05)

    def _sites_open(self, window: int) -> int:
        """Sites started and not done. A site is done once every page it scheduled has answered
        for ``SITE_DONE_AFTER`` seconds (between a page's answer and the links it schedules, a
        site can look done for a moment), or once it has answered nothing for ``SITE_IDLE``
        seconds (a request that ended unseen, such as a redirect to a page another site fetched,
        must not keep the window shut)."""
        if len(self._open_sites) < window:
            return len(self._open_sites)
        now = monotonic()
        still: list[str] = []
        for site in self._open_sites:
            if now - self._last_activity.get(site, 0.0) >= SITE_IDLE:
                continue
            if not self.sites[site].finished():
                self._done_since.pop(site, None)
            elif now - self._done_since.setdefault(site, now) >= SITE_DONE_AFTER:
                continue
            still.append(site)
        for site in set(self._open_sites) - set(still):
            self._done_since.pop(site, None)
        self._open_sites = still
        return len(still)

    def _resume(self) -> Iterator[PageObservation]:
        """With JOBDIR: restore the sites' state and carry over earlier runs' observations."""
        saved = getattr(self, "state", None)  # set by Scrapy's SpiderState extension with JOBDIR
        if saved is None:
            return
        job = saved.setdefault("provider_sites", {"runs": [], "sites": {}})
        for site, state in job["sites"].items():
            if site in self.sites:
                self.sites[site] = state
        job["sites"] = self.sites
        current = getattr(getattr(self.crawler, "provdir_run", None), "run_id", None)
        yield from self._carry_over([r for r in job["runs"] if r != current])
        if current and current not in job["runs"]:
            job["runs"].append(current)

    def _carry_over(self, run_ids: list[str]) -> Iterator[PageObservation]:
        output = Path(self.settings.get("PROVDIR_OUTPUT_DIR"))
        for run_id in run_ids:
            run = Run(run_id, runs_dir(output) / run_id)
            if not valid_run_id(run_id) or not run.dir.is_dir():
                self.crawler.stats.inc_value("resume/run_missing")
                self.logger.warning("earlier run %s of this job is missing: its pages are not carried over", run_id)
                continue
            for obs in read_observations(run):
                if isinstance(obs, PageObservation) and obs.site in self.sites:
                    self.crawler.stats.inc_value("resume/observations_carried_over")
                    yield obs

    def start_requests(self) -> Iterator[scrapy.Request]:
        # With the project's robots.txt middleware, its one fetch per host gives the sitemaps
        # (robots_fetched); without it (ROBOTSTXT_OBEY off), robots.txt is fetched here.
        self.sitemaps_from_robots = bool(getattr(self.crawler, "provdir_robots_shared", False))
        for seed in self.seeds:
            state = self.sites[seed.site]
            state.scheduled.add(crawl_policy.canonical(seed.url))
            yield self._page_request(seed.url, seed.site, priority=100, is_seed=True)
            if self.sitemaps_from_robots:
                continue
            root = urljoin(seed.url, "/")
            yield scrapy.Request(
                urljoin(root, "robots.txt"),
                callback=self.parse_robots,
                errback=self.on_aux_error,
                meta={"site": seed.site, "aux": True, "dont_retry": True},
                priority=90,
                dont_filter=True,
            )

    def _page_request(self, url: str, site: str, priority: int, is_seed: bool = False) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse,
            errback=self.on_error,
            priority=priority,
            meta={"site": site, "is_seed": is_seed},
        )

    # -- sitemaps --------------------------------------------------------------------------
    def robots_fetched(self, response: Response, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """The robots.txt Scrapy fetched for ``request``'s host (provdir.crawl.middlewares.SitemapRobotsTxt)."""
        site = request.meta.get("site")
        if site in self.sites:
            yield from self._sitemap_requests(response, site)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        yield from self._sitemap_requests(response, response.meta["site"])

    def _sitemap_requests(self, response: Response, site: str) -> Iterator[scrapy.Request]:
        urls = (
            list(sitemap_urls_from_robots(response.body, base_url=response.url))
            if response.status == 200 and isinstance(response, TextResponse)
            else []
        )
        if not urls:
            urls = [urljoin(response.url, "/sitemap.xml")]
        for url in urls[:5]:
            if self._in_scope(url, site):
                yield scrapy.Request(
                    url,
                    callback=self.parse_sitemap,
                    errback=self.on_aux_error,
                    meta={"site": site, "aux": True, "dont_retry": True},
                    priority=80,
                )

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        site = response.meta["site"]
        if response.status != 200 or not response.body.lstrip().startswith(b"<"):
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # lxml raises several kinds on a malformed sitemap
            self.crawler.stats.inc_value("sitemap/unreadable")
            return
        for entry in list(sitemap)[:500]:
            loc = entry.get("loc", "")
            if sitemap.type == "sitemapindex":
                if self._in_scope(loc, site):
                    yield scrapy.Request(
                        loc,
                        callback=self.parse_sitemap,
                        errback=self.on_aux_error,
                        meta={"site": site, "aux": True, "dont_retry": True},
                        priority=80,
                    )
            else:
                yield from self._follow(loc, "", site)

    # -- pages -----------------------------------------------------------------------------
    def parse(self, response: Response) -> Iterator[Any]:
        site = response.meta["site"]
        state = self.sites[site]
        self._last_activity[site] = monotonic()
        if response.meta.get("is_seed"):
            # A seed that redirects to www./https keeps its site: the final host joins the scope.
            state.netlocs.add(site_key(response.url))
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        if not isinstance(response, TextResponse) or not crawl_policy.is_html_response(
            content_type, response.body[:2048]
        ):
            state.skipped_non_html += 1
            self.crawler.stats.inc_value("pages/skipped_non_html")
            return
        rendered = is_rendered(response)
        if rendered:
            self.renderer.rendered(response, site)
        else:
            state.pages_ok += 1
        digest = body_hash(response.body)
        obs = self.extraction_cache.get(response.url, digest)
        if obs is not None:
            # The same bytes as last run (usually a 304 from the HTTP cache): same facts.
            self.crawler.stats.inc_value("pages/extraction_reused")
            obs.site, obs.seed_url, obs.seed_name = site, state.seed.url, state.seed.name
        # One tree per page, for the facts, the links and the shell check. Not Scrapy's
        # response.selector: it and the response refer to each other, so every page's tree waited
        # for a garbage collection (a young one, or a full one after it survived).
        root: etree._Element | None = None
        try:
            with crawl_policy.time_limit(self.extract_time_limit):
                started = thread_time()
                root = html_root(response.text)
                if obs is None:
                    obs = extract_page(
                        response.text,
                        response.url,
                        site=site,
                        seed_url=state.seed.url,
                        seed_name=state.seed.name,
                        root=root,
                    )
                    obs.body_hash = digest
                    # The crawl's own extraction cost, beside the benchmark's extraction-only ceiling.
                    self.crawler.stats.inc_value("extract/cpu_seconds", thread_time() - started, start=0.0)
                    self.crawler.stats.inc_value("extract/pages")
        except crawl_policy.TimeLimitExceeded as exc:
            # A page crafted to be slow must not stall every other site (callbacks run in the
            # reactor thread): its facts are skipped, its links still followed.
            self._failed(state, "extract_timeout", f"{response.url}: extraction {exc}; page skipped")
            obs = None
        if obs is not None:
            obs.status = response.status
            obs.fetched_at = utc_now_iso()
            yield obs
        # Links are read inside the time limit too, and at most max_links_per_page of them: a
        # page of 100,000 links must not hold the reactor (and every other site) for seconds.
        links: list[tuple[str, str]] = []
        try:
            with crawl_policy.time_limit(self.extract_time_limit):
                capped = _links(response, root, links, self.max_links_per_page)
        except crawl_policy.TimeLimitExceeded as exc:
            self._failed(state, "links_timeout", f"{response.url}: reading links {exc}; {len(links)} links kept")
            capped = True
        if capped:
            self.crawler.stats.inc_value("links/over_page_cap")
        own = [(url, text) for url, text in links if self._in_scope(url, site)]
        for url, text in own:
            yield from self._follow_in_scope(url, text, site)
        # A page only a browser can read is rendered after this plain read (provdir/crawl/render.py).
        render = self.renderer.consider(
            response,
            site,
            in_scope_links=len(own),
            is_home=bool(response.meta.get("is_seed")),
            root=root,
            callback=self.parse,
            errback=self.on_render_error,
        )
        if render is not None:
            yield render

    def on_render_error(self, failure: Failure) -> None:
        self.renderer.failed(failure)

    def _follow(self, url: str, anchor: str, site: str) -> Iterator[scrapy.Request]:
        if self._in_scope(url, site):
            yield from self._follow_in_scope(url, anchor, site)

    def _follow_in_scope(self, url: str, anchor: str, site: str) -> Iterator[scrapy.Request]:
        state = self.sites[site]
        # Menus repeat a site's links on every page: the (cached) scheduled check comes first.
        key = crawl_policy.canonical(url)
        if key in state.scheduled:
            return
        priority = crawl_policy.link_priority(url, anchor)
        if priority is None:
            return
        if len(state.scheduled) >= self.max_pages:
            self.crawler.stats.inc_value("pages/over_site_cap")
            return
        state.scheduled.add(key)
        yield self._page_request(url, site, priority)

    def _in_scope(self, url: str, site: str) -> bool:
        return _url_scope(url) in self.sites[site].scope()

    def redirect_allowed(self, request: scrapy.Request) -> bool:
        """May a redirect to ``request.url`` be followed? Asked by the redirect middlewares.

        A seed's own redirects may move the site (its final host joins the scope, see
        :meth:`parse`); any other redirect must stay in the site's scope. Requests that are not
        the spider's (Scrapy's own robots.txt fetch) are not judged here.
        """
        site = request.meta.get("site")
        if site not in self.sites or request.meta.get("is_seed"):
            return True
        return self._in_scope(request.url, site)

    # -- failures --------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        state = self.sites[request.meta["site"]]
        kind, message = _describe(failure)
        self._failed(state, kind, f"{request.url}: {message}")
        if state.pages_ok or not request.meta.get("is_seed"):
            next_step = "the site's other pages are still crawled"
        else:
            next_step = "nothing read from the site: it is reported FAILED, the other sites go on"
        host = urlsplit(request.url).netloc
        # One line per failure (provdir/crawl/failures.py); the exception text only at DEBUG.
        self.logger.warning(failure_line(host, kind, request.url, retries_text(request, kind), next_step, message))
        self.logger.debug("%s failed: %s", request.url, message)

    def request_dropped(self, request: scrapy.Request) -> None:
        """A seed whose redirect leads to a page already fetched (another seed's) says so."""
        site = request.meta.get("site")
        if request.meta.get("is_seed") and request.meta.get("redirect_urls") and site in self.sites:
            first = request.meta["redirect_urls"][0]
            self._failed(
                self.sites[site],
                "duplicate",
                f"{first}: redirects to {request.url}, already fetched (another seed of this run leads there)",
            )

    def _failed(self, state: SiteState, kind: str, message: str) -> None:
        self._last_activity[state.seed.site] = monotonic()
        state.pages_failed += 1
        state.failures[kind] += 1
        if len(state.errors) < 20:
            state.errors.append(redact_text(message)[:500])  # manifests and summaries: no passwords
        self.crawler.stats.inc_value("pages/failed")
        self.crawler.stats.inc_value(f"pages/failed/{kind}")

    def on_aux_error(self, failure: Failure) -> None:
        # A missing robots.txt or sitemap is normal; nothing to report.
        self.crawler.stats.inc_value("sitemap/unavailable")

    def site_reports(self) -> dict[str, dict[str, Any]]:
        reports = {site: state.report() for site, state in self.sites.items()}
        for site, report in reports.items():
            browser = self.renderer.site_report(site)
            if browser is not None:
                report["browser"] = browser
        return reports

    def browser_summary(self) -> dict[str, Any]:
        """Rendering in this run, and the sites that needed a browser (for the run manifest)."""
        return self.renderer.summary()


START_BACKLOG = 2000
"""Requests queued at most before the next seed is taken (``PROVDIR_START_BACKLOG``; 0: no limit)."""

SITE_WINDOW = 500
"""Sites crawled at once at most (``PROVDIR_SITE_WINDOW``; 0: no limit). Each open site gets a
turn every window / (pages/s) seconds: ~7 s at 500 sites and 70 pages/s, far above its politeness
delay, so the window costs no throughput while bounding connections, slots and queues."""

SITE_IDLE = 120.0
"""Seconds without an answer after which a site no longer holds its place in the window."""

SITE_DONE_AFTER = 2.0
"""Seconds a site must look done (every scheduled page answered) before its place is given up."""

MAX_LINKS_PER_PAGE = 2000
"""Links read from one page at most (``PROVDIR_MAX_LINKS_PER_PAGE``): menus and footers come
first in a page, and the per-site page cap keeps far fewer anyway."""


def _links(response: TextResponse, root: etree._Element | None, into: list[tuple[str, str]], cap: int) -> bool:
    """Append the links of ``response`` (its tree ``root``) to ``into`` as (url, anchor text), in
    page order, at most ``cap`` of them; True when the page had more. Walks lxml elements lazily,
    so the cost stops at the cap; ``into`` keeps what was read if time runs out."""
    if root is None:
        return False  # nothing parsed (an empty body, or the time limit ran out first)
    try:
        base = get_base_url(response)
    except ValueError:  # a <base href> that is no URL ("http://[oops/"): the page's own URL
        base = response.url
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        if len(into) >= cap:
            return True
        text = " ".join(t.strip() for t in a.itertext() if t.strip())
        try:
            into.append((join(base, href), text[:100]))
        except ValueError:  # "http://[oops": one broken link, not the page's others
            continue
    return False


def _scope_key(netloc: str) -> str:
    """``www.example.org`` and ``example.org`` are one site."""
    return netloc[4:] if netloc.startswith("www.") else netloc


# A site's menus repeat the same links on every page: each link's scope is worked out once
# (bounded, so a national crawl does not grow it; provdir.normalize.url.join caches the joins).
@lru_cache(maxsize=65536)
def _url_scope(url: str) -> str | None:
    """The scope key of ``url``'s host; None for a URL that is not http(s) or cannot be read."""
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        return _scope_key(site_key(f"{parts.scheme}://{parts.netloc}/"))
    except ValueError:  # "host:99999", "http://[::1": no site's
        return None


# Failure kinds by exception class name (Scrapy wraps Twisted's errors in its own classes).
_KINDS = {
    "DownloadTimeoutError": "timeout",
    "TimeoutError": "timeout",
    "TCPTimedOutError": "timeout",
    "DNSLookupError": "dns",
    "CannotResolveHostError": "dns",
    "ConnectionRefusedError": "connection_refused",
    "DownloadConnectionRefusedError": "connection_refused",
    "ResponseDataLossError": "connection_lost",
    "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ResponseNeverReceived": "connection_lost",
    "_DataLoss": "connection_lost",
}


def _describe(failure: Failure) -> tuple[str, str]:
    """(kind, message) of a failed request, for the site's report and the stats."""
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}"
    message = f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        kind = getattr(exc, "kind", None) or (
            "robots" if "robots.txt" in text else "too_large" if "DOWNLOAD_MAXSIZE" in text else "ignored"
        )
        return kind, message
    if "download max size" in message or "maxsize" in message.lower():
        return "too_large", message
    if failure.type.__name__ == "DownloadCancelledError" and not failure.getErrorMessage().strip():
        # Scrapy's HTTP handler cancels, without a message, a body that grows past
        # DOWNLOAD_MAXSIZE while it arrives (no Content-Length announced it).
        return "too_large", message + "download cancelled: the body grew past DOWNLOAD_MAXSIZE"
    if "SSL" in message or "TLS" in message or "handshake" in message.lower():
        return "tls", message
    for cls in type(exc).__mro__:
        if cls.__name__ in _KINDS:
            kind = _KINDS[cls.__name__]
            if not failure.getErrorMessage().strip() and kind == "connection_lost":
                message += "the connection closed before the whole response arrived"
            return kind, message
    if isinstance(exc, neterror.ConnectError):
        return "connection_error", message
    return "other", message


__all__ = ["ProviderSitesSpider", "SeedsError"]
