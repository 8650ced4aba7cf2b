"""Which location a fact speaks about (issue 13): cards, location pages, menus, towns only."""

from __future__ import annotations

from provdir.extract import extract_page
from provdir.model.convert import to_json
from tests.helpers import site_locations

MENU = """
<header class="site-header"><img src="/logo.png" alt="Bluestem Behavioral Health logo">
  <nav class="main-navigation"><ul>
    <li><a href="/programs/detox/">Medical Detox</a></li>
    <li><a href="/programs/residential/">Residential Treatment</a></li>
    <li><a href="/programs/iop/">Intensive Outpatient (IOP)</a></li>
    <li><a href="/locations/">Locations</a></li>
  </ul></nav>
  <p class="call">Call 24/7: (405) 555-0100</p>
</header>
"""
FOOTER = """<footer id="colophon"><p>&copy; 2026 Bluestem Behavioral Health. CARF accredited.</p></footer>"""

LOCATIONS_PAGE = f"""<html><head><title>Our Locations | Bluestem Behavioral Health</title></head><body>
{MENU}
<main>
  <h1>Our Locations</h1>
  <p>Bluestem serves central Oklahoma from three sites.</p>
  <div class="location-card">
    <h3>Bluestem Crisis Center</h3>
    <p>1200 N Walker Ave<br>Oklahoma City, OK 73103</p>
    <p>Phone: (405) 555-0111 &nbsp; Fax: (405) 555-0112</p>
    <ul><li>Medical Detox</li><li>Crisis Stabilization</li></ul>
  </div>
  <div class="location-card">
    <h3>Norman Outpatient Clinic</h3>
    <p>455 W Main St<br>Norman, OK 73069</p>
    <p>Phone: (405) 555-0122</p>
    <ul><li>Intensive Outpatient (IOP)</li><li>Outpatient Counseling</li></ul>
  </div>
  <div class="location-card">
    <h3>Edmond Recovery Residence</h3>
    <p>88 E 2nd St<br>Edmond, OK 73034</p>
    <ul><li>Sober Living</li></ul>
  </div>
</main>
{FOOTER}</body></html>"""

CLINIC_PAGE = f"""<html><head><title>Norman Outpatient Clinic | Bluestem Behavioral Health</title></head><body>
{MENU}
<main>
  <h1>Norman Outpatient Clinic</h1>
  <p>Our Norman clinic offers intensive outpatient treatment and medication-assisted treatment
  with buprenorphine for adults.</p>
  <h2>Visit</h2>
  <p>455 W Main St<br>Norman, OK 73069</p>
</main>
{FOOTER}</body></html>"""

ABOUT_PAGE = f"""<html><head><title>About | Bluestem Behavioral Health</title></head><body>
{MENU}
<main><h1>About Bluestem</h1>
<p>Bluestem Behavioral Health offers medical detox, residential treatment and family programs
across central Oklahoma.</p></main>
{FOOTER}</body></html>"""

SOBER_HOMES = """<html><head><title>Our Homes | Cedar Lantern Sober Living</title></head><body>
<nav class="menu"><ul><li><a href="/homes/">Our Homes</a></li><li><a href="/apply/">Apply</a></li></ul></nav>
<main>
  <h1>Cedar Lantern Sober Living Homes</h1>
  <p>For privacy we do not publish our street addresses. Call us for a tour.</p>
  <h2>Contact Info</h2>
  <h5>LAKEWOOD, CO<br>GOLDEN, CO<br>LITTLETON, CO</h5>
  <h5>(720) 555-0190</h5>
</main>
<footer><p>&copy; Cedar Lantern Sober Living</p></footer></body></html>"""

HOUSE_PAGE = """<html><head><title>Aspen House | Cedar Lantern Sober Living</title></head><body>
<nav class="menu"><ul><li><a href="/homes/">Our Homes</a></li></ul></nav>
<main>
  <h2>ASPEN HOUSE</h2>
  <p>The Aspen House is located in Golden, Colorado. It is our sober living home,
  with eight bedrooms and a full-time house manager.</p>
</main></body></html>"""

BASE = "http://127.0.0.9:8000/"


def _obs(html: str, path: str) -> dict:
    o = extract_page(html, BASE + path.lstrip("/"), site="127.0.0.9:8000", seed_url=BASE)
    return to_json(o)


def _services(o: dict, scope: str, hint_start: str = "") -> set[str]:
    return {f["value"] for f in o["services"] if f["scope"] == scope and f["location_hint"].startswith(hint_start)}


# -- extraction: scope on facts --------------------------------------------------------------
def test_card_services_are_scoped_to_their_card():
    o = _obs(LOCATIONS_PAGE, "/locations/")
    assert _services(o, "location", "1200 N Walker Ave") >= {"detox"}
    assert "iop" not in _services(o, "location", "1200 N Walker Ave")
    assert _services(o, "location", "455 W Main St") >= {"iop", "outpatient"}
    assert "detox" not in _services(o, "location", "455 W Main St")
    assert _services(o, "location", "88 E 2nd St") == {"sober_living"}


def test_menu_services_are_organization_scoped():
    o = _obs(LOCATIONS_PAGE, "/locations/")
    menu = {f["value"] for f in o["services"] if f["region"] == "nav"}
    assert menu >= {"detox", "residential", "iop"}
    assert all(f["scope"] == "organization" and not f["location_hint"] for f in o["services"] if f["region"] == "nav")


def test_accreditation_in_footer_is_organization_scoped():
    o = _obs(LOCATIONS_PAGE, "/locations/")
    (carf,) = [f for f in o["accreditations"] if f["value"] == "CARF"]
    assert carf["scope"] == "organization"


def test_location_page_facts_are_that_locations():
    o = _obs(CLINIC_PAGE, "/locations/norman/")
    assert {"iop", "buprenorphine"} <= _services(o, "location", "455 W Main St, Norman, OK 73069")
    assert "detox" in _services(o, "organization")  # the menu


def test_about_page_statements_are_organization_scoped():
    o = _obs(ABOUT_PAGE, "/about/")
    assert {"detox", "residential", "family_program"} <= _services(o, "organization")
    assert not _services(o, "location")


def test_card_phone_stays_with_its_card_and_fax_is_not_a_phone():
    o = _obs(LOCATIONS_PAGE, "/locations/")
    by_street = {a["street"]: a for a in o["addresses"]}
    assert by_street["1200 N Walker Ave"]["phones"] == ["+14055550111"]
    assert by_street["455 W Main St"]["phones"] == ["+14055550122"]
    assert by_street["88 E 2nd St"]["phones"] == []
    fax = [p for p in o["phones"] if p["e164"] == "+14055550112"]
    assert all(p["role"] == "fax" for p in fax)


def test_card_labels_name_the_locations():
    o = _obs(LOCATIONS_PAGE, "/locations/")
    assert {a["label"] for a in o["addresses"]} == {
        "Bluestem Crisis Center",
        "Norman Outpatient Clinic",
        "Edmond Recovery Residence",
    }


def test_towns_only_become_city_level_places():
    o = _obs(SOBER_HOMES, "/homes/")
    towns = [(a["city"], a["state"], a["precision"], a["street"]) for a in o["addresses"]]
    assert towns == [("Lakewood", "CO", "city", ""), ("Golden", "CO", "city", ""), ("Littleton", "CO", "city", "")]


def test_located_in_sentence_names_a_town_and_the_page_is_about_it():
    o = _obs(HOUSE_PAGE, "/homes/aspen/")
    (a,) = o["addresses"]
    assert (a["city"], a["state"], a["precision"], a["label"]) == ("Golden", "CO", "city", "Aspen House")
    assert _services(o, "location", "Golden, CO") == {"sober_living"}


def test_a_town_that_is_not_in_the_state_is_not_a_place():
    html = SOBER_HOMES.replace("LITTLETON, CO", "SPRINGFIELD FALLS, CO")
    towns = {a["city"] for a in _obs(html, "/homes/")["addresses"]}
    assert "Springfield Falls" not in towns and "Littleton" not in towns


def test_town_line_under_a_street_is_not_another_place():
    o = _obs(CLINIC_PAGE, "/locations/norman/")
    assert [(a["street"], a["precision"]) for a in o["addresses"]] == [("455 W Main St", "street")]


# -- build: the row says what is known at that location ------------------------------------
def test_multi_location_rows_hold_their_own_services_and_org_services_apart():
    obs = [_obs(LOCATIONS_PAGE, "/locations/"), _obs(CLINIC_PAGE, "/locations/norman/"), _obs(ABOUT_PAGE, "/about/")]
    locs = {loc.street: loc for loc in site_locations(obs)}
    assert set(locs) == {"1200 N Walker Ave", "455 W Main St", "88 E 2nd St"}
    crisis, norman, edmond = locs["1200 N Walker Ave"], locs["455 W Main St"], locs["88 E 2nd St"]
    assert "detox" in crisis.services and "iop" not in crisis.services
    assert {"iop", "outpatient", "buprenorphine"} <= set(norman.services) and "detox" not in norman.services
    assert "sober_living" in edmond.services and "detox" not in edmond.services
    # org-wide menu/about facts are listed beside, not as the location's own
    assert "residential" in edmond.organization_services and "residential" not in edmond.services
    assert not set(norman.services) & set(norman.organization_services)
    assert crisis.accreditations == [] and crisis.organization_accreditations == ["CARF"]


def test_multi_location_phones_stay_with_their_card_main_line_shared():
    obs = [_obs(LOCATIONS_PAGE, "/locations/")]
    locs = {loc.street: loc for loc in site_locations(obs)}
    assert locs["1200 N Walker Ave"].phone == "+14055550111"
    assert "+14055550122" not in locs["1200 N Walker Ave"].phones
    assert "+14055550111" not in locs["455 W Main St"].phones
    assert "+14055550100" in locs["88 E 2nd St"].phones  # the header's main line
    assert locs["88 E 2nd St"].phone == "+14055550100"
    assert all("+14055550112" not in loc.phones for loc in locs.values())


def test_sober_living_operator_yields_one_city_level_location_per_town():
    obs = [_obs(SOBER_HOMES, "/homes/"), _obs(HOUSE_PAGE, "/homes/aspen/")]
    locs = {loc.city: loc for loc in site_locations(obs)}
    assert set(locs) == {"Lakewood", "Golden", "Littleton"}
    assert all(loc.street == "" and loc.address_precision == "city" for loc in locs.values())
    assert locs["Golden"].name == "Aspen House"
    assert locs["Lakewood"].name == f"{locs['Lakewood'].organization} \u2013 Lakewood"
    assert locs["Golden"].services == ["sober_living"]
    # sober living is the only level of care the site names: each home offers it
    sole = [e for e in locs["Lakewood"].evidence if e.field == "service" and e.basis == "sole_level"]
    assert locs["Lakewood"].services == ["sober_living"] and sole


def test_single_location_org_keeps_every_fact_as_its_own():
    obs = [_obs(CLINIC_PAGE, "/locations/norman/"), _obs(ABOUT_PAGE, "/about/")]
    (loc,) = site_locations(obs)
    assert {"detox", "residential", "iop", "buprenorphine", "family_program"} <= set(loc.services)
    assert loc.organization_services == [] and loc.accreditations == ["CARF"]


NETWORK = """<html><head><title>Our Facilities | Tallgrass Recovery Network</title></head><body>
<header role="banner"><nav role="navigation"><a href="/">Home</a> <a href="/facilities/">Our Facilities</a></nav></header>
<main>
  <h1>Our Facilities</h1>
  <ul class="facility-list">
    <li><strong>Tallgrass Wichita</strong><br>Wichita, KS<br>(316) 555-0140</li>
    <li><strong>Tallgrass Salina</strong><br>Salina, KS<br>(785) 555-0150</li>
  </ul>
</main>
<footer role="contentinfo">
  <p>Corporate Office<br>100 SE Quincy St<br>Topeka, KS 66603<br>(785) 555-0100</p>
  <p>&copy; 2026 Tallgrass Recovery Network, Topeka, Kansas</p>
</footer></body></html>"""


def test_network_list_items_are_city_level_places_named_by_their_first_line():
    o = _obs(NETWORK, "/facilities/")
    towns = [(a["label"], a["city"], a["precision"], a["phones"]) for a in o["addresses"] if a["precision"] == "city"]
    assert towns == [
        ("Tallgrass Wichita", "Wichita", "city", ["+13165550140"]),
        ("Tallgrass Salina", "Salina", "city", ["+17855550150"]),
    ]


def test_corporate_office_is_an_office_not_a_facility():
    o = _obs(NETWORK, "/facilities/")
    (office,) = [a for a in o["addresses"] if a["street"]]
    assert (office["street"], office["kind"]) == ("100 SE Quincy St", "office")
    locs = site_locations([o])
    assert sorted(loc.city for loc in locs) == ["Salina", "Wichita"]
    # the office's number is the organization's line: shared, and no clinic's own
    assert all("+17855550100" in loc.phones for loc in locs)
    assert {loc.phone for loc in locs} == {"+13165550140", "+17855550150"}


def test_an_office_is_the_location_when_the_site_shows_no_other():
    html = NETWORK.replace("<li><strong>Tallgrass Wichita</strong><br>Wichita, KS<br>(316) 555-0140</li>", "")
    html = html.replace("<li><strong>Tallgrass Salina</strong><br>Salina, KS<br>(785) 555-0150</li>", "")
    (loc,) = site_locations([_obs(html, "/facilities/")])
    assert (loc.street, loc.city, loc.address_precision) == ("100 SE Quincy St", "Topeka", "street")


COPYRIGHT_ONLY = """<html><head><title>Mesa Verde Recovery</title></head><body>
<nav class="menu"><ul><li><a href="/iop/">Intensive Outpatient</a></li></ul></nav>
<main><h1>Recovery in the Sonoran Desert</h1><p>We offer intensive outpatient treatment.</p></main>
<footer class="site-footer"><p>&copy; Mesa Verde Recovery, Tucson Arizona | Privacy Policy</p></footer>
</body></html>"""


def test_copyright_town_locates_an_org_with_no_other_address():
    (loc,) = site_locations([_obs(COPYRIGHT_ONLY, "/")])
    assert (loc.street, loc.city, loc.state, loc.address_precision) == ("", "Tucson", "AZ", "city")
    assert "iop" in loc.services


def test_copyright_town_is_not_another_location_beside_a_street_address():
    html = COPYRIGHT_ONLY.replace("<p>We offer", "<p>Visit us at 40 E Congress St, Tucson, AZ 85701.</p><p>We offer")
    (loc,) = site_locations([_obs(html, "/")])
    assert (loc.street, loc.address_precision) == ("40 E Congress St", "street")


def _brand_page(brand: str, logo: str, title: str, body: str) -> str:
    return f"""<html><head><title>{title}</title></head><body>
<header class="site-header"><a href="/"><img src="/img/{logo}" alt="{brand} logo"></a>
<nav class="main-navigation"><ul><li><a href="/willow/">Willow Creek</a></li><li><a href="/juniper/">Juniper House</a></li></ul></nav>
</header><main>{body}</main>
<footer class="site-footer"><p>Part of the Tamarack family of programs.</p></footer></body></html>"""


WILLOW = _brand_page(
    "Willow Creek Detox",
    "willow-logo.png",
    "Willow Creek Detox",
    """
<h1>Willow Creek Detox</h1><p>We offer medically supervised detox, 24 hours a day.</p>
<p>Willow Creek Detox<br>910 Alder Ln<br>Spokane, WA 99201</p><p>Call (509) 555-0141</p>""",
)
JUNIPER = _brand_page(
    "Juniper House Sober Living",
    "juniper-logo.png",
    "Juniper House",
    """
<h1>Juniper House</h1><p>Juniper House is our sober living home for women.</p>
<p>Juniper House<br>77 Birch Ave<br>Spokane Valley, WA 99206</p><p>Call (509) 555-0177</p>""",
)


def test_two_brand_theme_gives_one_organization_per_brand():
    obs = [
        _obs(WILLOW, "/willow/"),
        _obs(WILLOW.replace("<h1>Willow Creek Detox</h1>", "<h1>About</h1>"), "/willow/about/"),
        _obs(JUNIPER, "/juniper/"),
    ]
    locs = {loc.street: loc for loc in site_locations(obs)}
    willow, juniper = locs["910 Alder Ln"], locs["77 Birch Ave"]
    assert (willow.organization, juniper.organization) == ("Willow Creek Detox", "Juniper House Sober Living")
    assert "detox" in willow.services and "detox" not in juniper.services
    assert "sober_living" in juniper.services and "sober_living" not in willow.services
    assert willow.phone == "+15095550141" and "+15095550141" not in juniper.phones
    assert willow.location_key != juniper.location_key


def test_one_brand_with_a_partner_logo_stays_one_organization():
    partner = WILLOW.replace("/willow/", "/partners/").replace(
        "<p>Willow Creek Detox<br>910 Alder Ln<br>Spokane, WA 99201</p>", ""
    )
    partner = partner.replace('alt="Willow Creek Detox logo"', 'alt="Spokane Health Alliance logo"')
    locs = site_locations([_obs(WILLOW, "/willow/"), _obs(partner, "/partners/")])
    assert [loc.organization for loc in locs] == ["Willow Creek Detox"]


HOME_WITH_VISIT_LINE = f"""<html><head><title>Home | Bluestem Behavioral Health</title></head><body>
{MENU}
<main>
  <h2>Welcome to Bluestem</h2>
  <p>{"Bluestem Behavioral Health has served central Oklahoma for twenty-five years. " * 10}</p>
  <p>We offer medical detox, residential treatment and intensive outpatient programs at our three sites
  across the metro, and family programs for the people who love our clients.</p>
  <p>Visit our main office: 1200 N Walker Ave, Oklahoma City, OK 73103</p>
</main>
{FOOTER}</body></html>"""


def test_long_section_with_a_visit_line_is_not_that_addresss_card():
    o = _obs(HOME_WITH_VISIT_LINE, "/")
    assert {"detox", "residential", "iop"} <= _services(o, "organization")
    assert not _services(o, "location")


def test_template_town_beside_a_street_address_is_not_another_location():
    html = CLINIC_PAGE.replace(
        FOOTER, """<footer id="colophon"><p>Serving central Oklahoma</p><p>Moore, OK</p></footer>"""
    )
    (loc,) = site_locations([_obs(html, "/locations/norman/")])
    assert (loc.street, loc.city) == ("455 W Main St", "Norman")


# -- towns named without "located" (issue 13, follow-up) ------------------------------------
PROPERTIES_PAGE = """<html><head><title>Properties | Marigold House</title></head><body>
<nav class="menu"><ul><li><a href="/properties/">Properties</a></li><li><a href="/contact/">Contact</a></li></ul></nav>
<main>
  <h1>Our Properties</h1>
  <h2>Main Campus</h2>
  <p>Less than a mile from downtown, our main campus houses twelve women in early recovery.</p>
  <h2>Executive Housing</h2>
  <p>We offer improved accommodations for our women in St. Augustine, Florida. Each room has
  a private bath.</p>
  <h2>What Residents Say</h2>
  <blockquote><p>"I moved to Orlando, FL after treatment and the house gave me my life back." ~JR</p></blockquote>
  <p>Our clients come from Tampa, FL and Miami, FL and all over the Southeast.</p>
</main>
<footer><p>Marigold House &middot; West Palm Beach, FL &middot; (561) 555-0140</p></footer></body></html>"""

NETWORK_ABOUT = """<html><head><title>About | Pinecrest Sober Homes</title></head><body>
<main>
  <h1>About Pinecrest</h1>
  <p>Founded in 2015, we operate sober living homes in Denver, CO and Aurora, CO. In 2019 we
  opened our second home in Boulder and a third is planned.</p>
  <p>Our residents are minutes from Golden, CO and the foothills.</p>
  <p>Serving residents in Lakewood, Arvada and Westminster, CO.</p>
</main>
<footer><p>Pinecrest Sober Homes, Englewood, CO</p></footer></body></html>"""


def _towns(o: dict) -> set[tuple[str, str]]:
    return {(a["city"], a["state"]) for a in o["addresses"] if a["precision"] == "city"}


def test_a_home_for_our_women_in_a_town_is_a_city_level_place_named_by_its_heading():
    o = _obs(PROPERTIES_PAGE, "/properties/")
    (a,) = [a for a in o["addresses"] if a["city"] == "St. Augustine"]
    assert (a["state"], a["precision"], a["street"], a["label"]) == ("FL", "city", "", "Executive Housing")
    assert "accommodations for our women in St. Augustine, Florida" in a["snippet"]


def test_testimonial_and_where_clients_come_from_are_not_places():
    towns = _towns(_obs(PROPERTIES_PAGE, "/properties/"))
    assert not towns & {("Orlando", "FL"), ("Tampa", "FL"), ("Miami", "FL")}


def test_homes_in_two_towns_and_a_town_without_its_state_take_the_sites_state():
    towns = _towns(_obs(NETWORK_ABOUT, "/about/"))
    # "our second home in Boulder": the footer's one state (CO) fixes Boulder's
    assert {("Denver", "CO"), ("Aurora", "CO"), ("Boulder", "CO")} <= towns
    assert ("Golden", "CO") not in towns  # a distance, not a place
    # a service area of several towns is not a list of homes
    assert not towns & {("Lakewood", "CO"), ("Arvada", "CO"), ("Westminster", "CO")}


def test_a_town_without_a_state_is_dropped_when_the_site_names_no_single_state():
    html = NETWORK_ABOUT.replace("Englewood, CO", "Englewood, CO<br>Cheyenne, WY")
    towns = _towns(_obs(html, "/about/"))
    assert ("Boulder", "CO") not in towns and ("Denver", "CO") in towns


def test_a_town_without_a_state_must_exist_in_the_sites_state():
    html = NETWORK_ABOUT.replace("second home in Boulder", "second home in Springfield Falls")
    assert not {t for t in _towns(_obs(html, "/about/")) if t[0].startswith("Springfield")}


def test_serving_residents_in_one_town_is_a_place():
    html = NETWORK_ABOUT.replace(
        "Serving residents in Lakewood, Arvada and Westminster, CO.",
        "Proudly serving residents in St. Augustine, FL since 2010.",
    )
    assert ("St. Augustine", "FL") in _towns(_obs(html, "/about/"))


def test_cued_towns_on_a_blog_post_are_not_places():
    o = _obs(NETWORK_ABOUT.replace("<title>About", "<title>Blog"), "/blog/2024/our-story/")
    assert ("Denver", "CO") not in _towns(o)


def test_a_generic_location_line_does_not_name_the_place():
    html = SOBER_HOMES.replace(
        "<h5>LAKEWOOD, CO<br>GOLDEN, CO<br>LITTLETON, CO</h5>", "<p>Location:<br>Lakewood, CO</p>"
    )
    (a,) = [a for a in _obs(html, "/homes/")["addresses"] if a["city"] == "Lakewood"]
    assert a["label"] != "Location:"


# -- the evidence table says which scope each row speaks for --------------------------------
def test_evidence_rows_carry_the_scope_of_their_value():
    obs = [_obs(LOCATIONS_PAGE, "/locations/"), _obs(ABOUT_PAGE, "/about/")]
    locs = {loc.street: loc for loc in site_locations(obs)}
    crisis = locs["1200 N Walker Ave"]
    by = {(e.field, e.value): e.scope for e in crisis.evidence}
    assert all(e.scope in ("location", "organization") for loc in locs.values() for e in loc.evidence)
    assert by[("service", "detox")] == "location"  # its card
    assert by[("service", "residential")] == "organization"  # the menu and the about page
    assert by[("accreditation", "CARF")] == "organization"
    assert by[("organization", crisis.organization)] == "organization"
    assert by[("address", next(v for f, v in by if f == "address"))] == "location"
    assert by[("phone", "+14055550111")] == "location"  # printed in its card
    assert by[("phone", "+14055550100")] == "organization"  # the header's line, shared


def test_a_single_location_sites_evidence_is_that_locations_but_its_name():
    (loc,) = site_locations([_obs(CLINIC_PAGE, "/locations/norman/"), _obs(ABOUT_PAGE, "/about/")])
    scopes = {e.field: set() for e in loc.evidence}
    for e in loc.evidence:
        scopes[e.field].add(e.scope)
    assert scopes.pop("organization") == {"organization"}
    assert all(s == {"location"} for s in scopes.values()), scopes


def test_published_evidence_table_has_a_scope_column_in_the_dictionary(tmp_path):
    import pandas as pd

    from provdir.build import publish
    from tests.test_publish import stored_run

    stored_run(tmp_path, [_obs(LOCATIONS_PAGE, "/locations/"), _obs(ABOUT_PAGE, "/about/")])
    publish(tmp_path)
    ev = pd.read_parquet(tmp_path / "latest" / "evidence.parquet")
    assert set(ev["scope"]) == {"location", "organization"}
    detox = ev[(ev["field"] == "service") & (ev["value"] == "detox")]
    assert "location" in set(detox["scope"])
    assert set(ev[ev["field"] == "organization"]["scope"]) == {"organization"}
    dd = pd.read_csv(tmp_path / "latest" / "data_dictionary.csv")
    row = dd[(dd.iloc[:, 0] == "evidence") & (dd.iloc[:, 1] == "scope")]
    assert len(row) == 1


def test_a_state_named_where_a_town_would_be_is_not_a_town():
    # Iowa has a town named Nevada: "our homes in Nevada" on an Iowa site names the state
    html = (
        NETWORK_ABOUT.replace("Denver, CO and Aurora, CO", "Ames, IA and Ankeny, IA")
        .replace("Englewood, CO", "Ames, IA")
        .replace("our second home in Boulder", "our homes in Nevada")
    )
    towns = _towns(_obs(html, "/about/"))
    assert ("Ankeny", "IA") in towns and ("Nevada", "IA") not in towns


def test_serving_residents_beside_a_street_address_is_a_service_area_not_a_place():
    html = CLINIC_PAGE.replace("<h2>Visit</h2>", "<p>Proudly serving residents in Moore, OK.</p><h2>Visit</h2>")
    o = _obs(html, "/locations/norman/")
    assert [(a["street"], a["city"]) for a in o["addresses"]] == [("455 W Main St", "Norman")]
