"""From a site's page observations to facility locations (pure; no crawl)."""

from __future__ import annotations

from provdir.build.locations import format_license
from tests.helpers import site_locations

SITE = "127.0.0.9:8000"
SEED = f"http://{SITE}/"


def page(path: str, **facts) -> dict:
    base = {
        "source": "site",
        "site": SITE,
        "seed_url": SEED,
        "url": SEED + path.lstrip("/"),
        "seed_name": "",
        "org_names": [],
        "phones": [],
        "addresses": [],
        "accreditations": [],
        "licenses": [],
        "services": [],
    }
    base.update(facts)
    return base


def phone(e164: str, role: str = "main", region: str = "footer", source: str = "text") -> dict:
    return {
        "raw": e164,
        "e164": e164,
        "extension": "",
        "role": role,
        "snippet": f"Call {e164}",
        "region": region,
        "source": source,
    }


def address(
    street: str, city: str, zip5: str, label: str = "", region: str = "footer", phones=(), kind="physical"
) -> dict:
    return {
        "raw": f"{street}, {city}, MO {zip5}",
        "street": street,
        "city": city,
        "state": "MO",
        "postal_code": zip5,
        "kind": kind,
        "label": label,
        "phones": list(phones),
        "snippet": street,
        "region": region,
        "source": "text",
        "latitude": None,
        "longitude": None,
    }


def fact(value: str, basis: str = "menu", region: str = "nav") -> dict:
    return {"value": value, "snippet": value, "region": region, "basis": basis}


def name(value: str, basis: str = "title") -> dict:
    return {"value": value, "snippet": value, "region": "header", "basis": basis}


FOOTER = [
    address("2706 S River Rd", "St. Charles", "63303", "Main Campus"),
    address("8315 S Broadway", "St. Louis", "63111", "Transitional Housing"),
]


def test_same_footer_on_every_page_gives_one_row_per_address():
    obs = [page(p, addresses=FOOTER, org_names=[name("Harris House")]) for p in ("/", "/contact/", "/about/")]
    locs = site_locations(obs)
    assert sorted(loc.street for loc in locs) == ["2706 S River Rd", "8315 S Broadway"]
    assert {loc.name for loc in locs} == {"Main Campus", "Transitional Housing"}
    assert all(loc.organization == "Harris House" for loc in locs)


def test_fax_anywhere_on_site_is_never_a_contact_phone():
    obs = [
        page("/", phones=[phone("+13145550100"), phone("+13145550199")]),
        page("/contact/", phones=[phone("+13145550199", role="fax")]),
    ]
    (loc,) = site_locations(obs)
    assert loc.phones == ["+13145550100"]
    assert loc.phone == "+13145550100"


def test_main_phone_is_the_most_prominent():
    obs = [
        page(
            "/",
            phones=[phone("+13145550100", region="header"), phone("+13145550111", role="admissions", region="main")],
        ),
        page("/about/", phones=[phone("+13145550100", region="header")]),
    ]
    (loc,) = site_locations(obs)
    assert loc.phone == "+13145550100"
    assert loc.phone_roles == {"+13145550100": "main", "+13145550111": "admissions"}


def test_location_keeps_its_own_phone_first():
    cards = [
        address(
            "1840 E Sunshine St Ste 200",
            "Springfield",
            "65804",
            "Springfield Clinic",
            region="main",
            phones=["+14175550123"],
        ),
        address("2615 S Main St Ste 4B", "Joplin", "64804", "Joplin Clinic", region="main", phones=["+14175550146"]),
    ]
    obs = [
        page(
            "/locations/",
            addresses=cards,
            phones=[phone("+14175550123", region="main"), phone("+14175550146", region="main")],
        )
    ]
    by_city = {loc.city: loc for loc in site_locations(obs)}
    assert by_city["Joplin"].phone == "+14175550146"
    assert by_city["Joplin"].phones[0] == "+14175550146"
    assert by_city["Springfield"].phone == "+14175550123"


def test_location_card_name_beats_footer_org_name():
    footer = address("1840 E Sunshine St Ste 200", "Springfield", "65804", "Redbud Hollow", region="footer")
    card = address("1840 E Sunshine St Ste 200", "Springfield", "65804", "Springfield Clinic", region="main")
    obs = [page(p, addresses=[footer], org_names=[name("Redbud Hollow")]) for p in ("/", "/a/", "/b/", "/c/")]
    obs.append(page("/locations/", addresses=[card, footer], org_names=[name("Redbud Hollow")]))
    (loc,) = site_locations(obs)
    assert loc.name == "Springfield Clinic"


def test_site_without_address_still_yields_the_organization():
    obs = [
        page(
            "/",
            org_names=[name("Lakeview Sober Living")],
            phones=[phone("+15615550101")],
            services=[fact("sober_living")],
        )
    ]
    (loc,) = site_locations(obs)
    assert (loc.name, loc.street, loc.phone, loc.services) == (
        "Lakeview Sober Living",
        "",
        "+15615550101",
        ["sober_living"],
    )


def test_po_box_is_mailing_not_a_location():
    obs = [
        page(
            "/",
            addresses=[
                address("608 Hickman Ave", "Columbia", "65201"),
                address("PO Box 412", "Columbia", "65205", kind="mailing"),
            ],
        )
    ]
    (loc,) = site_locations(obs)
    assert loc.street == "608 Hickman Ave"
    assert loc.mailing_address == "PO Box 412, Columbia, MO 65205"


def test_site_wide_facts_of_a_multi_location_org_are_organization_facts_with_evidence():
    # Issue 13: a menu's services are the organization's, not each location's own.
    obs = [
        page(
            "/",
            addresses=FOOTER,
            services=[fact("detox"), fact("iop")],
            accreditations=[fact("CARF", "logo", "footer")],
        )
    ]
    locs = site_locations(obs)
    assert len(locs) == 2
    for loc in locs:
        assert loc.services == [] and loc.accreditations == []
        assert loc.organization_services == ["detox", "iop"] and loc.organization_accreditations == ["CARF"]
        scoped = {(e.field, e.value, e.scope) for e in loc.evidence}
        assert {
            ("service", "detox", "organization"),
            ("service", "iop", "organization"),
            ("accreditation", "CARF", "organization"),
        } <= scoped


def test_site_wide_facts_of_a_single_location_org_are_its_location_facts():
    obs = [page("/", addresses=FOOTER[:1], services=[fact("detox")], accreditations=[fact("CARF", "logo", "footer")])]
    (loc,) = site_locations(obs)
    assert loc.services == ["detox"] and loc.accreditations == ["CARF"]
    assert loc.organization_services == [] and loc.address_precision == "street"


def test_organization_votes_prefer_the_name_every_title_shares():
    obs = [
        page("/", org_names=[name("Home"), name("Quill Creek Recovery Center")]),
        page("/contact/", org_names=[name("Contact Us"), name("Quill Creek Recovery Center")]),
        page("/detox/", org_names=[name("Medical Detox"), name("Quill Creek Recovery Center")]),
    ]
    (loc,) = site_locations(obs)
    assert loc.organization == "Quill Creek Recovery Center"


def test_tagline_after_the_name_is_dropped():
    obs = [
        page(p, org_names=[name("Millrace House - Sober Living for Men", "meta"), name("Millrace House")])
        for p in ("/", "/a/")
    ]
    (loc,) = site_locations(obs)
    assert loc.organization == "Millrace House"


def test_seed_name_wins():
    obs = [page("/", seed_name="Harris House Foundation", org_names=[name("Harris House")])]
    (loc,) = site_locations(obs)
    assert loc.organization == "Harris House Foundation"


def test_license_with_number_absorbs_the_same_license_without():
    lic = {
        "agency": "California Department of Health Care Services",
        "state": "CA",
        "number": "",
        "snippet": "x",
        "region": "main",
    }
    numbered = {**lic, "number": "190-555-AP"}
    (loc,) = site_locations([page("/", licenses=[lic]), page("/about/", licenses=[numbered])])
    assert [format_license(x) for x in loc.licenses] == [
        "California Department of Health Care Services (CA) #190-555-AP"
    ]


def test_no_observations_no_locations():
    assert site_locations([]) == []
