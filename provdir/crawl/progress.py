"""Progress of a crawl: sites done / total, pages, items, errors and rate.

On a terminal the line is redrawn in place every second; otherwise (cron, systemd, CI) a
plain log line is written every ``PROVDIR_PROGRESS_INTERVAL`` seconds (default 30).
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

log = logging.getLogger("provdir.crawl.progress")


class Progress:
    def __init__(self, crawler: Crawler, stream=None) -> None:
        self.crawler = crawler
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.interval = 1.0 if self.tty else crawler.settings.getfloat("PROVDIR_PROGRESS_INTERVAL", 30.0)
        self.started = 0.0
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report, spider)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.tty:
            self.report(spider)
            self.stream.write("\n")
            self.stream.flush()

    def line(self, spider: Spider) -> str:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        pages = stats.get("response_received_count", 0)
        items = stats.get("item_scraped_count", 0)
        errors = stats.get("pages/failed", 0) + stats.get("spider_exceptions/count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        sites = getattr(spider, "sites", None)
        done = total = 0
        if isinstance(sites, dict):
            total = len(sites)
            done = sum(1 for s in sites.values() if getattr(s, "finished", lambda: False)())
        counts = getattr(spider, "progress_counts", None)
        if callable(counts):  # e.g. the directory crawl: ("states", done, total)
            label, done, total = counts()
        else:
            label = "sites"
        site_part = f"{label} {done}/{total}  " if total else ""
        return f"{site_part}pages {pages}  items {items}  errors {errors}  {pages / elapsed * 60:.0f} pages/min"

    def report(self, spider: Spider) -> None:
        text = self.line(spider)
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self.stream.flush()
        else:
            log.info("progress: %s", text)
