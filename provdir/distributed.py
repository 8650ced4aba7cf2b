"""Scale-out on Redis: many ``provdir worker`` processes share one crawl's frontier.

Built on `scrapy-redis <https://github.com/rmax/scrapy-redis>`_: its ``Scheduler`` keeps the
request queue in a Redis sorted set and its ``RFPDupeFilter`` keeps request fingerprints in a
Redis set, so every worker pops from, and de-duplicates against, the same frontier. This module
adds what the website crawl needs on top, all under one key prefix per crawl
(``<prefix>:<crawl_id>:``, prefix ``provdir`` or ``$PROVDIR_REDIS_PREFIX``):

- ``info`` (hash) and ``start`` (list): written by ``provdir enqueue`` — the validated seeds,
  the page cap, and the seeds not yet started (each is popped by exactly one worker, which puts
  the seed's first requests into the shared frontier). ``<prefix>:current`` names the last
  crawl enqueued.
- ``requests`` / ``dupefilter``: scrapy-redis's queue and duplicate filter (kept when a worker
  exits: ``SCHEDULER_PERSIST``). Requests are stored as JSON (:class:`RequestJSON`), not pickle.
- ``site:<site>:scheduled`` (set): the canonical URLs scheduled on a site. One Lua script checks
  and adds a URL and enforces the per-site page cap atomically (:class:`SiteFrontier`), so the
  cap holds across workers and a URL two workers find at once is scheduled once.
- ``site:<site>:pages`` (set): page content hashes, so a page reachable under two URLs is kept
  once across workers (:class:`SharedDropDuplicatePages`).
- ``host:<host>`` (string with a TTL): the host's politeness lease, taken (``SET NX PX``) right
  before a download and held until the response, then left to expire after the host's delay;
  others wait for it without blocking the reactor (:class:`HostLeaseDownloadHandler`): a host
  gets one request at a time from all workers, each starting at least the delay after the
  previous one ended.
- ``workers`` (set) and ``busy:<run_id>`` (strings with a TTL): who takes part and who has work
  in flight; a worker exits once the frontier is empty, no seed is left and no other worker is
  busy, for ``PROVDIR_WORKER_IDLE_TIMEOUT`` seconds in a row.

Each worker writes its own run (``output/runs/<run_id>/``) whose manifest names the
``crawl_id`` (:class:`WorkerRunRecorder`); ``provdir build`` then reads every good run of the
newest crawl together (:func:`provdir.runs.latest_good_runs`).

Compatibility shims (scrapy-redis 0.9.1 with Scrapy 2.19): scrapy-redis's ``RedisMixin`` only
defines ``start_requests()``, which Scrapy >= 2.16 no longer calls, and its idle handling
measures idle time from import time; the spider (``spiders/provider_sites_redis.py``) has its
own async ``start()`` and idle logic. An idle Scrapy engine looks at its scheduler only every
5 s; :func:`wake_engine` makes an idle worker look again at once.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from pipelines.duplicates import DropDuplicatePages
from provdir import __version__
from provdir.extensions import RunRecorder
from provdir.items import FacilityRecord
from provdir.runs import STATS, write_json_atomic
from provdir.seeds import Seed

log = logging.getLogger(__name__)

PREFIX_ENV = "PROVDIR_REDIS_PREFIX"
DEFAULT_PREFIX = "provdir"
_CRAWL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")

# Settings of this module (Scrapy settings; defaults here, not in provdir/settings.py).
IDLE_TIMEOUT = 10.0  # PROVDIR_WORKER_IDLE_TIMEOUT: seconds with nothing to do before a worker exits
POLL = 0.5  # PROVDIR_WORKER_POLL: how often an idle worker looks at the frontier
KEEP_SECONDS = 7 * 24 * 3600  # PROVDIR_REDIS_KEEP: a finished crawl's keys expire after this
MIN_LEASE = 0.01  # a host delay below 10 ms is no delay: no lease is taken
REDIS_DOWN_LIMIT = 30.0  # a worker that cannot reach Redis this long (or its idle timeout) stops
BUSY_TTL_MS = 5000  # a worker that stops refreshing its busy mark (killed) is idle after this


class DistributedError(RuntimeError):
    """Redis cannot be used for this crawl (unreachable, unknown crawl id, ...); the message says why."""


# -- names -----------------------------------------------------------------------------------
def redis_prefix(value: str | None = None) -> str:
    prefix = value or os.environ.get(PREFIX_ENV) or DEFAULT_PREFIX
    if not _PREFIX.match(prefix):
        raise DistributedError(f"bad Redis key prefix {prefix!r} (letters, digits, _ . : -)")
    return prefix


def valid_crawl_id(crawl_id: str) -> bool:
    return bool(_CRAWL_ID.match(crawl_id or ""))


def new_crawl_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class CrawlKeys:
    """Redis key names of one distributed crawl."""

    def __init__(self, crawl_id: str, prefix: str | None = None) -> None:
        if not valid_crawl_id(crawl_id):
            raise DistributedError(f"bad crawl id {crawl_id!r} (1-64 letters, digits, _ . -)")
        self.prefix = redis_prefix(prefix)
        self.crawl_id = crawl_id
        self.base = f"{self.prefix}:{crawl_id}"
        self.info = f"{self.base}:info"
        self.start = f"{self.base}:start"
        self.requests = f"{self.base}:requests"
        self.dupefilter = f"{self.base}:dupefilter"
        self.workers = f"{self.base}:workers"

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlKeys:
        crawl_id = settings.get("PROVDIR_CRAWL_ID")
        if not crawl_id:
            raise DistributedError("PROVDIR_CRAWL_ID is not set: which distributed crawl is this?")
        return cls(crawl_id, settings.get("PROVDIR_REDIS_PREFIX"))

    @staticmethod
    def current(prefix: str | None = None) -> str:
        return f"{redis_prefix(prefix)}:current"

    def scheduled(self, site: str) -> str:
        return f"{self.base}:site:{site}:scheduled"

    def pages(self, site: str) -> str:
        return f"{self.base}:site:{site}:pages"

    def host(self, host: str) -> str:
        return f"{self.base}:host:{host}"

    def busy(self, worker: str) -> str:
        return f"{self.base}:busy:{worker}"


# -- connecting ------------------------------------------------------------------------------
def redacted(url: str) -> str:
    """A Redis URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connect(url: str) -> redis.Redis:
    """A Redis client for ``url`` that answered PING; :class:`DistributedError` otherwise."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)
        client.ping()
    except (ValueError, redis.RedisError) as exc:
        raise DistributedError(f"Redis at {redacted(url)} cannot be used: {exc}") from exc
    return client


def client_from_settings(settings: BaseSettings) -> redis.Redis:
    url = settings.get("REDIS_URL")
    if not url:
        raise DistributedError("REDIS_URL is not set")
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10)


# -- enqueue ---------------------------------------------------------------------------------
def enqueue(
    client: redis.Redis,
    seeds: list[Seed],
    *,
    crawl_id: str | None = None,
    seeds_file: str = "",
    max_pages: int | None = None,
    prefix: str | None = None,
) -> str:
    """Store a validated seed list as a new crawl; returns its id. The crawl id must be new."""
    crawl_id = crawl_id or new_crawl_id()
    keys = CrawlKeys(crawl_id, prefix)
    info = {
        "crawl_id": crawl_id,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seeds_file": seeds_file,
        "seeds": json.dumps([{"url": s.url, "name": s.name, "line": s.line} for s in seeds]),
        "max_pages": str(max_pages or ""),
        "software_version": __version__,
    }
    # HSETNX on the id claims it atomically: two enqueues with one id cannot both succeed.
    if not client.hsetnx(keys.info, "crawl_id", crawl_id):
        raise DistributedError(f"crawl {crawl_id} already exists in Redis; choose another --crawl-id")
    with client.pipeline() as pipe:
        pipe.hset(keys.info, mapping=info)
        pipe.rpush(keys.start, *[str(i) for i in range(len(seeds))])
        pipe.set(CrawlKeys.current(prefix), crawl_id)
        pipe.execute()
    return crawl_id


def resolve_crawl_id(client: redis.Redis, crawl_id: str | None, prefix: str | None = None) -> str:
    """``crawl_id``, or the last crawl enqueued; it must exist in Redis."""
    if not crawl_id:
        current = client.get(CrawlKeys.current(prefix))
        if not current:
            raise DistributedError("no crawl has been enqueued in this Redis (run provdir enqueue first)")
        crawl_id = current.decode()
    keys = CrawlKeys(crawl_id, prefix)
    if not client.exists(keys.info):
        raise DistributedError(f"crawl {crawl_id} is not in this Redis (run provdir enqueue first)")
    return crawl_id


def crawl_info(client: redis.Redis, keys: CrawlKeys) -> tuple[list[Seed], dict[str, str]]:
    """The crawl's seeds, in file order, and its other settings."""
    raw = {k.decode(): v.decode() for k, v in client.hgetall(keys.info).items()}
    if not raw.get("seeds"):
        raise DistributedError(f"crawl {keys.crawl_id} is not in Redis (run provdir enqueue first)")
    seeds = [Seed(url=s["url"], name=s.get("name", ""), line=int(s.get("line", 0))) for s in json.loads(raw["seeds"])]
    return seeds, raw


def expire_crawl(client: redis.Redis, keys: CrawlKeys, seconds: int) -> int:
    """Give every key of the crawl a time to live (a finished crawl cleans up after itself)."""
    n = 0
    with client.pipeline(transaction=False) as pipe:
        for key in client.scan_iter(match=f"{keys.base}:*", count=1000):
            pipe.expire(key, seconds)
            n += 1
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
    return n


# -- the per-site frontier -------------------------------------------------------------------
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
    """Make an idle engine look at its scheduler now (it does by itself only every 5 s).

    Scrapy has no public call for this; ``engine._slot.nextcall`` is what ``engine.crawl()``
    uses. Absent (another Scrapy version), the engine's own 5 s heartbeat still works.
    """
    slot = getattr(engine, "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    if nextcall is not None:
        nextcall.schedule()


# -- scrapy-redis's scheduler, for Scrapy 2.19 ----------------------------------------------
class RedisScheduler(Scheduler):
    """scrapy-redis's ``Scheduler`` (frontier and duplicate filter in Redis), without the
    ``spider`` argument to stats calls and the ``Spider.log()`` that Scrapy 2.19 deprecates. Same
    behaviour otherwise."""

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self.queue_key % {"spider": spider.name}, serializer=self.serializer
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if self.flush_on_start:
            self.flush()
        if pending := len(self.queue):
            spider.logger.info("joining a crawl in progress: %d requests in the shared frontier", pending)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class SpreadPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue (a Redis sorted set scored by ``-priority``), with requests
    of equal priority in random order rather than in the order of their serialized bytes.

    Redis orders members of equal score by their bytes, which start with the URL: a worker would
    pop one host's pages in a row and, held to two requests at a time per host (and its delay),
    sit on them while other hosts wait. A random 8-byte prefix spreads each worker's batch over
    many hosts.
    """

    _SPREAD = 8

    def _encode_request(self, request: Request) -> bytes:
        return secrets.token_hex(self._SPREAD // 2).encode() + super()._encode_request(request)

    def _decode_request(self, encoded_request: bytes) -> Request:
        return super()._decode_request(encoded_request[self._SPREAD :])


# -- requests in Redis as JSON ---------------------------------------------------------------
class RequestJSON:
    """scrapy-redis serializer (``SCHEDULER_SERIALIZER``): requests as JSON, not pickle.

    scrapy-redis pickles requests by default, so anyone able to write into the crawl's Redis
    keys could run code on every worker. JSON carries the same request dictionary
    (``Request.to_dict``); bytes (body, headers) are tagged and base64-encoded.
    """

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return json.dumps(_encode(obj), separators=(",", ":")).encode()

    @staticmethod
    def loads(data: bytes | str) -> Any:
        return _decode(json.loads(data))


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__bytes__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in a request in Redis: {value!r}"[:200])


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__bytes__" in value:
            return base64.b64decode(value["__bytes__"])
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


# -- per-host politeness across workers ------------------------------------------------------
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
    (:class:`provdir.middlewares.RobotsCrawlDelay`). A lease whose worker died expires by itself
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
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        slot = downloader.slots.get(request.meta.get("download_slot", "")) if downloader else None
        delay = slot.delay if slot is not None else self.default_delay
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
            stats.inc_value("distributed/host_lease/wait_seconds", round(waited, 3))

    async def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            result = close()
            if hasattr(result, "__await__"):
                await result
            elif result is not None:
                await maybe_deferred_to_future(result)


# -- the duplicate-page filter across workers ------------------------------------------------
class SharedDropDuplicatePages(DropDuplicatePages):
    """:class:`pipelines.duplicates.DropDuplicatePages` across workers: a page's content hash
    is recorded in Redis per site, so the same page read under two URLs by two workers is kept
    once (``observations/duplicate_page``)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.keys = CrawlKeys.from_settings(crawler.settings)
        self.client = client_from_settings(crawler.settings)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, FacilityRecord) or not getattr(item, "content_hash", ""):
            return super().process_item(item, spider)
        if not self.client.sadd(self.keys.pages(item.site), item.content_hash):
            self.count("observations/duplicate_page")
            raise DropItem(f"same content as a page of {item.site} another worker (or this one) read: {item.url}")
        return item


# -- the worker's run ------------------------------------------------------------------------
class WorkerRunRecorder(RunRecorder):
    """:class:`provdir.extensions.RunRecorder` for a worker of a distributed crawl.

    The manifest names the ``crawl_id`` and the worker (host, pid). A worker never publishes
    (``provdir build`` publishes the whole crawl once every worker is done). A worker's run is
    ``ok`` when it finished cleanly: whether a site answered is judged across the workers at
    build time (a site is ok when any worker read a page of it), since a worker may well have
    been handed only another site's failing pages. Its health is not compared with an earlier
    run: a worker's share of a crawl is not a figure that can fall.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.publish = False
        self.crawl_id = crawler.settings.get("PROVDIR_CRAWL_ID")

    def _manifest(self, spider: Spider, **kwargs: Any) -> dict[str, Any]:
        manifest = super()._manifest(spider, **kwargs)
        manifest["crawl_id"] = self.crawl_id
        manifest["worker"] = {"host": socket.gethostname(), "pid": os.getpid()}
        return manifest

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.run is not None
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        write_json_atomic(self.run.dir / STATS, stats)
        sites = spider.site_reports() if hasattr(spider, "site_reports") else {}
        status = "ok" if reason == "finished" else "failed"
        manifest = self._manifest(spider, status=status, reason=reason, sites=sites, stats=stats)
        manifest["health"] = {"previous_run": None, "warnings": []}
        self.run.write_manifest(manifest)
        if status != "ok":
            log.error("worker run %s of crawl %s failed: finish reason %r", self.run.run_id, self.crawl_id, reason)


# -- settings of a worker --------------------------------------------------------------------
def apply_worker_settings(settings: BaseSettings) -> None:
    """Turn a website crawl's settings into a worker's (called by the spider's update_settings).

    Needs ``REDIS_URL`` and ``PROVDIR_CRAWL_ID`` (without it, the last crawl enqueued). Dict
    settings are copied and edited, so the project's own entries stay as they are.
    """
    if not settings.get("REDIS_URL"):
        raise DistributedError("a worker needs REDIS_URL (provdir worker --redis URL)")
    if not settings.get("PROVDIR_CRAWL_ID"):
        client = connect(settings.get("REDIS_URL"))
        crawl_id = resolve_crawl_id(client, None, settings.get("PROVDIR_REDIS_PREFIX"))
        settings.set("PROVDIR_CRAWL_ID", crawl_id, priority="spider")
    keys = CrawlKeys.from_settings(settings)
    spider = "spider"
    settings.set("SCHEDULER", "provdir.distributed.RedisScheduler", priority=spider)
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority=spider)
    settings.set("SCHEDULER_QUEUE_CLASS", "provdir.distributed.SpreadPriorityQueue", priority=spider)
    settings.set("SCHEDULER_QUEUE_KEY", keys.requests, priority=spider)
    settings.set("SCHEDULER_DUPEFILTER_KEY", keys.dupefilter, priority=spider)
    settings.set("SCHEDULER_SERIALIZER", RequestJSON, priority=spider)
    # Never clear the shared frontier when one worker exits (scrapy-redis's default does).
    settings.set("SCHEDULER_PERSIST", True, priority=spider)
    settings.set("SCHEDULER_FLUSH_ON_START", False, priority=spider)
    settings.set("PROVDIR_PUBLISH", False, priority=spider)
    # No HTTP cache: workers sharing an output directory would write one entry (robots.txt) at
    # once, and a page goes to any worker, so a machine's cache would rarely hold it next time.
    settings.set("HTTPCACHE_ENABLED", False, priority=spider)

    extensions = dict(settings.getdict("EXTENSIONS"))
    order = extensions.pop("provdir.extensions.RunRecorder", 500)
    extensions["provdir.extensions.RunRecorder"] = None
    extensions["provdir.distributed.WorkerRunRecorder"] = order
    settings.set("EXTENSIONS", extensions, priority=spider)

    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    if "pipelines.duplicates.DropDuplicatePages" in pipelines:
        order = pipelines.pop("pipelines.duplicates.DropDuplicatePages")
        pipelines["pipelines.duplicates.DropDuplicatePages"] = None
        pipelines["provdir.distributed.SharedDropDuplicatePages"] = order
    settings.set("ITEM_PIPELINES", pipelines, priority=spider)

    handlers = {**settings.getdict("DOWNLOAD_HANDLERS_BASE"), **settings.getdict("DOWNLOAD_HANDLERS")}
    lease = "provdir.distributed.HostLeaseDownloadHandler"
    inner = handlers.get("http")
    if inner and inner != lease:
        settings.set("PROVDIR_LEASE_INNER_HANDLER", inner, priority=spider)
    own = dict(settings.getdict("DOWNLOAD_HANDLERS"))
    own.update(http=lease, https=lease)
    settings.set("DOWNLOAD_HANDLERS", own, priority=spider)


def run_worker(
    *,
    redis_url: str,
    crawl_id: str,
    out: Path,
    allow_private: bool,
    log_level: str,
    run_id: str,
    overrides: dict[str, Any] | None = None,
) -> None:
    """Run the ``provider_sites_redis`` spider in this process until the crawl has no work left."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "provdir.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict({
        "PROVDIR_OUTPUT_DIR": str(out), "PROVDIR_RUN_ID": run_id, "PROVDIR_ALLOW_PRIVATE_NETWORKS": allow_private,
        "LOG_LEVEL": log_level, "REDIS_URL": redis_url, "PROVDIR_CRAWL_ID": crawl_id, "PROVDIR_PUBLISH": False,
        **(overrides or {}),
    }, priority="cmdline")  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    process = CrawlerProcess(settings, install_root_handler=True)
    process.crawl("provider_sites_redis")
    process.start()
