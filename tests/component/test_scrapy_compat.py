"""provdir.crawl.scrapy_compat against the installed Scrapy: each internal it reaches is still
where it was (a Scrapy upgrade that moves one fails here, by name)."""

from __future__ import annotations

import scrapy
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from provdir.crawl import scrapy_compat
from tests.helpers import crawler_for, crawler_with_downloader, open_slot


def test_written_for_the_installed_scrapy_series():
    installed = tuple(int(p) for p in scrapy.__version__.split(".")[:2])
    assert installed == scrapy_compat.SCRAPY_SERIES


def test_slot_key_is_the_host_or_the_download_slot_meta():
    crawler = crawler_with_downloader()
    assert scrapy_compat.slot_key(crawler, scrapy.Request("http://harris.example:8061/x")) == "harris.example"
    pinned = scrapy.Request("http://harris.example/", meta={"download_slot": "shared"})
    assert scrapy_compat.slot_key(crawler, pinned) == "shared"
    # Without an engine (a component built outside a crawl) the host is still the key.
    assert scrapy_compat.slot_key(crawler_for(), scrapy.Request("http://harris.example/x")) == "harris.example"


def test_slots_are_found_by_key_and_by_request():
    crawler = crawler_with_downloader()
    assert scrapy_compat.slot(crawler, "harris.example") is None
    live = open_slot(crawler, "harris.example", delay=0.25)
    assert scrapy_compat.slot(crawler, "harris.example") is live
    request = scrapy.Request("http://harris.example/", meta={crawler.engine.downloader.DOWNLOAD_SLOT: "harris.example"})
    assert scrapy_compat.request_slot(crawler, request) is live
    assert scrapy_compat.slot_delay(crawler, request) == 0.25
    assert scrapy_compat.slot_delay(crawler, scrapy.Request("http://other.example/")) is None
    assert scrapy_compat.slot(crawler_for(), "harris.example") is None


def test_a_waiting_request_counts_as_active_in_its_slot_only_while_waiting():
    crawler = crawler_with_downloader()
    live = open_slot(crawler, "harris.example")
    request = scrapy.Request("http://harris.example/")
    with scrapy_compat.counted_as_active(crawler, "harris.example", request):
        assert request in live.active
    assert request not in live.active
    with scrapy_compat.counted_as_active(crawler, "no-slot.example", request):
        pass  # no slot yet: nothing to count, no error


def test_a_pinned_delay_applies_to_the_live_slot_and_to_one_opened_later():
    crawler = crawler_with_downloader()
    live = open_slot(crawler, "harris.example", delay=0.1, jitter=0.5)
    scrapy_compat.pin_slot_delay(crawler, "harris.example", 2.0)
    assert (live.delay, live.jitter) == (2.0, 0)
    scrapy_compat.pin_slot_delay(crawler, "slow.example", 3.0)
    later = open_slot(crawler, "slow.example")  # reads per_slot_settings as Scrapy's does
    assert (later.delay, later.jitter) == (3.0, 0)
    # A larger delay already in force is kept.
    big = open_slot(crawler, "big.example", delay=9.0)
    scrapy_compat.pin_slot_delay(crawler, "big.example", 2.0)
    assert big.delay == 9.0


def test_raise_slot_delay_sets_a_floor():
    crawler = crawler_with_downloader()
    live = open_slot(crawler, "harris.example", delay=0.0)
    request = scrapy.Request("http://harris.example/", meta={"download_slot": "harris.example"})
    scrapy_compat.raise_slot_delay(crawler, request, 0.001)
    assert live.delay == 0.001
    live.delay = 1.0
    scrapy_compat.raise_slot_delay(crawler, request, 0.001)
    assert live.delay == 1.0


def test_wake_engine_schedules_the_engines_next_call():
    class NextCall:
        scheduled = 0

        def schedule(self) -> None:
            self.scheduled += 1

    engine = crawler_with_downloader().engine
    assert hasattr(engine, "_slot")  # the attribute wake_engine reaches (None until a spider opens)
    slot = type("Slot", (), {"nextcall": NextCall()})()
    engine._slot = slot
    scrapy_compat.wake_engine(engine)
    assert slot.nextcall.scheduled == 1
    scrapy_compat.wake_engine(object())  # another Scrapy: nothing happens


def test_too_many_redirects_is_recognised_from_scrapys_own_refusal():
    crawler = crawler_for(REDIRECT_MAX_TIMES=1)
    mw = RedirectMiddleware.from_crawler(crawler)
    request = scrapy.Request("http://harris.example/a", meta={"redirect_times": 1})
    response = Response("http://harris.example/a", status=302, headers={"Location": "/b"})
    try:
        mw.process_response(request, response)
    except IgnoreRequest as exc:
        assert scrapy_compat.is_too_many_redirects(exc)
    else:
        raise AssertionError("Scrapy followed a redirect past REDIRECT_MAX_TIMES")
    assert not scrapy_compat.is_too_many_redirects(IgnoreRequest("robots.txt"))


def test_the_cached_copy_scrapy_keeps_for_error_recovery_is_forgotten(tmp_path):
    crawler = crawler_for(HTTPCACHE_ENABLED=True, HTTPCACHE_DIR=str(tmp_path))
    mw = HttpCacheMiddleware.from_crawler(crawler)
    request = scrapy.Request("http://harris.example/")
    stale = Response(request.url, status=200)
    request.meta["cached_response"] = stale
    # Scrapy's own middleware serves that key when the download fails ...
    assert mw.process_exception(request, ConnectionRefusedError()) is stale
    scrapy_compat.forget_cached_response(request)
    # ... and serves nothing once it is forgotten.
    assert mw.process_exception(request, ConnectionRefusedError()) is None
