"""Crawl traps: endless calendars, session ids, query permutations and ever-deeper paths are
stopped by the crawl policy, URL canonicalization, DEPTH_LIMIT and the per-site page cap."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from tests.helpers import write_seeds
from tests.hostile import CONTACT_HTML, HostileServer, crawl, html, page, robots

pytestmark = pytest.mark.e2e

DEPTH_LIMIT = 5  # provdir/crawl/settings.py
BIG_CAP = 300  # --max-pages-per-site for the trap site: only the other bounds may stop the traps


def _calendar(h) -> None:
    """/calendar/2026/01/ links to the next month, forever (the policy never fetches /calendar/)."""
    y, m = (int(x) for x in urlsplit(h.path).path.strip("/").split("/")[1:3])
    y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    h.send(200, html("Calendar", links=[f"/calendar/{y}/{m:02d}/"]).encode())


def _day_view(h) -> None:
    """/meetings/2026-01-01/ links to the next day, forever: a calendar the policy does not know."""
    day = date.fromisoformat(urlsplit(h.path).path.strip("/").split("/")[1]) + timedelta(days=1)
    h.send(200, html("Meetings", links=[f"/meetings/{day.isoformat()}/"]).encode())


def _session_page(h) -> None:
    """Every answer links back with a fresh session id, in the path and in the query."""
    sid = secrets.token_hex(8)
    h.send(200, html("About us", links=[f"/about;jsessionid={sid}", f"/team?sid={sid}", "/team"]).encode())


def _listing(h) -> None:
    """/list?page=N links to page N+1, forever (one query parameter: a legitimate-looking URL)."""
    n = int(urlsplit(h.path).query.split("=")[1])
    h.send(200, html("Listing", links=[f"/list?page={n + 1}"]).encode())


def _deeper(h) -> None:
    """A relative link that makes every page one level deeper: /deeper/x/x/x/..."""
    h.send(200, html("Deeper", links=["x/"]).encode())


def _wide(h) -> None:
    """Every page links to 25 new pages."""
    base = urlsplit(h.path).path.rstrip("/")
    h.send(200, html("Items", links=[f"{base}/{i}/" for i in range(25)]).encode())


@pytest.fixture(scope="module")
def traps(tmp_path_factory):
    home = html(
        "Serenity Ridge",
        links=[
            "/contact/",
            "/calendar/2026/01/",
            "/meetings/2026-01-01/",
            f"/about;jsessionid={secrets.token_hex(8)}",
            "/programs/?b=2&a=1",
            "/programs/?a=1&b=2",
            "/programs/?a=1&b=2&utm_source=news",
            "/programs/?a=1&b=2#top",
            "/programs/?b=2&a=1&PHPSESSID=abc",
            "/list?page=1",
            "/deeper/",
        ],
    )
    trap = HostileServer(
        "127.0.0.161",
        {
            "/robots.txt": robots(""),
            "/": page(home),
            "/contact/": page(CONTACT_HTML),
            "/calendar/*": _calendar,
            "/meetings/*": _day_view,
            "/about*": _session_page,
            "/team": page(html("Team")),
            "/programs/": page(html("Programs")),
            "/list": _listing,
            "/deeper/*": _deeper,
        },
    )
    wide = HostileServer("127.0.0.162", {"/robots.txt": robots(""), "/*": _wide})
    with trap, wide:
        base = tmp_path_factory.mktemp("traps")
        result = crawl(
            write_seeds(base / "trap.txt", [trap.url()]), base / "out-trap", "--max-pages-per-site", str(BIG_CAP)
        )
        capped = crawl(write_seeds(base / "wide.txt", [wide.url()]), base / "out-wide", "--max-pages-per-site", "15")
        yield result, trap, capped, wide


def test_calendar_is_never_fetched(traps):
    result, trap, _, _ = traps
    assert result.returncode == 0, result.stderr[-3000:]
    assert trap.count("/calendar/") == 0


def test_session_ids_and_query_permutations_are_fetched_once(traps):
    _, trap, _, _ = traps
    # Five spellings of /programs/?a=1&b=2 (order, tracking key, fragment, session id): one fetch.
    assert trap.count("/programs/") == 1
    # A fresh ;jsessionid on every page: /about is still one page; ?sid= links are not followed.
    assert trap.count("/about") == 1
    assert [h.path for h in trap.hits_for("/team")] == ["/team"]


def test_endless_link_chains_stop_at_the_depth_limit(traps):
    _, trap, _, _ = traps
    # Each chain starts at depth 1 (linked from the home page): pages at depths 1..5 are fetched.
    assert trap.count("/list") == DEPTH_LIMIT
    assert trap.count("/meetings/") == DEPTH_LIMIT
    assert trap.count("/deeper/") == DEPTH_LIMIT


def test_page_cap_stops_an_endless_site(traps):
    _, _, capped, wide = traps
    assert capped.returncode == 0, capped.stderr[-3000:]
    (site,) = capped.manifest()["sites"].values()
    assert site["pages_scheduled"] == 15
    assert wide.count(exclude_robots=True) == 15
    assert capped.stats()["pages/over_site_cap"] > 0
