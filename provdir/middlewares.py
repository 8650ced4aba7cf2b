"""Downloader middlewares."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from provdir import netguard


class PrivateNetworkGuard:
    """Refuse requests to private, loopback and link-local addresses, and non-web schemes.

    Applies to every request, including redirects (which re-enter the middleware chain) and
    robots.txt fetches. Counted in stats as ``netguard/refused``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.allow_private = crawler.settings.getbool("PROVDIR_ALLOW_PRIVATE_NETWORKS")
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateNetworkGuard:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https"):
            self.stats.inc_value("netguard/refused")
            raise IgnoreRequest(f"scheme {parts.scheme!r} is not crawled: {request.url}")
        if self.allow_private:
            return None
        why = netguard.cached_refusal(parts.hostname or "")
        if why:
            self.stats.inc_value("netguard/refused")
            raise IgnoreRequest(f"refused (private network): {why}; pass --allow-private-networks to allow")
        return None
