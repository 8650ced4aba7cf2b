"""provdir.normalize.address: USPS-style street parsing, abbreviation, unit split and match key."""

from __future__ import annotations

import itertools

import pytest

from provdir.normalize.address import parse_address, state_abbr, state_names, street_key, zip5


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("2706 South River Road, Springfield, MO 65804", "2706 S River Rd"),
        ("2706 S. River Rd., Springfield, MO 65804", "2706 S River Rd"),
        ("1420 West Battlefield Street, Springfield, MO 65807", "1420 W Battlefield St"),
        ("301 North Main Street, Nixa, MO 65714", "301 N Main St"),
        ("88 Lakeview Drive, Branson, MO 65616", "88 Lakeview Dr"),
        ("4400 Sunshine Boulevard, Springfield, MO 65809", "4400 Sunshine Blvd"),
        ("1200 Northeast Parkway, Joplin, MO 64801", "1200 Northeast Pkwy"),
        ("900 Cherry Lane, Ozark, MO 65721", "900 Cherry Ln"),
        ("15 Harbor Court, Kimberling City, MO 65686", "15 Harbor Ct"),
        ("2100 Elm Avenue, Springfield, MO 65802", "2100 Elm Ave"),
        ("500 Commerce Street Northwest, Springfield, MO 65802", "500 Commerce St NW"),
    ],
)
def test_usps_street_normalization(text, street):
    parsed = parse_address(text)
    assert parsed is not None
    assert parsed.street == street


def test_parsed_parts():
    parsed = parse_address("2706 South River Road, Springfield, MO 65804")
    assert parsed is not None
    assert (parsed.city, parsed.state, parsed.postal_code, parsed.po_box, parsed.unit) == (
        "Springfield",
        "MO",
        "65804",
        False,
        "",
    )


@pytest.mark.parametrize(
    ("text", "unit", "full"),
    [
        ("2706 South River Road, Suite 4B, Springfield, MO 65804", "Ste 4B", "2706 S River Rd Ste 4B"),
        ("2706 South River Road Ste. 4B, Springfield, MO 65804", "Ste 4B", "2706 S River Rd Ste 4B"),
        ("2706 South River Road, Unit 12, Springfield, MO 65804", "Unit 12", "2706 S River Rd Unit 12"),
        ("2706 South River Road #4B, Springfield, MO 65804", "# 4B", "2706 S River Rd # 4B"),
    ],
)
def test_unit_separated_and_abbreviated(text, unit, full):
    parsed = parse_address(text)
    assert parsed is not None
    assert parsed.street == "2706 S River Rd"
    assert parsed.unit == unit
    assert parsed.full_street == full


@pytest.mark.parametrize(
    "text",
    [
        "PO Box 1123, Springfield, MO 65801",
        "P.O. Box 1123, Springfield, MO 65801",
        "Post Office Box 1123, Springfield, MO 65801",
    ],
)
def test_po_box(text):
    parsed = parse_address(text)
    assert parsed is not None
    assert (parsed.street, parsed.po_box, parsed.city, parsed.state) == ("PO Box 1123", True, "Springfield", "MO")


def test_multiline_text_accepted():
    parsed = parse_address("2706 South River Road\nSpringfield, MO 65804")
    assert parsed is not None
    assert (parsed.street, parsed.city) == ("2706 S River Rd", "Springfield")


def test_state_name_written_out():
    parsed = parse_address("2706 South River Road, Springfield, Missouri 65804")
    assert parsed is not None
    assert parsed.state == "MO"


def test_upper_case_city_title_cased():
    parsed = parse_address("2706 SOUTH RIVER ROAD, SPRINGFIELD, MO 65804")
    assert parsed is not None
    assert parsed.city == "Springfield"


def test_mixed_case_city_kept():
    parsed = parse_address("15 Harbor Court, McCall, ID 83638")
    assert parsed is not None
    assert parsed.city == "McCall"


def test_zip_plus_four_trimmed():
    parsed = parse_address("2706 South River Road, Springfield, MO 65804-2211")
    assert parsed is not None
    assert parsed.postal_code == "65804"


@pytest.mark.parametrize(
    "text",
    [
        "Springfield, MO 65804",
        "2706 South River Road",
        "2706 South River Road, Springfield",
        "Call us at (417) 555-0123 today",
        "We have served families in the Ozarks since 1998",
        "2706 South River Road, Springfield, ZZ 65804",
        "",
    ],
)
def test_incomplete_or_non_address_is_none(text):
    assert parse_address(text) is None


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("1910 Broadway, Fresno, CA 93721", "1910 Broadway"),  # a house number that looks like a year
        ("2000 Embarcadero, Oakland, CA 94606", "2000 Embarcadero"),
        ("2024 Cedar Bluff Rd, Springfield, MO 65802", "2024 Cedar Bluff Rd"),  # a street type says street
    ],
)
def test_year_like_house_number_on_a_street_whole_without_a_type(text, street):
    parsed = parse_address(text)
    assert parsed is not None and parsed.street == street


@pytest.mark.parametrize(
    "text",
    [
        "2024 Cedar Bluff Recovery, Springfield, MO 65802",  # a copyright line
        "2024 Broadway Recovery, Springfield, MO 65802",  # a name that starts like a listed street
        "1998 Ozark Family Services, Joplin, MO",
    ],
)
def test_year_before_a_name_is_still_not_an_address(text):
    assert parse_address(text) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("2706 South River Road, Springfield, MO 65804", "2706 S. River Rd, Springfield, MO 65804"),
        ("2706 South River Road, Suite 4B, Springfield, MO 65804", "2706 S River Rd, Springfield, MO 65804"),
        ("1420 west battlefield street, Springfield, MO 65807", "1420 W. Battlefield St., Springfield, MO 65807"),
    ],
)
def test_street_key_matches_variants(a, b):
    pa, pb = parse_address(a), parse_address(b)
    assert pa is not None
    assert pb is not None
    assert street_key(pa.full_street) == street_key(pb.full_street)


@pytest.mark.parametrize("street", ["2706 S River Rd # 4B", "2706 S. River Rd. #4B"])
def test_street_key_drops_hash_unit(street):
    assert street_key(street) == "2706 S RIVER RD"


def test_street_key_matches_hash_unit_variant():
    pa = parse_address("2706 South River Road #4B, Springfield, MO 65804")
    pb = parse_address("2706 S. River Rd, Springfield, MO 65804")
    assert pa is not None
    assert pb is not None
    assert street_key(pa.full_street) == street_key(pb.full_street)


@pytest.mark.xfail(
    reason="parse_address accepts usaddress's PlaceName 'Building C, Springfield' as the city instead of "
    "keeping the building as the unit",
    strict=True,
)
def test_building_unit_not_read_as_city():
    parsed = parse_address("2706 South River Road, Building C, Springfield, MO 65804")
    assert parsed is not None
    assert (parsed.city, parsed.full_street) == ("Springfield", "2706 S River Rd Bldg C")


def test_street_key_differs_for_different_streets():
    pa = parse_address("2706 South River Road, Springfield, MO 65804")
    pb = parse_address("2708 South River Road, Springfield, MO 65804")
    assert pa is not None
    assert pb is not None
    assert street_key(pa.full_street) != street_key(pb.full_street)


@pytest.mark.parametrize(
    ("street", "key"),
    [
        ("2706 S River Rd Ste 4B", "2706 S RIVER RD"),
        ("2706 S. River Rd., Suite 4B", "2706 S RIVER RD"),
        ("2706 S River Rd Unit 12", "2706 S RIVER RD"),
        ("2706 S River Rd Apt 3", "2706 S RIVER RD"),
        ("  2706  s river rd ", "2706 S RIVER RD"),
    ],
)
def test_street_key_drops_unit_case_and_punctuation(street, key):
    assert street_key(street) == key


@pytest.mark.parametrize(
    ("text", "abbr"),
    [
        ("Missouri", "MO"),
        ("MO", "MO"),
        ("mo", "MO"),
        ("Mo.", "MO"),
        (" New York ", "NY"),
        ("District of Columbia", "DC"),
        ("Puerto Rico", "PR"),
        ("Ontario", ""),
        ("", ""),
    ],
)
def test_state_abbr(text, abbr):
    assert state_abbr(text) == abbr


def test_state_names_longest_first():
    names = state_names()
    assert "new york" in names
    assert "ny" in names
    assert all(len(a) >= len(b) for a, b in itertools.pairwise(names))


@pytest.mark.parametrize(
    ("text", "z"),
    [("65804", "65804"), ("65804-2211", "65804"), ("Springfield, MO 65804", "65804"), ("6580", ""), ("", "")],
)
def test_zip5(text, z):
    assert zip5(text) == z
