"""provdir.crawl.policy: which links to follow, in what order, and which responses are HTML."""

from __future__ import annotations

import pytest

from provdir.crawl.policy import (
    PRIORITY_BLOG,
    PRIORITY_HIGH,
    PRIORITY_NORMAL,
    canonical,
    is_html_response,
    link_priority,
)

SITE = "https://www.cedarbluffrecovery.example"


@pytest.mark.parametrize(
    "path",
    [
        "/wp-content/uploads/2023/01/cedar-bluff-logo.png",
        "/images/campus.JPG",
        "/forms/intake-packet.pdf",
        "/forms/release.docx",
        "/wp-includes/js/jquery.js",
        "/assets/site.css",
        "/brochure.zip",
        "/media/welcome-video.mp4",
        "/fonts/opensans.woff2",
        "/sitemap.xml",
        "/events/family-night.ics",
        "/favicon.ico",
    ],
)
def test_crawl_policy_skips_assets(path):
    assert link_priority(SITE + path) is None


@pytest.mark.parametrize(
    "url",
    [
        f"{SITE}/calendar/",
        f"{SITE}/event/2024/06/12/family-night/",
        f"{SITE}/events/?ical=1",
        f"{SITE}/events/?tribe-bar-date=2024-06-01",
        f"{SITE}/events/list/?eventDisplay=past",
        f"{SITE}/calendar/?month=2024-06",
    ],
)
def test_crawl_policy_skips_calendars(url):
    assert link_priority(url) is None


@pytest.mark.parametrize(
    "path",
    [
        "/wp-admin/",
        "/wp-json/wp/v2/pages",
        "/feed/",
        "/blog/feed/",
        "/cart/",
        "/my-account/",
        "/tag/recovery/",
        "/category/news/",
        "/author/dana/",
        "/blog/page/3/",
        "/search/detox/",
        "/what-is-detox/comments/",
        "/cdn-cgi/l/email-protection",
    ],
)
def test_crawl_policy_skips_admin_feeds_and_archives(path):
    assert link_priority(SITE + path) is None


@pytest.mark.parametrize(
    "query",
    ["replytocom=42", "s=detox", "share=facebook", "print=1", "utm_source=newsletter", "fbclid=abc", "PHPSESSID=x1"],
)
def test_crawl_policy_skips_query_permutations(query):
    assert link_priority(f"{SITE}/programs/?{query}") is None


def test_crawl_policy_skips_many_query_params():
    assert link_priority(f"{SITE}/programs/?a=1&b=2&c=3") is None
    assert link_priority(f"{SITE}/programs/?a=1&b=2") == PRIORITY_HIGH


def test_crawl_policy_skips_very_deep_paths():
    assert link_priority(SITE + "/a/b/c/d/e/f/g/h/i/") is None


@pytest.mark.parametrize(
    "path",
    [
        "/contact-us/",
        "/locations/",
        "/directions/",
        "/about/",
        "/who-we-are/",
        "/admissions/",
        "/insurance/",
        "/accreditation/",
        "/licensing/",
        "/programs/",
        "/services/",
        "/treatment/medical-detox/",
        "/levels-of-care/",
        "/residential/",
        "/intensive-outpatient/",
        "/sober-living/",
        "/faq/",
        "/family/",
        "/our-team/",
    ],
)
def test_crawl_policy_prioritizes_contact_pages(path):
    assert link_priority(SITE + path) == PRIORITY_HIGH


def test_anchor_text_raises_priority_of_opaque_url():
    assert link_priority(f"{SITE}/page-id-42/", "Contact Us") == PRIORITY_HIGH
    assert link_priority(f"{SITE}/page-id-42/", "Gallery") == PRIORITY_NORMAL


@pytest.mark.parametrize("path", ["/", "/gallery/", "/donate/", "/privacy-policy/", "/testimonials/"])
def test_ordinary_pages_normal_priority(path):
    assert link_priority(SITE + path) == PRIORITY_NORMAL


@pytest.mark.parametrize("path", ["/wp-login.php", "/xmlrpc.php"])
def test_crawl_policy_skips_wordpress_php_endpoints(path):
    assert link_priority(SITE + path) is None


@pytest.mark.parametrize("path", ["/events/2024-05-12/", "/events/month/2024-05/"])
def test_crawl_policy_skips_calendar_day_and_month_views(path):
    assert link_priority(SITE + path) is None


@pytest.mark.parametrize("path", ["/careers/", "/gallery.php"])
def test_program_word_inside_another_word_is_not_high_priority(path):
    assert link_priority(SITE + path) == PRIORITY_NORMAL


@pytest.mark.parametrize(
    "path", ["/blog/", "/blog/what-is-detox/", "/news/open-house/", "/2023/05/signs-of-relapse/", "/articles/mat/"]
)
def test_blog_pages_lowest_priority(path):
    assert link_priority(SITE + path) == PRIORITY_BLOG


def test_blog_post_about_detox_still_blog_priority():
    # A blog path wins over program words in the slug.
    assert link_priority(f"{SITE}/blog/medical-detox-program/") == PRIORITY_BLOG


def test_priorities_order():
    assert PRIORITY_HIGH > PRIORITY_NORMAL > PRIORITY_BLOG


def test_canonical_drops_fragment_and_tracking_and_sorts_query():
    a = canonical(f"{SITE}/programs/?b=2&a=1&utm_source=google#top")
    b = canonical(f"{SITE}/programs/?a=1&b=2")
    assert a == b
    assert "utm_source" not in a
    assert "#" not in a


def test_canonical_keeps_meaningful_query():
    assert canonical(f"{SITE}/locations/?city=joplin") != canonical(f"{SITE}/locations/?city=branson")


def test_canonical_adds_root_path():
    assert canonical("https://cedarbluff.example") == canonical("https://cedarbluff.example/")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=UTF-8", b"<!DOCTYPE html><html><head>"),
        ("application/xhtml+xml", b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>"),
        ("", b"  <html><body>Hi</body></html>"),
        ("text/plain", b"Cedar Bluff Recovery"),
    ],
)
def test_html_responses_accepted(content_type, body):
    assert is_html_response(content_type, body)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/pdf", b"%PDF-1.7"),
        ("text/html", b"%PDF-1.4\n%\xe2\xe3"),
        ("text/html", b"\x89PNG\r\n\x1a\n"),
        ("text/html", b"\xff\xd8\xff\xe0JFIF"),
        ("text/html", b"GIF89a"),
        ("text/html", b"PK\x03\x04zip"),
        ("text/html", b"\x1f\x8b\x08gzip"),
        ("text/html", b"<html>\x00\x00\x00"),
        ("image/png", b"<html>"),
        ("application/json", b"{}"),
    ],
)
def test_binary_or_non_html_rejected(content_type, body):
    assert not is_html_response(content_type, body)
