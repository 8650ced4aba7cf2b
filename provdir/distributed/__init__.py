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
  once across workers (:class:`pipelines.shared_duplicates.SharedDropDuplicatePages`).
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
newest crawl together (:func:`provdir.runs.store.latest_good_runs`).

Compatibility shims (scrapy-redis 0.9.1 with Scrapy 2.19): scrapy-redis's ``RedisMixin`` only
defines ``start_requests()``, which Scrapy >= 2.16 no longer calls, and its idle handling
measures idle time from import time; the spider (``spiders/provider_sites_redis.py``) has its
own async ``start()`` and idle logic. An idle Scrapy engine looks at its scheduler only every
5 s; :func:`wake_engine` makes an idle worker look again at once.
"""

from provdir.distributed.enqueue import crawl_info, enqueue, expire_crawl, resolve_crawl_id
from provdir.distributed.frontier import Coordinator, SiteFrontier, wake_engine
from provdir.distributed.handler import HostLeaseDownloadHandler
from provdir.distributed.keys import (
    BUSY_TTL_MS,
    DEFAULT_PREFIX,
    IDLE_TIMEOUT,
    KEEP_SECONDS,
    MIN_LEASE,
    POLL,
    PREFIX_ENV,
    REDIS_DOWN_LIMIT,
    CrawlKeys,
    DistributedError,
    client_from_settings,
    connect,
    new_crawl_id,
    redacted,
    redis_prefix,
    valid_crawl_id,
)
from provdir.distributed.scheduler import RedisScheduler, RequestJSON, SpreadPriorityQueue
from provdir.distributed.worker import WorkerRunRecorder, apply_worker_settings, run_worker

__all__ = [
    "BUSY_TTL_MS",
    "DEFAULT_PREFIX",
    "IDLE_TIMEOUT",
    "KEEP_SECONDS",
    "MIN_LEASE",
    "POLL",
    "PREFIX_ENV",
    "REDIS_DOWN_LIMIT",
    "Coordinator",
    "CrawlKeys",
    "DistributedError",
    "HostLeaseDownloadHandler",
    "RedisScheduler",
    "RequestJSON",
    "SiteFrontier",
    "SpreadPriorityQueue",
    "WorkerRunRecorder",
    "apply_worker_settings",
    "client_from_settings",
    "connect",
    "crawl_info",
    "enqueue",
    "expire_crawl",
    "new_crawl_id",
    "redacted",
    "redis_prefix",
    "resolve_crawl_id",
    "run_worker",
    "valid_crawl_id",
    "wake_engine",
]
