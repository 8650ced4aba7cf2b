"""300 NormalizeAddresses: state, ZIP5 and street checked; repeats on a page merged.

Counts ``field/address/physical``, ``field/address/mailing``, ``field/address/city`` (a town
without a street, ``precision="city"``) and ``field/address/invalid`` (dropped: no city or
state, or no street on an address that claims one).
"""

from __future__ import annotations

from scrapy import Spider

from pipelines.base import Pipeline
from provdir.model.items import AddressFact, FacilityRecord, PageObservation
from provdir.normalize.address import state_abbr, street_key, zip5


class NormalizeAddresses(Pipeline):
    def process_item(self, item: PageObservation, spider: Spider | None = None) -> PageObservation:
        if isinstance(item, FacilityRecord):
            return item  # a directory row's single address is normalized by its mapping
        kept: dict[tuple[str, str], AddressFact] = {}
        for addr in item.addresses:
            addr.state = state_abbr(addr.state)
            addr.postal_code = zip5(addr.postal_code)
            town_only = addr.precision == "city"
            if not (addr.city and addr.state and (addr.street or town_only)) or (town_only and addr.street):
                self.count("field/address/invalid")
                continue
            if town_only:
                self.count("field/address/city")
            key = (street_key(addr.street), addr.postal_code or addr.city.lower())
            if key in kept:
                # The same address twice on a page (structured data and footer): keep the
                # first, but keep a label or phones only the second one had.
                first = kept[key]
                first.label = first.label or addr.label
                first.phones = first.phones or addr.phones
                continue
            kept[key] = addr
        item.addresses = list(kept.values())
        for addr in item.addresses:
            self.count(f"field/address/{addr.kind}")
        return item
