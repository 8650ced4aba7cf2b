"""provdir.extract.extract_page: the entry point, end to end over one realistic page."""

from __future__ import annotations

import json

import pytest

from provdir.extract import extract_page, org_name_candidates, org_terms, page_kind
from provdir.extract.page import parse_page
from provdir.model.convert import observation_from_json, to_json
from provdir.model.items import PageObservation

SITE = "https://www.cedarbluffrecovery.example"

HOME_PAGE = """<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8">
<title>Cedar Bluff Recovery | Drug &amp; Alcohol Rehab in Springfield, MO</title>
<meta property="og:site_name" content="Cedar Bluff Recovery">
<meta property="og:type" content="website">
<script>window.dataLayer = window.dataLayer || []; /* call (417) 555-0199 */</script>
</head>
<body class="home page-template-default header-overlay-left">
<div id="page" class="site">
  <div class="top-bar"><div class="container">
    <div class="top-bar-phone">Call 24/7: <a href="tel:+14175550123">(417) 555-0123</a></div>
    <div class="top-bar-text">Text us: (417) 555-0126</div>
  </div></div>
  <header id="masthead" class="site-header">
    <div class="site-branding">
      <a href="/" rel="home"><img src="/wp-content/uploads/2021/03/cedar-bluff-logo.png" alt="Cedar Bluff Recovery Logo"></a>
    </div>
    <nav id="site-navigation" class="main-navigation"><div class="menu-main-menu-container">
      <ul id="primary-menu" class="menu">
        <li class="menu-item"><a href="/about-us/">About Us</a></li>
        <li class="menu-item menu-item-has-children"><a href="/programs/">Programs</a>
          <ul class="sub-menu">
            <li class="menu-item"><a href="/programs/inpatient-detox/">Inpatient / Detox</a></li>
            <li class="menu-item"><a href="/programs/iop/">Intensive Outpatient</a></li>
            <li class="menu-item"><a href="/programs/sober-living/">Sober Living</a></li>
          </ul>
        </li>
        <li class="menu-item"><a href="/admissions/">Admissions</a></li>
        <li class="menu-item"><a href="/blog/">Blog</a></li>
      </ul>
    </div></nav>
  </header>
  <div id="content" class="site-content">
    <main id="main" class="site-main">
      <h1>Lasting Recovery Starts in the Ozarks</h1>
      <p>Cedar Bluff Recovery offers medically supervised detox and residential treatment for adults.
      We do not offer methadone, but we provide buprenorphine to clients who qualify.</p>
      <p>We plan to add a partial hospitalization program in 2026.</p>
      <p>Cedar Bluff Recovery is licensed by the Missouri Department of Mental Health, license #MO-44172,
      and accredited by CARF.</p>
      <template id="tmpl-card"><h2>Adolescent Program</h2></template>
    </main>
    <aside id="secondary" class="widget-area">
      <section class="widget"><h2 class="widget-title">Recent Posts</h2>
        <ul><li><a href="/blog/what-is-medical-detox/">What Is Medical Detox?</a></li>
        <li><a href="/blog/ketamine-myths/">Ketamine Therapy Myths</a></li></ul>
      </section>
    </aside>
  </div>
  <footer id="colophon" class="site-footer">
    <div class="footer-widgets">
      <div class="widget"><h3>Visit Us</h3>
        <p>Cedar Bluff Recovery<br>2706 South River Road, Suite 4B<br>Springfield, MO 65804</p>
        <p>Admissions: (417) 555-0125</p>
      </div>
      <div class="widget accreditation-logos">
        <img src="/wp-content/uploads/2022/05/joint-commission-gold-seal.png" alt="">
        <img src="/wp-content/uploads/2022/05/badge-2.png" alt="LegitScript Certified">
      </div>
    </div>
    <div class="crisis-note"><p>In a crisis, call or text 988.</p></div>
    <div class="site-info"><p>&copy; 2024 Cedar Bluff Recovery. All rights reserved.</p></div>
  </footer>
</div>
</body>
</html>
"""


@pytest.fixture(scope="module")
def home() -> PageObservation:
    return extract_page(
        HOME_PAGE,
        f"{SITE}/",
        site="www.cedarbluffrecovery.example",
        seed_url=f"{SITE}/",
        seed_name="Cedar Bluff Recovery",
    )


def services(obs: PageObservation) -> set[str]:
    return {f.value for f in obs.services}


# --- the observation envelope ----------------------------------------------------------------


def test_envelope_fields(home):
    assert (home.source, home.site, home.seed_url, home.url, home.seed_name) == (
        "site",
        "www.cedarbluffrecovery.example",
        f"{SITE}/",
        f"{SITE}/",
        "Cedar Bluff Recovery",
    )
    assert home.page_kind == "home"
    assert home.title == "Cedar Bluff Recovery | Drug & Alcohol Rehab in Springfield, MO"


def test_content_hash_is_sha1_of_text_and_ignores_markup_changes(home):
    assert len(home.content_hash) == 40
    restyled = HOME_PAGE.replace('class="site-main"', 'class="site-main container-fluid"')
    assert extract_page(restyled, f"{SITE}/").content_hash == home.content_hash
    edited = HOME_PAGE.replace("for adults", "for adults and families")
    assert extract_page(edited, f"{SITE}/").content_hash != home.content_hash


def test_observation_round_trips_through_dict(home):
    data = json.loads(json.dumps(to_json(home)))
    assert observation_from_json(data) == home


# --- the facts of the home page ----------------------------------------------------------------


def test_home_page_services(home):
    got = services(home)
    assert {"detox", "residential", "iop", "sober_living", "buprenorphine", "substance_use"} <= got
    assert got.isdisjoint({"methadone", "php", "adolescents", "ketamine"})


def test_home_page_rejections_explain_why(home):
    reasons = {(r["value"], r["reason"]) for r in home.rejected if r["field"] == "service"}
    assert ("methadone", "negation") in reasons
    assert ("php", "future") in reasons


def test_home_page_phones(home):
    text_roles = {(p.e164, p.role) for p in home.phones if p.source == "text"}
    assert ("+14175550123", "main") in text_roles
    assert ("+14175550126", "text") in text_roles
    assert ("+14175550125", "admissions") in text_roles
    assert "+14175550199" not in {p.e164 for p in home.phones}  # inside <script>


def test_home_page_address(home):
    assert [(a.street, a.city, a.state, a.postal_code, a.label, a.phones) for a in home.addresses] == [
        ("2706 S River Rd Ste 4B", "Springfield", "MO", "65804", "Cedar Bluff Recovery", ["+14175550125"])
    ]


def test_home_page_accreditations(home):
    assert {f.value: f.basis for f in home.accreditations} == {"CARF": "statement", "JC": "logo", "LEGITSCRIPT": "logo"}


def test_home_page_license(home):
    assert [(f.agency, f.state, f.number) for f in home.licenses] == [
        ("Missouri Department of Mental Health", "MO", "MO-44172")
    ]


def test_home_page_org_names(home):
    by_basis = {(f.basis, f.value) for f in home.org_names}
    assert ("meta", "Cedar Bluff Recovery") in by_basis
    assert ("title", "Cedar Bluff Recovery") in by_basis
    assert ("logo", "Cedar Bluff Recovery") in by_basis


# --- page kinds ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/", "home"),
        ("/index.html", "home"),
        ("/contact-us/", "contact"),
        ("/get-in-touch/", "contact"),
        ("/locations/joplin/", "locations"),
        ("/directions/", "locations"),
        ("/admissions/", "admissions"),
        ("/insurance/verify/", "admissions"),
        ("/about-us/", "about"),
        ("/accreditation/", "about"),
        ("/programs/medical-detox/", "program"),
        ("/sober-living/", "program"),
        ("/gallery/", "other"),
    ],
)
def test_page_kind_from_url(path, kind):
    assert page_kind(SITE + path, blog=False) == kind


def test_blog_flag_wins_page_kind():
    assert page_kind(f"{SITE}/programs/detox/", blog=True) == "blog"


# --- org names and the terms that mean "this organization" ------------------------------------


def test_org_name_candidates_from_meta_title_and_header_logo():
    html = (
        "<html><head><title>Medical Detox – Juniper Ridge Treatment Center</title>"
        '<meta property="og:site_name" content="Juniper Ridge"></head><body>'
        '<header><img src="/uploads/jr-logo.png" alt="Juniper Ridge Treatment Center logo"></header>'
        '<main><img src="/uploads/logo-wall.png" alt="Partner logo: Ozark Clinic"></main></body></html>'
    )
    facts = org_name_candidates(parse_page(html, SITE), [])
    assert [(f.basis, f.value) for f in facts] == [
        ("meta", "Juniper Ridge"),
        ("title", "Medical Detox"),
        ("title", "Juniper Ridge Treatment Center"),
        ("logo", "Juniper Ridge Treatment Center"),
    ]


def test_org_terms_full_name_first_two_words_and_distinctive_first_word():
    terms = org_terms(["The Juniper Ridge Treatment Center"])
    assert "the juniper ridge treatment center" in terms
    assert "juniper ridge" in terms
    assert "juniper" in terms


def test_org_terms_skip_common_first_word_and_short_names():
    terms = org_terms(["Recovery Place of the Ozarks", "CBR"])
    assert "recovery" not in terms
    assert "recovery place" in terms
    assert "cbr" not in terms


def test_org_terms_skip_program_title_segments():
    assert org_terms(["Medical Detox", "Intensive Outpatient Program"]) == ()


def test_distinctive_first_word_makes_statement_a_claim():
    html = (
        "<html><head><title>Juniper Ridge Treatment Center</title></head><body><main>"
        "<p>Juniper provides lifetime aftercare for every client and family.</p></main></body></html>"
    )
    assert "aftercare" in services(extract_page(html, f"{SITE}/"))


def test_org_term_must_be_whole_word():
    # "cedar" inside "cedars" is not the organization speaking.
    html = (
        "<html><head><title>Home</title></head><body><main>"
        "<p>The Cedars Hospital provides medical detox for the region.</p></main></body></html>"
    )
    assert "detox" not in services(extract_page(html, f"{SITE}/", seed_name="Cedar Creek Center"))


def test_known_org_names_count_as_self():
    html = (
        "<html><head><title>Home</title></head><body><main>"
        "<p>Bluestem House provides lifetime aftercare for every client and family.</p></main></body></html>"
    )
    assert "aftercare" not in services(extract_page(html, f"{SITE}/"))
    assert "aftercare" in services(extract_page(html, f"{SITE}/", known_org_names=("Bluestem House",)))


def test_empty_page_gives_empty_observation():
    obs = extract_page("", f"{SITE}/empty/")
    assert (obs.services, obs.phones, obs.addresses, obs.accreditations, obs.licenses) == ([], [], [], [], [])


def test_a_link_that_is_no_url_costs_the_page_nothing():
    html = """<html><body><header><a href="/">Harris House</a></header>
<main><p>Call (314) 631-4299 for admissions.</p>
<a href="http://[::1">broken</a> <a href="https://harrishouse.example:99999/x">bad port</a>
<a href="/programs/detox/">Detox</a></main></body></html>"""
    obs = extract_page(html, "https://harrishouse.example/", site="harrishouse.example")
    assert [p.e164 for p in obs.phones] == ["+13146314299"]
    links = [url for url, _ in parse_page(html, "https://harrishouse.example/").links]
    assert links == ["https://harrishouse.example/", "https://harrishouse.example/programs/detox/"]
