"""Services and levels of care: claims (menus, labels, self-voiced statements) vs mentions."""

from __future__ import annotations

import pytest

from provdir.extract import extract_page
from provdir.extract.page import parse_page
from provdir.extract.services import extract_services, implied, page_program_values

SITE = "https://www.cedarbluffrecovery.example"
HOME = f"{SITE}/"
ORG = "Cedar Bluff Recovery"


def doc(body: str, title: str = "Cedar Bluff Recovery | Springfield, MO", head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>{title}</title>{head}</head>'
        f'<body class="page"><div id="page" class="site">{body}</div></body></html>'
    )


def observe(html: str, url: str = HOME, seed_name: str = ORG):
    return extract_page(html, url, site="www.cedarbluffrecovery.example", seed_url=HOME, seed_name=seed_name)


def claimed(html: str, url: str = HOME, seed_name: str = ORG) -> set[str]:
    return {f.value for f in observe(html, url, seed_name).services}


def direct_claims(html: str, url: str = HOME, seed_name: str = ORG) -> set[str]:
    """Claimed values, without the ones only implied by another claim."""
    return {f.value for f in observe(html, url, seed_name).services if not f.basis.startswith("implied")}


def rejections(html: str, url: str = HOME, seed_name: str = ORG) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in observe(html, url, seed_name).rejected:
        if r["field"] == "service":
            out.setdefault(r["value"], set()).add(r["reason"])
    return out


def main_paragraph(text: str) -> str:
    return doc(f'<main id="main"><div class="entry-content"><p>{text}</p></div></main>')


HEADER_MENU = """
<header id="masthead" class="site-header">
  <div class="site-branding"><a href="/"><img src="/wp-content/uploads/cedar-bluff-logo.png" alt="Cedar Bluff Recovery"></a></div>
  <div class="header-phone">Call 24/7 <a href="tel:4175550123">(417) 555-0123</a></div>
  <nav id="site-navigation" class="main-navigation"><div class="menu-primary-container">
    <ul id="menu-primary" class="menu">
      <li class="menu-item"><a href="/">Home</a></li>
      <li class="menu-item menu-item-has-children"><a href="/treatment/">Treatment</a>
        <ul class="sub-menu">
          <li class="menu-item"><a href="/treatment/inpatient-detox/">Inpatient / Detox</a></li>
          <li class="menu-item"><a href="/treatment/php/">Partial Hospitalization</a></li>
          <li class="menu-item"><a href="/treatment/iop/">Intensive Outpatient (IOP)</a></li>
          <li class="menu-item"><a href="/treatment/mat/">MAT</a></li>
        </ul>
      </li>
      <li class="menu-item"><a href="/insurance/">Insurance</a></li>
    </ul>
  </div></nav>
</header>
"""

BLOG_POST = doc(
    HEADER_MENU
    + """
<main id="main" class="site-main">
  <article class="post type-post">
    <header class="entry-header">
      <h1 class="entry-title">What Happens During Medical Detox?</h1>
      <div class="entry-meta">Posted on <time datetime="2023-04-11">April 11, 2023</time> by Dana Whitfield</div>
    </header>
    <div class="entry-content">
      <p>Medical detox is the process of safely managing withdrawal symptoms under the care of
      doctors and nurses. We offer medically supervised detox to help people through this stage.</p>
      <p>Medication-assisted treatment with buprenorphine can ease cravings. Methadone is dispensed
      only at an opioid treatment program.</p>
      <h2>Residential Treatment After Detox</h2>
      <p>Many people move on to a residential program or sober living afterward.</p>
    </div>
  </article>
</main>
<footer class="site-footer"><p>&copy; 2024 Cedar Bluff Recovery</p></footer>
""",
    title="What Happens During Medical Detox? - Cedar Bluff Recovery",
)


# --- menus and labels ---------------------------------------------------------------------


def test_menu_item_inpatient_detox_claims_detox_and_residential():
    obs = observe(doc(HEADER_MENU))
    facts = {f.value: f for f in obs.services}
    assert {"detox", "residential"} <= set(facts)
    assert facts["detox"].basis == "menu"
    assert facts["detox"].region == "nav"
    assert facts["detox"].snippet == "Inpatient / Detox"
    assert facts["residential"].basis == "menu"


def test_menu_items_give_php_iop_and_mat():
    assert {"php", "iop", "mat"} <= claimed(doc(HEADER_MENU))


def test_intensive_outpatient_menu_item_is_not_also_outpatient():
    assert "outpatient" not in claimed(doc(HEADER_MENU))


def test_partial_hospitalization_is_not_hospital_inpatient():
    assert "hospital_inpatient" not in claimed(doc(HEADER_MENU))


def test_detox_claim_implies_substance_use():
    obs = observe(doc(HEADER_MENU))
    implied_facts = [f for f in obs.services if f.value == "substance_use"]
    assert len(implied_facts) == 1
    assert implied_facts[0].basis in ("implied:detox", "implied:mat")


@pytest.mark.parametrize(
    ("item", "value"),
    [
        ("Medical Detox", "detox"),
        ("Residential", "residential"),
        ("Outpatient", "outpatient"),
        ("Sober Living Homes", "sober_living"),
        ("Dual Diagnosis", "co_occurring"),
        ("Co Occurring Disorders", "co_occurring"),
        ("Family Program", "family_program"),
        ("Alumni Program", "aftercare"),
        ("DUI Classes", "dui"),
        ("Ketamine Therapy", "ketamine"),
        ("Telehealth", "telehealth"),
        ("Suboxone Treatment", "buprenorphine"),
        ("Vivitrol", "naltrexone"),
        ("Teen Program", "adolescents"),
        ("Veterans", "veterans"),
    ],
)
def test_menu_item_names_program(item, value):
    html = doc(f'<nav class="main-navigation"><ul class="menu"><li><a href="/programs/x/">{item}</a></li></ul></nav>')
    assert value in claimed(html)


def test_program_heading_in_main_is_a_label_claim():
    html = doc(
        '<main><section class="programs"><h2>Partial Hospitalization Program</h2>'
        "<p>Five days a week, six hours a day.</p></section></main>"
    )
    obs = observe(html)
    php = [f for f in obs.services if f.value == "php"]
    assert php
    assert php[0].basis == "label"
    assert php[0].region == "main"


def test_short_list_item_in_body_is_a_label_claim():
    html = doc(
        "<main><h2>Levels of Care</h2><ul><li>Residential treatment</li><li>Outpatient counseling</li></ul></main>"
    )
    assert {"residential", "outpatient"} <= claimed(html)


def test_bare_residential_in_a_sentence_is_not_a_claim():
    html = main_paragraph("Our office sits on a quiet residential street near downtown Springfield.")
    assert "residential" not in claimed(html)


def test_bare_residential_as_heading_is_a_claim():
    html = doc("<main><h3>Residential</h3><p>Thirty to ninety day stays.</p></main>")
    assert "residential" in claimed(html)


def test_word_mat_in_lowercase_is_not_medication_assisted_treatment():
    html = main_paragraph("We offer yoga on the mat every morning and walking groups every evening.")
    assert "mat" not in claimed(html)


def test_acronym_mat_in_statement_is_a_claim():
    html = main_paragraph("We offer MAT for opioid use disorder at our Springfield clinic.")
    assert "mat" in claimed(html)


def test_menu_link_to_blog_post_is_not_a_claim():
    html = doc(
        '<aside class="widget-area"><section class="widget"><h2 class="widget-title">Recent Posts</h2><ul>'
        '<li><a href="/blog/signs-you-need-detox/">Signs You Need Detox</a></li>'
        '<li><a href="/2023/02/sober-living-myths/">Sober Living Myths</a></li>'
        "</ul></section></aside>"
    )
    assert claimed(html) == set()


def test_question_heading_not_a_claim():
    html = doc("<main><h2>Do You Need Detox?</h2><p>Withdrawal can be dangerous.</p></main>")
    obs = observe(html)
    assert "detox" not in {f.value for f in obs.services}
    assert {
        "field": "service",
        "value": "detox",
        "reason": "question",
        "cue": "",
        "snippet": "Do You Need Detox?",
    } in obs.rejected


def test_question_heading_without_question_mark_not_a_claim():
    html = doc("<main><h2>What Is Dual Diagnosis</h2></main>")
    assert "co_occurring" not in claimed(html)
    assert rejections(html)["co_occurring"] == {"question"}


def test_faq_question_rejected_but_answer_with_we_claims():
    html = doc(
        '<main><div class="faq"><h3>Do you offer detox on site?</h3>'
        "<p>Yes. We provide medical detox in our 16-bed unit.</p></div></main>"
    )
    assert "detox" in claimed(html)
    assert "question" in rejections(html)["detox"]


def test_negated_label_rejected():
    html = doc("<main><ul><li>Methadone (not offered)</li></ul></main>")
    assert "methadone" not in claimed(html)
    assert rejections(html)["methadone"] == {"negation"}


# --- statements -------------------------------------------------------------------------------


def test_we_offer_statement_is_a_claim():
    obs = observe(main_paragraph("We offer medically supervised withdrawal and residential treatment for adults."))
    facts = {f.value: f for f in obs.services}
    assert {"detox", "residential"} <= set(facts)
    assert facts["detox"].basis == "statement"
    assert facts["detox"].region == "main"


def test_org_name_statement_is_a_claim():
    html = main_paragraph("Cedar Bluff Recovery provides lifetime aftercare for every client and family.")
    assert "aftercare" in claimed(html)


def test_org_name_from_og_site_name_counts_as_self():
    html = doc(
        "<main><p>Juniper Ridge provides lifetime aftercare for every client and family.</p></main>",
        head='<meta property="og:site_name" content="Juniper Ridge Treatment Center">',
    )
    assert "aftercare" in claimed(html, seed_name="")


def test_third_person_sentence_on_home_page_is_not_a_claim():
    html = main_paragraph("Detoxification helps the body clear alcohol and drugs over several days of care.")
    assert "detox" not in claimed(html)
    assert rejections(html)["detox"] == {"not_self"}


def test_program_page_sentence_without_we_is_a_claim():
    html = doc(
        "<main><h1>Intensive Outpatient Program</h1>"
        "<p>The intensive outpatient program meets three evenings a week for eight weeks.</p></main>",
        title="Intensive Outpatient Program | Cedar Bluff Recovery",
    )
    facts = [f for f in observe(html, f"{SITE}/programs/iop/").services if f.value == "iop"]
    assert any(f.basis == "statement" for f in facts)


def test_program_page_does_not_claim_other_services_in_third_person():
    html = doc(
        "<main><h1>Intensive Outpatient Program</h1>"
        "<p>Clients who finished detox elsewhere often begin with three evenings a week here.</p></main>",
        title="Intensive Outpatient Program | Cedar Bluff Recovery",
    )
    assert "detox" not in claimed(html, f"{SITE}/programs/iop/")


def test_statement_in_sidebar_with_we_is_a_claim():
    html = doc('<aside class="sidebar"><p>We accept Medicaid, Medicare and most major insurance plans.</p></aside>')
    assert {"medicaid", "medicare", "private_insurance"} <= claimed(html)


def test_we_do_not_offer_methadone_rejects_methadone_keeps_buprenorphine():
    html = main_paragraph("We do not offer methadone, but we provide buprenorphine (Suboxone) in our clinic.")
    assert "buprenorphine" in claimed(html)
    assert "methadone" not in claimed(html)
    assert rejections(html)["methadone"] == {"negation"}


def test_referral_to_partner_facility_is_not_a_claim():
    html = main_paragraph(
        "When a client needs medical detox, we refer them to a partner facility in Joplin before admission."
    )
    assert "detox" not in claimed(html)
    assert rejections(html)["detox"] == {"referral"}


def test_sober_home_residents_attend_iop_elsewhere_is_not_iop_claim():
    html = main_paragraph("Our residents attend intensive outpatient treatment at local providers during the day.")
    assert "iop" not in claimed(html)
    assert rejections(html)["iop"] == {"referral"}


def test_help_finding_detox_is_not_a_claim():
    html = main_paragraph("Our admissions team can help you find a detox program near you.")
    assert "detox" not in claimed(html)


def test_future_plan_is_not_a_claim():
    html = main_paragraph("We plan to offer medication-assisted treatment at our Nixa office in 2026.")
    assert "mat" not in claimed(html)
    assert rejections(html)["mat"] == {"future"}


def test_coming_soon_label_is_not_a_claim():
    html = doc("<main><ul><li>Telehealth (coming soon)</li></ul></main>")
    assert "telehealth" not in claimed(html)
    assert rejections(html)["telehealth"] == {"future"}


def test_history_is_not_a_claim():
    html = main_paragraph("We previously offered sober living, and that house closed in 2020.")
    assert "sober_living" not in claimed(html)
    assert rejections(html)["sober_living"] == {"history"}


def test_funding_sentence_is_not_a_claim():
    html = main_paragraph("Our family program is funded by a grant from the Greene County Health Fund.")
    assert "family_program" not in claimed(html)
    assert rejections(html)["family_program"] == {"funding"}


def test_generic_description_is_not_a_claim():
    html = main_paragraph("In most detox programs, we see clients stay five to seven days before moving on.")
    assert "detox" not in claimed(html)
    assert rejections(html)["detox"] == {"generic"}


def test_definition_sentence_is_not_a_claim():
    html = main_paragraph(
        "Dual diagnosis is a term for a mental illness and an addiction at the same time, and we see it often."
    )
    assert "co_occurring" not in claimed(html)
    assert rejections(html)["co_occurring"] == {"generic"}


def test_prerequisite_is_not_a_claim():
    html = main_paragraph("Applicants to our sober home must have completed a residential treatment program.")
    assert "residential" not in claimed(html)
    assert rejections(html)["residential"] == {"prerequisite"}


def test_question_sentence_in_paragraph_is_not_a_claim():
    html = main_paragraph("Wondering what comes next? Is our residential treatment right for your family?")
    assert "residential" not in claimed(html)
    assert rejections(html)["residential"] == {"question"}


# --- blog posts ----------------------------------------------------------------------------------


def test_blog_post_explaining_detox_is_not_a_detox_claim():
    obs = observe(BLOG_POST, f"{SITE}/blog/what-happens-during-medical-detox/")
    main_claims = {f.value for f in obs.services if f.region == "main"}
    assert main_claims == set()


def test_blog_post_mentions_are_rejected_as_blog_post():
    rej = rejections(BLOG_POST, f"{SITE}/blog/what-happens-during-medical-detox/")
    for value in ("detox", "buprenorphine", "methadone", "otp", "sober_living"):
        assert "blog_post" in rej[value], value


def test_blog_post_page_still_reads_site_menu():
    obs = observe(BLOG_POST, f"{SITE}/blog/what-happens-during-medical-detox/")
    assert obs.page_kind == "blog"
    nav = {f.value for f in obs.services if f.region == "nav"}
    assert {"detox", "residential", "php", "iop", "mat"} <= nav


def test_og_type_article_marks_post_as_blog():
    html = doc(
        "<main><p>We offer medically supervised detox in our 16-bed unit.</p></main>",
        head='<meta property="og:type" content="article">',
    )
    obs = observe(html, f"{SITE}/what-happens-in-detox/")
    assert obs.page_kind == "blog"
    assert "detox" not in {f.value for f in obs.services}


def test_same_text_on_program_page_is_a_claim():
    # The control for the blog tests: the self-voiced sentence counts outside a blog post.
    html = main_paragraph("We offer medically supervised detox to help people through this stage.")
    assert "detox" in claimed(html, f"{SITE}/programs/detox/")


# --- hidden / non-visible text ---------------------------------------------------------------


def test_hidden_template_leftover_text_ignored():
    html = doc(
        "<main><p>Welcome to Cedar Bluff Recovery.</p>"
        '<template id="tmpl-program-card"><h2>Medical Detox</h2>'
        "<p>We offer methadone maintenance.</p></template></main>"
    )
    assert claimed(html) == set()


def test_script_text_ignored():
    html = doc('<main><p>Welcome.</p><script>var programs = ["Medical Detox", "Sober Living"];</script></main>')
    assert claimed(html) == set()


# --- the pieces: page_program_values, implied, extract_services ---------------------------------


def test_page_program_values_from_h1_and_title():
    html = doc("<main><h1>Medical Detox</h1></main>", title="Sober Living Homes | Cedar Bluff Recovery")
    assert page_program_values(parse_page(html, HOME)) == {"detox", "sober_living"}


def test_page_program_values_ignores_question_titles():
    html = doc("<main><h1>What Is Medical Detox?</h1></main>", title="What Is Detox? - Cedar Bluff")
    assert page_program_values(parse_page(html, HOME)) == set()


def test_page_program_values_ignores_site_name_after_separator():
    html = doc("<main><p>Welcome.</p></main>", title="Home | Cedar Bluff Detox and Recovery")
    assert page_program_values(parse_page(html, HOME)) == set()


def test_implied_adds_substance_use_once():
    from provdir.model.items import Fact

    facts = [Fact("detox", "Medical Detox", "nav", "menu"), Fact("methadone", "Methadone", "nav", "menu")]
    extra = implied(facts)
    assert [(f.value, f.basis) for f in extra] == [("substance_use", "implied:detox")]


def test_implied_adds_nothing_when_already_claimed():
    from provdir.model.items import Fact

    facts = [Fact("substance_use", "Addiction Treatment", "nav", "menu"), Fact("detox", "Detox", "nav", "menu")]
    assert implied(facts) == []


def test_extract_services_same_value_and_basis_kept_once():
    html = doc(
        '<nav><ul><li><a href="/detox/">Detox</a></li></ul></nav>'
        '<footer><div class="menu-footer-container"><ul><li><a href="/detox/">Detox</a></li></ul></div></footer>'
    )
    facts, _ = extract_services(parse_page(html, HOME), blog=False, org_terms=(), program_values=set())
    assert [(f.value, f.basis) for f in facts] == [("detox", "menu")]


def test_extract_services_blog_flag_skips_main_but_not_nav():
    html = doc('<nav><ul><li><a href="/iop/">IOP</a></li></ul></nav><main><h2>Medical Detox</h2></main>')
    facts, rejected = extract_services(parse_page(html, HOME), blog=True, org_terms=(), program_values=set())
    assert {f.value for f in facts} == {"iop"}
    assert [(r["value"], r["reason"]) for r in rejected] == [("detox", "blog_post")]


def test_snippet_is_truncated():
    long_tail = " and ".join(["group therapy"] * 40)
    html = main_paragraph(f"We offer medically supervised detox, {long_tail}.")
    detox = next(f for f in observe(html).services if f.value == "detox")
    assert len(detox.snippet) <= 200
    assert detox.snippet.startswith("We offer medically supervised detox")


# --- clause scope --------------------------------------------------------------------------------


def test_we_in_another_clause_does_not_make_methadone_a_claim():
    html = main_paragraph("Methadone is dispensed daily at licensed clinics, while we focus on counseling.")
    assert "methadone" not in claimed(html)


def test_unlike_many_rehabs_we_offer_detox_is_a_claim():
    html = main_paragraph("Unlike many rehabs, we offer medical detox right here on our campus.")
    assert "detox" in claimed(html)


def test_our_homes_provide_statement_is_a_claim():
    html = main_paragraph("Our sober living homes provide a safe, structured place to continue recovery.")
    assert "sober_living" in claimed(html)


def test_kind_of_program_sentence_is_generic():
    html = main_paragraph("Sober living homes are alcohol- and drug-free residences for people in recovery.")
    assert "sober_living" not in claimed(html)
    assert rejections(html)["sober_living"] == {"generic"}


def test_comparison_with_typical_program_is_generic():
    html = main_paragraph("Our IOP offers more structure than a typical outpatient program.")
    assert "outpatient" not in direct_claims(html)
    assert rejections(html)["outpatient"] == {"generic"}


def test_negation_in_first_clause_does_not_reject_second_clause():
    html = main_paragraph("We are not a hospital; we offer residential treatment in a home-like setting.")
    assert "residential" in claimed(html)


def test_footer_program_list_is_a_label_claim():
    html = doc(
        '<footer class="site-footer"><h4>Programs</h4><ul>'
        '<li><a href="/programs/medical-detox/">Medical Detox</a></li>'
        '<li><a href="/programs/sober-living/">Sober Living</a></li></ul></footer>'
    )
    facts = {f.value: f for f in observe(html).services}
    assert {"detox", "sober_living"} <= set(facts)
    assert facts["sober_living"].region == "footer"
    assert facts["sober_living"].basis == "label"


# --- substances vs medications ---------------------------------------------------------------


SUBSTANCE_LIST = """
<main><h2>Substances We Treat</h2>
<ul class="substances">
  <li>Alcohol</li>
  <li>Heroin &amp; Fentanyl</li>
  <li>Methadone</li>
  <li>Suboxone</li>
  <li>Benzodiazepines</li>
</ul></main>
"""


def test_medications_in_a_list_of_substances_are_not_pharmacotherapy_claims():
    got = claimed(doc(SUBSTANCE_LIST))
    assert "methadone" not in got
    assert "buprenorphine" not in got
    rej = rejections(doc(SUBSTANCE_LIST))
    assert rej["methadone"] == {"substance_list"}
    assert rej["buprenorphine"] == {"substance_list"}


def test_medication_list_without_substances_is_a_claim():
    html = doc(
        "<main><h2>Medication-Assisted Treatment</h2><ul><li>Suboxone</li><li>Vivitrol</li>"
        "<li>Sublocade</li></ul></main>"
    )
    assert {"buprenorphine", "naltrexone", "mat"} <= claimed(html)


def test_detox_from_methadone_is_not_a_methadone_claim():
    html = main_paragraph("We help clients safely detox from methadone and other opioids.")
    assert "methadone" not in claimed(html)
    assert rejections(html)["methadone"] == {"substance"}
    assert "detox" in claimed(html)


def test_passive_offer_voice_is_a_claim():
    html = main_paragraph("Social detoxification is provided in the residential setting for up to seven days.")
    assert "detox" in claimed(html)


def test_conditional_is_not_a_claim():
    html = main_paragraph("If you need medical detox first, our admissions team will talk through options.")
    assert "detox" not in claimed(html)
    assert rejections(html)["detox"] == {"conditional"}
