"""Python's cyclic garbage collector, tuned for a long crawl, and what it cost.

A crawl holds a large, long-lived heap from its first second (the vocabularies, the agency
registry, compiled cue lexicons, Scrapy's and Twisted's own objects) and then allocates and frees
a page's worth of short-lived objects per response (an lxml tree's Python proxies, facts, items,
requests). With CPython's default thresholds (700, 10, 10) a collection of the young generation
runs every 700 net allocations, and every full collection walks the whole long-lived heap again.

So, once the spider is open (everything the crawl loads at start is loaded), ``gc.freeze()``
(``PROVDIR_GC_FREEZE``) moves that heap out of the collector's sight: it lives until the process
ends anyway. ``gc/collections`` and ``gc/seconds`` in the crawl's stats say what collection cost
(``gc/gen0/...`` to ``gc/gen2/...``: by the oldest generation collected).

Measured (benchmarks/broad_crawl.py, 150 sites, 3,020 pages, 50 ms latency): 5.3 s of the crawl's
118 s CPU in 1,363 collections with CPython's defaults; 3.8 s frozen (same thresholds, same peak
RSS). A higher young-generation threshold then raised the peak RSS (180 to 257 MiB at 10,000),
because every page left cyclic garbage: Scrapy's response and its cached selector refer to each
other, so each page's lxml tree waited for a collection. The spider no longer uses
``response.selector`` (it parses one tree itself), and with no per-page cycle left the default
is ``PROVDIR_GC_THRESHOLD=20000``: at 300 sites (6,035 pages, 0.3 s latency) collection took
0.54 s in 20 collections against 3.8 s in 2,614 at CPython's 700, peak RSS 147 against 145 MiB.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler


class GarbageCollection:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.freeze = crawler.settings.getbool("PROVDIR_GC_FREEZE", True)
        self.threshold = crawler.settings.getint("PROVDIR_GC_THRESHOLD", 0)  # 0: CPython's
        self.previous = gc.get_threshold()
        self.collections = 0
        self.seconds = 0.0
        self.by_generation = [[0, 0.0], [0, 0.0], [0, 0.0]]  # collections, seconds
        self._started = 0.0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GarbageCollection:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        gc.callbacks.append(self._timed)
        if self.freeze:
            gc.collect()  # what is garbage already is not frozen
            gc.freeze()
        if self.threshold:
            gc.set_threshold(self.threshold, *self.previous[1:])

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._timed in gc.callbacks:
            gc.callbacks.remove(self._timed)
        gc.set_threshold(*self.previous)
        if self.freeze:
            gc.unfreeze()  # the build may run in this process next (scrapy crawl publishing)
        if self.crawler.stats:
            self.crawler.stats.set_value("gc/collections", self.collections)
            self.crawler.stats.set_value("gc/seconds", round(self.seconds, 3))
            for generation, (count, seconds) in enumerate(self.by_generation):
                self.crawler.stats.set_value(f"gc/gen{generation}/collections", count)
                self.crawler.stats.set_value(f"gc/gen{generation}/seconds", round(seconds, 3))

    def _timed(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            took = time.perf_counter() - self._started
            self.collections += 1
            self.seconds += took
            generation = self.by_generation[info["generation"]]
            generation[0] += 1
            generation[1] += took
