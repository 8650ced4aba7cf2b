"""provdir.extract.structured: schema.org JSON-LD and microdata -> names, phones, addresses, geo."""

from __future__ import annotations

import json

import pytest

from provdir.extract import extract_page
from provdir.extract.structured import facts_from_structured, is_blog, structured_items, types_of

URL = "https://www.cedarbluffrecovery.example/"


def doc(body: str = "<main><p>Welcome.</p></main>", head: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en-US"><head><meta charset="UTF-8"><title>Cedar Bluff Recovery</title>'
        f"{head}</head><body>{body}</body></html>"
    )


def json_ld(data) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def facts(html: str):
    return facts_from_structured(structured_items(html, URL))


CLINIC = {
    "@context": "https://schema.org",
    "@type": "MedicalClinic",
    "name": "Cedar Bluff Recovery",
    "url": URL,
    "telephone": "+1-417-555-0123",
    "address": {
        "@type": "PostalAddress",
        "streetAddress": "2706 South River Road, Suite 4B",
        "addressLocality": "Springfield",
        "addressRegion": "Missouri",
        "postalCode": "65804-2211",
        "addressCountry": "US",
    },
    "geo": {"@type": "GeoCoordinates", "latitude": "37.1543", "longitude": -93.2851},
}


def test_json_ld_clinic_address_phone_geo():
    names, phones, addresses = facts(doc(head=json_ld(CLINIC)))
    assert [n.value for n in names] == ["Cedar Bluff Recovery"]
    assert [(p.e164, p.role, p.source, p.region) for p in phones] == [
        ("+14175550123", "main", "structured", "structured")
    ]
    assert len(addresses) == 1
    addr = addresses[0]
    assert (addr.street, addr.city, addr.state, addr.postal_code) == (
        "2706 S River Rd Ste 4B",
        "Springfield",
        "MO",
        "65804",
    )
    assert (addr.latitude, addr.longitude) == (pytest.approx(37.1543), pytest.approx(-93.2851))
    assert addr.phones == ["+14175550123"]
    assert addr.label == "Cedar Bluff Recovery"
    assert (addr.source, addr.region, addr.kind) == ("structured", "structured", "physical")


def test_json_ld_name_fact_basis():
    names, _, _ = facts(doc(head=json_ld(CLINIC)))
    assert (names[0].basis, names[0].region) == ("structured", "structured")
    assert names[0].snippet == "schema.org name: Cedar Bluff Recovery"


def test_json_ld_facts_reach_extract_page():
    obs = extract_page(doc(head=json_ld(CLINIC)), URL)
    assert ("+14175550123", "structured") in [(p.e164, p.source) for p in obs.phones]
    assert ("2706 S River Rd Ste 4B", "structured") in [(a.street, a.source) for a in obs.addresses]
    assert "Cedar Bluff Recovery" in [n.value for n in obs.org_names if n.basis == "structured"]


def test_json_ld_in_body_is_read():
    _, phones, _ = facts(doc(body="<main><p>Hi</p>" + json_ld(CLINIC) + "</main>"))
    assert [p.e164 for p in phones] == ["+14175550123"]


def test_json_ld_graph_is_flattened():
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Cedar Bluff Recovery Website", "url": URL},
            {"@type": "WebPage", "name": "Home - Cedar Bluff Recovery"},
            {**{k: v for k, v in CLINIC.items() if k != "@context"}, "@type": ["LocalBusiness", "MedicalBusiness"]},
        ],
    }
    names, phones, addresses = facts(doc(head=json_ld(graph)))
    assert [n.value for n in names] == ["Cedar Bluff Recovery"]
    assert [p.e164 for p in phones] == ["+14175550123"]
    assert [a.city for a in addresses] == ["Springfield"]


def test_organization_with_location_list_yields_each_place():
    org = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "Cedar Bluff Recovery",
        "telephone": "(417) 555-0123",
        "location": [
            {
                "@type": "Place",
                "name": "Joplin Outpatient Office",
                "telephone": "(417) 555-0150",
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": "415 East 7th Street",
                    "addressLocality": "Joplin",
                    "addressRegion": "MO",
                    "postalCode": "64801",
                },
            },
            {
                "@type": "Place",
                "name": "Branson Sober Living",
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": "88 Lakeview Drive",
                    "addressLocality": "Branson",
                    "addressRegion": "MO",
                    "postalCode": "65616",
                },
            },
        ],
    }
    names, phones, addresses = facts(doc(head=json_ld(org)))
    assert [n.value for n in names] == ["Cedar Bluff Recovery", "Joplin Outpatient Office", "Branson Sober Living"]
    assert [p.e164 for p in phones] == ["+14175550123", "+14175550150"]
    assert [(a.label, a.street, a.phones) for a in addresses] == [
        ("Joplin Outpatient Office", "415 E 7th St", ["+14175550150"]),
        ("Branson Sober Living", "88 Lakeview Dr", []),
    ]


def test_address_given_as_string():
    item = {
        "@context": "https://schema.org",
        "@type": "LocalBusiness",
        "name": "Cedar Bluff Recovery",
        "address": "2706 South River Road, Springfield, MO 65804",
    }
    _, _, addresses = facts(doc(head=json_ld(item)))
    assert [(a.street, a.city, a.state, a.postal_code, a.label) for a in addresses] == [
        ("2706 S River Rd", "Springfield", "MO", "65804", "Cedar Bluff Recovery")
    ]


def test_po_box_in_structured_address_is_mailing():
    item = {
        "@context": "https://schema.org",
        "@type": "NGO",
        "name": "Cedar Bluff Recovery Foundation",
        "address": {
            "@type": "PostalAddress",
            "streetAddress": "PO Box 1123",
            "addressLocality": "Springfield",
            "addressRegion": "MO",
            "postalCode": "65801",
        },
    }
    _, _, addresses = facts(doc(head=json_ld(item)))
    assert [(a.street, a.kind) for a in addresses] == [("PO Box 1123", "mailing")]


def test_incomplete_structured_address_skipped():
    item = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": "Cedar Bluff Recovery",
        "address": {"@type": "PostalAddress", "addressLocality": "Springfield", "addressRegion": "MO"},
    }
    _, _, addresses = facts(doc(head=json_ld(item)))
    assert addresses == []


def test_invalid_structured_telephone_skipped():
    item = {
        "@context": "https://schema.org",
        "@type": "MedicalClinic",
        "name": "Cedar Bluff Recovery",
        "telephone": "Call us today",
    }
    names, phones, _ = facts(doc(head=json_ld(item)))
    assert phones == []
    assert [n.value for n in names] == ["Cedar Bluff Recovery"]


def test_missing_geo_leaves_coordinates_empty():
    item = {k: v for k, v in CLINIC.items() if k != "geo"}
    _, _, addresses = facts(doc(head=json_ld(item)))
    assert (addresses[0].latitude, addresses[0].longitude) == (None, None)


def test_non_place_types_ignored():
    items = [
        {"@context": "https://schema.org", "@type": "WebSite", "name": "Cedar Bluff", "url": URL},
        {"@context": "https://schema.org", "@type": "BreadcrumbList", "name": "Breadcrumbs"},
        {"@context": "https://schema.org", "@type": "Person", "name": "Dana Whitfield", "telephone": "(417) 555-0199"},
    ]
    head = "".join(json_ld(i) for i in items)
    assert facts(doc(head=head)) == ([], [], [])


def test_broken_json_ld_does_not_raise():
    head = '<script type="application/ld+json">{"@type": "MedicalClinic", "name": "Cedar Bluff",</script>'
    assert structured_items(doc(head=head), URL) == []


def test_broken_json_ld_beside_good_one_keeps_good_one():
    head = '<script type="application/ld+json">{"@type": </script>' + json_ld(CLINIC)
    _, phones, _ = facts(doc(head=head))
    assert [p.e164 for p in phones] == ["+14175550123"]


MICRODATA = """
<footer class="site-footer">
  <div itemscope itemtype="https://schema.org/LocalBusiness">
    <span itemprop="name">Cedar Bluff Recovery</span>
    <div itemprop="address" itemscope itemtype="https://schema.org/PostalAddress">
      <span itemprop="streetAddress">2706 S. River Rd.</span><br>
      <span itemprop="addressLocality">Springfield</span>,
      <span itemprop="addressRegion">MO</span> <span itemprop="postalCode">65804</span>
    </div>
    Phone: <span itemprop="telephone">(417) 555-0123</span>
    <div itemprop="geo" itemscope itemtype="https://schema.org/GeoCoordinates">
      <meta itemprop="latitude" content="37.1543"><meta itemprop="longitude" content="-93.2851">
    </div>
  </div>
</footer>
"""


def test_microdata_local_business():
    names, phones, addresses = facts(doc(body=MICRODATA))
    assert [n.value for n in names] == ["Cedar Bluff Recovery"]
    assert [p.e164 for p in phones] == ["+14175550123"]
    assert [(a.street, a.city, a.state, a.postal_code) for a in addresses] == [
        ("2706 S River Rd", "Springfield", "MO", "65804")
    ]
    assert (addresses[0].latitude, addresses[0].longitude) == (pytest.approx(37.1543), pytest.approx(-93.2851))


def test_microdata_survives_broken_json_ld():
    head = '<script type="application/ld+json">{"@type": </script>'
    _, phones, _ = facts(doc(body=MICRODATA, head=head))
    assert [p.e164 for p in phones] == ["+14175550123"]


def test_microdata_types_are_short_names():
    items = structured_items(doc(body=MICRODATA), URL)
    assert "LocalBusiness" in types_of(items[0])


def test_types_of_handles_lists_and_urls():
    assert types_of({"@type": ["https://schema.org/MedicalClinic", "Organization"]}) == {
        "MedicalClinic",
        "Organization",
    }
    assert types_of({}) == set()


@pytest.mark.parametrize("kind", ["BlogPosting", "NewsArticle", "Article", "Blog"])
def test_blog_types_mark_page_as_blog(kind):
    assert is_blog([{"@type": kind}])


def test_medical_clinic_is_not_blog():
    assert not is_blog([{"@type": "MedicalClinic"}, {"@type": "WebPage"}])


def test_blog_posting_json_ld_makes_page_kind_blog_and_skips_body_claims():
    post = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": "What Happens in Detox",
        "datePublished": "2023-04-11",
        "author": {"@type": "Person", "name": "Dana Whitfield"},
    }
    html = doc(
        body="<main><article><p>We offer medically supervised detox to ease withdrawal.</p></article></main>",
        head=json_ld(post),
    )
    obs = extract_page(html, "https://www.cedarbluffrecovery.example/what-happens-in-detox/")
    assert obs.page_kind == "blog"
    assert "detox" not in {f.value for f in obs.services}
