"""500 DropDuplicatePages: one observation per distinct page content per site, one per
directory record id.

The same page is often reachable under several URLs (``/``, ``/index.php``, ``/home/``);
counting it twice would inflate the evidence. Counted as ``observations/duplicate_page``.
"""

from __future__ import annotations

from scrapy import Spider
from scrapy.exceptions import DropItem

from pipelines.base import Pipeline
from provdir.model.items import FacilityRecord, PageObservation


class DropDuplicatePages(Pipeline):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.seen: set[tuple[str, str]] = set()

    def process_item(self, item: PageObservation, spider: Spider | None = None) -> PageObservation:
        if isinstance(item, FacilityRecord):
            key = (item.source, item.source_id)
            if key in self.seen:
                self.count("observations/duplicate_record")
                raise DropItem(f"{item.source} record {item.source_id} seen earlier in this run")
            self.seen.add(key)
            return item
        key = (item.site, item.content_hash)
        if item.content_hash and key in self.seen:
            self.count("observations/duplicate_page")
            raise DropItem(f"same content as an earlier page of {item.site}: {item.url}")
        self.seen.add(key)
        return item
