"""provdir.evaluate: license precision, recall and state errors (pure scoring)."""

from __future__ import annotations

from provdir.evaluate import PublishedLicense, license_counts, license_state_errors, published_licenses

GOLD = {"licenses": [{"agency": "California Department of Alcohol and Drug Programs", "state": "CA", "number": None}]}
ADP = "California Department of Alcohol and Drug Programs"


def lic(agency: str, state: str = "", number: str = "") -> PublishedLicense:
    """A license as facility_licenses publishes it (the text only names it in the misses)."""
    text = agency + (f" ({state})" if state else "") + (f" #{number}" if number else "")
    return PublishedLicense(text, agency, state)


def test_found_license_counts_for_recall_and_precision():
    counts, misses = license_counts([lic(ADP, "CA")], GOLD)
    assert (counts.tp, counts.fp, counts.fn) == (1, 0, 0)
    assert misses == []


def test_extra_license_counts_against_precision():
    published = [lic(ADP, "CA"), lic("State license", "CA", "1234")]
    counts, misses = license_counts(published, GOLD)
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 0)
    assert misses == ["+ State license (CA) #1234"]


def test_wrong_state_is_a_miss_and_a_state_error_not_an_extra():
    published = [lic(ADP)]
    counts, misses = license_counts(published, GOLD)
    assert (counts.tp, counts.fp, counts.fn) == (0, 0, 1)
    assert misses == ["- California Department of Alcohol and Drug Programs (CA) state: ['']"]
    assert license_state_errors(published, GOLD) == 1


def test_gold_state_license_without_agency_is_any_license_in_its_state():
    gold = {"licenses": [{"agency": None, "state": "FL", "number": None}]}
    assert license_counts([lic("State license", "FL")], gold)[0].tp == 1
    assert license_counts([lic("State license", "GA")], gold)[0].tp == 0


def test_site_without_gold_licenses_publishing_one_has_precision_zero():
    counts, _ = license_counts([lic("Department of Mental Health")], {"licenses": []})
    assert (counts.tp, counts.fp, counts.precision) == (0, 1, 0.0)


def test_licenses_are_read_from_their_structured_fields_not_their_text():
    # an agency whose own name has a parenthesis and a number with "#": the text is not parsed
    rows = [
        {
            "license": "Division of Behavioral Health (DBH) (AK) #A-1 #2",
            "agency": "Division of Behavioral Health (DBH)",
            "state": "AK",
        },
        {
            "license": "Division of Behavioral Health (DBH) (AK) #A-1 #2",
            "agency": "Division of Behavioral Health (DBH)",
            "state": "AK",
        },
    ]
    (only,) = published_licenses(rows)
    assert (only.agency, only.state) == ("Division of Behavioral Health (DBH)", "AK")
    gold = {"licenses": [{"agency": "Alaska Division of Behavioral Health", "state": "AK"}]}
    assert license_counts([only], gold)[0].tp == 1 and license_state_errors([only], gold) == 0
