"""Entity resolution rules on hand-made records shaped like SAMHSA's and the websites'."""

from __future__ import annotations

from provdir.build.locations import Location
from provdir.build.resolve import normalize_name, place_key, registered_domain, resolve


def loc(
    key: str,
    org: str,
    street: str,
    zip5: str,
    *,
    name: str = "",
    phone: str = "",
    phones=(),
    web: str = "",
    source: str = "samhsa",
    city: str = "Charlottesville",
) -> Location:
    return Location(
        source=source,
        site="",
        location_key=key,
        name=name or org,
        organization=org,
        street=street,
        city=city,
        state="VA",
        postal_code=zip5,
        phone=phone,
        phones=list(phones or ([phone] if phone else [])),
        website=web,
    )


def clusters(locations: list[Location]) -> set[frozenset[str]]:
    result = resolve(locations)
    return {frozenset(locations[i].location_key for i in c) for c in result.clusters}


def test_sa_and_mh_twins_with_spelling_drift_are_one_location():
    a = loc(
        "b84c535e",
        "Region Ten Community Services Board",
        "71 Tan Bark Plz",
        "22949",
        name="Nelson Counseling Center",
        phone="+14342634889",
        web="http://www.regionten.org",
    )
    b = loc(
        "95a5afc4",
        "Region Ten Community Services Board",
        "71 Tanbark Plz",
        "22949",
        name="Nelson County Office",
        phone="+14342634889",
        web="http://regionten.org",
    )
    assert clusters([a, b]) == {frozenset({"b84c535e", "95a5afc4"})}


def test_two_organizations_in_one_building_stay_apart():
    a = loc("a", "Addiction Allies LLC", "233 Hydraulic Ridge Rd Ste 203-A", "22901", phone="+14349621645")
    b = loc("b", "Orchard Mountain Recovery", "233 Hydraulic Ridge Rd Ste 105", "22901", phone="+14342822294")
    assert clusters([a, b]) == {frozenset({"a"}), frozenset({"b"})}


def test_program_with_its_own_name_and_main_phone_stays_apart_from_its_parent():
    pact = loc(
        "pact",
        "PACT",
        "85 Sangers Ln",
        "24401",
        phone="+15408867100",
        phones=["+15408867100", "+15408873200"],
        web="http://myvalleycsb.org",
    )
    sa = loc(
        "sa",
        "Valley Community Services Board",
        "85 Sangers Ln",
        "24401",
        name="Substance Abuse Outpatient Services",
        phone="+15408873200",
        web="http://www.myvalleycsb.org",
    )
    mh = loc(
        "mh",
        "Valley Community Services Board",
        "85 Sangers Ln",
        "24401",
        phone="+15408873200",
        web="http://www.myvalleycsb.org",
    )
    assert clusters([pact, sa, mh]) == {frozenset({"pact"}), frozenset({"sa", "mh"})}


def test_website_and_directory_listing_of_one_place_merge():
    site = loc(
        "2706 S RIVER RD|63303",
        "Harris House",
        "2706 S River Rd",
        "63303",
        name="Harris House Treatment Center",
        phone="+13146314299",
        web="https://www.harrishouse.example/",
        source="site",
        city="St. Charles",
    )
    listing = loc(
        "frid1",
        "Harris House Foundation",
        "2706 South River Road",
        "63303",
        phone="+13146314299",
        web="http://harrishouse.example",
        city="St. Charles",
    )
    listing.street = "2706 S River Rd"  # as the SAMHSA mapping writes it (USPS style)
    assert clusters([site, listing]) == {frozenset({"2706 S RIVER RD|63303", "frid1"})}


def test_same_organization_different_house_numbers_stay_apart():
    a = loc("a", "Region Ten Community Services Board", "500 Old Lynchburg Rd", "22903", phone="+14349721800")
    b = loc("b", "Region Ten Community Services Board", "504 Old Lynchburg Rd", "22903", phone="+14349721876")
    assert len(clusters([a, b])) == 2


def test_record_without_street_joins_the_one_location_sharing_domain_and_phone():
    located = loc(
        "x",
        "Orchard Mountain Recovery",
        "355 Rio Rd W Ste 203",
        "22901",
        phone="+14342822294",
        web="http://www.orchardmtnrecovery.com",
    )
    bare = loc(
        "org",
        "Orchard Mountain Recovery",
        "",
        "",
        phone="+14342822294",
        web="https://orchardmtnrecovery.com/",
        source="site",
    )
    assert clusters([located, bare]) == {frozenset({"x", "org"})}


def test_record_without_street_does_not_pick_one_of_several_locations():
    a = loc("a", "Chain Recovery", "1 Main St", "22901", phone="+14345550100", web="http://chain.example")
    b = loc("b", "Chain Recovery", "9 Oak Ave", "22902", phone="+14345550100", web="http://chain.example")
    bare = loc("org", "Chain Recovery", "", "", phone="+14345550100", web="http://chain.example", source="site")
    assert frozenset({"org"}) in clusters([a, b, bare])


def test_comparisons_stay_inside_blocks():
    many = [loc(str(i), f"Org {i}", f"{100 + i} Main St", f"{22000 + i:05d}") for i in range(200)]
    result = resolve(many)
    assert result.comparisons == 0
    assert len(result.clusters) == 200


def test_keys():
    assert registered_domain("http://www.regionten.org/") == "regionten.org"
    assert registered_domain("Www.FairWindsGroupHome.com") == "fairwindsgrouphome.com"
    assert registered_domain("http://127.0.0.11:8061/") == "127.0.0.11:8061"
    assert place_key("71 Tan Bark Plz") == place_key("71 Tanbark Plz")
    assert place_key("901 Preston Ave Ste 201") == ("901", "PRESTONAVE", "STE 201")
    assert normalize_name("The Lilly Pad, LLC") == "lilly pad"
