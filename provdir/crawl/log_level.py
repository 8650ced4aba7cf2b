"""Scrapy's log records below the crawl's ``LOG_LEVEL`` are not built at all.

Scrapy's logging defaults (``scrapy.utils.log.DEFAULT_LOGGING``) set the ``scrapy`` logger to
DEBUG and leave the filtering to its root handler, set to ``LOG_LEVEL``. So at INFO every page
still built two records for the handler to drop: "Crawled (200) <GET ...>" from the engine and
"Scraped from <200 ...>" from the scraper (a caller lookup and a ``LogRecord`` each), 0.6% of a
300-site crawl's CPU (py-spy, benchmarks/broad_crawl.py). While the crawl runs, the ``scrapy``
logger is set to ``LOG_LEVEL``: what reaches the log is unchanged, and ``--log-level DEBUG``
still shows everything.
"""

from __future__ import annotations

import logging

from scrapy import signals
from scrapy.crawler import Crawler

SCRAPY_LOGGER = "scrapy"


class ScrapyLogLevel:
    """Extension: the ``scrapy`` logger at the crawl's ``LOG_LEVEL`` while the spider is open."""

    def __init__(self, crawler: Crawler) -> None:
        self.logger = logging.getLogger(SCRAPY_LOGGER)
        self.previous = self.logger.level
        level = logging.getLevelName(str(crawler.settings.get("LOG_LEVEL", "DEBUG")).upper())
        # getLevelName answers a string for a name it does not know: the level is then left as is.
        self.level = level if isinstance(level, int) else None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ScrapyLogLevel:
        return cls(crawler)

    def spider_opened(self) -> None:
        self.previous = self.logger.level
        if self.level is not None and self.level > self.logger.getEffectiveLevel():
            self.logger.setLevel(self.level)

    def spider_closed(self) -> None:
        # Another crawl in this process (tests, `scrapy crawl` then publishing) logs as before.
        self.logger.setLevel(self.previous)
