"""100 ValidateObservation: drop observations that cannot be attributed to a site and page."""

from __future__ import annotations

from scrapy import Spider
from scrapy.exceptions import DropItem

from pipelines.base import Pipeline
from provdir.model.items import FacilityRecord, PageObservation


class ValidateObservation(Pipeline):
    def process_item(self, item: PageObservation, spider: Spider | None = None) -> PageObservation:
        if isinstance(item, FacilityRecord):
            if not item.source_id or not item.url:
                self.count("observations/dropped/unattributed")
                raise DropItem(f"directory record without id or url: {item.url!r}")
            self.count("observations/received")
            return item
        if not isinstance(item, PageObservation):
            self.count("observations/dropped/not_an_observation")
            raise DropItem(f"not a page observation: {type(item).__name__}")
        if not item.site or not item.url:
            self.count("observations/dropped/unattributed")
            raise DropItem(f"observation without site or url: {item.url!r}")
        self.count("observations/received")
        return item
