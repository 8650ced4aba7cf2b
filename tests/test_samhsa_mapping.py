"""SAMHSA locator rows -> facility records (pure, no network): the label mapping file, the
field-by-field mapping of real rows from the SAMHSA fixture (tests/fixtures/samhsa), the envelope check, and helpers."""

from __future__ import annotations

import copy
import csv
import json
from importlib import resources

import pytest

from provdir.model.convert import observation_from_json, to_json
from provdir.sources import samhsa
from provdir.vocab import vocabulary
from tests.helpers import SAMHSA_FIXTURE

FIXTURE = SAMHSA_FIXTURE
PAGE_URL = "http://127.0.0.1:8081/locator/exportsAsJson/v2?limitValue=VA&page=1"


@pytest.fixture(scope="module")
def listing() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rows(listing) -> dict[str, dict]:
    """Rows by the first 8 characters of their frid."""
    return {r["frid"][:8]: r for r in listing["rows"]}


def record(rows: dict[str, dict], prefix: str):
    return samhsa.row_to_record(rows[prefix], page_url=PAGE_URL)


def services(rec) -> set[str]:
    return {f.value for f in rec.services}


# -- the mapping file ----------------------------------------------------------------------
def test_mapping_file_loads_and_every_value_is_in_the_shared_vocabulary():
    mappings = samhsa.label_mappings()
    assert len(mappings) > 150
    service_values = set(vocabulary.services().terms)
    accreditation_values = set(vocabulary.accreditations().terms)
    for m in mappings.values():
        assert m.field in ("service", "accreditation", "license", "none")
        if m.field == "service":
            assert m.value in service_values, m
        elif m.field == "accreditation":
            assert m.value in accreditation_values, m
        elif m.field == "license":
            assert m.value in {
                "State substance abuse agency",
                "State mental health department",
                "State department of health",
                "Hospital licensing authority",
            }, m
        else:
            assert m.value == "", m


def test_mapping_file_columns():
    with resources.files("provdir.vocab").joinpath("samhsa_labels.csv").open(encoding="utf-8") as fh:
        assert next(csv.reader(fh)) == ["category_code", "label", "field", "value"]


@pytest.mark.parametrize(
    ("code", "label", "field", "value"),
    [
        ("TC", "Substance use treatment", "service", "substance_use"),
        ("TC", "Mental health treatment", "service", "mental_health"),
        ("TC", "Detoxification", "service", "detox"),
        ("SET", "Hospital inpatient detoxification", "service", "detox"),
        ("SET", "Residential detoxification", "service", "detox"),
        ("SET", "Outpatient detoxification", "service", "detox"),
        ("SET", "Hospital inpatient", "service", "hospital_inpatient"),
        ("SET", "Hospital inpatient treatment", "service", "hospital_inpatient"),
        ("SET", "Residential", "service", "residential"),
        ("SET", "Short-term residential", "service", "residential"),
        ("SET", "Long-term residential", "service", "residential"),
        ("SET", "Partial hospitalization/day treatment", "service", "php"),
        ("SET", "Outpatient day treatment or partial hospitalization", "service", "php"),
        ("SET", "Intensive outpatient treatment", "service", "iop"),
        ("SET", "Outpatient", "service", "outpatient"),
        ("SET", "Regular outpatient treatment", "service", "outpatient"),
        ("TC", "Transitional housing, halfway house, or sober home", "service", "sober_living"),
        ("SET", "Telemedicine/telehealth", "service", "telehealth"),
        ("SET", "Telemedicine/telehealth therapy", "service", "telehealth"),
        ("OT", "SAMHSA-certified Opioid Treatment Program", "service", "otp"),
        ("OT", "Methadone maintenance", "service", "methadone"),
        ("OM", "Methadone used in Treatment", "service", "methadone"),
        ("OT", "Buprenorphine used in Treatment", "service", "buprenorphine"),
        ("PHR", "Buprenorphine with naloxone  (Suboxone®)", "service", "buprenorphine"),  # SAMHSA's double space
        ("OT", "Naltrexone used in Treatment", "service", "naltrexone"),
        ("EDU", "Family counseling offered", "service", "family_program"),
        ("TRSRV", "Aftercare/continuing care", "service", "aftercare"),
        ("SG", "Persons with co-occurring mental and substance use disorders", "service", "co_occurring"),
        ("SG", "Clients referred from the court/judicial system", "none", ""),
        ("EXCL", "DUI/DWI clients", "service", "dui"),
        ("SG", "Adolescents", "service", "adolescents"),
        ("SG", "Veterans", "service", "veterans"),
        ("SG", "Adult women", "service", "women"),
        ("SG", "Adult men", "service", "men"),
        ("SG", "Lesbian, gay, bisexual, transgender, or queer/questioning (LGBTQ)", "service", "lgbtq"),
        ("SG", "Lesbian, gay, bisexual, or transgender (LGBT) clients", "service", "lgbtq"),
        ("PAY", "Medicaid", "service", "medicaid"),
        ("PAY", "Medicare", "service", "medicare"),
        ("PAY", "Private health insurance", "service", "private_insurance"),
        ("PAY", "Cash or self-payment", "service", "self_pay"),
        ("PYAS", "Sliding fee scale (fee is based on income and other factors)", "service", "sliding_fee"),
        ("LCA", "The Joint Commission", "accreditation", "JC"),
        ("LCA", "Commission on Accreditation of Rehabilitation Facilities", "accreditation", "CARF"),
        ("LCA", "Council on Accreditation", "accreditation", "COA"),
        ("LCA", "National Committee for Quality Assurance", "accreditation", "NCQA"),
        ("LCA", "Healthcare Facilities Accreditation Program", "accreditation", "HFAP"),
        ("LCA", "State substance abuse agency", "license", "State substance abuse agency"),
        ("LCA", "State mental health department", "license", "State mental health department"),
        ("LCA", "State department of health", "license", "State department of health"),
        ("LCA", "Hospital licensing authority", "license", "Hospital licensing authority"),
        # Who is accepted is not a program for them; unclear claims are not published.
        ("GN", "Male", "none", ""),
        ("GN", "Female", "none", ""),
        ("AGE", "Children/adolescents", "none", ""),
        ("TAP", "Anger management", "none", ""),
        ("SMP", "Smoking not permitted", "none", ""),
        ("PAY", "Military insurance (e.g., TRICARE)", "none", ""),
        ("LCA", "Federally Qualified Health Center", "none", ""),
        ("SET", "Computerized treatment/telemedicine", "none", ""),
    ],
)
def test_label_mapping(code, label, field, value):
    m = samhsa.lookup(code, label)
    assert m is not None, f"{code} {label!r} is not in samhsa_labels.csv"
    assert (m.field, m.value) == (field, value)


def test_lookup_is_per_category():
    assert samhsa.lookup("TC", "Medicaid") is None
    assert samhsa.lookup("pay", " medicaid ") is not None  # case and whitespace do not matter


def test_fixture_has_zero_unknown_labels(listing):
    unknown = set()
    for row in listing["rows"]:
        for label in samhsa.row_labels(row):
            if samhsa.lookup(label.category_code, label.label) is None:
                unknown.add((label.category_code, label.label))
    assert unknown == set()


def test_fixture_label_figures(listing):
    """Distinct (category, label) pairs on the fixture: mapped vs listed-but-unmapped."""
    kinds: dict[tuple[str, str], str] = {}
    for row in listing["rows"]:
        for label in samhsa.row_labels(row):
            m = samhsa.lookup(label.category_code, label.label)
            kinds[(label.category_code, label.label)] = "none" if m.field == "none" else m.field
    assert len(kinds) == 185
    mapped = [k for k, v in kinds.items() if v != "none"]
    assert len(mapped) == 55
    assert kinds[("TAP", "Anger management")] == "none"


# -- rows, field by field ------------------------------------------------------------------
def test_names_address_and_coordinates(rows):
    rec = record(rows, "811a908f")
    assert rec.source == "samhsa" and rec.source_id == rows["811a908f"]["frid"] and rec.url == PAGE_URL
    assert rec.organization == "Region Ten Community Services Board"
    assert rec.name == "Mohr Center"
    assert (rec.street, rec.city, rec.state, rec.postal_code) == ("1014 E Market St", "Charlottesville", "VA", "22902")
    assert rec.latitude == pytest.approx(38.0282239) and rec.longitude == pytest.approx(-78.4725231)
    assert isinstance(rec.latitude, float)
    assert rec.record_type == "SA"


def test_name_falls_back_to_name1(rows):
    rec = record(rows, "a1e80691")
    assert rec.name == rec.organization == "Region Ten Community Services Board"


def test_suite_is_kept_usps_style(rows):
    assert record(rows, "ab740701").street == "901 Preston Ave Ste 201"
    assert record(rows, "d0ac0e21").street == "233 Hydraulic Ridge Rd Ste 203-A"
    assert record(rows, "76cf96c3").street == "355 Rio Rd W Ste 203"


def test_street_that_does_not_parse_is_kept_as_written(rows):
    assert record(rows, "1cfdfec2").street == "15 Green Hills Drive, Suites 6 and 7"


def test_intake_extension_kept(rows):
    rec = record(rows, "ab740701")
    phones = [(p.role, p.e164, p.extension) for p in rec.phones]
    assert phones == [("main", "+14349718454", ""), ("admissions", "+14349718454", "1")]
    assert rec.phones[1].raw == "434-971-8454 x1"
    assert rec.phones[1].snippet == "SAMHSA intake1: 434-971-8454 x1"


def test_main_phone_extension_kept(rows):
    rec = record(rows, "1cfdfec2")
    main = rec.phones[0]
    assert (main.role, main.e164, main.extension) == ("main", "+15402176366", "110")
    assert [p.role for p in rec.phones] == ["main", "admissions"]


def test_hotline_is_a_crisis_phone(rows):
    row = dict(rows["811a908f"], hotline1="434-972-4357")
    rec = samhsa.row_to_record(row, page_url=PAGE_URL)
    crisis = [p for p in rec.phones if p.role == "crisis"]
    assert [(p.e164, p.snippet) for p in crisis] == [("+14349724357", "SAMHSA hotline1: 434-972-4357")]


def test_missing_phones_give_no_phone_facts(rows):
    row = dict(rows["811a908f"], phone=None, intake1="", hotline1=None)
    assert samhsa.row_to_record(row, page_url=PAGE_URL).phones == []


def test_invalid_phone_kept_raw_for_the_pipeline_to_count(rows):
    rec = samhsa.row_to_record(dict(rows["811a908f"], phone="123", intake1=None), page_url=PAGE_URL)
    assert [(p.raw, p.e164) for p in rec.phones] == [("123", "")]


def test_website_scheme_and_host_case(rows):
    assert record(rows, "98ed33f5").website == "http://www.fairwindsgrouphome.com/"
    assert record(rows, "e96ab37c").website == "http://uvahealth.com/services/psychiatry"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Www.fairwindsgrouphome.com", "http://www.fairwindsgrouphome.com/"),
        ("http://Www.fairwindsgrouphome.com", "http://www.fairwindsgrouphome.com/"),
        ("HTTPS://Example.ORG/Path?a=1#top", "https://example.org/Path?a=1"),
        ("example.org:8080", "http://example.org:8080/"),
        ("  ", ""),
        ("not a website", ""),
        ("mailto:someone@example.org", ""),
        ("ftp://files.example.org/", ""),
    ],
)
def test_normalize_website(raw, expected):
    assert samhsa.normalize_website(raw) == expected


def test_sa_and_mh_twins_at_one_address_stay_two_records(rows):
    sa, mh = record(rows, "39d6ca2b"), record(rows, "a1e80691")
    assert sa.source_id != mh.source_id
    assert (sa.record_type, mh.record_type) == ("SA", "MH")
    assert sa.street == mh.street == "800 Preston Ave"  # "Peterson Building" is not a unit
    assert "substance_use" in services(sa) and "mental_health" not in services(sa)
    assert "mental_health" in services(mh) and "substance_use" not in services(mh)


def test_services_with_samhsa_evidence(rows):
    rec = record(rows, "ab740701")
    assert services(rec) >= {
        "substance_use",
        "outpatient",
        "iop",
        "medicaid",
        "sliding_fee",
        "co_occurring",
        "family_program",
        "aftercare",
        "adolescents",
        "veterans",
        "lgbtq",
    }
    first = rec.services[0]
    assert (first.value, first.snippet, first.basis, first.region) == (
        "substance_use",
        "SAMHSA Type of Care (TC): Substance use treatment",
        "samhsa:TC",
        "structured",
    )
    assert "telehealth" not in services(rec)  # "Computerized treatment/telemedicine" is not claimed
    assert len(rec.services) == len(services(rec))  # one fact per value


def test_opioid_treatment_program(rows):
    rec = record(rows, "1cfdfec2")
    assert {"otp", "methadone", "buprenorphine", "mat"} <= services(rec)
    otp = next(f for f in rec.services if f.value == "otp")
    assert otp.snippet == "SAMHSA Type of Opioid Treatment (OT): SAMHSA-certified Opioid Treatment Program"
    assert otp.basis == "samhsa:OT"


def test_gender_accepted_is_not_a_men_program(rows):
    rec = record(rows, "76cf96c3")  # GN "Female; Male", no special program for men or women
    assert not {"men", "women"} & services(rec)
    assert {"category_code": "GN", "category": "Gender Accepted", "label": "Male", "known": "yes"} in rec.unmapped


def test_accreditations_and_licenses(rows):
    rec = record(rows, "708bf189")
    assert [(a.value, a.snippet, a.basis) for a in rec.accreditations] == [
        (
            "CARF",
            "SAMHSA License/Certification/Accreditation (LCA): "
            "Commission on Accreditation of Rehabilitation Facilities",
            "samhsa:LCA",
        )
    ]
    # SAMHSA names the kind of body; the registry names Virginia's: DBHDS is both the single
    # state authority for substance use and the state mental health authority.
    dbhds = "Virginia Department of Behavioral Health and Developmental Services"
    assert [(lic.agency, lic.agency_id, lic.state, lic.number, lic.as_shown) for lic in rec.licenses] == [
        (dbhds, "VA-DBHDS", "VA", "", "State substance abuse agency"),
        (dbhds, "VA-DBHDS", "VA", "", "State mental health department"),
    ]
    assert rec.licenses[0].snippet == "SAMHSA License/Certification/Accreditation (LCA): State substance abuse agency"
    hospital = record(rows, "14f1d707")
    assert [a.value for a in hospital.accreditations] == ["JC"]
    assert ("Virginia Department of Health", "Hospital licensing authority") in [
        (lic.agency, lic.as_shown) for lic in hospital.licenses
    ]


def test_known_labels_without_a_value_are_kept_as_known(rows):
    rec = record(rows, "811a908f")
    assert {
        "category_code": "TAP",
        "category": "Treatment Approaches",
        "label": "Anger management",
        "known": "yes",
    } in rec.unmapped
    assert {
        "category_code": "SMP",
        "category": "Facility Smoking Policy",
        "label": "Smoking not permitted",
        "known": "yes",
    } in rec.unmapped
    assert all(u["known"] == "yes" for u in rec.unmapped)


def test_unknown_label_is_kept_raw_never_dropped(rows):
    row = copy.deepcopy(rows["811a908f"])
    row["services"].append({"f1": "Brand New Category", "f2": "NEWC", "f3": "Horse therapy; Outpatient"})
    rec = samhsa.row_to_record(row, page_url=PAGE_URL)
    unknown = [u for u in rec.unmapped if u["known"] == "no"]
    assert unknown == [
        {"category_code": "NEWC", "category": "Brand New Category", "label": "Horse therapy", "known": "no"},
        {"category_code": "NEWC", "category": "Brand New Category", "label": "Outpatient", "known": "no"},
    ]


def test_implied_values_are_not_added():
    row = {
        "frid": "x1",
        "name1": "Clinic",
        "state": "VA",
        "services": [{"f1": "Pharmacotherapies", "f2": "PHR", "f3": "Methadone"}],
    }
    rec = samhsa.row_to_record(row, page_url=PAGE_URL)
    assert services(rec) == {"methadone"}  # vocabulary says methadone implies substance_use: SAMHSA did not


def test_every_fixture_row_maps(listing):
    records = [samhsa.row_to_record(r, page_url=PAGE_URL) for r in listing["rows"]]
    assert len({r.source_id for r in records}) == 30
    assert all(r.street and r.city and r.state == "VA" and len(r.postal_code) == 5 for r in records)
    assert all(r.phones and r.phones[0].role == "main" and r.phones[0].e164.startswith("+1") for r in records)
    assert all(r.website.startswith("http") for r in records)


def test_record_round_trips_through_json(rows):
    rec = record(rows, "ab740701")
    again = observation_from_json(json.loads(json.dumps(to_json(rec))))
    assert again == rec


@pytest.mark.parametrize(
    ("row", "message"),
    [({"name1": "No id"}, "no frid"), (["not", "a", "row"], "not an object")],
)
def test_row_without_frid_is_an_error(row, message):
    with pytest.raises(samhsa.RowError, match=message):
        samhsa.row_to_record(row, page_url=PAGE_URL)


@pytest.mark.parametrize(("value", "expected"), [("38.5", 38.5), (38.5, 38.5), ("", None), ("abc", None), ("95", None)])
def test_latitude(value, expected):
    rec = samhsa.row_to_record({"frid": "x", "latitude": value}, page_url=PAGE_URL)
    assert rec.latitude == expected


# -- the envelope --------------------------------------------------------------------------
def test_envelope_of_the_fixture():
    page = samhsa.parse_envelope(FIXTURE.read_bytes())
    assert (page.page, page.total_pages, page.record_count, len(page.rows)) == (1, 765, 22949, 30)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b'{"page": 1, "rows": [', "not JSON"),
        (b"<html>Service Unavailable</html>", "not JSON"),
        (b"[]", "got a list"),
        (b'{"page": 1, "totalPages": 2, "recordCount": 3}', "missing rows"),
        (b'{"error": "busy"}', "missing page, totalPages, recordCount, rows"),
        (b'{"page": 1, "totalPages": "2", "recordCount": 3, "rows": []}', "totalPages must be a whole number"),
        (b'{"page": 1, "totalPages": 2, "recordCount": 3, "rows": {}}', "rows must be a list"),
    ],
)
def test_malformed_envelope(body, message):
    with pytest.raises(samhsa.EnvelopeError, match=message):
        samhsa.parse_envelope(body)


def test_empty_page_is_valid():
    page = samhsa.parse_envelope('{"page": 4, "totalPages": 4, "recordCount": 90, "rows": []}')
    assert page.rows == [] and page.total_pages == 4


# -- states, backoff -----------------------------------------------------------------------
def test_parse_states():
    assert samhsa.parse_states(" va,MO , va") == ["VA", "MO"]
    everything = samhsa.parse_states("")
    assert "VA" in everything and "PR" in everything and len(everything) >= 51
    with pytest.raises(ValueError, match="XX, VIRGINIA"):
        samhsa.parse_states("VA,XX,Virginia")
