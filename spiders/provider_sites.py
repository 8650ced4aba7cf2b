"""provider_sites: crawl treatment-center websites listed in a seeds file.

The spider decides only *where* to look: it starts at each seed, reads the site's sitemaps,
follows in-scope links in priority order up to a per-site page cap, and hands every HTML page
to :func:`provdir.extract.extract_page`. Each site's scope is the host (and port) of its seed
URL, so sites served on one machine at different 127.0.0.x addresses never mix.

    scrapy crawl provider_sites -a seeds=seeds.txt [-a max_pages_per_site=40]
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots
from twisted.python.failure import Failure

from provdir import crawl_policy
from provdir.extract import extract_page
from provdir.seeds import Seed, SeedsError, load_seeds, site_key


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

    def report(self) -> dict[str, Any]:
        return {
            "seed": self.seed.url,
            "name": self.seed.name,
            "pages_scheduled": len(self.scheduled),
            "pages_ok": self.pages_ok,
            "pages_failed": self.pages_failed,
            "skipped_non_html": self.skipped_non_html,
            "status": "ok" if self.pages_ok else "failed",
            "errors": self.errors[:10],
        }


class ProviderSitesSpider(scrapy.Spider):
    name = "provider_sites"

    def __init__(self, seeds: str | None = None, max_pages_per_site: str | int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not seeds:
            raise ValueError("provider_sites needs a seeds file: -a seeds=FILE")
        try:
            self.seeds = load_seeds(seeds)
        except SeedsError as exc:
            raise ValueError(str(exc)) from exc
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
        return spider

    # -- where to start --------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for req in self.start_requests():
            yield req

    def start_requests(self) -> Iterator[scrapy.Request]:
        for seed in self.seeds:
            state = self.sites[seed.site]
            state.scheduled.add(crawl_policy.canonical(seed.url))
            yield self._page_request(seed.url, seed.site, priority=100, is_seed=True)
            root = urljoin(seed.url, "/")
            yield scrapy.Request(
                urljoin(root, "robots.txt"), callback=self.parse_robots, errback=self.on_aux_error,
                meta={"site": seed.site, "aux": True, "dont_retry": True}, priority=90, dont_filter=True,
            )  # fmt: skip

    def _page_request(self, url: str, site: str, priority: int, is_seed: bool = False) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse, errback=self.on_error, priority=priority,
            meta={"site": site, "is_seed": is_seed},
        )  # fmt: skip

    # -- sitemaps --------------------------------------------------------------------------
    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        site = response.meta["site"]
        urls = (
            list(sitemap_urls_from_robots(response.text, base_url=response.url))
            if response.status == 200 and isinstance(response, TextResponse)
            else []
        )
        if not urls:
            urls = [urljoin(response.url, "/sitemap.xml")]
        for url in urls[:5]:
            if self._in_scope(url, site):
                yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_aux_error,
                                     meta={"site": site, "aux": True, "dont_retry": True}, priority=80)  # fmt: skip

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
                    yield scrapy.Request(loc, callback=self.parse_sitemap, errback=self.on_aux_error,
                                         meta={"site": site, "aux": True, "dont_retry": True}, priority=80)  # fmt: skip
            else:
                yield from self._follow(loc, "", site)

    # -- pages -----------------------------------------------------------------------------
    def parse(self, response: Response) -> Iterator[Any]:
        site = response.meta["site"]
        state = self.sites[site]
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
        state.pages_ok += 1
        html = response.text
        obs = extract_page(html, response.url, site=site, seed_url=state.seed.url, seed_name=state.seed.name)
        obs.status = response.status
        obs.fetched_at = _now()
        yield obs
        for url, text in _links(response):
            yield from self._follow(url, text, site)

    def _follow(self, url: str, anchor: str, site: str) -> Iterator[scrapy.Request]:
        if not self._in_scope(url, site):
            return
        priority = crawl_policy.link_priority(url, anchor)
        if priority is None:
            return
        state = self.sites[site]
        key = crawl_policy.canonical(url)
        if key in state.scheduled:
            return
        if len(state.scheduled) >= self.max_pages:
            self.crawler.stats.inc_value("pages/over_site_cap")
            return
        state.scheduled.add(key)
        yield self._page_request(url, site, priority)

    def _in_scope(self, url: str, site: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and site_key(url) in self.sites[site].netlocs

    # -- failures --------------------------------------------------------------------------
    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        state = self.sites[request.meta["site"]]
        state.pages_failed += 1
        message = _describe(failure)
        state.errors.append(f"{request.url}: {message}")
        self.crawler.stats.inc_value("pages/failed")
        self.logger.warning("page failed: %s (%s)", request.url, message)

    def on_aux_error(self, failure: Failure) -> None:
        # A missing robots.txt or sitemap is normal; nothing to report.
        self.crawler.stats.inc_value("sitemap/unavailable")

    def site_reports(self) -> dict[str, dict[str, Any]]:
        return {site: state.report() for site, state in self.sites.items()}


def _links(response: TextResponse) -> Iterator[tuple[str, str]]:
    for a in response.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        text = " ".join(a.css("::text").getall()).strip()
        yield response.urljoin(href), text[:100]


def _describe(failure: Failure) -> str:
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return f"{failure.type.__name__}: {failure.getErrorMessage()}"[:300]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


__all__ = ["ProviderSitesSpider", "SeedsError"]
