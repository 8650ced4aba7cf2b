"""provdir.extract.credentials: accreditations (text and logos) and facility licenses."""

from __future__ import annotations

import itertools

import pytest

from provdir.extract import extract_page
from provdir.extract.credentials import extract_accreditations, extract_licenses
from provdir.extract.page import parse_page

URL = "https://www.cedarbluffrecovery.example/about/accreditation/"
BLOG_URL = "https://www.cedarbluffrecovery.example/blog/choosing-a-rehab/"


def doc(body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Accreditation | Cedar Bluff '
        f'Recovery</title></head><body class="page"><div id="page" class="site">{body}</div></body></html>'
    )


def accreditations(body: str, blog: bool = False, url: str = URL):
    return extract_accreditations(parse_page(doc(body), url), blog=blog)


def accredited(body: str, blog: bool = False) -> set[str]:
    return {f.value for f in accreditations(body, blog)[0]}


def rejected_reasons(body: str) -> dict[str, str]:
    return {r["value"]: r["reason"] for r in accreditations(body)[1]}


def licenses(body: str, blog: bool = False, url: str = URL):
    return extract_licenses(parse_page(doc(body), url), blog=blog)


def p(text: str) -> str:
    return f'<main><div class="entry-content"><p>{text}</p></div></main>'


# --- accreditations from text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Cedar Bluff Recovery is accredited by CARF.", "CARF"),
        ("We are accredited by the Commission on Accreditation of Rehabilitation Facilities.", "CARF"),
        ("Cedar Bluff's residential program is CARF-accredited.", "CARF"),
        ("Cedar Bluff has earned The Joint Commission's Gold Seal of Approval.", "JC"),
        ("Accredited by the Joint Commission since 2015.", "JC"),
        ("Our campus was surveyed by JCAHO in 2012 and every cycle since.", "JC"),
        ("We are accredited by the Council on Accreditation.", "COA"),
        ("Our pharmacy partner is NCQA certified.", "NCQA"),
        ("We hold HFAP accreditation.", "HFAP"),
        ("Cedar Bluff is LegitScript certified.", "LEGITSCRIPT"),
        ("We are a proud member of NAATP.", "NAATP"),
        ("Member, National Association of Addiction Treatment Providers", "NAATP"),
    ],
)
def test_accreditation_from_text(text, value):
    facts, _ = accreditations(p(text))
    assert [(f.value, f.basis, f.region) for f in facts] == [(value, "statement", "main")]


def test_our_programs_are_carf_accredited_is_a_claim():
    assert accredited(p("Our programs are CARF-accredited.")) == {"CARF"}


def test_accreditation_snippet_is_the_sentence():
    facts, _ = accreditations(p("Founded in 2009. Cedar Bluff Recovery is accredited by CARF. Call today."))
    assert facts[0].snippet == "Cedar Bluff Recovery is accredited by CARF."


def test_two_accreditors_in_one_sentence():
    assert accredited(p("We are accredited by CARF and The Joint Commission.")) == {"CARF", "JC"}


def test_accreditation_in_footer_kept_with_region():
    facts, _ = accreditations('<footer class="site-footer"><p>CARF Accredited Facility</p></footer>')
    assert [(f.value, f.region) for f in facts] == [("CARF", "footer")]


def test_same_accreditor_kept_once():
    body = p("We are accredited by CARF.") + '<footer><p>CARF accredited</p><img src="/carf.png" alt="CARF"></footer>'
    facts, _ = accreditations(body)
    assert [f.value for f in facts] == ["CARF"]


def test_better_business_bureau_is_not_an_accreditation():
    body = p("Cedar Bluff Recovery is accredited by the Better Business Bureau with an A+ rating.")
    assert accredited(body) == set()
    assert licenses(body) == []


def test_lowercase_carf_word_inside_scarf_not_matched():
    assert accredited(p("Bring a warm scarf for our winter outings.")) == set()


@pytest.mark.parametrize(
    ("text", "value", "reason"),
    [
        ("We are not CARF accredited at this time.", "CARF", "negation"),
        ("We plan to seek Joint Commission accreditation in 2026.", "JC", "future"),
        ("Cedar Bluff was previously accredited by the Council on Accreditation.", "COA", "history"),
        ("Look for a facility accredited by CARF.", "CARF", "generic"),
        ("Most treatment centers are accredited by The Joint Commission.", "JC", "generic"),
    ],
)
def test_accreditation_mention_rejected_with_reason(text, value, reason):
    body = p(text)
    assert value not in accredited(body)
    assert rejected_reasons(body) == {value: reason}


def test_question_about_accreditation_is_not_a_claim():
    body = p("Is your rehab CARF accredited?")
    assert accredited(body) == set()
    assert rejected_reasons(body) == {"CARF": "question"}


def test_blog_post_body_accreditation_mentions_ignored():
    body = (
        '<main><article class="post"><h1>How to Choose a Rehab</h1>'
        "<p>Accreditation by CARF or The Joint Commission means a program meets national standards.</p>"
        '</article></main><footer><img src="/wp-content/uploads/2022/05/carf-seal.png" alt=""></footer>'
    )
    facts, _ = accreditations(body, blog=True, url=BLOG_URL)
    assert [(f.value, f.region) for f in facts] == [("CARF", "footer")]


def test_blog_url_via_extract_page_skips_post_body():
    html = doc('<main><article class="post"><p>Look at whether CARF surveys a program.</p></article></main>')
    assert extract_page(html, BLOG_URL).accreditations == []


# --- accreditations from logos ------------------------------------------------------------------


def test_logo_alt_text_gives_accreditation():
    body = (
        '<footer class="site-footer"><div class="accreditation-logos">'
        '<img src="/wp-content/uploads/2022/05/badge-01.png" alt="CARF Accredited"></div></footer>'
    )
    facts, _ = accreditations(body)
    assert [(f.value, f.basis, f.region) for f in facts] == [("CARF", "logo", "footer")]
    assert facts[0].snippet == "logo: CARF Accredited"


def test_logo_title_attribute_gives_accreditation():
    body = '<footer><img src="/uploads/seal.png" alt="" title="The Joint Commission Gold Seal of Approval"></footer>'
    assert accredited(body) == {"JC"}


@pytest.mark.parametrize(
    ("src", "value"),
    [
        ("/wp-content/uploads/2022/05/carf-logo.png", "CARF"),
        ("/wp-content/uploads/2022/05/CARF_Seal_2022.png", "CARF"),
        ("/wp-content/uploads/joint-commission-seal.png", "JC"),
        ("/wp-content/uploads/gold-seal-of-approval.jpg", "JC"),
        ("/images/tjc.svg", "JC"),
        ("/images/legitscript-certified.png", "LEGITSCRIPT"),
        ("/images/naatp-member-badge.webp", "NAATP"),
        ("https://cdn.example.net/logos/ncqa.png", "NCQA"),
    ],
)
def test_logo_file_name_gives_accreditation(src, value):
    facts, _ = accreditations(f'<footer><img src="{src}" alt=""></footer>')
    assert [(f.value, f.basis) for f in facts] == [(value, "logo")]
    assert facts[0].snippet == f"logo: {src}"


@pytest.mark.parametrize(
    "src",
    ["/uploads/scarf-knitting-group.jpg", "/uploads/carfax-report.png", "/uploads/staff-photo.jpg"],
)
def test_file_name_token_must_be_whole(src):
    assert accredited(f'<main><img src="{src}" alt=""></main>') == set()


def test_accreditation_folder_name_alone_is_not_a_logo():
    assert accredited('<footer><img src="/carf/team-photo.jpg" alt="Our team"></footer>') == set()


def test_lazy_loaded_logo_data_src():
    assert accredited(
        '<footer><img data-src="/wp-content/uploads/carf-logo.png" src="data:image/gif;base64,R0lG" alt=""></footer>'
    ) == {"CARF"}


def test_logo_in_blog_post_body_ignored_but_footer_logo_kept():
    body = (
        '<main><article class="post"><img src="/uploads/joint-commission-seal.png" alt=""></article></main>'
        '<footer><img src="/uploads/carf-logo.png" alt=""></footer>'
    )
    facts, _ = accreditations(body, blog=True, url=BLOG_URL)
    assert [f.value for f in facts] == ["CARF"]


# --- licenses -----------------------------------------------------------------------------------------


def test_license_agency_state_and_number():
    body = p(
        "Cedar Bluff Recovery is licensed by the California Department of Health Care Services, "
        "License #370123AP, expiration 06/30/2026."
    )
    found = licenses(body)
    assert [(f.agency, f.state, f.number, f.region) for f in found] == [
        ("California Department of Health Care Services", "CA", "370123AP", "main")
    ]


def test_license_number_kept():
    body = p("We are certified by the Missouri Department of Mental Health, certification number 0441-7725.")
    found = licenses(body)
    assert [(f.agency, f.number) for f in found] == [("Missouri Department of Mental Health", "0441-7725")]


def test_agency_acronym_inside_license_number_is_not_a_second_agency():
    body = p("We are certified by the Missouri Department of Mental Health, certification number DMH-04417.")
    found = licenses(body)
    assert [(f.agency, f.state, f.number) for f in found] == [
        ("Missouri Department of Mental Health", "MO", "DMH-04417")
    ]


def test_unlisted_state_agency_shown_name_and_state():
    found = licenses(p("Our program is certified by the Missouri Department of Mental Health since 2011."))
    assert [(f.agency, f.state) for f in found] == [("Missouri Department of Mental Health", "MO")]


def test_agency_at_end_of_sentence_has_no_trailing_period():
    found = licenses(p("Our program is certified by the Missouri Department of Mental Health."))
    assert [(f.agency, f.state) for f in found] == [("Missouri Department of Mental Health", "MO")]


@pytest.mark.parametrize(
    ("sentence", "agency", "state"),
    [
        ("Licensed by DHCS.", "California Department of Health Care Services", "CA"),
        ("We are licensed by OASAS.", "New York State Office of Addiction Services and Supports", "NY"),
        ("Licensed by AHCA.", "Florida Agency for Health Care Administration", "FL"),
        ("We are licensed through LARA.", "Michigan Department of Licensing and Regulatory Affairs", "MI"),
        ("Certified by OhioMHAS.", "Ohio Department of Mental Health and Addiction Services", "OH"),
        (
            "Licensed by the Arizona Department of Health Services (ADHS).",
            "Arizona Department of Health Services",
            "AZ",
        ),
    ],
)
def test_known_licensing_agencies_canonicalized(sentence, agency, state):
    found = licenses(p(sentence))
    assert [(f.agency, f.state) for f in found] == [(agency, state)]


def test_stateless_agency_takes_state_from_sentence():
    found = licenses(p("Cedar Bluff is licensed by the Nevada DCF under license 2219-RT."))
    assert [(f.agency, f.state, f.number) for f in found] == [("Department of Children and Families", "NV", "2219-RT")]


@pytest.mark.parametrize(
    ("sentence", "agency", "state"),
    [
        (
            "Licensed by the Texas Health and Human Services Commission since 2012.",
            "Texas Health and Human Services Commission",
            "TX",
        ),
        (
            "Cedar Bluff is licensed by the Florida Department of Children and Families since 2012.",
            "Florida Department of Children and Families",
            "FL",
        ),
        (
            "Licensed by the Michigan Department of Licensing and Regulatory Affairs since 2012.",
            "Michigan Department of Licensing and Regulatory Affairs",
            "MI",
        ),
        (
            "Licensed by the Department of Alcohol and Drug Programs since 1999.",
            "California Department of Alcohol and Drug Programs",
            "CA",
        ),
    ],
)
def test_agency_name_containing_and_kept_whole(sentence, agency, state):
    found = licenses(p(sentence))
    assert [(f.agency, f.state) for f in found] == [(agency, state)]


def test_licensing_acronym_is_case_sensitive():
    assert licenses(p("Licensed by the dhcs team of volunteers.")) == []


def test_state_licensed_without_agency():
    found = licenses(p("Cedar Bluff is a state-licensed residential treatment facility."))
    assert [(f.agency, f.state) for f in found] == [("", "")]


def test_licensed_by_the_state_of_gives_state():
    found = licenses(p("Cedar Bluff Recovery is licensed by the State of Ohio."))
    assert found
    assert {f.state for f in found} == {"OH"}


def test_license_number_without_sentence_cue_uses_agency_in_sentence():
    found = licenses("<footer><p>DHCS License Number: 190123CP</p></footer>")
    assert [(f.agency, f.state, f.number, f.region) for f in found] == [
        ("California Department of Health Care Services", "CA", "190123CP", "footer")
    ]


def test_bare_license_number_kept_without_agency():
    found = licenses("<footer><p>Facility License #: 4410-2209</p></footer>")
    assert [(f.agency, f.number) for f in found] == [("", "4410-2209")]


def test_agency_less_number_dropped_when_tied_to_agency():
    body = p("Licensed by the California Department of Health Care Services, License #370123AP.") + (
        "<footer><p>License #370123AP</p></footer>"
    )
    found = licenses(body)
    assert [(f.agency, f.number) for f in found] == [("California Department of Health Care Services", "370123AP")]


def test_same_license_on_two_blocks_kept_once():
    body = p("Licensed by DHCS.") + "<footer><p>Licensed by DHCS.</p></footer>"
    assert len(licenses(body)) == 1


def test_staff_credential_is_not_a_license():
    body = p("Our counselors are Licensed Clinical Social Workers and Licensed Professional Counselors.")
    assert licenses(body) == []


def test_staff_certified_by_state_board_is_not_a_license():
    body = p("Our therapists are certified by the Missouri Credentialing Board.")
    assert licenses(body) == []


def test_staff_state_licensed_is_not_a_license():
    assert licenses(p("All of our nurses are state-licensed.")) == []


def test_funder_is_not_a_license():
    body = p("This program is funded by the Michigan Department of Health and Human Services (MDHHS).")
    assert licenses(body) == []


def test_grant_funder_with_number_is_not_a_license():
    body = p("Made possible by grant funding from the Missouri Department of Mental Health.")
    assert licenses(body) == []


def test_joint_commission_in_licensing_sentence_is_accreditation_not_license():
    body = p("Cedar Bluff Recovery is licensed by the State of Texas and the Joint Commission.")
    found = licenses(body)
    assert found
    assert "joint commission" not in " ".join(f.agency.lower() for f in found)
    assert ("State of Texas", "TX") in [(f.agency, f.state) for f in found]
    assert accredited(body) == {"JC"}


def test_licensed_by_state_of_texas_and_more_gives_no_stateless_license():
    body = p("Cedar Bluff is licensed by the State of Texas and accredited by CARF.")
    assert {f.state for f in licenses(body)} == {"TX"}


def test_license_and_accreditation_in_one_sentence():
    body = p("We are licensed by the Arizona Department of Health Services and accredited by The Joint Commission.")
    assert [(f.agency, f.state) for f in licenses(body)] == [("Arizona Department of Health Services", "AZ")]
    assert accredited(body) == {"JC"}


def test_better_business_bureau_is_not_a_licensing_body():
    assert licenses(p("We are accredited by the Better Business Bureau.")) == []


def test_two_licensing_agencies_in_one_sentence():
    body = p(
        "Cedar Bluff is licensed by the Arizona Department of Health Services and certified by the "
        "Arizona Health Care Cost Containment System Administration since 2014."
    )
    agencies = [f.agency for f in licenses(body)]
    assert "Arizona Department of Health Services" in agencies
    assert "Arizona Health Care Cost Containment System Administration" in agencies


def test_license_in_blog_post_body_ignored():
    body = p("Every rehab in California must be licensed by DHCS, License #370123AP is one example.")
    assert licenses(body, blog=True, url=BLOG_URL) == []
    assert extract_page(doc(body), BLOG_URL).licenses == []


def test_license_snippet_is_the_sentence():
    found = licenses(p("Welcome. Cedar Bluff is licensed by OASAS. Call us today."))
    assert found[0].snippet == "Cedar Bluff is licensed by OASAS."


# --- licenses the way real sites write them (issue 15) ----------------------------------------


def lic_tuples(found):
    return [(f.agency, f.state, f.agency_id, f.number, f.basis) for f in found]


def test_agency_under_accreditations_heading_with_no_verb_abbreviated_former_name():
    body = (
        "<main><h2>Accreditations</h2><ul><li>CARF</li>"
        "<li>Maine Dept of Behavioral &amp; Developmental Services</li></ul></main>"
    )
    (lic,) = licenses(body)
    # The former name is what the site claims; the id says who holds the license today.
    assert (lic.agency, lic.state, lic.agency_id, lic.basis) == (
        "Maine Department of Behavioral and Developmental Services",
        "ME",
        "ME-DHHS",
        "list",
    )
    assert lic.as_shown == "Maine Dept of Behavioral & Developmental Services"
    assert accredited(body) == {"CARF"}


def test_agency_line_under_licensing_heading_in_footer():
    body = (
        "<footer><h4>Licensing &amp; Certification</h4><p>Commonwealth of Virginia DBHDS</p>"
        "<p>Serving Richmond since 1998.</p></footer>"
    )
    assert lic_tuples(licenses(body)) == [
        ("Virginia Department of Behavioral Health and Developmental Services", "VA", "VA-DBHDS", "", "list")
    ]


def test_agency_list_under_a_funders_heading_is_not_a_license():
    body = "<main><h2>Our Funders</h2><ul><li>Missouri Department of Mental Health</li></ul></main>"
    assert licenses(body) == []


def test_slash_between_verbs_variant_spelling_and_no_state():
    (lic,) = licenses(p("Harbor Point is Licensed/Certified by the Dept. of Health &amp; Human Services."))
    # Several states have a department of this name: the state is the facility's (the build).
    assert (lic.agency, lic.state, lic.agency_id, lic.basis) == (
        "Department of Health and Human Services",
        "",
        "",
        "statement",
    )
    assert lic.kind == "program_certification"


def test_certification_verb_far_from_by_with_designation():
    text = (
        "Harbor Point has received certifications in several locations, by the Missouri Department of "
        "Mental Health, as a Certified Community Behavioral Health Clinic (CCBHC)."
    )
    (lic,) = licenses(p(text))
    assert (lic.agency, lic.state, lic.agency_id, lic.kind) == (
        "Missouri Department of Mental Health",
        "MO",
        "MO-DMH",
        "ccbhc",
    )


def test_state_licensed_and_accredited_without_agency():
    body = p("Harbor Point is a State-licensed and CARF-accredited residential treatment center.")
    (lic,) = licenses(body)
    assert (lic.agency, lic.state, lic.number) == ("", "", "")
    assert accredited(body) == {"CARF"}


def test_holds_a_license_from_with_number():
    text = "Harbor Point holds a license from the Texas Health and Human Services Commission (License No. 5550123)."
    (lic,) = licenses(p(text))
    assert (lic.agency, lic.state, lic.agency_id, lic.number, lic.kind) == (
        "Texas Health and Human Services Commission",
        "TX",
        "TX-HHSC",
        "5550123",
        "facility_license",
    )


def test_licensed_facility_in_the_state_of():
    (lic,) = licenses(p("Harbor Point is a licensed residential treatment facility in the State of Ohio."))
    assert (lic.agency, lic.state) == ("", "OH")


def test_agency_acronym_before_licensing_word():
    (lic,) = licenses(p("Harbor Point is a DHCS-licensed and certified residential program."))
    assert (lic.agency, lic.state, lic.agency_id) == ("California Department of Health Care Services", "CA", "CA-DHCS")


def test_state_name_before_shared_acronym_resolves_it():
    (lic,) = licenses(p("Certified by the Missouri DMH since 2009."))
    assert (lic.agency, lic.state, lic.agency_id) == ("Missouri Department of Mental Health", "MO", "MO-DMH")


def test_division_named_instead_of_department():
    (lic,) = licenses(p("We are licensed by the Division of Health Service Regulation of the State of North Carolina."))
    assert (lic.agency, lic.state, lic.agency_id) == (
        "North Carolina Department of Health and Human Services",
        "NC",
        "NC-DHHS",
    )
    assert lic.as_shown == "Division of Health Service Regulation"


@pytest.mark.parametrize(
    ("sentence", "agency", "state", "agency_id"),
    [
        (
            "Certified by the New York State Office of Alcoholism and Substance Abuse Services.",
            "New York State Office of Alcoholism and Substance Abuse Services",
            "NY",
            "NY-OASAS",
        ),
        (
            "Licensed by the Texas Commission on Alcohol and Drug Abuse since 1994.",
            "Texas Commission on Alcohol and Drug Abuse",
            "TX",
            "TX-DSHS",
        ),
        (
            "Licensed by the Ohio Department of Alcohol and Drug Addiction Services.",
            "Ohio Department of Alcohol and Drug Addiction Services",
            "OH",
            "OH-OHIOMHAS",
        ),
        (
            "Licensed by the Maryland Department of Health and Mental Hygiene (DHMH).",
            "Maryland Department of Health and Mental Hygiene",
            "MD",
            "MD-MDH",
        ),
    ],
)
def test_former_agency_names_are_recognised(sentence, agency, state, agency_id):
    (lic,) = licenses(p(sentence))
    assert (lic.agency, lic.state, lic.agency_id) == (agency, state, agency_id)


def test_license_number_in_agency_format_without_the_word_license():
    (lic,) = licenses(p("Licensed and certified by DHCS (190079AP)."))
    assert (lic.agency_id, lic.number) == ("CA-DHCS", "190079AP")


def test_number_on_the_next_line_joins_the_only_agency():
    body = "<footer><p>Licensed by the Texas HHSC.</p><p>License #: 5550123</p></footer>"
    assert lic_tuples(licenses(body)) == [
        ("Texas Health and Human Services Commission", "TX", "TX-HHSC", "5550123", "statement")
    ]


def test_state_agency_seal_file_name_and_number():
    body = (
        '<footer><div class="widget"><img src="/wp-content/uploads/2023/02/ohiomhas-seal.png" alt="">'
        "<p>Certificate No. 04417-AB</p></div></footer>"
    )
    assert lic_tuples(licenses(body)) == [
        ("Ohio Department of Mental Health and Addiction Services", "OH", "OH-OHIOMHAS", "04417-AB", "seal")
    ]


def test_state_agency_logo_alt_text():
    body = '<footer><img src="/img/badge-3.png" alt="Missouri Department of Mental Health Logo"></footer>'
    assert lic_tuples(licenses(body)) == [("Missouri Department of Mental Health", "MO", "MO-DMH", "", "logo")]


def test_shared_acronym_logo_waits_for_the_facility_state():
    (lic,) = licenses('<footer><img src="/img/dmh_logo.png" alt=""></footer>')
    assert (lic.agency, lic.state, lic.agency_id, lic.basis) == ("Department of Mental Health", "", "", "logo")


def test_agency_logo_in_partners_strip_is_not_a_license():
    body = (
        '<footer><h3>Our community partners</h3><div class="logos">'
        '<img src="/img/odmhsas-logo.png" alt=""></div></footer>'
    )
    assert licenses(body) == []


def test_plain_photo_named_for_an_acronym_is_not_a_logo():
    assert licenses('<main><img src="/uploads/dhs-building.jpg" alt="Our building"></main>') == []


@pytest.mark.parametrize(
    "text",
    [
        "Our recovery coaching is paid for by a contract with the Kansas Department for Aging and Disability Services.",
        "This program is made possible by support from the Oregon Health Authority.",
        "Harbor Point is funded in part by the Ohio Department of Mental Health and Addiction Services.",
        "We are members of the Ohio Council of Behavioral Health Providers and partner with the Ohio Department of Health.",
    ],
)
def test_funding_and_membership_sentences_are_not_licenses(text):
    assert licenses(p(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Our counselors are certified by the Texas Health and Human Services Commission.",
        "Each of our nurses is licensed by the Oklahoma State Board of Nursing.",
        "Our therapists are licensed by the Virginia Department of Health Professions.",
        "Dr. Ames is a Licensed Professional Counselor certified by the Missouri Credentialing Board.",
    ],
)
def test_staff_credentials_are_not_licenses(text):
    assert licenses(p(text)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Is your rehab licensed by DHCS?",
        "Make sure any program you choose is licensed by the Department of Health Care Services.",
        "Harbor Point is not licensed by the Florida Department of Children and Families.",
        "Our license from the Arizona Department of Health Services is pending.",
    ],
)
def test_questions_advice_negations_are_not_licenses(text):
    assert licenses(p(text)) == []


def test_licensing_sentence_keeps_funder_out():
    text = "Licensed by LARA and funded by the Michigan Department of Health and Human Services."
    assert [(f.agency_id) for f in licenses(p(text))] == ["MI-LARA"]


# --- accreditation logos and seals (issue 14) ---------------------------------------------------


def test_legitscript_seal_script_is_an_accreditation():
    facts, _ = accreditations(
        '<footer><script src="https://static.legitscript.com/seals/3412345.js"></script></footer>'
    )
    assert [(f.value, f.basis, f.region) for f in facts] == [("LEGITSCRIPT", "seal", "footer")]


def test_quality_check_link_around_gold_seal_is_joint_commission():
    body = (
        '<footer><a href="https://www.qualitycheck.org/quality-report/?keyword=harbor">'
        '<img src="/img/badge.png" alt=""></a></footer>'
    )
    facts, _ = accreditations(body)
    assert [(f.value, f.basis) for f in facts] == [("JC", "seal")]


def test_text_link_to_accreditor_site_is_not_a_seal():
    facts, _ = accreditations('<main><p>Read about <a href="https://www.carf.org/">accreditation</a>.</p></main>')
    assert facts == []


def test_featured_on_strip_logo_is_not_an_accreditation():
    body = (
        '<main><h3>As featured in</h3><div class="strip"><img src="/img/joint-commission-logo.png" alt="">'
        '<img src="/img/samhsa-logo.png" alt="SAMHSA"></div></main>'
    )
    assert accredited(body) == set()
    assert rejected_reasons(body) == {"JC": "featured"}


def test_samhsa_logo_is_not_an_accreditation():
    assert accredited('<footer><img src="/img/samhsa-logo.png" alt="SAMHSA"></footer>') == set()


def test_wordpress_media_widget_logo_is_kept():
    body = '<footer><section class="widget widget_media_image"><img src="/img/carf-logo.png" alt=""></section></footer>'
    assert accredited(body) == {"CARF"}


def test_badges_beside_a_column_of_links_naming_insurance_are_kept():
    body = (
        '<footer><div class="col"><h4>Quick Links</h4><ul><li><a href="/insurance/">Insurance</a></li>'
        '<li><a href="/about/">About</a></li></ul></div>'
        '<div class="col badges"><img src="/img/jc-gold-seal.png" alt="The Joint Commission Gold Seal"></div></footer>'
    )
    assert accredited(body) == {"JC"}


def test_short_bold_label_works_as_a_licensing_heading():
    body = (
        '<aside class="widget-area"><p><strong>Licensing:</strong></p>'
        "<p>Oklahoma Department of Mental Health &amp; Substance Abuse Services</p></aside>"
    )
    assert lic_tuples(licenses(body)) == [
        ("Oklahoma Department of Mental Health and Substance Abuse Services", "OK", "OK-ODMHSAS", "", "list")
    ]


def test_certified_staff_trained_by_an_agency_is_not_a_license():
    assert licenses(p("Our program is run by Certified Peer Specialists trained by DBHDS.")) == []


def test_state_body_missing_from_registry_listed_under_heading_is_shown_as_written():
    body = (
        "<main><h3>Licenses &amp; Accreditations</h3><ul><li>CARF</li>"
        "<li>State of Vermont Department of Corrections &amp; Reentry Programs</li></ul></main>"
    )
    assert lic_tuples(licenses(body)) == [
        ("State of Vermont Department of Corrections and Reentry Programs", "VT", "", "", "list")
    ]


def test_federal_department_is_not_a_state_license():
    assert licenses(p("Our OTP is certified by the U.S. Department of Health and Human Services.")) == []


@pytest.mark.parametrize(
    ("text", "agency_id"),
    [
        (
            "We are licensed by the Massachusetts Department of Public Health Bureau of Substance Addiction Services "
            "(BSAS).",
            "MA-DPH",
        ),
        ("Licensed by the Missouri Department of Mental Health's Division of Behavioral Health.", "MO-DMH"),
        ("Licensed by the New Jersey Department of Health, Division of Certificate of Need and Licensing.", "NJ-DOH"),
    ],
)
def test_department_and_its_division_are_one_license(text, agency_id):
    assert [f.agency_id for f in licenses(p(text))] == [agency_id]


def test_we_are_fully_licensed_is_a_state_license_without_agency():
    (lic,) = licenses(p("We are fully licensed and accredited, and we accept most insurance."))
    assert (lic.agency, lic.state) == ("", "")
    assert licenses(p("We are licensed therapists who care.")) == []


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Licensed by LARA and funded by the Michigan Department of Health and Human Services.", "funding"),
        ("Our counselors are certified by the Texas Health and Human Services Commission.", "staff"),
        ("Harbor Point is not licensed by the Florida Department of Children and Families.", "negation"),
    ],
)
def test_rejected_license_mentions_kept_with_reason(text, reason):
    rejected: list[dict[str, str]] = []
    extract_licenses(parse_page(doc(p(text)), URL), blog=False, rejected=rejected)
    assert [r["reason"] for r in rejected] == [reason]
    assert rejected[0]["field"] == "license" and rejected[0]["snippet"] == text


def test_extract_page_keeps_rejected_license_mentions():
    obs = extract_page(doc(p("This program is funded by a grant and licensed through LARA; MDHHS funds it too.")), URL)
    assert [lic.agency_id for lic in obs.licenses] == ["MI-LARA"]
    assert {
        "field": "license",
        "value": "Michigan Department of Health and Human Services",
        "reason": "funding",
        "snippet": "This program is funded by a grant and licensed through LARA; MDHHS funds it too.",
    } in obs.rejected


def test_run_on_text_is_read_in_bounded_pieces_without_losing_words():
    from provdir.extract.credentials import _LONGEST, _pieces

    text = ", ".join(f"Licensed by the Missouri Department of Mental Health item {i}" for i in range(400))
    pieces = _pieces(text)
    assert len(pieces) > 1 and all(len(piece) <= _LONGEST for piece in pieces)
    # Overlapping pieces of the text that cover it from its first word to its last.
    assert all(piece in text for piece in pieces)
    assert text.startswith(pieces[0]) and text.endswith(pieces[-1])
    for a, b in itertools.pairwise(pieces):
        assert text.index(b) <= text.index(a) + len(a)
    assert _pieces("Licensed by DHCS.") == ["Licensed by DHCS."]


def test_licenses_in_run_on_footer_still_found():
    filler = " ".join(["Serving families across the region"] * 80)
    body = f"<footer><p>{filler} licensed by the Texas Health and Human Services Commission {filler}</p></footer>"
    assert [f.agency_id for f in licenses(body)] == ["TX-HHSC"]


# --- abbreviated state names ("Mo.", "Okla.", "N.C."): the state is the abbreviation's --------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            p("Cedar Bluff Recovery is licensed by the Mo. Dept. of Mental Health."),
            ("Missouri Department of Mental Health", "MO", "MO-DMH", "statement"),
        ),
        (
            p(
                "Our outpatient program is Licensed/Certified by the Okla. Dept. Of Mental Health &amp; "
                "Substance Abuse Services."
            ),
            ("Oklahoma Department of Mental Health and Substance Abuse Services", "OK", "OK-ODMHSAS", "statement"),
        ),
        (
            "<main><h2>Licensure &amp; Accreditation</h2><ul><li>CARF</li><li>N.C. Division of Health Service "
            "Regulation</li></ul></main>",
            ("North Carolina Department of Health and Human Services", "NC", "NC-DHHS", "list"),
        ),
        (
            "<footer><p>Serving Knoxville since 2004. We are licensed by the Tenn. Department of Mental Health "
            "and Substance Abuse Services.</p></footer>",
            ("Tennessee Department of Mental Health and Substance Abuse Services", "TN", "TN-TDMHSAS", "statement"),
        ),
    ],
)
def test_abbreviated_state_name_before_the_agency(body, expected):
    (lic,) = licenses(body)
    assert (lic.agency, lic.state, lic.agency_id, lic.basis) == expected


def test_sentence_ending_in_a_state_abbreviation_is_not_joined_to_the_next():
    # "..., Mo." ends the address sentence; the next one names a generic department whose state
    # the build takes from the facility: the abbreviation must not leak into it.
    body = p("Visit us at 12 Elm St., Rolla, Mo. The Department of Mental Health has licensed our program.")
    (lic,) = licenses(body)
    assert (lic.agency, lic.state, lic.agency_id) == ("Department of Mental Health", "", "")


# --- a number written before the agency; "Lic. No." / "Cert. #" ---------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "<footer><p>License #12345, Oklahoma Department of Mental Health and Substance Abuse Services</p>"
            "<p>&copy; 2025 Cedar Bluff Recovery</p></footer>",
            ("Oklahoma Department of Mental Health and Substance Abuse Services", "OK", "12345", "facility_license"),
        ),
        (
            "<footer><p>Lic. No. 30418 &middot; Oklahoma Department of Mental Health and Substance Abuse "
            "Services</p></footer>",
            ("Oklahoma Department of Mental Health and Substance Abuse Services", "OK", "30418", "facility_license"),
        ),
        (
            "<footer><p>Lic # 30418 Okla. Dept. of Mental Health &amp; Substance Abuse Services</p></footer>",
            ("Oklahoma Department of Mental Health and Substance Abuse Services", "OK", "30418", "facility_license"),
        ),
        (
            '<div class="site-info"><p>Cert. #A-44710, Missouri Department of Mental Health</p></div>',
            ("Missouri Department of Mental Health", "MO", "A-44710", "program_certification"),
        ),
        (
            p(
                "Cedar Bluff holds Cert. No. 4471-22, issued by the Tennessee Department of Mental Health and "
                "Substance Abuse Services."
            ),
            (
                "Tennessee Department of Mental Health and Substance Abuse Services",
                "TN",
                "4471-22",
                "program_certification",
            ),
        ),
        (
            "<main><h2>Licensing</h2><ul><li>Mass. Dept. of Public Health, BSAS Lic. No. 22140</li></ul></main>",
            ("Massachusetts Department of Public Health", "MA", "22140", "facility_license"),
        ),
    ],
)
def test_license_number_before_the_agency_and_abbreviated_license_words(body, expected):
    (lic,) = licenses(body)
    assert (lic.agency, lic.state, lic.number, lic.kind) == expected


def test_each_agency_gets_the_number_nearest_it():
    body = p(
        "Licensed by the California Department of Health Care Services (Lic. No. 370123AP) and certified "
        "by the Missouri Department of Mental Health, Cert. #A-44710."
    )
    assert sorted((f.agency_id, f.number) for f in licenses(body)) == [("CA-DHCS", "370123AP"), ("MO-DMH", "A-44710")]


@pytest.mark.parametrize(
    "body",
    [
        # CERT is a community emergency response team, "lic" is not a word: no license cue.
        p("Our staff volunteer with the county CERT program and the Missouri Department of Mental Health."),
        # A staff credential written with the abbreviation stays a staff credential.
        p("Our counselors hold Cert. #40021 from the Missouri Department of Mental Health."),
    ],
)
def test_abbreviated_license_words_do_not_open_non_licenses(body):
    assert [f for f in licenses(body) if f.agency] == []


# --- an agency's own number format (license_pattern) recognises a number near it ---------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Licensed by the California Department of Social Services, facility 157806011.", ("CA-CDSS", "157806011")),
        (
            "Licensed by the Washington State Department of Health as a behavioral health agency, BHA.FS.60742634.",
            ("WA-DOH", "BHA.FS.60742634"),
        ),
        ("Licensed by the N.C. Division of Health Service Regulation (MHL-092-118).", ("NC-DHHS", "MHL-092-118")),
    ],
)
def test_agency_number_format_recognised_without_license_word(text, expected):
    (lic,) = licenses(p(text))
    assert (lic.agency_id, lic.number) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A phone number is not a nine-digit facility number, and another agency's format is not this one's.
        "Licensed by the California Department of Social Services. Call 8005551234 today.",
        "Licensed by the Washington State Department of Health; NPI 1234567890.",
        "Licensed by the Missouri Department of Mental Health; CCLD facility 157806011 is our sister site.",
    ],
)
def test_agency_number_format_does_not_invent_a_number(text):
    (lic,) = licenses(p(text))
    assert lic.number == ""
