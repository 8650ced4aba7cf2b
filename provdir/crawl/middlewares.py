"""Downloader middlewares: what Scrapy leaves open when crawling a hostile web.

Each class is small and does one thing; ``provdir/crawl/settings.py`` wires them in (priorities in
brackets):

- :class:`PrivateNetworkGuard` (50): non-web schemes and private, loopback and link-local
  addresses (after DNS) are refused, for seeds, links, redirects and robots.txt alike.
- :class:`ScopedRedirectMiddleware` / :class:`ScopedMetaRefreshMiddleware` (600 / 580, replacing
  Scrapy's): a redirect leaving the site's scope is not followed, loops are cut and named.
- :class:`BackoffRetryMiddleware` (550, replacing Scrapy's): retries wait (exponential backoff),
  ``Retry-After`` on 429/503 pauses the host (capped).
- :class:`RobotsCrawlDelay` (560): robots.txt ``Crawl-delay`` becomes the host's delay (capped).
- :class:`PerHostConcurrency` (570): ``CONCURRENT_REQUESTS_PER_DOMAIN`` holds even with no delay.
- :class:`SitemapRobotsTxt` (100, replacing Scrapy's RobotsTxtMiddleware): the one robots.txt
  fetch per host that obeys it also hands the spider its ``Sitemap:`` lines.
- :class:`IdentifyingUserAgent` (500, replacing Scrapy's): the User-Agent names the project and
  ``PROVDIR_CONTACT_URL``.

Refusals raise :class:`Refused` (an ``IgnoreRequest``) with a ``kind``, so the spider's errback can
report each site's failures by kind.
"""

from __future__ import annotations

import codecs
import email.utils
import logging
import math
from datetime import UTC, datetime
from functools import lru_cache
from time import monotonic
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from scrapy.utils.python import global_object_name
from twisted.internet import task
from twisted.internet.error import DNSLookupError

from provdir import __version__
from provdir.crawl import netguard, scrapy_compat
from provdir.crawl.failures import is_dns_failure
from provdir.crawl.policy import canonical

log = logging.getLogger(__name__)


def seconds_setting(settings: Any, name: str) -> float:
    """A setting that is a number of seconds >= 0; a clear error naming it otherwise."""
    value = settings.get(name)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{name} must be a number of seconds (0 or more), got {value!r}")
    return seconds


class Refused(IgnoreRequest):
    """A request the crawler refuses to make; ``kind`` names the protection."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# -- private networks ------------------------------------------------------------------------
class PrivateNetworkGuard:
    """Refuse non-web schemes, and hosts that are or resolve to private addresses.

    Applies to every request: seeds, links, redirects (which re-enter the middleware chain)
    and robots.txt fetches (this runs before RobotsTxtMiddleware). The host is resolved through
    :class:`provdir.crawl.netguard.GuardedResolver`, the same resolver the connection uses, so the
    addresses checked here are the addresses connected to. Counted in stats as
    ``netguard/refused`` (and ``netguard/refused/<kind>``).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.policy = netguard.NetPolicy.from_settings(crawler.settings)
        self.timeout = crawler.settings.getfloat("DNS_TIMEOUT")
        self._fallback: netguard.GuardedResolver | None = None
        # Through a proxy, a name this guard cannot resolve would be resolved by the proxy (an
        # intranet name, a metadata host): with proxies on, such names are refused, not sent.
        self.proxied = crawler.settings.getbool("HTTPPROXY_ENABLED")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateNetworkGuard:
        return cls(crawler)

    def _resolver(self) -> netguard.GuardedResolver:
        resolver = netguard.installed_resolver()
        if resolver is not None:
            return resolver
        if self._fallback is None:
            from twisted.internet import reactor

            log.warning(
                "TWISTED_DNS_RESOLVER is not provdir.crawl.netguard.GuardedResolver: private addresses are "
                "checked before each request but connections are not pinned to the checked address"
            )
            self._fallback = netguard.GuardedResolver(reactor, self.policy, self.timeout)
        return self._fallback

    def _refuse(self, kind: str, message: str) -> Refused:
        self.stats.inc_value("netguard/refused")
        self.stats.inc_value(f"netguard/refused/{kind}")
        return Refused(kind, message)

    async def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https"):
            raise self._refuse("scheme", f"scheme {parts.scheme!r} is not crawled: {request.url}")
        if self.policy.allow_private:
            return None
        host = parts.hostname or ""
        try:
            verdict = await maybe_deferred_to_future(self._resolver().check(host))
        except DNSLookupError as exc:
            if self.proxied or request.meta.get("proxy"):
                raise self._refuse(
                    "unresolvable",
                    f"refused: {host} does not resolve here ({exc}); a proxy would "
                    "resolve it itself, so it is not sent through one",
                ) from None
            return None  # the download fails on its own and is reported as a DNS error
        if verdict.refused:
            raise self._refuse(
                "private_network",
                f"refused (private network): {verdict.refused}; to allow, pass --allow-private-networks to "
                "provdir, or -s PROVDIR_ALLOW_PRIVATE_NETWORKS=True to scrapy crawl",
            )
        return None


# -- redirects -------------------------------------------------------------------------------
class _RedirectPolicy:
    """Checks a redirect Scrapy is about to follow: loops are cut, other hosts are not followed.

    Whether the target is in the site's scope is the spider's decision
    (``spider.redirect_allowed(request)``); a seed's own redirects may move the site to a new
    host (``http://example.org`` -> ``https://www.example.org``), which then joins its scope.
    """

    crawler: Crawler
    max_redirect_times: int

    def _checked(self, request: Request, call: Any) -> Request | Response:
        try:
            result = call()
        except IgnoreRequest as exc:
            if scrapy_compat.is_too_many_redirects(exc):
                self.crawler.stats.inc_value("redirect/too_many")
                chain = [*request.meta.get("redirect_urls", []), request.url]
                raise Refused(
                    "too_many_redirects",
                    f"more than {self.max_redirect_times} redirects: {' -> '.join(chain[:3])} -> ...",
                ) from exc
            raise
        if not isinstance(result, Request):
            return result
        chain = result.meta.get("redirect_urls", [])
        if canonical(result.url) in {canonical(u) for u in chain}:
            self.crawler.stats.inc_value("redirect/loop")
            raise Refused("redirect_loop", f"redirect loop: {' -> '.join([*chain, result.url])}")
        allowed = getattr(self.crawler.spider, "redirect_allowed", None)
        if allowed is not None and not allowed(result):
            self.crawler.stats.inc_value("redirect/offsite")
            raise Refused("redirect_offsite", f"redirect leaves the site: {request.url} -> {result.url}")
        return result


class ScopedRedirectMiddleware(_RedirectPolicy, RedirectMiddleware):
    """Scrapy's RedirectMiddleware (3xx, at most ``REDIRECT_MAX_TIMES``), plus scope and loops."""

    # Scrapy 2.19 no longer passes the (deprecated) spider argument its signature still shows.
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        return self._checked(request, lambda: RedirectMiddleware.process_response(self, request, response))


class ScopedMetaRefreshMiddleware(_RedirectPolicy, MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware (``METAREFRESH_MAXDELAY``), plus scope and loops.

    A page whose first bytes do not spell "refresh" is passed on without Scrapy's scan (which
    finds the page's base URL and searches its decoded text: 0.45% of a crawl's CPU)."""

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if not _may_refresh(response):
            return response
        return self._checked(request, lambda: MetaRefreshMiddleware.process_response(self, request, response))


# Scrapy looks for the refresh in the page's first 4096 characters: at most 4 bytes each.
_REFRESH_SCAN_BYTES = 4 * 4096


def _may_refresh(response: Response) -> bool:
    """False when ``response`` cannot hold a meta refresh: HTML in an encoding that writes ASCII
    as ASCII, without "refresh" in its first bytes. True otherwise (Scrapy's scan decides)."""
    if not isinstance(response, HtmlResponse) or not _ascii_compatible(response.encoding):
        return True
    # bytes.lower() then find: 12 µs on a 16 KB page, a case-blind regex search 95 µs.
    return b"refresh" in response.body[:_REFRESH_SCAN_BYTES].lower()


@lru_cache(maxsize=64)
def _ascii_compatible(encoding: str) -> bool:
    # UTF-16/32 spell "refresh" with other bytes; UTF-7 can spell ASCII in base64.
    try:
        return codecs.lookup(encoding).name != "utf-7" and "refresh".encode(encoding) == b"refresh"
    except (LookupError, UnicodeError):
        return False


# -- retries with backoff and Retry-After ----------------------------------------------------
def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), else None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor

    await maybe_deferred_to_future(task.deferLater(reactor, seconds))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware (``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``), but
    a host that failed is left alone before the retry instead of being hit again at once.

    - 429/503 with ``Retry-After``: the host is paused for that long, at most
      ``PROVDIR_RETRY_AFTER_MAX`` seconds (also when no retry is left: the host asked us to wait).
    - any other retry: the host is paused ``PROVDIR_RETRY_BACKOFF_BASE * 2**(n-1)`` seconds before
      the n-th retry, at most ``PROVDIR_RETRY_BACKOFF_MAX``.

    A paused host's requests wait in this middleware, counted as active in the host's download
    slot so that Scrapy's scheduler (DownloaderAwarePriorityQueue) serves other sites meanwhile.
    Stats: ``retry/backoff_seconds``, ``retry/retry_after``, ``retry/retry_after_capped``.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        # A spider that installs another retry middleware gets that one only: two would each
        # retry the same failures.
        for path, order in crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES").items():
            other = load_object(path) if isinstance(path, str) else path
            if (
                order is not None
                and other is not cls
                and isinstance(other, type)
                and issubclass(other, RetryMiddleware)
            ):
                raise NotConfigured(f"{global_object_name(other)} handles retries")
        return super().from_crawler(crawler)

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.backoff_base = seconds_setting(settings, "PROVDIR_RETRY_BACKOFF_BASE")
        self.backoff_max = seconds_setting(settings, "PROVDIR_RETRY_BACKOFF_MAX")
        self.retry_after_max = seconds_setting(settings, "PROVDIR_RETRY_AFTER_MAX")
        self.paused_until: dict[str, float] = {}

    def _key(self, request: Request) -> str:
        return scrapy_compat.slot_key(self.crawler, request)

    def _pause(self, request: Request, seconds: float) -> None:
        if seconds <= 0:
            return
        key = self._key(request)
        self.paused_until[key] = max(self.paused_until.get(key, 0.0), monotonic() + seconds)
        self.crawler.stats.inc_value("retry/backoff_seconds", round(seconds, 3))  # type: ignore[arg-type]  # floats add up too

    async def process_request(self, request: Request) -> None:
        key = self._key(request)
        while (wait := self.paused_until.get(key, 0.0) - monotonic()) > 0:
            with scrapy_compat.counted_as_active(self.crawler, key, request):
                await _sleep(wait)
        self.paused_until.pop(key, None)
        return None

    def _backoff(self, retry: Request) -> float:
        n = retry.meta.get("retry_times", 1)
        return min(self.backoff_base * 2 ** (n - 1), self.backoff_max)

    # Scrapy 2.19 no longer passes the (deprecated) spider argument its signature still shows.
    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        result = super().process_response(request, response)
        wait = parse_retry_after(response.headers.get(b"Retry-After")) if response.status in (429, 503) else None
        if wait is not None:
            self.crawler.stats.inc_value("retry/retry_after")
            if wait > self.retry_after_max:
                self.crawler.stats.inc_value("retry/retry_after_capped")
            self._pause(request, min(wait, self.retry_after_max))
        elif isinstance(result, Request):
            self._pause(request, self._backoff(result))
        return result

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if is_dns_failure(exception):
            # A name that does not resolve now will not in a few seconds: fail at once.
            self.crawler.stats.inc_value("retry/dns_not_retried")
            return None
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            self._pause(request, self._backoff(result))
        return result


# -- robots.txt Crawl-delay ------------------------------------------------------------------
class RobotsCrawlDelay:
    """Honor robots.txt ``Crawl-delay`` (Scrapy obeys Disallow only).

    On Scrapy's ``robots_parsed`` signal the delay for our user agent (``ROBOTSTXT_USER_AGENT``)
    becomes the host's download-slot delay, at most ``PROVDIR_CRAWL_DELAY_MAX`` seconds, without
    random jitter; AutoThrottle is told not to lower it. Stats: ``robotstxt/crawl_delay``
    (hosts), ``robotstxt/crawl_delay_capped``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self.max_delay = seconds_setting(settings, "PROVDIR_CRAWL_DELAY_MAX")
        self.delays: dict[str, float] = {}
        crawler.signals.connect(self.robots_parsed, signal=signals.robots_parsed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsCrawlDelay:
        return cls(crawler)

    def robots_parsed(self, robotparser: Any, request: Request) -> None:
        try:
            delay = robotparser.crawl_delay(self.user_agent)
        except (AttributeError, ValueError, TypeError):
            return
        if not delay or not math.isfinite(delay) or delay <= 0:
            return
        key = scrapy_compat.slot_key(self.crawler, request)
        self.crawler.stats.inc_value("robotstxt/crawl_delay")
        if delay > self.max_delay:
            self.crawler.stats.inc_value("robotstxt/crawl_delay_capped")
        self.delays[key] = min(float(delay), self.max_delay)
        self._apply(key)

    def _apply(self, key: str) -> None:
        # Also for a slot created later (or re-created after Scrapy's idle-slot clean-up).
        scrapy_compat.pin_slot_delay(self.crawler, key, self.delays[key])

    def process_request(self, request: Request) -> None:
        key = scrapy_compat.slot_key(self.crawler, request)
        if key in self.delays:
            request.meta["autothrottle_dont_adjust_delay"] = True
            self._apply(key)
        return None


# -- robots.txt, fetched once per host -------------------------------------------------------
class SitemapRobotsTxt(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware (``ROBOTSTXT_OBEY``), whose robots.txt response also feeds the
    spider's sitemap discovery, so that robots.txt is fetched once per host, not twice.

    Scrapy fetches a host's robots.txt on the host's first request, outside the spider; a spider
    that wants the ``Sitemap:`` lines used to fetch it a second time. A spider that sets
    ``sitemaps_from_robots = True`` instead gets ``robots_fetched(response, request)`` called
    with that one response (``request``: the request that made Scrapy fetch it) and may return
    requests, which are scheduled. Measured: 2.00 robots.txt fetches per host before, 1.00 after
    (benchmarks/broad_crawl.py).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        crawler.provdir_robots_shared = True  # type: ignore[attr-defined]

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        spider: Any = self.crawler.spider  # the site spider (``robots_fetched``) when it asks
        if not getattr(spider, "sitemaps_from_robots", False):
            return
        try:
            follow = list(spider.robots_fetched(response, request) or ())
        except Exception:  # the parser's verdict is in; a spider bug must not lose the host
            log.exception("robots_fetched failed for %s", response.url)
            return
        for req in follow:
            self.crawler.engine.crawl(req)


# -- per-host concurrency --------------------------------------------------------------------
class PerHostConcurrency:
    """Keep ``CONCURRENT_REQUESTS_PER_DOMAIN`` true when ``DOWNLOAD_DELAY`` is 0.

    Scrapy 2.19 (asyncio reactor) starts each download in a new task, so a download slot's
    dispatch loop empties its whole queue before any download counts as transferring: with no
    delay a host gets every queued request at once (6 at a time with a limit of 2, measured).
    Any delay makes the loop hand out one request per turn; a 1 ms floor restores the limit at no
    cost. Applied on ``request_reached_downloader``, after the slot exists and before dispatch.
    """

    FLOOR = 0.001

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.request_reached_downloader, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PerHostConcurrency:
        return cls(crawler)

    def request_reached_downloader(self, request: Request) -> None:
        scrapy_compat.raise_slot_delay(self.crawler, request, self.FLOOR)


# -- identity --------------------------------------------------------------------------------
def identifying_user_agent(contact_url: str) -> str:
    return f"provider-directory/{__version__} (+{contact_url})"


class IdentifyingUserAgent(UserAgentMiddleware):
    """User-Agent ``provider-directory/VERSION (+PROVDIR_CONTACT_URL)``.

    Built at crawl time, so ``-s PROVDIR_CONTACT_URL=...`` takes effect; a ``USER_AGENT`` given
    on the command line (priority above the project's) is used as is.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IdentifyingUserAgent:
        settings = crawler.settings
        explicit = (settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["project"]
        contact = settings.get("PROVDIR_CONTACT_URL")
        if not explicit and not contact:
            raise ValueError("PROVDIR_CONTACT_URL must be set: site owners need a way to reach us")
        o = cls(settings["USER_AGENT"] if explicit else identifying_user_agent(contact))
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        return o


class RevalidatingHttpCache(HttpCacheMiddleware):
    """Scrapy's HTTP cache without its "error recovery".

    On a download error Scrapy serves the stale cached copy; for a directory that must notice a
    site that closed, a dead site has to look dead, so the error goes through as it is.
    """

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        scrapy_compat.forget_cached_response(request)
        return None
