"""One line per failure: what failed (host), how (kind), what happens next.

A 1,000-seed cron log must stay readable when hosts are down. Scrapy itself logs an unreachable
host three times (robots.txt at ERROR with a ~60-line traceback, "Gave up retrying" at ERROR),
and the spiders log the failed page again. Here:

- the spiders' errbacks log the one line (:func:`describe`, :func:`failure_line`);
- :class:`OneLinePerFailure` (an extension) turns Scrapy's robots.txt download errors into one
  INFO line (robots.txt unreadable: the site is crawled as if it allowed everything), with the
  traceback only when the log level is DEBUG; "Gave up retrying" is at INFO
  (``RETRY_GIVE_UP_LOG_LEVEL``) since the errback's line says it.
- DNS failures are not retried (:func:`is_dns_failure`, in
  :class:`provdir.crawl.middlewares.BackoffRetryMiddleware`): a name that does not resolve now will
  not resolve two seconds later; timeouts and refused connections are retried as before.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy.crawler import Crawler

ROBOTS_LOGGER = "scrapy.downloadermiddlewares.robotstxt"
DNS_EXCEPTIONS = frozenset({"DNSLookupError", "CannotResolveHostError"})
NETWORK_KINDS = frozenset({"dns", "connection_refused", "timeout", "connection_error", "no_route"})
"""Kinds of failure where the server was never reached (as opposed to an HTTP error)."""

_KIND_TEXT = {
    "dns": "DNS lookup failed (no such host)",
    "connection_refused": "connection refused",
    "timeout": "timed out",
    "connection_lost": "connection lost",
    "connection_error": "could not connect",
    "no_route": "no route to host",
    "tls": "TLS/SSL error",
    "too_large": "response too large",
    "robots": "forbidden by robots.txt",
}


def is_dns_failure(exception: BaseException) -> bool:
    """A host name that did not resolve (Scrapy's wrapper or Twisted's own error)."""
    return any(cls.__name__ in DNS_EXCEPTIONS for cls in type(exception).__mro__)


def kind_text(kind: str) -> str:
    """Human words for a failure kind (``http_404`` -> ``HTTP 404``)."""
    if kind.startswith("http_"):
        return f"HTTP {kind[5:]}"
    return _KIND_TEXT.get(kind, kind.replace("_", " "))


def retries_text(request: Any, kind: str) -> str:
    n = int(getattr(request, "meta", {}).get("retry_times", 0) or 0)
    if kind == "dns":
        return "not retried"
    return f"after {n} {'retry' if n == 1 else 'retries'}" if n else ""


def failure_line(host: str, kind: str, url: str, retries: str, next_step: str, detail: str = "") -> str:
    """``host: kind, retries on URL; next step`` — the one line a failure gets. ``detail`` (the
    exception's text) is shown for kinds without words of their own."""
    known = kind in _KIND_TEXT or kind.startswith("http_")
    how = (kind_text(kind) if known or not detail else f"{kind_text(kind)} ({detail[:200]})") + (
        f", {retries}" if retries else ""
    )
    return f"{host}: {how} on {url}; {next_step}"


class _RobotsOneLine(logging.Filter):
    """Scrapy's "Error downloading <robots.txt of a page>" record, made one INFO line (or kept,
    with its traceback, at DEBUG when the crawl logs at DEBUG)."""

    _REQUEST = re.compile(r"<GET (?P<url>\S+)>")

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        if self.debug:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return True
        text = record.getMessage()
        match = self._REQUEST.search(text)
        url = match.group("url") if match else "?"
        host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0]
        reason = text.split(">: ", 1)[-1]
        record.msg = "%s: robots.txt unreadable (%s); crawling as if it allowed everything"
        record.args = (host, reason[:200])
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


class OneLinePerFailure:
    """Extension: installs the robots.txt filter for the crawl (removed when it ends)."""

    def __init__(self, crawler: Crawler) -> None:
        level = crawler.settings.get("LOG_LEVEL", "DEBUG")
        debug = str(level).upper() == "DEBUG" or level == logging.DEBUG
        self.filter = _RobotsOneLine(debug)
        logging.getLogger(ROBOTS_LOGGER).addFilter(self.filter)
        from scrapy import signals

        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OneLinePerFailure:
        return cls(crawler)

    def spider_closed(self, spider: Any = None) -> None:
        logging.getLogger(ROBOTS_LOGGER).removeFilter(self.filter)
