"""The shared frontier: per-site URL claims with the page cap, and worker coordination."""

from __future__ import annotations

import logging
from typing import Any

import redis

from provdir.crawl import scrapy_compat
from provdir.distributed.enqueue import expire_crawl
from provdir.distributed.keys import BUSY_TTL_MS, CrawlKeys

log = logging.getLogger(__name__)


_CLAIM = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""


class SiteFrontier:
    """Which pages of a site are scheduled, shared by all workers, with the page cap.

    :meth:`claim` is one atomic Lua script: a URL already scheduled is refused (``DUPLICATE``),
    a site at its cap refuses new URLs (``OVER_CAP``), otherwise the URL is recorded and may be
    scheduled (``CLAIMED``). The set's size is the count of pages scheduled, so the cap cannot be
    passed however many workers claim at once.
    """

    CLAIMED, DUPLICATE, OVER_CAP = 1, 0, -1

    def __init__(self, client: redis.Redis, keys: CrawlKeys) -> None:
        self.client = client
        self.keys = keys
        self._claim = client.register_script(_CLAIM)

    def claim(self, site: str, url_key: str, cap: int) -> int:
        return int(self._claim(keys=[self.keys.scheduled(site)], args=[url_key, cap]))

    def add(self, site: str, url_key: str) -> None:
        """Record a seed (not subject to the cap, like the single-process spider)."""
        self.client.sadd(self.keys.scheduled(site), url_key)

    def scheduled(self, site: str) -> int:
        return int(self.client.scard(self.keys.scheduled(site)))


# -- workers taking part ---------------------------------------------------------------------
class Coordinator:
    """Who takes part in a crawl and whether any work is left anywhere."""

    def __init__(self, client: redis.Redis, keys: CrawlKeys, worker: str) -> None:
        self.client = client
        self.keys = keys
        self.worker = worker

    def join(self) -> None:
        self.client.sadd(self.keys.workers, self.worker)

    def leave(self, keep_seconds: int) -> None:
        with self.client.pipeline() as pipe:
            pipe.delete(self.keys.busy(self.worker))
            pipe.srem(self.keys.workers, self.worker)
            pipe.execute()
        expire_crawl(self.client, self.keys, keep_seconds)

    def mark_busy(self) -> None:
        self.client.set(self.keys.busy(self.worker), "1", px=BUSY_TTL_MS)

    def mark_idle(self) -> None:
        self.client.delete(self.keys.busy(self.worker))

    def frontier_size(self) -> int:
        return int(self.client.zcard(self.keys.requests))

    def seeds_left(self) -> int:
        return int(self.client.llen(self.keys.start))

    def others_busy(self) -> bool:
        others = [m.decode() for m in self.client.smembers(self.keys.workers)]
        busy = [self.keys.busy(w) for w in others if w != self.worker]
        return bool(busy) and int(self.client.exists(*busy)) > 0

    def work_left(self) -> bool:
        """Requests in the frontier, seeds not started, or another worker with work in flight
        (which may add requests)."""
        return self.frontier_size() > 0 or self.seeds_left() > 0 or self.others_busy()


def wake_engine(engine: Any) -> None:
    """Make an idle engine look at its scheduler now (a Scrapy internal: see scrapy_compat)."""
    scrapy_compat.wake_engine(engine)


# -- scrapy-redis's scheduler, for Scrapy 2.19 ----------------------------------------------
