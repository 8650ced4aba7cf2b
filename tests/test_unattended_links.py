"""A page with 100,000 links beside a normal site (issue 19): the links are read inside the
per-page time limit, at most PROVDIR_MAX_LINKS_PER_PAGE of them, so the other site keeps being
crawled instead of waiting for the reactor."""

from __future__ import annotations

import pytest

from tests.helpers import write_seeds
from tests.hostile import HostileServer, crawl, gaps, html, page, robots

pytestmark = pytest.mark.e2e

LINKS = 100_000
CHAIN = 40
EXTRACT_LIMIT = 2.0


def _many_links() -> bytes:
    anchors = "".join(f'<a href="/p/{i}">{i}</a>' for i in range(LINKS))
    return f"<!DOCTYPE html><html><head><title>Links</title></head><body><nav>{anchors}</nav></body></html>".encode()


def _home(h) -> None:
    """The normal site: a home page linking to CHAIN pages, each slow enough that the site is
    still being read (two at a time) when the flood page arrives."""
    h.send(200, html("Home", links=[f"/n/{i}" for i in range(1, CHAIN + 1)]).encode())


def _slow_page(h) -> None:
    h.hostile.stopping.wait(0.3)
    h.send(200, html("Page").encode())


@pytest.fixture(scope="module")
def link_flood(tmp_path_factory):
    flood = HostileServer(
        "127.0.0.171", {"/robots.txt": robots(""), "/": page(_many_links(), delay=1.0), "/p/*": page(html("Item"))}
    )
    normal = HostileServer("127.0.0.172", {"/robots.txt": robots(""), "/": _home, "/n/*": _slow_page})
    with flood, normal:
        base = tmp_path_factory.mktemp("links")
        seeds = write_seeds(base / "seeds.txt", [flood.url(), normal.url()])
        result = crawl(
            seeds, base / "out", "--max-pages-per-site", "60", "-s", f"PROVDIR_EXTRACT_TIME_LIMIT={EXTRACT_LIMIT}"
        )
        yield result, flood, normal


def test_a_page_of_100000_links_does_not_stall_the_other_site(link_flood):
    """Fails without the fix: reading the links (outside the time limit) held the reactor; the
    normal site's longest pause between two requests was the link handling's 25.9 s measured."""
    _, _, normal = link_flood
    hits = normal.hits_for("/n/", exclude_robots=True)
    assert len(hits) == CHAIN, len(hits)
    # Extraction of the flood page may use its whole time limit; the rest is load headroom.
    assert max(gaps(hits)) < EXTRACT_LIMIT + 6, max(gaps(hits))


def test_the_links_read_from_one_page_are_capped_and_counted(link_flood):
    result, flood, _ = link_flood
    assert result.stats().get("links/over_page_cap") == 1
    assert result.site(flood.url())["status"] == "ok"
    assert 0 < flood.count("/p/") <= 60
