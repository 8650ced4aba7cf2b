"""Coordinates for every facility that has a ZIP code: the source's own, else the centre of its
ZIP code, flagged as approximate in ``coordinates_source``.

The ZIP centroids come from the ``zipcodes`` package's USPS table, kept as vocabulary files
(``vocab/us_zip_centroids.csv``, ``vocab/us_towns.csv``): no download, no network. A ZIP code the table does not know, or one that the table
places in another state than the facility's (a typo in the source), gives no coordinates: a
wrong point on a map is worse than none. A town-only location (``address_precision`` ``city``)
is placed at the mean of its town's ZIP centres, flagged ``city_centroid``.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from provdir.vocab.vocabulary import town_centroids, zip_centroids

SOURCE = "source"
ZIP_CENTROID = "zip_centroid"
CITY_CENTROID = "city_centroid"


def zip_centroid(zip5: str, state: str = "") -> tuple[float, float] | None:
    """(latitude, longitude) of a five-digit ZIP code's centre, or None when unknown (or, with
    ``state``, when the table places the code in another state)."""
    found = zip_centroids().get(zip5)
    if found is None or (state and found[0] and found[0] != state):
        return None
    return found[1]


def town_centroid(city: str, state: str) -> tuple[float, float] | None:
    """The mean of a town's ZIP centres: where a town-only (city-level) location goes on a map."""
    return town_centroids().get((city.upper().strip(), state)) if city and state else None


def _valid(lat: Any, lon: Any) -> bool:
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return False
    if math.isnan(lat) or math.isnan(lon) or (lat == 0 and lon == 0):
        return False
    return -90 <= lat <= 90 and -180 <= lon <= 180


def fill_coordinates(rows: list[dict[str, Any]]) -> Counter[str]:
    """Set ``latitude``, ``longitude`` and ``coordinates_source`` on facility rows in place.
    Returns how many rows got each kind ('' for none)."""
    counts: Counter[str] = Counter()
    for row in rows:
        lat, lon = row.get("latitude"), row.get("longitude")
        if _valid(lat, lon):
            # A carried row keeps its flag; fresh coordinates are the source's.
            if row.get("coordinates_source") not in (ZIP_CENTROID, CITY_CENTROID):
                row["coordinates_source"] = SOURCE
        else:
            point = zip_centroid(row.get("postal_code") or "", row.get("state") or "")
            town = None if point or row.get("street") else town_centroid(row.get("city") or "", row.get("state") or "")
            if point:
                row["latitude"], row["longitude"] = point
                row["coordinates_source"] = ZIP_CENTROID
            elif town:
                row["latitude"], row["longitude"] = town
                row["coordinates_source"] = CITY_CENTROID
            else:
                row["latitude"] = row["longitude"] = None
                row["coordinates_source"] = ""
        counts[row["coordinates_source"]] += 1
    return counts
