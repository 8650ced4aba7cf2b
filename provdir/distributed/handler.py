"""Cross-worker politeness: a Redis host lease held from download start to response."""

from __future__ import annotations

import logging
import math
import os
import socket
from typing import Any

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet import task

from provdir.crawl import scrapy_compat
from provdir.distributed.keys import MIN_LEASE, CrawlKeys, client_from_settings

log = logging.getLogger(__name__)


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor

    await maybe_deferred_to_future(task.deferLater(reactor, seconds))


class HostLeaseDownloadHandler:
    """The HTTP(S) download handler, behind a per-host lease in Redis shared by all workers.

    Right before a request goes out, the worker takes the host's lease
    (``SET <prefix>:<crawl>:host:<host> <token> NX PX <hold>``) and keeps it while the request
    is in flight; when the response (or the failure) arrives, the lease is set to expire
    ``delay`` later. Any other request to the host, from this worker or another, waits (without
    blocking the reactor) until the lease is free. So a host gets one request at a time from the
    whole crawl, and the next one starts at least ``delay`` after the previous one ended: at
    least ``delay`` after it started, measured anywhere, even when the worker that sent it was
    busy between taking the lease and sending. The delay is the download slot's:
    ``DOWNLOAD_DELAY``, raised by AutoThrottle or by robots.txt ``Crawl-delay``
    (:class:`provdir.crawl.middlewares.RobotsCrawlDelay`). A lease whose worker died expires by itself
    (``hold`` = delay + ``DOWNLOAD_TIMEOUT`` + 10 s).

    A download handler, not a downloader middleware: middlewares run before Scrapy's per-host
    slot queue, where a request may wait any time (the slot's own delay, its concurrency), so a
    lease taken there says little about when the request is sent. The handler runs after the
    slot released the request. The real handler (``PROVDIR_LEASE_INNER_HANDLER``, by default
    Scrapy's HTTP/1.1 handler) does the download. Stats: ``distributed/host_lease/taken``,
    ``distributed/host_lease/waits``, ``distributed/host_lease/wait_seconds``.
    """

    lazy = False
    _RELEASE = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
    return 0
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        inner = settings.get("PROVDIR_LEASE_INNER_HANDLER") or settings.getwithbase("DOWNLOAD_HANDLERS_BASE").get(
            "http"
        )
        self.inner = build_from_crawler(load_object(inner), crawler)
        self.keys = CrawlKeys.from_settings(settings)
        self.client = client_from_settings(settings)
        self.release = self.client.register_script(self._RELEASE)
        self.default_delay = settings.getfloat("DOWNLOAD_DELAY")
        self.timeout = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.taken = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostLeaseDownloadHandler:
        return cls(crawler)

    def _delay(self, request: Request) -> float:
        delay = scrapy_compat.slot_delay(self.crawler, request)
        if delay is None:
            delay = self.default_delay
        return delay if math.isfinite(delay) else self.default_delay

    async def download_request(self, request: Request) -> Any:
        delay = self._delay(request)
        if delay < MIN_LEASE:
            return await self.inner.download_request(request)
        key = self.keys.host((urlparse_cached(request).hostname or "").lower())
        self.taken += 1
        token = f"{self.worker}:{self.taken}"
        await self._take(key, token, delay)
        try:
            return await self.inner.download_request(request)
        finally:
            try:
                self.release(keys=[key], args=[token, max(1, round(delay * 1000))])
            except redis.RedisError as exc:  # the lease then expires by itself
                log.warning("host lease %s not released: %s", key, exc)

    async def _take(self, key: str, token: str, delay: float) -> None:
        hold = max(1, round((delay + self.timeout + 10) * 1000))
        poll = min(max(delay, 0.05), 1.0)
        stats = self.crawler.stats
        waited = 0.0
        while not self.client.set(key, token, nx=True, px=hold):
            left = int(self.client.pttl(key))
            if left == -1:  # no expiry (not ours to have set; never wait forever on it)
                self.client.pexpire(key, hold)
                left = hold
            wait = min(max(left, 1) / 1000, poll)  # a lease in flight may end sooner than its hold
            waited += wait
            stats.inc_value("distributed/host_lease/waits")
            await _sleep(wait)
        stats.inc_value("distributed/host_lease/taken")
        if waited:
            stats.inc_value("distributed/host_lease/wait_seconds", round(waited, 3))  # type: ignore[arg-type]  # floats add up too

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            result = close()
            if hasattr(result, "__await__"):
                await result
            elif result is not None:
                await maybe_deferred_to_future(result)


# -- the duplicate-page filter across workers ------------------------------------------------
