"""400 CheckVocabulary: services and accreditations must be vocabulary values.

Extractors only produce vocabulary values, so a drop here is a bug or a stale vocabulary file;
counted as ``field/service/unknown`` and ``field/accreditation/unknown``.
"""

from __future__ import annotations

from scrapy import Spider

from pipelines.base import Pipeline
from provdir.model.items import PageObservation
from provdir.vocab import vocabulary


class CheckVocabulary(Pipeline):
    def process_item(self, item: PageObservation, spider: Spider | None = None) -> PageObservation:
        services = vocabulary.services().terms
        accreditations = vocabulary.accreditations().terms
        before = len(item.services), len(item.accreditations)
        item.services = [f for f in item.services if f.value in services]
        item.accreditations = [f for f in item.accreditations if f.value in accreditations]
        self.count("field/service/unknown", before[0] - len(item.services))
        self.count("field/accreditation/unknown", before[1] - len(item.accreditations))
        self.count("field/service/claims", len(item.services))
        # Directory records (FacilityRecord) have no rejected mentions.
        self.count("field/service/rejected_mentions", len(getattr(item, "rejected", ())))
        return item
