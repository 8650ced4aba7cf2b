"""provdir.extract.phones: phone numbers from text and tel: links, with the role the page gives them."""

from __future__ import annotations

import phonenumbers
import pytest

from provdir.extract import extract_page
from provdir.extract.page import parse_page
from provdir.extract.phones import (
    CONTACT_ROLES,
    contact_numbers_in,
    extract_phones,
    parse_number,
    role_from_context,
)

URL = "https://www.cedarbluffrecovery.example/contact/"
MAIN = "+14175550123"


def doc(body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Contact | Cedar Bluff Recovery'
        f'</title></head><body class="page"><div id="page" class="site">{body}</div></body></html>'
    )


def phones(body: str, url: str = URL, blog: bool = False):
    return extract_phones(parse_page(doc(body), url), blog=blog)


def roles(body: str) -> dict[str, set[str]]:
    """E.164 -> roles found for it on the page."""
    out: dict[str, set[str]] = {}
    for p in phones(body):
        out.setdefault(p.e164, set()).add(p.role)
    return out


def contact(body: str) -> set[str]:
    return {p.e164 for p in phones(body) if p.role in CONTACT_ROLES}


HEADER = """
<header id="masthead" class="site-header">
  <div class="site-branding"><img src="/wp-content/uploads/cedar-bluff-logo.png" alt="Cedar Bluff Recovery"></div>
  <div class="header-cta"><span class="cta-label">Call 24/7</span> <span class="cta-number">(417) 555-0123</span></div>
</header>
"""


# --- formats ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shown",
    [
        "(417) 555-0123",
        "417-555-0123",
        "417.555.0123",
        "417 555 0123",
        "1 (417) 555-0123",
        "+1 417-555-0123",
        "1-417-555-0123",
        "(417) – 555-0123",
    ],
)
def test_common_formats_normalize_to_e164(shown):
    found = phones(f"<main><p>Call us: {shown}</p></main>")
    assert [p.e164 for p in found] == [MAIN]
    assert found[0].source == "text"


def test_header_call_24_7_phone_is_main():
    found = phones(HEADER)
    assert [(p.e164, p.role, p.region) for p in found] == [(MAIN, "main", "header")]


def test_phone_with_html_entities_and_unicode_dash():
    found = phones("<footer><p>Phone:&nbsp;(417)&nbsp;555&#8211;0123</p></footer>")
    assert [(p.e164, p.role) for p in found] == [(MAIN, "main")]


def test_phone_with_unicode_non_breaking_space_and_em_dash():
    found = phones("<footer><p>Phone: 417\u00a0555\u20140123</p></footer>")
    assert [p.e164 for p in found] == [MAIN]


def test_raw_and_snippet_keep_what_the_page_shows():
    found = phones("<footer><p>Cedar Bluff Recovery<br>Main Office: 417.555.0123<br>Open 24 hours</p></footer>")
    assert found[0].raw == "417.555.0123"
    assert found[0].snippet == "Main Office: 417.555.0123"
    assert found[0].region == "footer"


def test_extension_kept():
    found = phones("<main><p>Billing office: (417) 555-0123 ext. 204</p></main>")
    assert [(p.e164, p.extension) for p in found] == [(MAIN, "204")]


def test_extension_kept_from_tel_link():
    found = phones('<main><p><a href="tel:+14175550123;ext=204">Billing</a></p></main>')
    assert [(p.e164, p.extension, p.source) for p in found] == [(MAIN, "204", "tel_href")]


@pytest.mark.parametrize(
    "text",
    [
        "Springfield, MO 65804",
        "Serving families since 1998.",
        "Open Monday–Friday 8:00–5:00",
        "License #0412-2231",
        "555-0123",
        "(417) 555-012",
    ],
)
def test_non_phone_digits_are_not_phones(text):
    assert phones(f"<footer><p>{text}</p></footer>") == []


# --- tel: links ------------------------------------------------------------------------------------


def test_tel_link_only_phone_found():
    body = '<header><a class="phone-icon" href="tel:4175550123" aria-label="Call Cedar Bluff"><i class="fa fa-phone"></i></a></header>'
    found = phones(body)
    assert [(p.e164, p.role, p.source, p.raw, p.region) for p in found] == [
        (MAIN, "main", "tel_href", "tel:4175550123", "header")
    ]


def test_tel_link_url_encoded_number():
    found = phones('<main><a href="tel:%28417%29%20555-0123">Call now</a></main>')
    assert [p.e164 for p in found if p.source == "tel_href"] == [MAIN]


def test_tel_link_with_visible_number_found_twice_with_two_sources():
    found = phones('<main><p>Call <a href="tel:+14175550123">(417) 555-0123</a></p></main>')
    assert sorted(p.source for p in found) == ["tel_href", "text"]
    assert {p.e164 for p in found} == {MAIN}


def test_invalid_tel_link_ignored():
    assert phones('<main><a href="tel:555">Call</a> <a href="tel:">Call</a></main>') == []


def test_tel_link_role_from_its_own_words():
    found = phones('<main><a href="tel:4175550125">Admissions: (417) 555-0125</a></main>')
    link = next(p for p in found if p.source == "tel_href")
    assert link.role == "admissions"


def test_tel_link_does_not_take_fax_label_of_neighbour():
    body = '<footer><p>Fax: (417) 555-0124 &middot; Call <a href="tel:+14175550123">(417) 555-0123</a></p></footer>'
    link = next(p for p in phones(body) if p.source == "tel_href")
    assert link.role == "main"


# --- roles -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "role"),
    [
        ("Phone: (417) 555-0123", "main"),
        ("Main Office (417) 555-0123", "main"),
        ("Fax: (417) 555-0123", "fax"),
        ("F: (417) 555-0123", "fax"),
        ("Facsimile (417) 555-0123", "fax"),
        ("(417) 555-0123 (fax)", "fax"),
        ("417-555-0123 fax", "fax"),
        ("Admissions: (417) 555-0123", "admissions"),
        ("Intake line (417) 555-0123", "admissions"),
        ("New patients call (417) 555-0123", "admissions"),
        ("Schedule an appointment: (417) 555-0123", "admissions"),
        ("Toll-Free: (417) 555-0123", "toll_free"),
        ("Crisis line: (417) 555-0123", "crisis"),
        ("24-hour emergency: (417) 555-0123", "crisis"),
        ("Text us: (417) 555-0123", "text"),
        ("(417) 555-0123 (text)", "text"),
        ("SMS (417) 555-0123", "text"),
        ("(417) 555-0123 (TTY)", "tty"),
        ("TTY: (417) 555-0123", "tty"),
        ("(417) 555-0123 (24/7 crisis line)", "crisis"),
    ],
)
def test_role_from_label(line, role):
    found = phones(f'<div class="contact-info"><p>{line}</p></div>')
    assert [(p.e164, p.role) for p in found] == [(MAIN, role)]


@pytest.mark.parametrize("number", ["(800) 555-0142", "(833) 555-0142", "(855) 555-0142", "(888) 555-0142"])
def test_toll_free_area_code_without_label(number):
    found = phones(f"<header><p>Call {number}</p></header>")
    assert found[0].role == "toll_free"


def test_fax_label_wins_over_toll_free_area_code():
    found = phones("<footer><p>Fax: (888) 555-0149</p></footer>")
    assert found[0].role == "fax"


def test_labels_on_one_line_each_apply_to_the_following_number():
    found = phones("<footer><p>Phone: (417) 555-0123 | Fax: (417) 555-0124 | Admissions: (417) 555-0125</p></footer>")
    assert [(p.e164[-4:], p.role) for p in found] == [("0123", "main"), ("0124", "fax"), ("0125", "admissions")]


def test_fax_next_to_phone_is_not_a_contact_phone():
    body = '<footer><div class="footer-contact"><p>Phone: (417) 555-0123<br>Fax: (417) 555-0124</p></div></footer>'
    assert roles(body) == {MAIN: {"main"}, "+14175550124": {"fax"}}


@pytest.mark.parametrize(
    ("line", "second_role"),
    [
        ("Phone: (417) 555-0123 Fax: (417) 555-0124", "fax"),
        ("Call 24/7: (417) 555-0123 Text us: (417) 555-0124", "text"),
    ],
)
def test_next_label_on_same_line_does_not_apply_to_previous_number(line, second_role):
    assert roles(f"<footer><p>{line}</p></footer>") == {MAIN: {"main"}, "+14175550124": {second_role}}


def test_fax_on_its_own_line_is_fax():
    body = '<footer><div class="footer-contact"><p>Cedar Bluff Recovery<br>Fax: (417) 555-0124</p></div></footer>'
    assert roles(body) == {"+14175550124": {"fax"}}


def test_label_on_previous_line_does_not_apply():
    body = "<footer><p>Fax numbers are listed on our forms page<br>(417) 555-0123</p></footer>"
    assert roles(body) == {MAIN: {"main"}}


def test_admissions_and_main_numbers_in_contact_block():
    body = """
    <main><section class="contact-block">
      <h2>Get in Touch</h2>
      <p>Main Line: <a href="tel:+14175550123">(417) 555-0123</a></p>
      <p>Admissions: <a href="tel:+14175550125">(417) 555-0125</a></p>
      <p>Fax: (417) 555-0124</p>
      <p>Text Line: (417) 555-0126</p>
    </section></main>"""
    text_roles = {p.e164[-4:]: p.role for p in phones(body) if p.source == "text"}
    assert text_roles == {"0123": "main", "0125": "admissions", "0124": "fax", "0126": "text"}


def test_911_988_and_samhsa_helpline_are_not_contact():
    body = """
    <div class="crisis-banner"><p>If you are in danger, call 911. For the 988 Suicide &amp; Crisis Lifeline,
    dial 988. SAMHSA's National Helpline: 1-800-662-4357.</p></div>
    <footer><p>Cedar Bluff Recovery: (417) 555-0123</p></footer>"""
    found = phones(body)
    assert contact(body) == {MAIN}
    samhsa = [p for p in found if p.e164 == "+18006624357"]
    assert [p.role for p in samhsa] == ["crisis"]


def test_samhsa_helpline_in_tel_link_is_crisis():
    found = phones('<footer><a href="tel:18006624357">National Helpline</a></footer>')
    assert [(p.e164, p.role) for p in found] == [("+18006624357", "crisis")]


def test_unlabelled_national_hotline_is_crisis():
    found = phones("<aside><p>Poison Control 1-800-222-1222</p></aside>")
    assert [p.role for p in found] == ["crisis"]


def test_crisis_and_fax_are_not_contact_roles():
    assert {"fax", "crisis"}.isdisjoint(CONTACT_ROLES)
    assert {"main", "admissions", "toll_free", "text"} == set(CONTACT_ROLES)


# --- blog pages ---------------------------------------------------------------------------------------


def test_blog_post_body_numbers_skipped_but_footer_kept():
    body = """
    <main><article class="post"><h1>When to Call for Help</h1>
      <p>Another clinic in Joplin can be reached at (417) 555-0188.</p></article></main>
    <footer><p>Call Cedar Bluff: (417) 555-0123</p></footer>"""
    found = phones(body, url="https://www.cedarbluffrecovery.example/blog/when-to-call/", blog=True)
    assert [(p.e164, p.region) for p in found] == [(MAIN, "footer")]


def test_blog_flag_via_extract_page_url():
    html = doc("<main><p>Another clinic: (417) 555-0188.</p></main><footer><p>(417) 555-0123</p></footer>")
    obs = extract_page(html, "https://www.cedarbluffrecovery.example/blog/finding-help/")
    assert {p.e164 for p in obs.phones} == {MAIN}


# --- helpers -------------------------------------------------------------------------------------------


def test_contact_numbers_in_leaves_out_fax_crisis_and_national_lines():
    text = "Phone (417) 555-0123 · Fax: (417) 555-0124 · Crisis line (417) 555-0127 · 1-800-662-4357"
    assert contact_numbers_in(text) == [MAIN]


def test_contact_numbers_in_deduplicates_in_order():
    text = "Admissions (417) 555-0125 or (417) 555-0123, admissions again (417) 555-0125"
    assert contact_numbers_in(text) == ["+14175550125", MAIN]


@pytest.mark.parametrize(
    ("before", "after", "role"),
    [
        ("Fax: ", "", "fax"),
        ("", " (fax)", "fax"),
        ("", " f", "fax"),
        ("Call our intake team ", "", "admissions"),
        ("Referrals ", "", "admissions"),
        ("Suicide hotline ", "", "crisis"),
        ("", " [text]", "text"),
        ("Phone ", "", "main"),
    ],
)
def test_role_from_context(before, after, role):
    assert role_from_context(before, after, parse_number("(417) 555-0123")) == role


def test_role_from_context_toll_free_by_number_only():
    assert role_from_context("", "", parse_number("(866) 555-0142")) == "toll_free"
    assert role_from_context("", "", None) == "main"


@pytest.mark.parametrize("raw", ["(417) 555-0123", "+1 417 555 0123", "4175550123"])
def test_parse_number_valid(raw):
    num = parse_number(raw)
    assert num is not None
    assert phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) == MAIN


@pytest.mark.parametrize("raw", ["555-0123", "call us", "", "911", "(123) 456-7890"])
def test_parse_number_invalid(raw):
    assert parse_number(raw) is None


def test_phonenumbers_keeps_its_compiled_patterns_past_re_cache():
    """A crawl's own patterns overflow re's cache; phonenumbers' metadata patterns are compiled
    once for the process (provdir.normalize.phone turns its pattern cache on)."""
    import re

    from phonenumbers import re_util

    import provdir.normalize.phone  # noqa: F401  the module that turns the cache on

    pattern = r"8(?:00|33|44|55|66|77|88)[2-9]\d{6}"  # US toll-free, from phonenumbers' metadata
    first = re_util.re_compile(pattern)
    re.purge()  # as a full re cache drops its oldest entries
    assert re_util.re_compile(pattern) is first
