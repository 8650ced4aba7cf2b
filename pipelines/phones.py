"""200 NormalizePhones: E.164 checked, national/crisis numbers re-typed, repeats on a page merged.

Counts ``field/phone/<role>`` for every number kept and ``field/phone/invalid`` for numbers
that libphonenumber rejects (dropped).
"""

from __future__ import annotations

from scrapy import Spider

from pipelines.base import Pipeline
from provdir.model.items import PageObservation, PhoneFact
from provdir.normalize.phone import e164, parse_number
from provdir.vocab import vocabulary


class NormalizePhones(Pipeline):
    def process_item(self, item: PageObservation, spider: Spider | None = None) -> PageObservation:
        non_facility = vocabulary.non_facility_numbers()
        kept: dict[tuple[str, str, str], PhoneFact] = {}
        for phone in item.phones:
            num = parse_number(phone.e164 or phone.raw)
            if num is None:
                self.count("field/phone/invalid")
                continue
            phone.e164 = e164(num)
            phone.extension = phone.extension or (num.extension or "")
            if phone.e164 in non_facility:
                phone.role = "crisis"
            kept.setdefault((phone.e164, phone.role, phone.source), phone)
        item.phones = list(kept.values())
        for phone in item.phones:
            self.count(f"field/phone/{phone.role}")
        return item
