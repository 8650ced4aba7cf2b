"""``provdir enqueue``: load a crawl's seeds into Redis; find and expire crawls."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import redis

from provdir import __version__
from provdir.distributed.keys import CrawlKeys, DistributedError, new_crawl_id
from provdir.sources.seeds import Seed

log = logging.getLogger(__name__)


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
