"""Offered, not referred or planned: partner programs, prerequisites, plans, landing pages, and
what a site says it does not offer."""

from __future__ import annotations

from provdir.extract import extract_page

SITE = "https://www.sagebrushcounseling.example"
ORG = "Sagebrush Counseling"

HEADER = (
    '<header class="site-header"><a href="/"><img src="/img/sagebrush-logo.png" alt="Sagebrush Counseling"></a>'
    '<nav class="main-navigation"><ul><li><a href="/">Home</a></li><li><a href="/outpatient/">Outpatient Program</a>'
    '</li><li><a href="/iop/">Intensive Outpatient</a></li><li><a href="/contact/">Contact</a></li></ul></nav></header>'
)
FOOTER = (
    '<footer id="colophon"><p>Sagebrush Counseling, 55 E Main St, Mesa, AZ 85201 &middot; (480) 555-0190</p></footer>'
)


def doc(body: str, title: str = "Sagebrush Counseling | Mesa, AZ", lang: str = "en-US") -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><title>{title}</title></head>'
        f'<body>{HEADER}<main id="main">{body}</main>{FOOTER}</body></html>'
    )


def observe(html: str, path: str = "/"):
    return extract_page(html, SITE + path, site="www.sagebrushcounseling.example", seed_url=f"{SITE}/", seed_name=ORG)


def claimed(html: str, path: str = "/") -> set[str]:
    return {f.value for f in observe(html, path).services if not f.basis.startswith("implied")}


def rejection(html: str, value: str, path: str = "/") -> dict[str, str]:
    return next(r for r in observe(html, path).rejected if r["field"] == "service" and r["value"] == value)


def not_offered(html: str, path: str = "/") -> dict[str, str]:
    return {f.value: f.basis for f in observe(html, path).services_not_offered}


# --- referred, not offered ---------------------------------------------------------------------


PARTNER_DETOX = doc(
    "<h1>Getting Started</h1>"
    "<p>Clients who need medical detox or residential treatment are placed through our partner network "
    "of licensed facilities. We offer outpatient counseling for adults.</p>"
)


def test_partner_network_detox_is_a_referral():
    got = claimed(PARTNER_DETOX, "/getting-started/")
    assert "detox" not in got and "residential" not in got
    assert "outpatient" in got
    rec = rejection(PARTNER_DETOX, "detox", "/getting-started/")
    assert rec["reason"] == "referral"
    assert rec["cue"] == "through our partner network"


def test_iop_after_you_complete_detox_elsewhere_keeps_iop_and_rejects_detox():
    html = doc(
        "<h1>Intensive Outpatient Program</h1>"
        "<p>Our IOP is for adults. After you complete detox at a hospital, our team will see you within a week.</p>"
    )
    got = claimed(html, "/iop/")
    assert "iop" in got and "detox" not in got
    assert rejection(html, "detox", "/iop/")["reason"] in ("prerequisite", "referral")


# --- planned, not offered ----------------------------------------------------------------------


def test_coming_soon_badge_beside_a_program_card():
    html = doc(
        '<section class="programs"><div class="card"><h3>Intensive Outpatient Program</h3>'
        "<p>Three evenings a week.</p></div>"
        '<div class="card"><h3>Family Program</h3><p>Coming Soon!</p></div></section>'
    )
    got = claimed(html, "/programs/")
    assert "iop" in got
    assert "family_program" not in got
    rec = rejection(html, "family_program", "/programs/")
    assert (rec["reason"], rec["cue"].lower()) == ("future", "coming soon")


def test_launching_on_the_same_line_as_the_program():
    html = doc("<ul><li>Telehealth counseling (launching in spring 2027)</li><li>Family program</li></ul>")
    got = claimed(html, "/programs/")
    assert "telehealth" not in got and "family_program" in got


# --- landing pages about a service in general --------------------------------------------------


CITY_DETOX = doc(
    "<h1>Alcohol Detox in Tempe, AZ</h1>"
    "<p>Alcohol detox is the first step of recovery for many people in Tempe.</p>"
    "<h2>Medical Detox</h2><p>Medically supervised detox manages withdrawal safely.</p>"
    "<p>Call today to talk about your options.</p>",
    title="Alcohol Detox in Tempe, AZ | Sagebrush Counseling",
)


def test_city_landing_page_for_detox_is_a_mention():
    assert "detox" not in claimed(CITY_DETOX, "/alcohol-detox-tempe-az/")
    assert rejection(CITY_DETOX, "detox", "/alcohol-detox-tempe-az/")["reason"] == "landing_page"


def test_city_landing_page_keeps_a_first_person_offer():
    html = CITY_DETOX.replace("<p>Call today", "<p>We offer outpatient counseling in Tempe.</p><p>Call today")
    assert "outpatient" in claimed(html, "/alcohol-detox-tempe-az/")


def test_insurer_coverage_page_lists_levels_of_care_it_covers():
    html = doc(
        "<h1>Does Aetna Cover Drug Rehab?</h1>"
        "<p>Aetna plans may cover detox, residential treatment, partial hospitalization and IOP.</p>"
        "<ul><li>Medical detox</li><li>Residential treatment</li><li>Partial hospitalization</li></ul>",
        title="Does Aetna Cover Rehab? | Sagebrush Counseling",
    )
    got = claimed(html, "/insurance/aetna/")
    assert not got & {"detox", "residential", "php"}
    assert rejection(html, "residential", "/insurance/aetna/")["reason"] in ("insurer_page", "not_self")


def test_program_page_of_the_provider_is_still_a_claim():
    html = doc(
        "<h1>Intensive Outpatient Program</h1><p>The intensive outpatient program meets three evenings a week.</p>",
        title="Intensive Outpatient Program | Sagebrush Counseling",
    )
    assert "iop" in claimed(html, "/iop/")


# --- what the site says it does not offer ------------------------------------------------------


def test_outpatient_only_rules_out_beds():
    html = doc("<h2>About us</h2><p>We are an outpatient-only practice; we do not have beds.</p>")
    got = not_offered(html, "/about/")
    assert {"residential", "hospital_inpatient", "detox"} <= set(got)
    assert got["residential"] == "negative_implied"


def test_we_do_not_offer_mat_is_an_explicit_negative():
    html = doc("<p>We do not offer medication-assisted treatment, but we work with your prescriber.</p>")
    got = not_offered(html, "/faq/")
    assert got.get("mat") == "negative" or got.get("buprenorphine") == "negative"
    assert "mat" not in claimed(html, "/faq/")


def test_negative_is_clause_scoped():
    html = doc("<p>We do not offer methadone, but we provide buprenorphine in our clinic.</p>")
    assert set(not_offered(html, "/mat/")) == {"methadone"}
    assert "buprenorphine" in claimed(html, "/mat/")


def test_not_just_is_not_a_negative():
    html = doc("<p>We do not just offer outpatient counseling; we build a plan with each family.</p>")
    assert not_offered(html, "/about/") == {}


def test_negative_in_general_text_is_not_the_sites_word():
    html = doc("<p>Most outpatient clinics do not have beds, so detox happens in a hospital.</p>")
    assert not_offered(html, "/about/") == {}


def test_blog_post_negatives_are_ignored():
    html = doc("<article><p>We do not have beds, says one clinic director we interviewed.</p></article>")
    assert not_offered(html, "/blog/clinic-interview/") == {}


def test_html_lang_is_read():
    assert extract_page(doc("<p>x</p>", lang="es-MX"), SITE + "/", site="s", seed_url=SITE).rejected == []
    from provdir.extract.page import parse_page

    assert parse_page(doc("<p>x</p>", lang="es-MX"), SITE).lang == "es"
    assert parse_page(doc("<p>x</p>", lang=""), SITE).lang == "en"


def test_negative_rules_out_the_object_not_the_reason_given():
    html = doc("<p>We do not accept insurance or Medicaid, because sober living is housing, not treatment.</p>")
    got = not_offered(html, "/rates/")
    assert "medicaid" in got and "sober_living" not in got


def test_link_to_a_city_landing_page_is_a_mention():
    html = doc('<ul class="areas"><li><a href="/detox-redmond-or/">Detox in Redmond, OR</a></li></ul>')
    assert "detox" not in claimed(html, "/contact/")
    assert rejection(html, "detox", "/contact/")["reason"] == "landing_link"


def test_heading_naming_a_service_in_a_place_on_the_providers_own_page_is_a_claim():
    html = doc("<h2>Intensive Outpatient in Mesa, AZ</h2><p>Three evenings a week.</p>")
    assert "iop" in claimed(html, "/programs/")


def test_service_words_in_a_list_of_other_organizations_are_mentions():
    html = doc(
        "<h2>Community Resources</h2><table><tr><td>Cascade Sober Living Homes</td><td>(480) 555-0177</td></tr>"
        "<tr><td>Valley Detox Center</td><td>(480) 555-0199</td></tr></table>"
    )
    got = claimed(html, "/resources/")
    assert not got & {"sober_living", "detox"}
    assert rejection(html, "sober_living", "/resources/")["reason"] == "other_org_list"


def test_a_programs_own_outpatient_only_note_says_nothing_of_the_whole_site():
    html = doc("<p>Our IOP is outpatient only: clients live at home and attend three evenings a week.</p>")
    assert not_offered(html, "/programs/iop/") == {}


def test_org_named_as_subject_of_outpatient_only():
    html = doc("<p>Sagebrush Counseling is an outpatient-only practice.</p>")
    assert "residential" in not_offered(html, "/about/")


def test_strictly_outpatient_is_read_too():
    html = doc("<p>We are strictly outpatient.</p>")
    assert "residential" in not_offered(html, "/about/")
