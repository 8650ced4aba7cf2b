"""provdir.normalize.agency: the registry of licensing bodies (vocab/licensing_agencies.yaml),
its name normalisation, and the state of a license completed from the facility
(provdir.build.licenses)."""

from __future__ import annotations

import re

import pytest

from provdir.build import licenses as site_licenses
from provdir.normalize import agency
from tests.helpers import site_state, typed_license

JURISDICTIONS = {
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "DC",
    "PR",
    "AS",
    "GU",
    "MP",
    "VI",
}
ROLES = {"ssa", "smha", "health", "hospital", "licensing", "umbrella"}
KINDS = {
    "facility_license",
    "program_certification",
    "otp",
    "ccbhc",
    "recovery_residence",
    "dui_program",
    "psychiatric_hospital",
    "children_residential",
}


def test_every_state_and_territory_has_an_agency():
    assert {a.state for a in agency.registry().agencies} == JURISDICTIONS
    for st in JURISDICTIONS:
        assert agency.registry().in_state(st), st


@pytest.mark.parametrize("role", ["ssa", "smha", "health", "hospital"])
def test_every_jurisdiction_has_each_samhsa_role(role):
    # SAMHSA's four license labels must name a body in every state, or verification cannot
    # compare a listing's license with the website's.
    missing = [st for st in JURISDICTIONS if not any(role in a.roles for a in agency.registry().in_state(st))]
    assert missing == []


def test_entries_are_well_formed():
    reg = agency.registry()
    ids = [a.id for a in reg.agencies]
    assert len(ids) == len(set(ids))
    for a in reg.agencies:
        assert a.id.startswith(f"{a.state}-"), a.id
        assert set(a.roles) <= ROLES, a.id
        assert set(a.credentials) <= KINDS, a.id
        assert a.name and a.name == a.name.strip()
        if a.license_pattern:
            re.compile(a.license_pattern)


@pytest.mark.parametrize(
    ("text", "agency_id"),
    [
        ("Missouri Dept. of Mental Health", "MO-DMH"),
        ("the State of Missouri Department of Mental Health", "MO-DMH"),
        ("New York State Office of Addiction Services & Supports", "NY-OASAS"),
        ("California Department of Healthcare Services", "CA-DHCS"),
        ("Florida Agency for Healthcare Administration", "FL-AHCA"),
        ("Rhode Island Department of Behavioral Healthcare, Developmental Disabilities & Hospitals", "RI-BHDDH"),
        ("Dept of Behavioral Health and Developmental Services, Commonwealth of Virginia", "VA-DBHDS"),
        ("Washington State Department of Health", "WA-DOH"),
        ("Ohio Department of Mental Health & Addiction Services", "OH-OHIOMHAS"),
    ],
)
def test_name_variants_match_by_normalisation(text, agency_id):
    (m,) = [m for m in agency.find(text) if m.how != "state"]
    assert m.agency is not None and m.agency.id == agency_id


def test_a_name_longer_than_the_registry_name_is_another_body():
    assert agency.find("Virginia Department of Health Professions") == []


def test_shared_names_resolve_with_the_state():
    (m,) = agency.find("Licensed by the Department of Mental Health")
    assert (m.name, m.state, m.agency) == ("Department of Mental Health", "", None)
    resolved = agency.resolve("Department of Mental Health", "MO")
    assert resolved is not None and resolved.agency is not None
    assert (resolved.name, resolved.agency.id) == ("Missouri Department of Mental Health", "MO-DMH")
    assert agency.resolve("DMH", "MA").agency.id == "MA-DMH"


def test_samhsa_labels_map_onto_the_state_agency():
    assert agency.samhsa_license("State substance abuse agency", "MO") == (
        "Missouri Department of Mental Health",
        "MO-DMH",
    )
    assert agency.samhsa_license("State mental health department", "NY") == (
        "New York State Office of Mental Health",
        "NY-OMH",
    )
    assert agency.samhsa_license("Hospital licensing authority", "FL") == (
        "Florida Agency for Health Care Administration",
        "FL-AHCA",
    )
    # An unknown label stays as SAMHSA wrote it.
    assert agency.samhsa_license("Some new label", "MO") == ("Some new label", "")


# -- the state of a license, completed from the facility -------------------------------------------


def lic(**kw):
    return {"agency": "", "state": "", "number": "", "snippet": "", "region": "main", **kw}


def complete(data: dict, state: str) -> dict | None:
    return site_licenses.complete(typed_license(data), state)


def test_state_licensed_takes_the_facility_state_as_inferred():
    done = complete(lic(as_shown="State-licensed"), "FL")
    assert (done["agency"], done["state"], done["state_inferred"]) == ("", "FL", True)


def test_shared_name_resolves_in_the_facility_state():
    done = complete(
        lic(agency="Department of Health and Human Services", as_shown="Dept. of Health & Human Services"), "ME"
    )
    assert (done["agency"], done["agency_id"], done["state"], done["state_inferred"]) == (
        "Maine Department of Health and Human Services",
        "ME-DHHS",
        "ME",
        True,
    )


def test_named_state_is_never_overwritten():
    done = complete(lic(agency="Texas Health and Human Services Commission", state="TX", agency_id="TX-HHSC"), "OK")
    assert (done["state"], done["state_inferred"]) == ("TX", False)


def test_logo_whose_agency_the_state_lacks_is_dropped():
    logo = lic(agency="Department of Mental Health", as_shown="DMH", basis="logo")
    assert complete(logo, "TX") is None
    assert complete(logo, "MO")["agency_id"] == "MO-DMH"
    assert complete(logo, "") is None


def test_site_state_only_when_every_address_agrees():
    one = [{"addresses": [{"state": "MO"}, {"state": "MO"}]}]
    two = [{"addresses": [{"state": "MO"}]}, {"addresses": [{"state": "KS"}]}]
    assert site_state(one) == "MO"
    assert site_state(two) == ""


# -- through the build: one site's pages to its locations -------------------------------------------
def page(path: str, state: str, licenses: list[dict]) -> dict:
    seed = "http://127.0.0.9:8000/"
    addr = {
        "raw": "1 Main St",
        "street": "1 Main St",
        "city": "Springfield",
        "state": state,
        "postal_code": "65801",
        "kind": "physical",
        "label": "",
        "phones": [],
        "snippet": "1 Main St",
        "region": "footer",
        "source": "text",
        "latitude": None,
        "longitude": None,
    }
    return {
        "source": "site",
        "site": "127.0.0.9:8000",
        "seed_url": seed,
        "url": seed + path.lstrip("/"),
        "seed_name": "",
        "org_names": [],
        "phones": [],
        "addresses": [addr],
        "accreditations": [],
        "licenses": licenses,
        "services": [],
    }


def test_site_location_license_state_from_address_and_state_licensed_absorbed():
    from provdir.build.locations import format_license
    from tests.helpers import site_locations

    home = page("/", "MO", [lic(as_shown="State-licensed", snippet="A state-licensed program.")])
    about = page(
        "/about/",
        "MO",
        [
            lic(
                agency="Department of Mental Health",
                as_shown="Department of Mental Health",
                snippet="Licensed/Certified by the Department of Mental Health.",
            )
        ],
    )
    (loc,) = site_locations([home, about])
    assert [format_license(x) for x in loc.licenses] == ["Missouri Department of Mental Health (MO)"]
    (only,) = loc.licenses
    assert (only["agency_id"], only["state_inferred"]) == ("MO-DMH", True)
    assert [e.value for e in loc.evidence if e.field == "license"] == ["Missouri Department of Mental Health (MO)"]


# -- verification compares agency with agency --------------------------------------------------------
def test_listing_license_confirmed_by_the_same_registry_agency_only():
    from provdir.build.verify import compare
    from tests.test_verify import listing, site, status

    dmh = {"agency": "Missouri Department of Mental Health", "state": "MO", "number": "", "agency_id": "MO-DMH"}
    dhss = {
        "agency": "Missouri Department of Health and Senior Services",
        "state": "MO",
        "number": "",
        "agency_id": "MO-DHSS",
    }
    listed = listing(licenses=[{**dmh, "as_shown": "State substance abuse agency"}])
    assert status(compare(listed, site(licenses=[dmh])), "license") == {"confirmed"}
    rows = compare(listed, site(licenses=[dhss]))
    assert status(rows, "license", "Missouri Department of Mental Health (MO)") == {"only_directory"}
    assert status(rows, "license", "Missouri Department of Health and Senior Services (MO)") == {"only_website"}
    # A website license naming no registry agency still confirms a listing in its state.
    shown = {"agency": "State license", "state": "MO", "number": "", "agency_id": ""}
    assert status(compare(listed, site(licenses=[shown])), "license") == {"confirmed"}


def test_site_without_address_takes_the_state_of_its_phones_area_code():
    phones = [
        {
            "addresses": [],
            "phones": [{"e164": "+14055550182", "role": "main"}, {"e164": "+18005551212", "role": "main"}],
        }
    ]
    assert site_state(phones) == "OK"
    two = [
        {
            "addresses": [],
            "phones": [{"e164": "+14055550182", "role": "main"}, {"e164": "+15205551234", "role": "main"}],
        }
    ]
    assert site_state(two) == ""


def test_site_in_two_states_gives_each_location_its_own_state():
    from provdir.build.locations import format_license
    from tests.helpers import site_locations

    state_licensed = [lic(as_shown="State-licensed", snippet="Every one of our clinics is state-licensed.")]
    mo = page("/", "MO", state_licensed)
    ks = page("/kansas/", "KS", [])
    ks["addresses"][0].update(street="9 Elm St", city="Olathe", postal_code="66061", raw="9 Elm St")
    locs = {loc.state: loc for loc in site_locations([mo, ks])}
    # An organization-wide statement of a multi-location site: each location's organization_licenses.
    assert [format_license(x) for x in locs["MO"].organization_licenses] == ["State license (MO)"]
    assert [format_license(x) for x in locs["KS"].organization_licenses] == ["State license (KS)"]
    assert locs["MO"].licenses == [] and locs["KS"].licenses == []
    assert [e.value for e in locs["KS"].evidence if e.field == "license"] == ["State license (KS)"]


# --- abbreviated state names (vocab/state_abbreviations.csv) ----------------------------------


@pytest.mark.parametrize(
    ("text", "agency_id"),
    [
        ("Mo. Dept. of Mental Health", "MO-DMH"),
        ("Okla. Department of Mental Health and Substance Abuse Services", "OK-ODMHSAS"),
        ("Tenn. Dept. of Mental Health & Substance Abuse Services", "TN-TDMHSAS"),
        ("Calif. Department of Health Care Services", "CA-DHCS"),
        ("Mich. Department of Licensing and Regulatory Affairs", "MI-LARA"),
        ("Fla. Department of Children and Families", "FL-DCF"),
        ("Pa. Department of Drug and Alcohol Programs", "PA-DDAP"),
        ("Penn. Department of Human Services", "PA-DHS"),
        ("Mass. Dept. of Public Health", "MA-DPH"),
        ("MASS. DEPT. OF PUBLIC HEALTH", "MA-DPH"),
        ("Wash. State Health Care Authority", "WA-HCA"),
        ("Miss. Department of Mental Health", "MS-DMH"),
        ("N.C. Department of Health and Human Services", "NC-DHHS"),
        ("N. C. Dept. of Health and Human Services", "NC-DHHS"),
        ("W.Va. Department of Health", "WV-DOH"),
        ("W. Va. Department of Human Services", "WV-DOHS"),
        ("Va. Department of Behavioral Health and Developmental Services", "VA-DBHDS"),
        ("N.Y.S. Office of Mental Health", "NY-OMH"),
        ("Tex. Health and Human Services Commission", "TX-HHSC"),
        ("Wis. Department of Health Services", "WI-DHS"),
        ("S.C. Department of Mental Health", "SC-DMH"),
    ],
)
def test_abbreviated_state_names_resolve_the_agency(text, agency_id):
    (m,) = agency.find(f"Licensed by the {text}.")
    assert (m.agency.id if m.agency else None, m.state) == (agency_id, agency_id[:2])
    assert m.text == text  # as shown, abbreviation included


def test_abbreviated_state_before_an_acronym():
    (m,) = [m for m in agency.find("Certified by the Mo. DMH since 2015.") if m.how == "acronym"]
    assert (m.agency.id, m.state) == ("MO-DMH", "MO")


def test_abbreviation_needs_its_period_and_case():
    # "ill", "Mass" and "Wash" are words: without the abbreviation's period and case the
    # department is the generic one (its state comes from the facility).
    for text in (
        "care for the ill Department of Mental Health",
        "Mass Department of Public Health",
        "Car Wash Department of Health",
    ):
        found = [m for m in agency.find(text) if m.how != "state"]
        assert [(m.agency, m.state) for m in found] == [(None, "")], text


def test_every_abbreviation_names_a_listed_state():
    states = {a.state for a in agency.registry().agencies}
    pattern, words = agency._abbreviations()
    assert len(words) >= 2 * 50  # each form as written and in capitals
    for form, name in words.items():
        assert agency.state_code(name) in states, form
        assert pattern.fullmatch(form), form


def test_every_agency_found_under_every_abbreviation_of_its_state():
    # "Oklahoma Department of ..." written "Okla. Department of ...": the same agency, for each
    # agency whose name starts with its state and each abbreviation the vocabulary lists.
    reg = agency.registry()
    _, forms = agency._abbreviations()
    checked = 0
    for a in reg.agencies:
        for form, words in forms.items():
            if agency.state_code(words) != a.state:
                continue
            state_name = " ".join(w.capitalize() for w in words)
            if not a.name.startswith(state_name):
                continue
            shown = form + a.name[len(state_name) :]
            found = [m for m in agency.find(f"Licensed by the {shown}.") if m.how != "state"]
            assert [m.agency.id if m.agency else None for m in found][:1] == [a.id], shown
            checked += 1
    assert checked >= 100
