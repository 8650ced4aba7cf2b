"""``provdir worker``: worker settings, the worker's run recorder, and the process runner."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from provdir.crawl.extensions import RunRecorder
from provdir.distributed.enqueue import resolve_crawl_id
from provdir.distributed.keys import CrawlKeys, DistributedError, connect
from provdir.distributed.scheduler import RequestJSON

log = logging.getLogger(__name__)


class WorkerRunRecorder(RunRecorder):
    """:class:`provdir.crawl.extensions.RunRecorder` for a worker of a distributed crawl.

    The manifest names the ``crawl_id`` and the worker (host, pid). A worker never publishes
    (``provdir build`` publishes the whole crawl once every worker is done). A worker's run is
    ``ok`` when it finished cleanly: whether a site answered is judged across the workers at
    build time (a site is ok when any worker read a page of it), since a worker may well have
    been handed only another site's failing pages. Its health is not compared with an earlier
    run: a worker's share of a crawl is not a figure that can fall.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawl_id = crawler.settings.get("PROVDIR_CRAWL_ID")

    def _manifest(self, spider: Spider, **kwargs: Any) -> dict[str, Any]:
        manifest = super()._manifest(spider, **kwargs)
        manifest["crawl_id"] = self.crawl_id
        manifest["worker"] = {"host": socket.gethostname(), "pid": os.getpid()}
        return manifest

    def spider_closed(self, spider: Spider, reason: str) -> None:
        status = self.close_member_run(spider, reason)
        if status != "ok":
            run_id = self.run.run_id if self.run else "(none)"
            log.error("worker run %s of crawl %s failed: finish reason %r", run_id, self.crawl_id, reason)


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
    settings.set("SCHEDULER", "provdir.distributed.scheduler.RedisScheduler", priority=spider)
    settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", priority=spider)
    settings.set("SCHEDULER_QUEUE_CLASS", "provdir.distributed.scheduler.SpreadPriorityQueue", priority=spider)
    settings.set("SCHEDULER_QUEUE_KEY", keys.requests, priority=spider)
    settings.set("SCHEDULER_DUPEFILTER_KEY", keys.dupefilter, priority=spider)
    settings.set("SCHEDULER_SERIALIZER", RequestJSON, priority=spider)
    # Never clear the shared frontier when one worker exits (scrapy-redis's default does).
    settings.set("SCHEDULER_PERSIST", True, priority=spider)
    settings.set("SCHEDULER_FLUSH_ON_START", False, priority=spider)
    settings.set("PROVDIR_PUBLISH", False, priority=spider)
    settings.set("PROVDIR_PUBLISH_ON_CLOSE", False, priority=spider)  # a worker never publishes
    # No HTTP cache: workers sharing an output directory would write one entry (robots.txt) at
    # once, and a page goes to any worker, so a machine's cache would rarely hold it next time.
    settings.set("HTTPCACHE_ENABLED", False, priority=spider)

    extensions = dict(settings.getdict("EXTENSIONS"))
    order = extensions.pop("provdir.crawl.extensions.RunRecorder", 500)
    extensions["provdir.crawl.extensions.RunRecorder"] = None
    extensions["provdir.distributed.worker.WorkerRunRecorder"] = order
    settings.set("EXTENSIONS", extensions, priority=spider)

    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    if "pipelines.duplicates.DropDuplicatePages" in pipelines:
        order = pipelines.pop("pipelines.duplicates.DropDuplicatePages")
        pipelines["pipelines.duplicates.DropDuplicatePages"] = None
        pipelines["pipelines.shared_duplicates.SharedDropDuplicatePages"] = order
    settings.set("ITEM_PIPELINES", pipelines, priority=spider)

    handlers = {**settings.getdict("DOWNLOAD_HANDLERS_BASE"), **settings.getdict("DOWNLOAD_HANDLERS")}
    lease = "provdir.distributed.handler.HostLeaseDownloadHandler"
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
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "provdir.crawl.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict(
        {
            "PROVDIR_OUTPUT_DIR": str(out),
            "PROVDIR_RUN_ID": run_id,
            "PROVDIR_ALLOW_PRIVATE_NETWORKS": allow_private,
            "LOG_LEVEL": log_level,
            "REDIS_URL": redis_url,
            "PROVDIR_CRAWL_ID": crawl_id,
            "PROVDIR_PUBLISH": False,
            "PROVDIR_PUBLISH_ON_CLOSE": False,
            **(overrides or {}),
        },
        priority="cmdline",
    )
    out.mkdir(parents=True, exist_ok=True)
    process = CrawlerProcess(settings, install_root_handler=True)
    process.crawl("provider_sites_redis")
    process.start()
