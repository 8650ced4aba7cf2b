"""The downloader middlewares as components: built from a crawler with the project's settings,
given hand-made requests and responses. Nothing is downloaded; the politeness middlewares work
on a real downloader's slots (``crawler_with_downloader``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import scrapy
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.robotstxt import ProtegoRobotParser

from provdir.crawl import middlewares, netguard
from provdir.crawl.middlewares import (
    BackoffRetryMiddleware,
    IdentifyingUserAgent,
    PerHostConcurrency,
    PrivateNetworkGuard,
    Refused,
    RevalidatingHttpCache,
    RobotsCrawlDelay,
    ScopedMetaRefreshMiddleware,
    ScopedRedirectMiddleware,
    parse_retry_after,
    seconds_setting,
)
from spiders.provider_sites import ProviderSitesSpider
from tests.helpers import crawler_for, crawler_with_downloader, open_slot, write_seeds

SITE = "harris.example"


# -- PrivateNetworkGuard ----------------------------------------------------------------------
def guard(monkeypatch, **settings) -> tuple[PrivateNetworkGuard, scrapy.crawler.Crawler]:
    crawler = crawler_for(project=True, **settings)
    mw = PrivateNetworkGuard.from_crawler(crawler)
    # The resolver a crawl installs on its reactor; IP literals need no lookup (no network).
    resolver = netguard.GuardedResolver(None, mw.policy)
    monkeypatch.setattr(netguard, "installed_resolver", lambda: resolver)
    return mw, crawler


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/html,hi"])
def test_non_web_schemes_are_refused_even_when_private_networks_are_allowed(monkeypatch, url):
    mw, crawler = guard(monkeypatch, PROVDIR_ALLOW_PRIVATE_NETWORKS=True)
    with pytest.raises(Refused) as refused:
        asyncio.run(mw.process_request(scrapy.Request(url)))
    assert refused.value.kind == "scheme"
    assert crawler.stats.get_value("netguard/refused/scheme") == 1


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]"])
def test_private_addresses_are_refused_before_any_request(monkeypatch, host):
    mw, crawler = guard(monkeypatch)
    with pytest.raises(Refused, match="private network") as refused:
        asyncio.run(mw.process_request(scrapy.Request(f"http://{host}/admin")))
    assert refused.value.kind == "private_network"
    assert crawler.stats.get_value("netguard/refused") == 1


def test_public_addresses_and_allowed_private_ones_pass(monkeypatch):
    mw, _ = guard(monkeypatch)
    assert asyncio.run(mw.process_request(scrapy.Request("https://93.184.215.14/"))) is None
    mw, _ = guard(monkeypatch, PROVDIR_ALLOW_PRIVATE_NETWORKS=True)
    assert asyncio.run(mw.process_request(scrapy.Request("http://127.0.0.1:8061/"))) is None


# -- redirects --------------------------------------------------------------------------------
@pytest.fixture
def site_crawler(tmp_path):
    """A crawler whose spider is provider_sites on one seed (the redirect scope's judge)."""
    crawler = crawler_for(ProviderSitesSpider, project=True, PROVDIR_OUTPUT_DIR=str(tmp_path / "out"))
    seeds = write_seeds(tmp_path / "seeds.txt", [f"https://{SITE}/"])
    crawler.spider = ProviderSitesSpider.from_crawler(crawler, seeds=str(seeds))
    return crawler


def page_request(url: str, **meta) -> scrapy.Request:
    return scrapy.Request(url, meta={"site": SITE, **meta})


def redirect(url: str, to: str, status: int = 302) -> Response:
    return Response(url, status=status, headers={"Location": to})


def test_a_redirect_inside_the_site_is_followed(site_crawler):
    mw = ScopedRedirectMiddleware.from_crawler(site_crawler)
    result = mw.process_response(page_request(f"https://{SITE}/old"), redirect(f"https://{SITE}/old", "/new"))
    assert isinstance(result, scrapy.Request) and result.url == f"https://{SITE}/new"


def test_a_redirect_off_the_site_is_refused_and_counted(site_crawler):
    mw = ScopedRedirectMiddleware.from_crawler(site_crawler)
    with pytest.raises(Refused) as refused:
        mw.process_response(
            page_request(f"https://{SITE}/out"), redirect(f"https://{SITE}/out", "https://ads.example/")
        )
    assert refused.value.kind == "redirect_offsite"
    assert site_crawler.stats.get_value("redirect/offsite") == 1


def test_a_seeds_own_redirect_may_move_the_site(site_crawler):
    mw = ScopedRedirectMiddleware.from_crawler(site_crawler)
    request = page_request(f"https://{SITE}/", is_seed=True)
    result = mw.process_response(request, redirect(request.url, "https://www.harris-house.example/"))
    assert isinstance(result, scrapy.Request) and result.url == "https://www.harris-house.example/"


def test_a_redirect_loop_is_cut_and_named(site_crawler):
    mw = ScopedRedirectMiddleware.from_crawler(site_crawler)
    request = page_request(f"https://{SITE}/b", redirect_urls=[f"https://{SITE}/a"], redirect_times=1)
    with pytest.raises(Refused, match="redirect loop") as refused:
        mw.process_response(request, redirect(request.url, "/a"))
    assert refused.value.kind == "redirect_loop"


def test_too_many_redirects_are_refused_with_the_chain(site_crawler):
    mw = ScopedRedirectMiddleware.from_crawler(site_crawler)
    chain = [f"https://{SITE}/{i}" for i in range(5)]
    request = page_request(f"https://{SITE}/5", redirect_urls=chain, redirect_times=5)
    with pytest.raises(Refused, match="more than 5 redirects") as refused:
        mw.process_response(request, redirect(request.url, "/6"))
    assert refused.value.kind == "too_many_redirects"
    assert site_crawler.stats.get_value("redirect/too_many") == 1


def test_a_meta_refresh_off_the_site_is_refused(site_crawler):
    mw = ScopedMetaRefreshMiddleware.from_crawler(site_crawler)
    body = b'<html><head><meta http-equiv="refresh" content="0;url=https://ads.example/"></head></html>'
    response = HtmlResponse(f"https://{SITE}/", body=body)
    with pytest.raises(Refused) as refused:
        mw.process_response(page_request(f"https://{SITE}/"), response)
    assert refused.value.kind == "redirect_offsite"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "cp1252"])
def test_a_meta_refresh_is_followed_in_any_encoding(site_crawler, encoding):
    mw = ScopedMetaRefreshMiddleware.from_crawler(site_crawler)
    page = '<html><head><META HTTP-EQUIV="Refresh" CONTENT="0; URL=/new/"></head><body>Moved</body></html>'
    response = HtmlResponse(f"https://{SITE}/old/", body=page.encode(encoding), encoding=encoding)
    followed = mw.process_response(page_request(f"https://{SITE}/old/"), response)
    # (Scrapy's own join adds the UTF-16 byte-order mark to the query: "/new/?%FF%FE".)
    assert isinstance(followed, scrapy.Request) and followed.url.startswith(f"https://{SITE}/new/")


def test_a_page_without_a_meta_refresh_is_passed_on_as_it_came(site_crawler):
    mw = ScopedMetaRefreshMiddleware.from_crawler(site_crawler)
    # "refresh" in the text after Scrapy's 4,096-character window is no meta refresh either.
    body = "<html><head><title>Detox</title></head><body>" + "<p>Medically supervised detox.</p>" * 600
    body += '<meta http-equiv="refresh" content="0;url=/late/"></body></html>'
    response = HtmlResponse(f"https://{SITE}/", body=body.encode(), encoding="utf-8")
    assert mw.process_response(page_request(f"https://{SITE}/"), response) is response


# -- BackoffRetryMiddleware -------------------------------------------------------------------
def retry_mw(**settings) -> tuple[BackoffRetryMiddleware, scrapy.crawler.Crawler]:
    crawler = crawler_with_downloader(project=True, **settings)
    crawler.spider = scrapy.Spider.from_crawler(crawler, name="provider_sites")  # retries are logged against it
    return BackoffRetryMiddleware.from_crawler(crawler), crawler


def paused_for(mw: BackoffRetryMiddleware, key: str = SITE) -> float:
    from time import monotonic

    return round(mw.paused_until[key] - monotonic())


def test_retry_after_pauses_the_host_for_that_long():
    mw, crawler = retry_mw()
    request = scrapy.Request(f"https://{SITE}/")
    result = mw.process_response(request, Response(request.url, status=503, headers={"Retry-After": "7"}))
    assert isinstance(result, scrapy.Request)  # retried ...
    assert paused_for(mw) == 7  # ... after the host's own wait
    assert crawler.stats.get_value("retry/retry_after") == 1


def test_a_long_retry_after_is_capped():
    mw, crawler = retry_mw(PROVDIR_RETRY_AFTER_MAX=20)
    request = scrapy.Request(f"https://{SITE}/")
    mw.process_response(request, Response(request.url, status=429, headers={"Retry-After": "3600"}))
    assert paused_for(mw) == 20
    assert crawler.stats.get_value("retry/retry_after_capped") == 1


def test_other_retries_back_off_exponentially():
    mw, crawler = retry_mw(PROVDIR_RETRY_BACKOFF_BASE=2, PROVDIR_RETRY_BACKOFF_MAX=30)
    request = scrapy.Request(f"https://{SITE}/")
    first = mw.process_response(request, Response(request.url, status=500))
    assert paused_for(mw) == 2
    second = mw.process_response(first, Response(request.url, status=500))
    assert isinstance(second, scrapy.Request) and second.meta["retry_times"] == 2
    assert paused_for(mw) == 4
    assert crawler.stats.get_value("retry/backoff_seconds") == 6


def test_a_spider_with_its_own_retry_middleware_keeps_only_that_one():
    class MyRetry(RetryMiddleware):
        pass

    crawler = crawler_for(project=True, DOWNLOADER_MIDDLEWARES={MyRetry: 551})
    with pytest.raises(NotConfigured, match="handles retries"):
        BackoffRetryMiddleware.from_crawler(crawler)


def test_retry_after_parsing():
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after("Sun, 01 Mar 2026 12:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now=now) == 0.0  # in the past
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


@pytest.mark.parametrize("value", ["soon", -1, float("inf"), None])
def test_a_seconds_setting_that_is_not_seconds_is_named(value):
    with pytest.raises(ValueError, match="PROVDIR_RETRY_BACKOFF_MAX must be a number of seconds"):
        seconds_setting({"PROVDIR_RETRY_BACKOFF_MAX": value}, "PROVDIR_RETRY_BACKOFF_MAX")


# -- RobotsCrawlDelay and PerHostConcurrency --------------------------------------------------
def robots(crawler, text: str) -> ProtegoRobotParser:
    return ProtegoRobotParser.from_crawler(crawler, text.encode())


def test_robots_crawl_delay_becomes_the_hosts_delay_without_jitter():
    crawler = crawler_with_downloader(project=True)
    mw = RobotsCrawlDelay.from_crawler(crawler)
    live = open_slot(crawler, SITE, delay=0.5, jitter=0.5)
    robots_request = scrapy.Request(f"https://{SITE}/robots.txt")
    mw.robots_parsed(robots(crawler, "User-agent: *\nCrawl-delay: 4\n"), robots_request)
    assert (live.delay, live.jitter) == (4.0, 0)
    assert crawler.stats.get_value("robotstxt/crawl_delay") == 1
    page = scrapy.Request(f"https://{SITE}/contact/")
    mw.process_request(page)
    assert page.meta["autothrottle_dont_adjust_delay"] is True  # AutoThrottle may not lower it


def test_a_huge_crawl_delay_is_capped_and_one_for_another_agent_ignored():
    crawler = crawler_with_downloader(project=True, PROVDIR_CRAWL_DELAY_MAX=10)
    mw = RobotsCrawlDelay.from_crawler(crawler)
    mw.robots_parsed(
        robots(crawler, "User-agent: *\nCrawl-delay: 86400\n"), scrapy.Request(f"https://{SITE}/robots.txt")
    )
    assert mw.delays[SITE] == 10 and crawler.stats.get_value("robotstxt/crawl_delay_capped") == 1
    other = "other.example"
    mw.robots_parsed(
        robots(crawler, "User-agent: SomeBot\nCrawl-delay: 30\n"), scrapy.Request(f"https://{other}/robots.txt")
    )
    assert other not in mw.delays


def test_per_host_concurrency_gives_a_zero_delay_slot_a_floor():
    crawler = crawler_with_downloader(project=True)
    mw = PerHostConcurrency.from_crawler(crawler)
    live = open_slot(crawler, SITE, delay=0.0)
    mw.request_reached_downloader(scrapy.Request(f"https://{SITE}/", meta={"download_slot": SITE}))
    assert live.delay == PerHostConcurrency.FLOOR


# -- identity and the HTTP cache --------------------------------------------------------------
def test_the_user_agent_names_the_project_and_its_contact_url():
    crawler = crawler_for(project=True, PROVDIR_CONTACT_URL="https://example.org/contact")
    mw = IdentifyingUserAgent.from_crawler(crawler)
    assert mw.user_agent == middlewares.identifying_user_agent("https://example.org/contact")
    assert mw.user_agent.startswith("provider-directory/") and mw.user_agent.endswith("(+https://example.org/contact)")
    with pytest.raises(ValueError, match="PROVDIR_CONTACT_URL must be set"):
        IdentifyingUserAgent.from_crawler(crawler_for(project=True, PROVDIR_CONTACT_URL=""))


def test_a_dead_site_is_not_served_from_the_cache(tmp_path):
    crawler = crawler_for(project=True, HTTPCACHE_ENABLED=True, HTTPCACHE_DIR=str(tmp_path))
    mw = RevalidatingHttpCache.from_crawler(crawler)
    request = scrapy.Request(f"https://{SITE}/")
    request.meta["cached_response"] = Response(request.url, status=200, body=b"last week's page")
    assert mw.process_exception(request, ConnectionRefusedError()) is None
    assert "cached_response" not in request.meta
