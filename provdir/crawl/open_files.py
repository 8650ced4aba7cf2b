"""The process's open-file limit, raised for a broad crawl.

Every site being crawled holds a kept-alive connection (``PROVDIR_SITE_WINDOW`` sites at once),
and Twisted keeps a finished site's idle connection for 240 s: at ~3 sites finished a second,
~1,200 sockets, past the soft limit of 1,024 file descriptors many systems start a process with.
Past it every new connection fails ("Too many open files") and its site is reported failed. The
hard limit is usually far higher (often 524,288); a process may raise its own soft limit up to
it, so the crawl does, to ``PROVDIR_OPEN_FILES`` at most, and records the limit it ran with
(``process/open_files_limit``).
"""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler

try:
    import resource
except ImportError:  # not POSIX
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


def raise_soft_limit(wanted: int) -> int | None:
    """Raise the soft RLIMIT_NOFILE to ``wanted`` (at most the hard limit); the limit in force
    afterwards, or None where there is no such limit."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-files limit from %d to %d: %s", soft, target, exc)
    return soft


class OpenFilesLimit:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.limit = raise_soft_limit(crawler.settings.getint("PROVDIR_OPEN_FILES", 65536))
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OpenFilesLimit:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        if self.limit is not None and self.crawler.stats:
            self.crawler.stats.set_value("process/open_files_limit", self.limit)
