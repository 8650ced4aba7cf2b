"""Names from the site's own voice: candidates a page gives, text that is never a name, casing."""

from __future__ import annotations

import pytest

from provdir.extract import extract_page
from provdir.extract.names import badly_cased, best_cased, copyright_name, never_a_name, recase
from tests.helpers import site_locations

SITE = "https://www.bluelupinerecovery.example"


def page(body: str = "<p>Outpatient counseling for adults.</p>", title: str = "Blue Lupine Recovery | Home") -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{title}</title></head><body>'
        '<header class="site-header">'
        '<a class="brand" href="/"><img src="/wp-content/uploads/2024/02/bl-logo.png" alt="blue lupine recovery logo"></a>'
        '<div class="share-bar"><a href="https://www.facebook.com/sharer/sharer.php?u=x">'
        '<img src="/img/facebook-logo.svg" alt="Facebook logo"></a>'
        '<a href="https://twitter.com/intent/tweet?url=x"><img src="/img/twitter-logo.svg" alt="Share on Twitter"></a></div>'
        '<a class="cta" href="tel:5035550150">Call Now</a></header>'
        f"<main>{body}</main>"
        '<footer class="site-footer"><h4>Getting Here</h4><p>1200 SE Division St, Portland, OR 97202</p>'
        "<p>&copy; 2025 Blue Lupine Recovery, LLC. All rights reserved.</p>"
        '<img src="/img/carf-seal.png" alt="CARF Accredited seal"></footer></body></html>'
    )


def candidates(html: str, url: str = f"{SITE}/") -> list[tuple[str, str]]:
    obs = extract_page(html, url, site="www.bluelupinerecovery.example", seed_url=f"{SITE}/")
    return [(f.value, f.basis) for f in obs.org_names]


def test_share_links_and_widget_logos_are_not_candidates():
    names = [v for v, _ in candidates(page())]
    assert not any("facebook" in v.lower() or "twitter" in v.lower() for v in names)


def test_lower_case_logo_alt_is_a_candidate_without_the_word_logo():
    assert ("blue lupine recovery", "logo") in candidates(page())


def test_copyright_line_names_the_holder():
    assert ("Blue Lupine Recovery", "copyright") in candidates(page())


def test_title_call_to_action_and_direction_label_are_not_candidates():
    names = {v for v, _ in candidates(page(title="Call Now | Getting Here | Blue Lupine Recovery"))}
    assert "Call Now" not in names and "Getting Here" not in names
    assert "Blue Lupine Recovery" in names


def test_greeting_before_the_name_is_dropped():
    html = page().replace(
        "<title>Blue Lupine Recovery | Home</title>", "<title>Welcome to Blue Lupine Recovery</title>"
    )
    assert ("Blue Lupine Recovery", "title") in candidates(html)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Share on Facebook", "social"),
        ("Google Reviews", "social"),
        ("Call Now", "cta"),
        ("Verify Your Insurance", "cta"),
        ("Getting Here", "direction"),
        ("Office Address", "direction"),
        ("Your Name", "form"),
        ("Welcome Home", "greeting"),
        ("bluelupinerecovery.com", "host"),
        ("FARR Certified Recovery Residence", "seal"),
    ],
)
def test_never_a_name(text, kind):
    assert never_a_name(text) == kind


@pytest.mark.parametrize("text", ["Blue Lupine Recovery", "Harris House", "SOBA Recovery Center", "New Paths, Inc."])
def test_real_names_pass(text):
    assert never_a_name(text) == ""


@pytest.mark.parametrize(
    ("text", "holder"),
    [
        ("© 2025 Blue Lupine Recovery, LLC. All rights reserved.", "Blue Lupine Recovery"),
        ("Copyright © 2019 - 2024 Harris House | Privacy Policy", "Harris House"),
        ("© Copyright 2012 New Dawn Treatment Centers", "New Dawn Treatment Centers"),
        ("© 2024 All rights reserved.", ""),
        ("Copyright 2024 | Website by Acme Web", ""),
    ],
)
def test_copyright_name(text, holder):
    assert copyright_name(text) == holder


def test_casing():
    assert badly_cased("blue lupine recovery") and badly_cased("BLUE LUPINE RECOVERY")
    assert not badly_cased("SOBA") and not badly_cased("DTC") and not badly_cased("Blue Lupine Recovery")
    assert recase("BLUE LUPINE RECOVERY OF THE NORTHWEST") == "Blue Lupine Recovery of the Northwest"
    assert best_cased([("blue lupine recovery", 10), ("Blue Lupine Recovery", 1)]) == "Blue Lupine Recovery"
    assert best_cased([("blue lupine recovery", 3)]) == "Blue Lupine Recovery"


# --- the build's vote ---------------------------------------------------------------------------


def obs(path: str, names: list[tuple[str, str]], seed_name: str = "") -> dict:
    return {
        "source": "site",
        "site": "127.0.0.7:8000",
        "seed_url": "http://127.0.0.7:8000/",
        "url": f"http://127.0.0.7:8000{path}",
        "seed_name": seed_name,
        "org_names": [{"value": v, "snippet": v, "region": "header", "basis": b} for v, b in names],
        "phones": [],
        "addresses": [],
        "accreditations": [],
        "licenses": [],
        "services": [],
    }


def organization(observations: list[dict]) -> str:
    return site_locations(observations)[0].organization


def test_lower_case_logo_outvotes_titles_but_the_name_is_shown_well_cased():
    pages = [obs(p, [("blue lupine recovery", "logo"), ("Blue Lupine Recovery", "copyright")]) for p in ("/", "/a/")]
    assert organization(pages) == "Blue Lupine Recovery"


def test_name_only_written_in_capitals_is_recased():
    assert organization([obs("/", [("BLUE LUPINE RECOVERY", "logo")])]) == "Blue Lupine Recovery"


def test_program_heading_in_one_title_loses_to_the_shared_segment():
    pages = [
        obs("/", [("Blue Lupine Recovery", "title")]),
        obs("/iop/", [("Intensive Outpatient", "title"), ("Blue Lupine Recovery", "title")]),
        obs("/contact/", [("Contact Us", "title"), ("Blue Lupine Recovery", "title")]),
    ]
    assert organization(pages) == "Blue Lupine Recovery"


def test_shorter_spelling_that_starts_the_copyright_holder_gets_its_support():
    pages = [obs(p, [("The Lupine", "title"), ("The Lupine Portland Oregon", "copyright")]) for p in ("/", "/a/")]
    assert organization(pages) == "The Lupine"


def test_seed_name_wins_but_takes_the_sites_casing_when_shouted():
    pages = [obs("/", [("Blue Lupine Recovery", "title")], seed_name="BLUE LUPINE RECOVERY")]
    assert organization(pages) == "Blue Lupine Recovery"
    assert organization([obs("/", [("Other Name", "title")], seed_name="Blue Lupine")]) == "Blue Lupine"


def test_theme_site_title_link_to_home_is_a_candidate_and_home_is_not():
    html = page().replace(
        '<a class="cta"',
        '<p class="site-title"><a href="/" rel="home">Blue Lupine Recovery</a></p>'
        '<ul class="menu"><li><a href="/">Home</a></li></ul><a class="cta"',
    )
    found = candidates(html, f"{SITE}/about/")
    assert ("Blue Lupine Recovery", "home_link") in found
    assert not any(v == "Home" for v, _ in found)
