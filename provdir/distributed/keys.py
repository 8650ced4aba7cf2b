"""Redis keys of one crawl, crawl ids and the connection (see the package docstring)."""

from __future__ import annotations

import logging
import os
import re
import secrets
from datetime import UTC, datetime

import redis
from scrapy.settings import BaseSettings

from provdir.redact import redacted_url

log = logging.getLogger(__name__)


PREFIX_ENV = "PROVDIR_REDIS_PREFIX"
DEFAULT_PREFIX = "provdir"
_CRAWL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_PREFIX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")

# Settings of this module (Scrapy settings; defaults here, not in provdir/crawl/settings.py).
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
    return redacted_url(url)


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
