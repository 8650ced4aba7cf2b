"""provdir.extract.addresses: street addresses in contact blocks, footers, location cards, paragraphs."""

from __future__ import annotations

import pytest

from provdir.extract import extract_page
from provdir.extract.addresses import extract_addresses
from provdir.extract.page import parse_page

URL = "https://www.cedarbluffrecovery.example/contact/"


def doc(body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Locations | Cedar Bluff Recovery'
        f'</title></head><body class="page"><div id="page" class="site">{body}</div></body></html>'
    )


def addresses(body: str, url: str = URL, blog: bool = False):
    return extract_addresses(parse_page(doc(body), url), blog=blog)


def one(body: str):
    found = addresses(body)
    assert len(found) == 1, found
    return found[0]


FOOTER = """
<footer id="colophon" class="site-footer">
  <div class="footer-widgets">
    <section class="widget widget_text"><h3 class="widget-title">Contact Us</h3>
      <div class="textwidget"><p>Cedar Bluff Recovery<br>
      2706 South River Road, Suite 4B<br>
      Springfield, MO 65804<br>
      Phone: (417) 555-0123<br>
      Fax: (417) 555-0124</p></div>
    </section>
  </div>
  <div class="site-info">&copy; 2024 Cedar Bluff Recovery &middot; <a href="/privacy/">Privacy Policy</a></div>
</footer>
"""

LOCATION_CARDS = """
<main id="main"><h1>Our Locations</h1>
<div class="locations-grid">
  <div class="location-card">
    <h3>Springfield Residential Campus</h3>
    <p>2706 South River Road<br>Springfield, MO 65804</p>
    <p>Phone: <a href="tel:+14175550123">(417) 555-0123</a></p>
  </div>
  <div class="location-card">
    <h3>Joplin Outpatient Office</h3>
    <p>415 East 7th Street<br>Joplin, MO 64801</p>
    <p>Phone: <a href="tel:+14175550150">(417) 555-0150</a></p>
  </div>
  <div class="location-card">
    <h3>Branson Sober Living</h3>
    <p>88 Lakeview Drive<br>Branson, MO 65616</p>
    <p>Phone: <a href="tel:+14175550160">(417) 555-0160</a></p>
  </div>
</div></main>
"""


# --- contact blocks and footers -------------------------------------------------------------


def test_footer_address_block_parsed():
    addr = one(FOOTER)
    assert (addr.street, addr.city, addr.state, addr.postal_code) == (
        "2706 S River Rd Ste 4B",
        "Springfield",
        "MO",
        "65804",
    )
    assert addr.region == "footer"
    assert addr.source == "text"
    assert addr.kind == "physical"


def test_suite_kept_and_abbreviated():
    assert one(FOOTER).street.endswith("Ste 4B")


def test_footer_address_label_is_the_name_line_above():
    assert one(FOOTER).label == "Cedar Bluff Recovery"


def test_footer_address_phones_exclude_fax():
    assert one(FOOTER).phones == ["+14175550123"]


def test_footer_address_phones_never_include_fax():
    assert "+14175550124" not in one(FOOTER).phones


def test_raw_joins_lines_with_commas():
    assert one(FOOTER).raw == "2706 South River Road, Suite 4B, Springfield, MO 65804"


def test_snippet_shows_street_and_city_line():
    snippet = one(FOOTER).snippet
    assert "2706 South River Road, Suite 4B Springfield, MO 65804" in snippet
    assert len(snippet) <= 200


def test_multiline_address_block_with_label():
    body = """
    <main><div class="contact-details">
      <p><strong>Our Address:</strong><br>Cedar Bluff Recovery &ndash; Admissions Office<br>
      1420 West Battlefield Street<br>Springfield, Missouri 65807</p>
    </div></main>"""
    addr = one(body)
    assert addr.label == "Cedar Bluff Recovery – Admissions Office"
    assert (addr.street, addr.city, addr.state, addr.postal_code) == (
        "1420 W Battlefield St",
        "Springfield",
        "MO",
        "65807",
    )


def test_generic_label_is_not_a_location_name():
    body = "<main><address>Address:<br>1420 W. Battlefield St.<br>Springfield, MO 65807</address></main>"
    assert one(body).label == ""


def test_heading_above_block_is_label():
    body = "<main><h2>Nixa Counseling Center</h2><p>301 North Main Street<br>Nixa, MO 65714</p></main>"
    assert one(body).label == "Nixa Counseling Center"


def test_html5_address_element():
    body = '<footer><address class="org-address">2706 S. River Rd.<br>Springfield, MO 65804</address></footer>'
    addr = one(body)
    assert (addr.street, addr.region) == ("2706 S River Rd", "footer")


def test_zip_plus_four_trimmed_to_five_digits():
    assert one("<footer><p>2706 South River Road<br>Springfield, MO 65804-2211</p></footer>").postal_code == "65804"


def test_state_written_out():
    assert one("<footer><p>2706 South River Road<br>Springfield, Missouri 65804</p></footer>").state == "MO"


def test_address_on_one_line_with_phone_after_it():
    addr = one("<footer><p>2706 South River Road, Springfield, MO 65804 &bull; (417) 555-0123</p></footer>")
    assert addr.street == "2706 S River Rd"
    assert addr.phones == ["+14175550123"]


# --- PO boxes and mailing addresses -----------------------------------------------------------------


def test_po_box_is_mailing():
    addr = one("<footer><p>P.O. Box 1123<br>Springfield, MO 65801</p></footer>")
    assert (addr.street, addr.kind, addr.city) == ("PO Box 1123", "mailing", "Springfield")


@pytest.mark.parametrize("box", ["PO Box 1123", "P O Box 1123", "P.O. Box 1123", "po box 1123"])
def test_po_box_spellings(box):
    addr = one(f"<footer><p>{box}, Springfield, MO 65801</p></footer>")
    assert addr.kind == "mailing"
    assert addr.street == "PO Box 1123"


def test_post_office_box_spelled_out_found():
    addr = one("<footer><p>Post Office Box 1123<br>Springfield, MO 65801</p></footer>")
    assert (addr.street, addr.kind) == ("PO Box 1123", "mailing")


def test_mailing_address_label_makes_street_address_mailing():
    body = "<main><p>Mailing address: 500 East Walnut Street, Springfield, MO 65806</p></main>"
    addr = one(body)
    assert addr.kind == "mailing"
    assert addr.street == "500 E Walnut St"


def test_physical_and_mailing_addresses_in_one_block():
    body = """<footer><p>Visit: 2706 South River Road, Springfield, MO 65804<br>
    Mail: P.O. Box 1123, Springfield, MO 65801</p></footer>"""
    found = addresses(body)
    assert [(a.street, a.kind) for a in found] == [("2706 S River Rd", "physical"), ("PO Box 1123", "mailing")]


# --- location lists ------------------------------------------------------------------------------------


def test_three_location_cards_each_with_own_phone():
    found = addresses(LOCATION_CARDS)
    assert [(a.label, a.city, a.phones) for a in found] == [
        ("Springfield Residential Campus", "Springfield", ["+14175550123"]),
        ("Joplin Outpatient Office", "Joplin", ["+14175550150"]),
        ("Branson Sober Living", "Branson", ["+14175550160"]),
    ]


def test_location_card_streets_normalized():
    assert [a.street for a in addresses(LOCATION_CARDS)] == ["2706 S River Rd", "415 E 7th St", "88 Lakeview Dr"]


def test_card_phone_not_borrowed_from_next_card():
    body = """<main>
      <div class="location-card"><h3>Springfield Campus</h3><p>2706 South River Road<br>Springfield, MO 65804</p></div>
      <div class="location-card"><h3>Joplin Office</h3><p>415 East 7th Street<br>Joplin, MO 64801</p>
      <p>Call (417) 555-0150</p></div></main>"""
    found = addresses(body)
    assert [(a.label, a.phones) for a in found] == [
        ("Springfield Campus", []),
        ("Joplin Office", ["+14175550150"]),
    ]


def test_two_addresses_on_one_footer_line():
    body = (
        "<footer><p>2706 South River Road, Springfield, MO 65804 | 415 East 7th Street, Joplin, MO 64801</p></footer>"
    )
    found = addresses(body)
    assert [(a.street, a.city) for a in found] == [("2706 S River Rd", "Springfield"), ("415 E 7th St", "Joplin")]


def test_each_address_gets_the_phone_after_it_in_the_same_block():
    body = """<footer><p>Springfield: 2706 South River Road, Springfield, MO 65804 (417) 555-0123<br>
    Joplin: 415 East 7th Street, Joplin, MO 64801 (417) 555-0150</p></footer>"""
    found = addresses(body)
    assert [(a.city, a.phones) for a in found] == [("Springfield", ["+14175550123"]), ("Joplin", ["+14175550150"])]


# --- running text ---------------------------------------------------------------------------------------


def test_address_in_paragraph():
    body = (
        "<main><p>Our residential campus is located at 1420 West Battlefield Street, Springfield, MO 65807, "
        "just minutes from Mercy Hospital.</p></main>"
    )
    addr = one(body)
    assert (addr.street, addr.city, addr.state, addr.postal_code) == (
        "1420 W Battlefield St",
        "Springfield",
        "MO",
        "65807",
    )


def test_house_number_in_earlier_sentence_not_taken_as_street():
    body = (
        "<main><p>We have served 250 families this year. Visit us at 88 Lakeview Drive, Branson, MO 65616.</p></main>"
    )
    assert one(body).street == "88 Lakeview Dr"


@pytest.mark.parametrize(
    "text",
    [
        "Serving Springfield, MO 65804 and the surrounding Ozarks.",
        "Proudly serving Greene County since 1998.",
        "Call (417) 555-0123 today.",
        "Springfield, MO",
    ],
)
def test_no_address_without_a_street(text):
    assert addresses(f"<main><p>{text}</p></main>") == []


# --- blogs ---------------------------------------------------------------------------------------------


def test_blog_post_body_address_skipped_but_footer_kept():
    body = """<main><article class="post"><h1>Support Groups in Joplin</h1>
      <p>The Joplin Alano Club meets at 415 East 7th Street, Joplin, MO 64801 every Tuesday.</p></article></main>
      <footer><p>2706 South River Road<br>Springfield, MO 65804</p></footer>"""
    found = addresses(body, url="https://www.cedarbluffrecovery.example/blog/support-groups/", blog=True)
    assert [(a.city, a.region) for a in found] == [("Springfield", "footer")]


def test_extract_page_includes_text_addresses():
    obs = extract_page(doc(FOOTER), URL)
    assert [(a.street, a.source) for a in obs.addresses] == [("2706 S River Rd Ste 4B", "text")]


def test_address_in_paragraph_takes_no_label_from_the_sentence():
    body = (
        "<main><p>Our residential campus is located at 1420 West Battlefield Street, Springfield, MO 65807, "
        "just minutes from Mercy Hospital.</p></main>"
    )
    assert one(body).label == ""


def test_copyright_year_is_not_a_house_number():
    assert addresses("<footer><p>&copy; 2024 Cedar Bluff Recovery, Springfield, MO 65804</p></footer>") == []


@pytest.mark.parametrize(
    "text",
    ["Over 30 years in Springfield, MO 65804", "Join us for 12 Step meetings in Springfield, MO 65804"],
)
def test_number_in_sentence_before_city_is_not_a_street(text):
    assert addresses(f"<main><p>{text}</p></main>") == []


def test_hash_unit_kept():
    body = "<footer><p>2706 South River Road #4B<br>Springfield MO 65804</p></footer>"
    assert one(body).street == "2706 S River Rd # 4B"


def test_phone_line_above_street_is_not_a_label():
    body = "<footer><p>Call (417) 555-0123<br>2706 South River Road<br>Springfield, MO 65804</p></footer>"
    assert one(body).label == ""


def test_street_and_city_in_two_paragraphs_joined():
    body = """<footer><h4>Cedar Bluff Recovery</h4>
      <p>2706 South River Road</p><p>Springfield, MO 65804</p><p>(417) 555-0123</p></footer>"""
    addr = one(body)
    assert (addr.street, addr.city, addr.label, addr.phones) == (
        "2706 S River Rd",
        "Springfield",
        "Cedar Bluff Recovery",
        ["+14175550123"],
    )


def test_city_paragraph_not_joined_across_regions():
    assert addresses("<footer><div>2706 South River Road</div></footer><main><p>Springfield, MO 65804</p></main>") == []


@pytest.mark.parametrize("above", ["Open 7 days a week", "Serving 12 counties"])
def test_hours_paragraph_above_city_line_is_not_a_street(above):
    assert addresses(f"<footer><p>{above}</p><p>Springfield, MO 65804</p></footer>") == []
