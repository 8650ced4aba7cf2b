"""Duplicate pages across Redis workers (``provdir worker``): one page kept per content hash per site."""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pipelines.duplicates import DropDuplicatePages
from provdir.distributed.keys import CrawlKeys, client_from_settings
from provdir.model.items import FacilityRecord


class SharedDropDuplicatePages(DropDuplicatePages):
    """:class:`pipelines.duplicates.DropDuplicatePages` across workers: a page's content hash
    is recorded in Redis per site, so the same page read under two URLs by two workers is kept
    once (``observations/duplicate_page``)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.keys = CrawlKeys.from_settings(crawler.settings)
        self.client = client_from_settings(crawler.settings)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, FacilityRecord) or not getattr(item, "content_hash", ""):
            return super().process_item(item, spider)
        if not self.client.sadd(self.keys.pages(item.site), item.content_hash):
            self.count("observations/duplicate_page")
            raise DropItem(f"same content as a page of {item.site} another worker (or this one) read: {item.url}")
        return item
