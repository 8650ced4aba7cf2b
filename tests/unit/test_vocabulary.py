"""provdir.vocab.vocabulary and the data files in provdir/vocab/."""

from __future__ import annotations

import csv

import pytest

from provdir.normalize import agency
from provdir.vocab import vocabulary
from provdir.vocab.vocabulary import ACCREDITATION_VALUES, SERVICE_VALUES, Matcher, Term


def values(text: str) -> list[str]:
    return [m.value for m in vocabulary.services().find(text)]


# --- data files -------------------------------------------------------------------------------


def test_every_contract_service_value_is_in_the_data_file():
    assert set(SERVICE_VALUES) <= set(vocabulary.services().terms)


def test_every_contract_accreditation_value_is_in_the_data_file():
    assert set(ACCREDITATION_VALUES) <= set(vocabulary.accreditations().terms)


def test_implied_values_are_known_services():
    terms = vocabulary.services().terms
    for term in terms.values():
        for value in term.implies:
            assert value in terms, (term.value, value)


def test_detox_and_medications_imply_substance_use():
    terms = vocabulary.services().terms
    for value in ("detox", "co_occurring", "methadone", "buprenorphine", "naltrexone", "otp", "mat"):
        assert "substance_use" in terms[value].implies, value


def test_term_fields_loaded():
    detox = vocabulary.services().terms["detox"]
    assert (detox.label, detox.category, detox.samhsa_code) == ("Detoxification", "setting", "DT")
    jc = vocabulary.accreditations().terms["JC"]
    assert (jc.label, jc.kind) == ("The Joint Commission", "accreditation")
    assert vocabulary.accreditations().terms["NAATP"].kind == "membership"


def test_non_facility_numbers_include_emergency_and_national_lines():
    numbers = vocabulary.non_facility_numbers()
    for number in ("911", "988", "+18006624357", "+18002738255", "741741"):
        assert number in numbers


def test_logo_tokens_map_to_accreditation_values():
    tokens = vocabulary.accreditation_logo_tokens()
    assert tokens["carf"] == "CARF"
    assert tokens["joint-commission"] == "JC"
    assert tokens["gold-seal"] == "JC"
    assert set(tokens.values()) <= set(vocabulary.accreditations().terms)


def _agencies_in(text: str) -> set[str]:
    return {m.name for m in agency.find(text)}


def test_license_agency_acronyms_case_sensitive_names_not():
    dhcs = "California Department of Health Care Services"
    assert _agencies_in("licensed by DHCS") == {dhcs}
    assert _agencies_in("licensed by dhcs") == set()
    assert dhcs in _agencies_in("licensed by the department of health care services")


def test_license_agency_patterns_are_whole_words():
    assert "Department of Mental Health" not in _agencies_in("ADMHX")
    assert "Department of Mental Health" in _agencies_in("certified by the (DMH)")


# --- matcher behaviour ------------------------------------------------------------------------


def test_leftmost_longest_intensive_outpatient_is_iop_only():
    assert values("Intensive Outpatient Program") == ["iop"]


def test_partial_hospitalization_is_php_not_hospital_inpatient():
    assert values("Partial Hospitalization Program") == ["php"]


def test_matches_sorted_by_position():
    assert values("Sober living, medical detox and family therapy") == ["sober_living", "detox", "family_program"]


def test_match_span_and_text():
    text = "We offer Medical Detox today"
    (m,) = vocabulary.services().find(text)
    assert (m.value, m.text, text[m.start : m.end]) == ("detox", "Medical Detox", "Medical Detox")
    assert m.label_only is False


@pytest.mark.parametrize("text", ["co-occurring", "co occurring", "Co-Occurring", "co\noccurring"])
def test_hyphen_variants(text):
    assert values(text) == ["co_occurring"]


def test_hyphen_is_not_optional():
    # "medi-cal" must not match the ordinary word "medical".
    assert values("medical detox") == ["detox"]
    assert values("Medi-Cal accepted") == ["medicaid"]
    assert values("Medi Cal accepted") == ["medicaid"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("outpatient clinics", "outpatient"),
        ("recovery residences", "sober_living"),
        ("residential programs", "residential"),
        ("sober homes", "sober_living"),
    ],
)
def test_plural_of_phrase_matches(text, value):
    assert values(text) == [value]


@pytest.mark.parametrize("text", ["sober living", "sober-living", "Sober\nLiving", "sober   living"])
def test_space_variants(text):
    assert values(text) == ["sober_living"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MAT", ["mat"]),
        ("mat", []),
        ("Mat", []),
        ("IOP", ["iop"]),
        ("iop", []),
        ("PHP", ["php"]),
        ("php developer", []),
        ("DUI", ["dui"]),
        ("conDUIt", []),
    ],
)
def test_acronyms_match_case_sensitively(text, expected):
    assert values(text) == expected


@pytest.mark.parametrize("text", ["detoxify", "predetox", "methadone-free", "teenage"])
def test_synonyms_match_whole_words_only(text):
    assert values(text) == []


def test_label_only_synonym_flagged():
    (m,) = vocabulary.services().find("Residential")
    assert (m.value, m.label_only) == ("residential", True)
    (m,) = vocabulary.services().find("Residential treatment")
    assert (m.value, m.label_only) == ("residential", False)


def test_inpatient_alone_is_label_only_residential():
    (m,) = vocabulary.services().find("Inpatient")
    assert (m.value, m.label_only) == ("residential", True)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Suboxone", "buprenorphine"),
        ("Vivitrol", "naltrexone"),
        ("Spravato", "ketamine"),
        ("MO HealthNet", "medicaid"),
        ("Medi-Cal", "medicaid"),
        ("Blue Cross", "private_insurance"),
        ("sliding scale", "sliding_fee"),
        ("self-pay", "self_pay"),
        ("halfway house", "sober_living"),
        ("withdrawal management", "detox"),
        ("dual diagnosis", "co_occurring"),
    ],
)
def test_synonyms(text, value):
    assert values(text) == [value]


def test_accreditation_matcher():
    found = vocabulary.accreditations().find("Accredited by CARF International and The Joint Commission")
    assert [m.value for m in found] == ["CARF", "JC"]
    assert found[0].text == "CARF International"


def test_matcher_from_synonyms_independent_of_data_files():
    terms = {
        "aaa": Term("aaa", "A", "x", ""),
        "bbb": Term("bbb", "B", "x", ""),
    }
    matcher = Matcher.from_synonyms(terms, {"aaa": ["night program", "^night"], "bbb": ["NP"]})
    found = matcher.find("Our night-program and NP, np, and Night")
    assert [(m.value, m.text, m.label_only) for m in found] == [
        ("aaa", "night-program", False),
        ("bbb", "NP", False),
        ("aaa", "Night", True),
    ]
    assert list(matcher.values()) == ["aaa", "bbb"]


def _csv_synonyms(name: str) -> list[tuple[str, str]]:
    from importlib import resources

    with resources.files("provdir.vocab").joinpath(name).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [(row["value"], syn.lstrip("^")) for row in rows for syn in row["synonyms"].split("|") if syn]


@pytest.mark.parametrize(("value", "synonym"), _csv_synonyms("services.csv"))
def test_every_service_synonym_finds_its_own_value(value, synonym):
    assert values(synonym) == [value]


@pytest.mark.parametrize(("value", "synonym"), _csv_synonyms("accreditations.csv"))
def test_every_accreditation_synonym_finds_its_own_value(value, synonym):
    assert [m.value for m in vocabulary.accreditations().find(synonym)] == [value]
