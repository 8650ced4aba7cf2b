"""The crawl's stats collector counts as Scrapy's does (provdir/crawl/stats.py)."""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector

from provdir.crawl.stats import PlainStatsCollector
from tests.helpers import crawler_for


def test_the_project_crawls_with_the_plain_collector():
    crawler = crawler_for(project=True)
    assert isinstance(crawler.stats, PlainStatsCollector)


def test_it_keeps_the_same_figures_as_scrapys_collector():
    crawler = crawler_for(project=True)
    ours, scrapys = PlainStatsCollector(crawler), MemoryStatsCollector(crawler)
    for stats in (ours, scrapys):
        stats.open_spider()
        stats.inc_value("pages/failed")
        stats.inc_value("pages/failed", 2)
        stats.inc_value("downloader/response_bytes", 15_000, start=100)
        stats.max_value("memusage/max", 10)
        stats.max_value("memusage/max", 7)
        stats.min_value("first", 3)
        stats.min_value("first", 5)
        stats.set_value("finish_reason", "finished")
    ours.inc_value("field/phone/main", spider=None)  # the argument Scrapy deprecates still works
    scrapys.inc_value("field/phone/main")
    assert (
        ours.get_stats()
        == scrapys.get_stats()
        == {
            "pages/failed": 3,
            "downloader/response_bytes": 15_100,
            "memusage/max": 10,
            "first": 3,
            "finish_reason": "finished",
            "field/phone/main": 1,
        }
    )
    assert ours.get_value("missing", 0) == 0
