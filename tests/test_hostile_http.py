"""Hostile web, HTTP: 429 Retry-After is honored (capped), 5xx retried with backoff, redirect
loops and chains cut, meta-refresh loops cut, and a redirect leaving the site is not followed
(while a seed's own redirect to a new host still moves the site)."""

from __future__ import annotations

import pytest

from provdir.crawl.middlewares import parse_retry_after
from tests.helpers import write_seeds
from tests.hostile import (
    CONTACT_HTML,
    HostileServer,
    crawl,
    gaps,
    html,
    meta_refresh_chain,
    page,
    redirect,
    redirect_chain,
    robots,
    sequence,
    status,
)

pytestmark = pytest.mark.e2e

RETRY_AFTER_MAX = 2.0  # PROVDIR_RETRY_AFTER_MAX for the test (project default 30)
BACKOFF = 0.3  # PROVDIR_RETRY_BACKOFF_BASE for the test


def _home(*links: str) -> str:
    return html("Serenity Ridge Recovery", links=["/contact/", *links])


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    ok = page(_home())
    contact = page(CONTACT_HTML)
    servers = {
        # 429 with a Retry-After below the cap, then 200.
        "ra_short": HostileServer(
            "127.0.0.131",
            {"/robots.txt": robots(""), "/contact/": contact, "/": sequence(status(429, {"Retry-After": "1"}), ok)},
        ),
        # 429 asking for an hour: the wait is capped.
        "ra_long": HostileServer(
            "127.0.0.132",
            {"/robots.txt": robots(""), "/contact/": contact, "/": sequence(status(429, {"Retry-After": "3600"}), ok)},
        ),
        # 503 then 500 then 200: retried (RETRY_TIMES=2), with backoff between attempts.
        "flaky": HostileServer(
            "127.0.0.133",
            {"/robots.txt": robots(""), "/contact/": contact, "/": sequence(status(503), status(500), ok)},
        ),
        "redirects": HostileServer(
            "127.0.0.134",
            {
                "/robots.txt": robots(""),
                "/contact/": contact,
                "/": page(_home("/loop-a", "/chain/1", "/refresh/1", "/refresh-self", "/elsewhere")),
                "/loop-a": redirect("/loop-b"),
                "/loop-b": redirect("/loop-a"),
                "/chain/*": redirect_chain("/chain/"),
                "/refresh/*": meta_refresh_chain("/refresh/"),
                "/refresh-self": page(
                    '<html><head><meta http-equiv="refresh" content="0;url=/refresh-self"></head></html>'
                ),
            },
        ),
        "offsite": HostileServer("127.0.0.135", {"*": page(_home())}),
        "moved": HostileServer("127.0.0.136"),
        "alias": HostileServer("127.0.0.138"),
        "new_home": HostileServer("127.0.0.137", {"/robots.txt": robots(""), "/": ok, "/contact/": contact}),
    }
    with (
        servers["ra_short"],
        servers["ra_long"],
        servers["flaky"],
        servers["redirects"],
        servers["offsite"],
        servers["moved"],
        servers["new_home"],
        servers["alias"],
    ):
        servers["redirects"].routes["/elsewhere"] = redirect(servers["offsite"].url("/"))
        # The seed's own redirect to a new host (as to https://www.): the site moves there.
        servers["moved"].routes["/"] = redirect(servers["new_home"].url("/"), 301)
        # Another seed that only redirects to the first one's seed URL (an alias in the list).
        servers["alias"].routes["/"] = redirect(servers["moved"].url("/"), 301)
        base = tmp_path_factory.mktemp("http")
        names = ["ra_short", "ra_long", "flaky", "redirects", "moved", "alias"]
        seeds = write_seeds(base / "seeds.txt", [servers[n].url() for n in names])
        result = crawl(
            seeds,
            base / "out",
            "-s",
            f"PROVDIR_RETRY_AFTER_MAX={RETRY_AFTER_MAX}",
            "-s",
            f"PROVDIR_RETRY_BACKOFF_BASE={BACKOFF}",
        )
        yield result, servers


def test_429_retry_after_is_honored_and_capped(http):
    result, servers = http
    assert result.returncode == 3, result.stderr[-3000:]  # the alias seed is reported as failed
    short = servers["ra_short"].hits_for("/", exclude_robots=True)
    long = servers["ra_long"].hits_for("/", exclude_robots=True)
    assert [h.path for h in short][:2] == ["/", "/"] and [h.path for h in long][:2] == ["/", "/"]
    # Retry-After: 1 -> the host is left alone for 1 s; Retry-After: 3600 -> capped at 2 s.
    assert 0.9 <= short[1].t - short[0].t < RETRY_AFTER_MAX, gaps(short)
    assert RETRY_AFTER_MAX * 0.9 <= long[1].t - long[0].t < RETRY_AFTER_MAX + 3, gaps(long)
    stats = result.stats()
    assert stats["retry/retry_after"] == 2 and stats["retry/retry_after_capped"] == 1
    for name in ("ra_short", "ra_long"):
        assert result.site(servers[name].url())["status"] == "ok"


def test_parse_retry_after_forms():
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(b"120") == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after(b"soon") is None and parse_retry_after(None) is None


def test_5xx_is_retried_with_backoff(http):
    result, servers = http
    attempts = servers["flaky"].hits_for("/", exclude_robots=True)[:3]
    assert len(attempts) == 3  # 503, 500, then 200
    first, second = gaps(attempts)
    assert first >= BACKOFF * 0.9 and second >= 2 * BACKOFF * 0.9, (first, second)
    assert result.site(servers["flaky"].url())["pages_ok"] >= 1


def test_redirect_loops_and_chains_are_cut(http):
    result, servers = http
    site = result.site(servers["redirects"].url())
    assert site["status"] == "ok"
    # A loop (a -> b -> a) and a meta-refresh to itself are named as loops.
    assert site["failures"].get("redirect_loop") == 2, site
    assert any("redirect loop" in e and "/loop-b" in e for e in site["errors"])
    # Endless chains stop after REDIRECT_MAX_TIMES (5) redirects: 6 requests each.
    assert servers["redirects"].count("/chain/") == 6
    assert servers["redirects"].count("/refresh/") == 6
    assert site["failures"].get("too_many_redirects") == 2, site
    assert servers["redirects"].count("/refresh-self") == 1


def test_cross_host_redirect_out_of_scope_is_not_followed(http):
    result, servers = http
    assert servers["offsite"].count() == 0
    site = result.site(servers["redirects"].url())
    assert site["failures"].get("redirect_offsite") == 1
    assert any("redirect leaves the site" in e for e in site["errors"])
    assert result.stats()["redirect/offsite"] == 1


def test_seed_redirect_to_new_host_moves_the_site(http):
    result, servers = http
    # http://moved/ -> http://new_home/: the new host joins the site's scope and is crawled.
    assert servers["new_home"].count("/contact/") == 1
    site = result.site(servers["moved"].url())
    assert site["status"] == "ok" and site["pages_ok"] >= 2


def test_seed_redirecting_to_another_seed_is_reported_not_silently_dropped(http):
    result, servers = http
    site = result.site(servers["alias"].url())
    assert site["status"] == "failed" and site["failures"] == {"duplicate": 1}, site
    assert "already fetched" in site["errors"][0]
