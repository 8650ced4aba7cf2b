"""provdir.evaluate: license precision, recall and state errors (pure scoring)."""

from __future__ import annotations

from provdir.evaluate import license_counts, license_state_errors

GOLD = {"licenses": [{"agency": "California Department of Alcohol and Drug Programs", "state": "CA", "number": None}]}


def test_found_license_counts_for_recall_and_precision():
    counts, misses = license_counts(["California Department of Alcohol and Drug Programs (CA)"], GOLD)
    assert (counts.tp, counts.fp, counts.fn) == (1, 0, 0)
    assert misses == []


def test_extra_license_counts_against_precision():
    published = ["California Department of Alcohol and Drug Programs (CA)", "State license (CA) #1234"]
    counts, misses = license_counts(published, GOLD)
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 0)
    assert misses == ["+ State license (CA) #1234"]


def test_wrong_state_is_a_miss_and_a_state_error_not_an_extra():
    published = ["California Department of Alcohol and Drug Programs"]
    counts, misses = license_counts(published, GOLD)
    assert (counts.tp, counts.fp, counts.fn) == (0, 0, 1)
    assert misses == ["- California Department of Alcohol and Drug Programs (CA) state: ['']"]
    assert license_state_errors(published, GOLD) == 1


def test_gold_state_license_without_agency_is_any_license_in_its_state():
    gold = {"licenses": [{"agency": None, "state": "FL", "number": None}]}
    assert license_counts(["State license (FL)"], gold)[0].tp == 1
    assert license_counts(["State license (GA)"], gold)[0].tp == 0


def test_site_without_gold_licenses_publishing_one_has_precision_zero():
    counts, _ = license_counts(["Department of Mental Health"], {"licenses": []})
    assert (counts.tp, counts.fp, counts.precision) == (0, 1, 0.0)
