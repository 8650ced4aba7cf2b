"""provider_sites_redis: the website spider as one worker of a distributed crawl on Redis.

Same decisions as :mod:`spiders.provider_sites` (where to look, what to extract, per-site
failures), with the state that must be global kept in Redis (see :mod:`provdir.distributed`):

- the seeds come from the crawl ``provdir enqueue`` stored; each seed is started (its page and
  robots.txt requests put into the shared frontier) by exactly one worker;
- scrapy-redis's scheduler and duplicate filter: the frontier and the requests seen;
- which pages of a site are scheduled, with the page cap, claimed atomically per URL;
- a site's scope is the host (and port) of its seed, ``www.`` or not, as in the single-process
  spider; a host a seed redirects to joins the scope and travels in the meta of every request
  made from then on (``scope``), so whichever worker reads a page knows it.

Per-site counts in a worker's manifest are that worker's share: only sites it read or failed a
page of are listed, and the build adds the workers' shares up.

    provdir enqueue seeds.txt --redis redis://127.0.0.1:6379/0
    provdir worker --redis redis://127.0.0.1:6379/0        # on as many machines as wanted
    scrapy crawl provider_sites_redis -s REDIS_URL=redis://... [-s PROVDIR_CRAWL_ID=ID]
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from os import getpid
from time import monotonic
from typing import Any
from urllib.parse import urljoin

import redis
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.spiders import RedisSpider
from scrapy_redis.utils import bytes_to_str
from twisted.internet import task

from provdir import distributed
from provdir.crawl import policy as crawl_policy
from provdir.distributed import CrawlKeys, SiteFrontier
from spiders.provider_sites import ProviderSitesSpider, SiteState


class ProviderSitesRedisSpider(RedisSpider, ProviderSitesSpider):
    name = "provider_sites_redis"
    source = "site"
    redis_batch_size = 100  # seeds popped per Redis call while starting

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        super().update_settings(settings)
        distributed.apply_worker_settings(settings)

    def __init__(self, *args: Any, crawl: tuple[CrawlKeys, Any, list, dict] | None = None, **kwargs: Any) -> None:
        # ProviderSitesSpider.__init__ reads a seeds file; a worker's seeds come from Redis.
        scrapy.Spider.__init__(self, *args, **kwargs)
        if crawl is None:
            raise ValueError("provider_sites_redis is started by provdir worker (or from_crawler)")
        self.keys, self.client, self.seeds, info = crawl
        self.crawl_id = self.keys.crawl_id
        self.seeds_file = info.get("seeds_file") or None
        self._max_pages_arg = info.get("max_pages") or None
        self.sites = {s.site: SiteState(seed=s, netlocs={s.site}) for s in self.seeds}
        self.redis_key = self.keys.start
        self._idle_since: float | None = None
        self._ticker: task.LoopingCall | None = None
        self._busy = False
        self._redis_down_since: float | None = None
        self._giving_up = False
        self._frontier_lost = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ProviderSitesRedisSpider:
        settings = crawler.settings
        keys = CrawlKeys.from_settings(settings)
        client = distributed.client_from_settings(settings)
        seeds, info = distributed.crawl_info(client, keys)
        spider = super().from_crawler(crawler, *args, crawl=(keys, client, seeds, info), **kwargs)
        worker = settings.get("PROVDIR_RUN_ID") or f"{socket.gethostname()}-{getpid()}"
        spider.frontier = SiteFrontier(client, keys)
        spider.coordinator = distributed.Coordinator(client, keys, worker)
        spider.idle_timeout = settings.getfloat("PROVDIR_WORKER_IDLE_TIMEOUT", distributed.IDLE_TIMEOUT)
        spider.poll = settings.getfloat("PROVDIR_WORKER_POLL", distributed.POLL)
        spider.keep_seconds = settings.getint("PROVDIR_REDIS_KEEP", distributed.KEEP_SECONDS)
        spider.redis_down_limit = max(spider.idle_timeout, distributed.REDIS_DOWN_LIMIT)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # -- seeds -----------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        # scrapy-redis 0.9.1 only defines start_requests(), which Scrapy >= 2.16 does not call.
        while batch := list(self.next_requests()):
            for request in batch:
                yield request

    def make_request_from_data(self, data: bytes) -> list[scrapy.Request]:
        """A seed popped from the crawl's start list: its page and its robots.txt (sitemaps)."""
        seed = self.seeds[int(bytes_to_str(data, self.redis_encoding))]
        key = crawl_policy.canonical(seed.url)
        self.sites[seed.site].scheduled.add(key)
        self.frontier.add(seed.site, key)
        robots = scrapy.Request(
            urljoin(urljoin(seed.url, "/"), "robots.txt"),
            callback=self.parse_robots,
            errback=self.on_aux_error,
            meta={"site": seed.site, "aux": True, "dont_retry": True},
            priority=90,
            dont_filter=True,
        )
        return [self._page_request(seed.url, seed.site, priority=100, is_seed=True), robots]

    # -- pages: scope and the page cap shared through Redis --------------------------------
    def _page_request(self, url: str, site: str, priority: int, is_seed: bool = False) -> scrapy.Request:
        request = super()._page_request(url, site, priority, is_seed)
        netlocs = self.sites[site].netlocs
        if len(netlocs) > 1:
            request.meta["scope"] = sorted(netlocs)
        return request

    def _learn_scope(self, meta: dict[str, Any]) -> None:
        site = meta.get("site")
        if meta.get("scope") and site in self.sites:
            self.sites[site].netlocs.update(meta["scope"])

    def parse(self, response: Response) -> Iterator[Any]:
        self._learn_scope(response.meta)
        yield from super().parse(response)

    def redirect_allowed(self, request: scrapy.Request) -> bool:
        self._learn_scope(request.meta)
        return super().redirect_allowed(request)

    def _follow_in_scope(self, url: str, anchor: str, site: str) -> Iterator[scrapy.Request]:
        if crawl_policy.link_priority(url, anchor) is None:
            return
        key = crawl_policy.canonical(url)
        if key in self.sites[site].scheduled:
            return
        verdict = self.frontier.claim(site, key, self.max_pages)
        if verdict == SiteFrontier.DUPLICATE:
            self.crawler.stats.inc_value("distributed/claimed_elsewhere")
            return
        if verdict == SiteFrontier.OVER_CAP:
            self.crawler.stats.inc_value("pages/over_site_cap")
            return
        # Claimed for the whole crawl; the single-process logic now schedules it (its local
        # count is this worker's share, below the cap).
        yield from super()._follow_in_scope(url, anchor, site)

    def site_reports(self) -> dict[str, dict[str, Any]]:
        """This worker's share: the sites it read, failed or skipped a page of."""
        reports = super().site_reports()
        return {site: r for site, r in reports.items() if r["pages_ok"] or r["pages_failed"] or r["skipped_non_html"]}

    # -- when to stop ----------------------------------------------------------------------
    def _opened(self, spider: scrapy.Spider) -> None:
        self.coordinator.join()
        self._ticker = task.LoopingCall(self._tick)
        self._ticker.start(self.poll, now=False)

    def _closed(self, spider: scrapy.Spider, reason: str) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        try:
            self.coordinator.leave(self.keep_seconds)
        except redis.RedisError as exc:
            self.logger.warning("could not leave crawl %s cleanly: %s", self.crawl_id, exc)

    def _tick(self) -> None:
        """Every PROVDIR_WORKER_POLL seconds: say whether we are busy, and look for work now."""
        engine = self.crawler.engine
        try:
            if engine is None or engine.spider is None:
                return
            if not engine.spider_is_idle():
                self._idle_since = None
                self.coordinator.mark_busy()
                self._busy = True
            elif self._busy:  # say so at once rather than when the mark expires
                self.coordinator.mark_idle()
                self._busy = False
            if not self._frontier_lost and not self.coordinator.intact():
                self._lose_frontier()
                return
            # Pull what other workers added to the frontier; when idle, runs spider_idle() below.
            distributed.wake_engine(engine)
        except redis.RedisError as exc:
            self._redis_failed(exc)
            return
        except RuntimeError:  # the engine is closing
            return
        self._redis_down_since = None

    def _redis_failed(self, exc: Exception) -> None:
        """Redis did not answer: carry on for a while (a restart), then give the run up."""
        now = monotonic()
        self._redis_down_since = self._redis_down_since or now
        down = now - self._redis_down_since
        self.logger.warning("crawl %s: Redis: %s (for %.0f s)", self.crawl_id, exc, down)
        if down >= self.redis_down_limit and not self._giving_up:
            self._giving_up = True
            self.logger.error("crawl %s: Redis unavailable for %.0f s: stopping this worker", self.crawl_id, down)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis_unavailable"))

    def _lose_frontier(self) -> None:
        """Redis came back without this crawl (restarted empty): the shared frontier and its
        requests are gone. The worker stops and its run is not ok (reason ``frontier_lost``),
        so no build publishes sites whose pages were never read as if they had been."""
        self._frontier_lost = True
        self.logger.error(
            "crawl %s: its frontier is gone from Redis (Redis restarted empty?): the requests in it "
            "were never fetched; stopping this worker, its run is not ok",
            self.crawl_id,
        )
        self.crawler.stats.set_value("distributed/frontier_lost", 1)
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="frontier_lost"))

    def spider_idle(self) -> None:
        """Keep the worker open while any work is left in the crawl; close it once the frontier
        is empty, no seed is left and no other worker is busy, for ``idle_timeout`` seconds."""
        now = monotonic()
        try:
            if self._frontier_lost or not self.coordinator.intact():
                if not self._frontier_lost:
                    self._lose_frontier()
                raise DontCloseSpider  # closing with reason frontier_lost, never "finished"
            self.schedule_next_requests()  # seeds enqueued after start() finished, if any
            work_left = self.coordinator.work_left()
        except redis.RedisError as exc:
            # Unknown whether work is left: never call it finished (_tick gives up in the end).
            self._redis_failed(exc)
            raise DontCloseSpider from exc
        self._redis_down_since = None
        if work_left:
            self._idle_since = None
            raise DontCloseSpider
        if self._idle_since is None:
            self._idle_since = now
        if now - self._idle_since < self.idle_timeout:
            raise DontCloseSpider
        self.logger.info("crawl %s: no work left for %.1f s, closing", self.crawl_id, now - self._idle_since)
