"""The ZIP and town centres in ``provdir/vocab`` are the zipcodes package's table, row for row: the
build reads the files (fast) instead of the package (slow), so they must not drift from it."""

from __future__ import annotations

import math

import zipcodes

from provdir.build.geo import town_centroid, zip_centroid
from provdir.extract.scope import is_town
from provdir.vocab.vocabulary import town_centroids, zip_centroids


def _package_tables() -> tuple[dict[str, tuple[str, tuple[float, float]]], dict[tuple[str, str], list]]:
    zips: dict[str, tuple[str, tuple[float, float]]] = {}
    towns: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in zipcodes.list_all():
        try:
            lat, lon = float(row["lat"]), float(row["long"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isnan(lat) or math.isnan(lon) or (lat == 0 and lon == 0):
            continue
        zips[row["zip_code"]] = (row["state"], (lat, lon))
        for name in {row["city"], *(row.get("acceptable_cities") or [])}:
            towns.setdefault((name.upper(), row["state"]), []).append((lat, lon))
    return zips, towns


def test_zip_and_town_centres_are_the_packages():
    zips, towns = _package_tables()
    assert zip_centroids() == zips
    mean = {key: (sum(p[0] for p in ps) / len(ps), sum(p[1] for p in ps) / len(ps)) for key, ps in towns.items()}
    assert town_centroids().keys() == mean.keys()
    far = [
        key for key, (lat, lon) in town_centroids().items() if abs(lat - mean[key][0]) + abs(lon - mean[key][1]) > 2e-6
    ]
    assert not far, far[:5]
    assert zipcodes.__version__ == "3.0.0"  # the version the files' headers name


def test_a_zip_code_placed_in_another_state_gives_no_point():
    assert zip_centroid("62701", "IL") == (39.8, -89.6495)
    assert zip_centroid("62701") == (39.8, -89.6495)
    assert zip_centroid("62701", "MO") is None
    assert zip_centroid("6270") is None and zip_centroid("") is None


def test_a_town_is_placed_at_its_zip_codes_mean_whatever_its_case():
    assert town_centroid("springfield ", "IL") == town_centroid("SPRINGFIELD", "IL") is not None
    assert town_centroid("Springfield", "ZZ") is None and town_centroid("", "IL") is None
    assert is_town("Springfield", "IL")  # the same file still says which towns exist
