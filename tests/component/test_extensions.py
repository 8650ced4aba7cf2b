"""The crawl's extensions as components: RunRecorder (manifest, stats, health; never publishes),
the opt-in PublishOnClose, the CLI's after-crawl publishing, and Progress. Signals are called
directly with a real spider built from a crawler; no reactor runs."""

from __future__ import annotations

import importlib
import io
import json
import logging

import pytest
from scrapy.exceptions import NotConfigured

from provdir.cli.publishing import PublishOnClose, publish_run
from provdir.crawl.extensions import RunRecorder
from provdir.crawl.log_level import ScrapyLogLevel
from provdir.crawl.progress import Progress
from provdir.runs.lock import output_lock
from provdir.runs.store import OBSERVATIONS, STATS
from spiders.provider_sites import ProviderSitesSpider
from tests.helpers import crawler_for, write_seeds
from tests.test_publish import OBS

SEEDS = ["http://127.0.0.11:8061/", "http://127.0.0.12:8061/"]


def crawl_parts(tmp_path, **settings):
    """A crawler with the project's settings, its provider_sites spider, and the crawler's own
    RunRecorder (built, like every enabled extension, from the project's EXTENSIONS)."""
    out = tmp_path / "out"
    crawler = crawler_for(ProviderSitesSpider, project=True, PROVDIR_OUTPUT_DIR=str(out), **settings)
    spider = ProviderSitesSpider.from_crawler(crawler, seeds=str(write_seeds(tmp_path / "seeds.txt", SEEDS)))
    crawler.spider = spider
    return crawler, spider, extension(crawler, RunRecorder), out


def extension(crawler, cls):
    (found,) = [e for e in crawler.extensions.middlewares if type(e) is cls]
    return found


def answer(spider, *sites: str) -> None:
    for site in sites:
        spider.sites[site].pages_ok += 1


def test_run_recorder_opens_a_visibly_unfinished_run(tmp_path):
    crawler, spider, recorder, out = crawl_parts(tmp_path)
    recorder.spider_opened(spider)
    run = crawler.provdir_run
    assert run.dir.parent == out / "runs"
    manifest = run.manifest()
    assert manifest["status"] == "running" and manifest["finish_reason"] is None
    assert [s["url"] for s in manifest["seeds"]] == SEEDS


def test_a_finished_run_with_a_site_answering_is_ok_but_not_published(tmp_path):
    crawler, spider, recorder, out = crawl_parts(tmp_path)
    recorder.spider_opened(spider)
    answer(spider, "127.0.0.11:8061")
    crawler.stats.set_value("response_received_count", 7)
    recorder.spider_closed(spider, "finished")
    manifest = crawler.provdir_run.manifest()
    assert manifest["status"] == "ok" and manifest["finish_reason"] == "finished"
    assert manifest["counts"]["pages_fetched"] == 7
    assert manifest["counts"]["sites"] == 2 and manifest["counts"]["sites_failed"] == 1
    assert manifest["health"]["previous_run"] is None
    assert "published" not in manifest and "publish_refused" not in manifest
    assert not (out / "latest").exists()  # the crawl never publishes
    assert json.loads((crawler.provdir_run.dir / STATS).read_text())["response_received_count"] == 7


@pytest.mark.parametrize(("reason", "answered"), [("finished", False), ("shutdown", True)])
def test_a_run_that_failed_or_was_stopped_is_marked_failed(tmp_path, reason, answered):
    crawler, spider, recorder, _ = crawl_parts(tmp_path)
    recorder.spider_opened(spider)
    if answered:
        answer(spider, "127.0.0.11:8061")
    recorder.spider_closed(spider, reason)
    assert crawler.provdir_run.manifest()["status"] == "failed"


def test_health_compares_with_the_previous_good_run(tmp_path, caplog):
    runs = []
    for phones in (10, 2):
        crawler, spider, recorder, _ = crawl_parts(tmp_path)
        recorder.spider_opened(spider)
        answer(spider, "127.0.0.11:8061")
        crawler.stats.set_value("field/phone/main", phones)
        recorder.spider_closed(spider, "finished")
        runs.append(crawler.provdir_run)
    health = runs[1].manifest()["health"]
    assert health["previous_run"] == runs[0].run_id
    assert "phones fell from 10 to 2" in health["warnings"]
    assert "phones fell from 10 to 2" in caplog.text


# -- publishing after the crawl ---------------------------------------------------------------
def finished_run(tmp_path, observations=OBS, **settings):
    crawler, spider, recorder, out = crawl_parts(tmp_path, **settings)
    recorder.spider_opened(spider)
    with (crawler.provdir_run.dir / OBSERVATIONS).open("w") as fh:
        fh.writelines(json.dumps(o) + "\n" for o in observations)
    answer(spider, "127.0.0.11:8061")
    return crawler, spider, recorder, out


def test_publish_run_publishes_an_ok_run_and_records_the_summary_and_health(tmp_path):
    crawler, spider, recorder, out = finished_run(tmp_path)
    recorder.spider_closed(spider, "finished")
    manifest = publish_run(crawler.provdir_run, out)
    rows = (out / "latest" / "facilities.csv").read_text(encoding="utf-8").splitlines()
    assert manifest == crawler.provdir_run.manifest()
    assert manifest["published"]["facilities"] == len(rows) - 1 > 0
    # Health is judged again with the published figures.
    assert manifest["health"]["figures"]["facilities"] == manifest["published"]["facilities"]


def test_publish_run_leaves_a_failed_run_alone(tmp_path):
    crawler, spider, recorder, out = finished_run(tmp_path)
    recorder.spider_closed(spider, "shutdown")
    before = crawler.provdir_run.manifest()
    assert publish_run(crawler.provdir_run, out) == before
    assert not (out / "latest").exists()


def test_a_build_that_crashes_is_recorded_not_raised(tmp_path, monkeypatch):
    crawler, spider, recorder, out = finished_run(tmp_path)
    recorder.spider_closed(spider, "finished")

    def broken(*args, **kwargs):
        raise KeyError("organization")

    monkeypatch.setattr(importlib.import_module("provdir.build.publish"), "publish", broken)
    manifest = publish_run(crawler.provdir_run, out)
    assert manifest["publish_refused"].startswith("the build failed: KeyError")
    assert "published" not in crawler.provdir_run.manifest()


def test_publish_on_close_is_off_unless_asked(tmp_path):
    crawler, *_ = crawl_parts(tmp_path)
    assert "provdir.cli.publishing.PublishOnClose" in crawler.settings.getdict("EXTENSIONS")
    assert not [e for e in crawler.extensions.middlewares if isinstance(e, PublishOnClose)]
    with pytest.raises(NotConfigured):
        PublishOnClose.from_crawler(crawler)


def test_publish_on_close_publishes_after_the_recorder(tmp_path):
    crawler, spider, recorder, out = finished_run(tmp_path, PROVDIR_PUBLISH_ON_CLOSE=True)
    publisher = extension(crawler, PublishOnClose)
    # Built (and so connected to spider_closed) after the recorder: it sees the closing manifest.
    order = crawler.extensions.middlewares
    assert order.index(recorder) < order.index(publisher)
    recorder.spider_closed(spider, "finished")
    publisher.spider_closed(spider, "finished")
    assert crawler.provdir_run.manifest()["published"]["facilities"] > 0
    assert (out / "latest" / "facilities.csv").exists()


def test_publish_on_close_says_so_when_another_run_holds_the_output(tmp_path):
    crawler, spider, recorder, out = finished_run(tmp_path, PROVDIR_PUBLISH_ON_CLOSE=True)
    publisher = extension(crawler, PublishOnClose)
    recorder.spider_closed(spider, "finished")
    with output_lock(out):
        publisher.spider_closed(spider, "finished")
    assert "another provdir run" in crawler.provdir_run.manifest()["publish_refused"]
    assert not (out / "latest").exists()


# -- Progress ---------------------------------------------------------------------------------
def test_progress_line_counts_sites_done_pages_items_and_errors(tmp_path):
    crawler, spider, _, _ = crawl_parts(tmp_path)
    progress = Progress(crawler, stream=io.StringIO())
    for site in spider.sites.values():
        site.scheduled.add(site.seed.url)
    answer(spider, "127.0.0.11:8061")
    for key, value in {
        "response_received_count": 3,
        "item_scraped_count": 2,
        "pages/failed": 1,
        "spider_exceptions/count": 1,
    }.items():
        crawler.stats.set_value(key, value)
    line = progress.line(spider)
    assert line.startswith("sites 1/2  pages 3  items 2  errors 2  ")
    assert line.endswith(" pages/min")


def test_progress_redraws_in_place_on_a_terminal_and_ends_the_line(tmp_path):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    crawler, spider, _, _ = crawl_parts(tmp_path)
    stream = Terminal()
    progress = Progress(crawler, stream=stream)
    assert progress.interval == 1.0
    progress.spider_closed(spider, "finished")
    assert stream.getvalue().startswith("\r\x1b[K") and stream.getvalue().endswith("\n")


# -- GarbageCollection -----------------------------------------------------------------------
def test_garbage_collection_freezes_the_start_heap_for_the_crawl_and_counts_what_collection_cost(tmp_path):
    import gc

    from provdir.crawl.gc_tuning import GarbageCollection

    crawler, spider, _, _ = crawl_parts(tmp_path, PROVDIR_GC_THRESHOLD=5000)
    ext = extension(crawler, GarbageCollection)  # enabled by the project's EXTENSIONS
    before = gc.get_threshold()
    ext.spider_opened(spider)
    try:
        assert gc.get_freeze_count() > 0  # the heap loaded at start is out of the collector's sight
        assert gc.get_threshold()[0] == 5000
        gc.collect()  # a collection while crawling is counted and timed
    finally:
        ext.spider_closed(spider, "finished")
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before  # the process is as it was
    stats = crawler.stats.get_stats()
    assert stats["gc/collections"] >= 1 and stats["gc/seconds"] >= 0
    gc.collect()
    assert crawler.stats.get_value("gc/collections") == stats["gc/collections"]  # no longer listening


def test_garbage_collection_can_be_left_alone(tmp_path):
    import gc

    from provdir.crawl.gc_tuning import GarbageCollection

    crawler, spider, _, _ = crawl_parts(tmp_path, PROVDIR_GC_FREEZE=False, PROVDIR_GC_THRESHOLD=0)
    ext = extension(crawler, GarbageCollection)
    before = gc.get_threshold()
    ext.spider_opened(spider)
    try:
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == before
    finally:
        ext.spider_closed(spider, "finished")
    assert "gc/collections" in crawler.stats.get_stats()


@pytest.mark.parametrize(("level", "debug_built"), [("INFO", False), ("WARNING", False), ("DEBUG", True)])
def test_scrapy_builds_no_record_below_the_crawl_log_level_while_the_spider_is_open(tmp_path, level, debug_built):
    crawler, _, _, _ = crawl_parts(tmp_path, LOG_LEVEL=level)
    gate = extension(crawler, ScrapyLogLevel)
    engine = logging.getLogger("scrapy.core.engine")  # "Crawled (200) <GET ...>" is its DEBUG line
    scrapy_logger = logging.getLogger("scrapy")
    saved = scrapy_logger.level
    scrapy_logger.setLevel(logging.DEBUG)  # as Scrapy's configure_logging leaves it
    gate.spider_opened()
    try:
        assert engine.isEnabledFor(logging.DEBUG) is debug_built
        assert logging.getLogger("scrapy.core.scraper").isEnabledFor(logging.DEBUG) is debug_built
        assert engine.isEnabledFor(logging.WARNING)  # what the crawl logs is still built
        assert engine.isEnabledFor(logging.INFO) is (level != "WARNING")
    finally:
        gate.spider_closed()
        after = scrapy_logger.level
        scrapy_logger.setLevel(saved)
    assert after == logging.DEBUG  # the next crawl in this process logs as before
