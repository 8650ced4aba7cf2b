"""Politeness: robots.txt Disallow (for our user-agent token) and Crawl-delay (capped) are
honored, at most 2 requests at a time per host, and every request names us and a contact URL
and carries no cookies."""

from __future__ import annotations

import pytest

from provdir import __version__
from tests.helpers import write_seeds
from tests.hostile import CONTACT_HTML, HostileServer, crawl, gaps, html, page, robots

pytestmark = pytest.mark.e2e

CONTACT_URL = "https://directory.example.org/about-our-crawler"
CRAWL_DELAY_MAX = 1.0  # PROVDIR_CRAWL_DELAY_MAX for the test (project default 10)
PAGES = [f"/programs/{n}/" for n in range(10)]


@pytest.fixture(scope="module")
def polite(tmp_path_factory):
    contact = page(CONTACT_HTML)
    servers = {
        # Disallow for everyone.
        "disallow": HostileServer(
            "127.0.0.141",
            {
                "/robots.txt": robots("User-agent: *\nDisallow: /private/\n"),
                "/": page(html("Home", links=["/contact/", "/private/staff/", "/private/"])),
                "/contact/": contact,
                "/private/*": page(html("Private")),
            },
        ),
        # A group for our token (which wins over '*'), with a Crawl-delay far above the cap.
        "delay": HostileServer(
            "127.0.0.142",
            {
                "/robots.txt": robots(
                    "User-agent: *\nDisallow: /\n\nUser-agent: provider-directory\nDisallow: /staff/\nCrawl-delay: 30\n"
                ),
                "/": page(html("Home", links=["/contact/", "/about/", "/admissions/", "/staff/"])),
                "/contact/": contact,
                "/about/": page(html("About")),
                "/admissions/": page(html("Admissions")),
                "/staff/": page(html("Staff")),
            },
        ),
        # Slow pages, many links: how many requests at once?
        "busy": HostileServer(
            "127.0.0.143",
            {
                "/robots.txt": robots(""),
                "/": page(html("Home", links=["/contact/", *PAGES]), headers={"Set-Cookie": "session=abc123; Path=/"}),
                "/contact/": contact,
                "/programs/*": page(html("Program"), delay=0.4, headers={"Set-Cookie": "b=2"}),
            },
        ),
    }
    with servers["disallow"], servers["delay"], servers["busy"]:
        base = tmp_path_factory.mktemp("polite")
        seeds = write_seeds(base / "seeds.txt", [s.url() for s in servers.values()])
        result = crawl(
            seeds,
            base / "out",
            "-s",
            f"PROVDIR_CRAWL_DELAY_MAX={CRAWL_DELAY_MAX}",
            "-s",
            f"PROVDIR_CONTACT_URL={CONTACT_URL}",
        )
        yield result, servers


def test_robots_disallow_is_honored(polite):
    result, servers = polite
    assert result.returncode == 0, result.stderr[-3000:]
    assert servers["disallow"].count("/private/") == 0
    assert servers["disallow"].count("/contact/") == 1
    # Our own group applies (not '*', which disallows everything): /staff/ only is refused.
    assert servers["delay"].count("/staff/") == 0
    assert servers["delay"].count("/about/") == 1
    assert result.stats()["robotstxt/forbidden"] >= 3


def test_crawl_delay_is_honored_and_capped(polite):
    result, servers = polite
    pages = servers["delay"].hits_for("/", exclude_robots=True)
    assert len(pages) == 4  # /, /contact/, /about/, /admissions/
    spacing = gaps(pages)
    # Crawl-delay: 30, capped at 1 s: one page a second, not 30 s apart.
    assert min(spacing) >= CRAWL_DELAY_MAX * 0.9, spacing
    assert max(spacing) < CRAWL_DELAY_MAX + 2, spacing
    stats = result.stats()
    assert stats["robotstxt/crawl_delay"] >= 1 and stats["robotstxt/crawl_delay_capped"] >= 1


def test_at_most_two_requests_at_a_time_per_host(polite):
    _, servers = polite
    assert servers["busy"].count("/programs/") == len(PAGES)
    assert servers["busy"].max_active <= 2, servers["busy"].describe_busiest()


def test_user_agent_names_us_and_the_contact_url_and_no_cookies_are_sent(polite):
    _, servers = polite
    expected = f"provider-directory/{__version__} (+{CONTACT_URL})"
    hits = [h for s in servers.values() for h in s.hits]
    assert hits and {h.headers.get("user-agent") for h in hits} == {expected}
    assert not [h for h in hits if "cookie" in h.headers or "authorization" in h.headers]
