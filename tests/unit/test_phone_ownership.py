"""Whose number is it: numbers a page shows as other organizations' are rejected, with a reason."""

from __future__ import annotations

from provdir.extract import extract_page
from provdir.extract.phones import CONTACT_ROLES

SITE = "https://www.juniperbendclinic.example"
ORG = "Juniper Bend Clinic"
OWN = "+15415550140"


def page(body: str, title: str = "Juniper Bend Clinic | Bend, OR", url: str = f"{SITE}/") -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body>'
        '<header class="site-header"><img src="/img/logo.png" alt="Juniper Bend Clinic logo">'
        '<div class="header-phone">Call us: <a href="tel:+15415550140">(541) 555-0140</a></div></header>'
        f'<main id="content">{body}</main>'
        '<footer id="colophon"><p>Juniper Bend Clinic &middot; 410 NW Franklin Ave, Bend, OR 97703</p>'
        "<p>Phone (541) 555-0140</p></footer></body></html>"
    )


def observe(html: str, url: str = f"{SITE}/insurance/"):
    return extract_page(html, url, site="www.juniperbendclinic.example", seed_url=f"{SITE}/", seed_name=ORG)


def contact(html: str, url: str = f"{SITE}/insurance/") -> set[str]:
    return {p.e164 for p in observe(html, url).phones if p.role in CONTACT_ROLES}


def rejected(html: str, url: str = f"{SITE}/insurance/") -> dict[str, str]:
    return {r["value"]: r["reason"] for r in observe(html, url).rejected if r["field"] == "phone"}


INSURANCE_PAGE = page(
    """
    <h1>Insurance We Accept</h1>
    <p>We are in network with most major plans. Call us at (541) 555-0140 to verify your benefits.</p>
    <h2>Insurance company contact numbers</h2>
    <ul class="insurers">
      <li><strong>Aetna</strong> Member Services: <a href="tel:18008723862">1-800-872-3862</a></li>
      <li>Blue Cross Blue Shield of Oregon &ndash; (800) 452-7278</li>
      <li>PacificSource Health Plans: (888) 977-9299</li>
      <li>Oregon Health Plan (Medicaid): 1-800-273-0557</li>
    </ul>
    """,
    title="Insurance | Juniper Bend Clinic",
)


def test_insurers_numbers_on_insurance_page_are_not_the_facilitys():
    assert contact(INSURANCE_PAGE) == {OWN}


def test_insurers_numbers_are_kept_as_rejected_with_a_reason():
    reasons = rejected(INSURANCE_PAGE)
    assert reasons["+18008723862"] in ("other_org", "other_org_link")
    assert reasons["+18004527278"] == "other_org"
    assert reasons["+18889779299"] in ("other_org", "other_org_list")
    assert reasons["+18002730557"] == "other_org"
    assert OWN not in reasons


def test_rejected_phone_records_the_cue_that_fired():
    rec = next(r for r in observe(INSURANCE_PAGE).rejected if r["value"] == "+18004527278")
    assert rec["cue"].lower().startswith("blue cross")
    assert "(800) 452-7278" in rec["snippet"]


def test_referral_list_in_a_table_under_a_resources_heading():
    html = page(
        """
        <h1>Community Resources</h1>
        <table><tr><th>Program</th><th>Phone</th></tr>
          <tr><td>Deschutes Detox Center</td><td>(541) 555-0199</td></tr>
          <tr><td>Cascade Youth Shelter</td><td>(541) 555-0177</td></tr>
          <tr><td>High Desert Food Pantry</td><td>(541) 555-0166</td></tr>
        </table>
        """,
        title="Resources | Juniper Bend Clinic",
    )
    assert contact(html, f"{SITE}/resources/") == {OWN}
    assert set(rejected(html, f"{SITE}/resources/")) == {"+15415550199", "+15415550177", "+15415550166"}


def test_own_number_under_a_resources_heading_is_kept_when_the_label_speaks_as_us():
    html = page("<h2>Helpful numbers</h2><p>Our front desk: (541) 555-0141</p>")
    assert "+15415550141" in contact(html)


def test_credit_line_with_the_agency_phone():
    html = page("<p>Outpatient counseling for adults.</p>").replace(
        "</footer>", '<div class="site-info">Website by Tumalo Web Design &bull; (541) 555-0188</div></footer>'
    )
    assert contact(html, f"{SITE}/") == {OWN}
    assert rejected(html, f"{SITE}/")["+15415550188"] == "credit_line"


def test_number_beside_another_organizations_name_in_the_footer():
    html = page("<p>Outpatient counseling.</p>").replace(
        "</footer>", "<p>Oregon Department of Human Services, Bend office: 541-555-0133</p></footer>"
    )
    assert "+15415550133" not in contact(html, f"{SITE}/")
    assert rejected(html, f"{SITE}/")["+15415550133"] == "other_org"


def test_sister_programs_office_is_not_this_facility():
    html = page("<p>Our sister program, Tumalo Ridge Sober Living: (541) 555-0122</p>")
    assert "+15415550122" not in contact(html, f"{SITE}/")


def test_a_number_that_is_also_the_facilitys_own_on_the_page_is_kept():
    html = page("<h2>Resources</h2><ul><li>Juniper Bend Clinic main line (541) 555-0140</li></ul>")
    assert OWN in contact(html, f"{SITE}/resources/")
    assert OWN not in rejected(html, f"{SITE}/resources/")


def roles(html: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in observe(html, f"{SITE}/contact/").phones:
        out.setdefault(p.e164, set()).add(p.role)
    return out


def test_fax_label_after_the_number_on_its_line():
    html = page('<div class="contact-card"><p>(541) 555-0140<br>(541) 555-0145 &ndash; Fax</p></div>')
    assert roles(html)["+15415550145"] == {"fax"}


def test_fax_label_in_the_element_before_the_number():
    html = page("<dl><dt>Phone</dt><dd>(541) 555-0140</dd><dt>Fax</dt><dd>(541) 555-0145</dd></dl>")
    found = roles(html)
    assert found["+15415550145"] == {"fax"}
    assert found[OWN] == {"main"}  # the "Fax" term after it opens the next number


def test_fax_label_in_the_element_after_the_number():
    html = page(
        '<div class="contact-row"><div class="num">(541) 555-0145</div><div class="lbl">(Fax)</div></div>'
        '<div class="contact-row"><div class="num">(541) 555-0140</div><div class="lbl">Main office</div></div>'
    )
    found = roles(html)
    assert found["+15415550145"] == {"fax"}
    assert found[OWN] == {"main"}


def test_crisis_label_in_a_table_cell_before_the_number():
    html = page("<table><tr><td>24/7 Crisis Line</td><td>(541) 555-0111</td></tr></table>")
    assert roles(html)["+15415550111"] == {"crisis"}


def test_tty_only_number_is_not_a_contact_phone():
    html = page("<p>TTY: (541) 555-0112</p>")
    assert roles(html)["+15415550112"] == {"tty"}


def test_payment_statement_before_the_facilitys_number_is_not_an_insurer_label():
    html = page("<p>Medicaid &amp; Medicare accepted &ndash; call (541) 555-0142</p>")
    assert "+15415550142" in contact(html, f"{SITE}/admissions/")


def test_on_site_by_appointment_is_not_a_credit_line():
    html = page("<p>Counseling on site by appointment: (541) 555-0143</p>")
    assert "+15415550143" in contact(html, f"{SITE}/admissions/")


def test_number_under_a_providers_heading_inside_a_list_of_other_providers():
    html = page(
        "<h2>Medicaid providers in Deschutes County</h2>"
        "<h3>Cedar Counseling</h3><p>(541) 555-0155</p>"
        "<h3>Pine Street Recovery</h3><p>(541) 555-0156</p>"
    )
    assert not contact(html, f"{SITE}/resources/") & {"+15415550155", "+15415550156"}


def test_tel_link_labelled_as_a_sister_programs_office():
    html = page('<p><a href="tel:+15415550122">Sister program office</a></p>')
    assert "+15415550122" not in contact(html, f"{SITE}/")
    assert rejected(html, f"{SITE}/")["+15415550122"] == "other_org"
