"""The run report (`provdir report`) in headless Chromium: dated axes, health warnings shown,
failure kinds distinguished (one 404 is not a dead site), one run's sites at a time, readable
at 54 states."""

from __future__ import annotations

import itertools
import json

import lxml.html
import pytest

from provdir.runs.report import write_report
from provdir.runs.store import create_run
from provdir.sources.samhsa import parse_states
from tests.browser import browse

pytestmark = pytest.mark.e2e


def stored(out, source: str, started: str, sites: dict, facilities: int | None, warnings=()):
    run = create_run(out, source)
    run.write_manifest(
        {
            "run_id": run.run_id,
            "source": source,
            "status": "ok",
            "finish_reason": "finished",
            "started": started,
            "sites": sites,
            "counts": {"pages_fetched": 10},
            "published": {"facilities": facilities} if facilities is not None else None,
            "health": {"warnings": list(warnings)},
        }
    )
    return run


def render(tmp_path, out):
    page = write_report(out)
    return lxml.html.fromstring(browse(tmp_path, "--dump-dom", page.as_uri()).stdout)


@pytest.fixture
def runs(tmp_path):
    out = tmp_path / "out"
    stored(
        out,
        "site",
        "2026-11-01T03:00:00+00:00",
        {"old.example": {"status": "ok", "pages_ok": 9, "errors": [], "failures": {}}},
        10,
    )
    latest = stored(
        out,
        "site",
        "2026-11-08T03:00:00+00:00",
        {
            "one404.example": {
                "status": "ok",
                "pages_ok": 12,
                "pages_failed": 1,
                "errors": ["x: HTTP 404"],
                "failures": {"http_404": 1},
            },
            "dead.example": {
                "status": "failed",
                "pages_ok": 0,
                "pages_failed": 1,
                "errors": ["x: DNS"],
                "failures": {"dns": 1},
            },
        },
        8,
        warnings=["pages fell from 76 to 28"],
    )
    return out, latest


def test_dates_on_the_axis_warnings_shown_and_failure_kinds_apart(tmp_path, runs):
    out, latest = runs
    dom = render(tmp_path, out)
    assert dom.body.get("data-rendered") == "yes"
    assert [t.text_content() for t in dom.cssselect("#facilities text.x-tick")] == ["2026-11-01", "2026-11-08"]
    assert len(dom.cssselect("#facilities text.y-tick")) == 3 and dom.cssselect("#facilities line.y-axis")
    assert [li.text_content() for li in dom.cssselect("#warnings li")] == [
        f"{latest.run_id} (site): pages fell from 76 to 28"
    ]
    # One run's sites: the latest run's two, not the older run's site.
    assert next(o.text_content() for o in dom.cssselect("#site-run option")) == latest.run_id
    labels = [t.text_content() for t in dom.cssselect("#site-errors text")]
    assert not any("old.example" in t for t in labels)
    bars = dom.cssselect("#site-errors rect.bar")
    assert len(bars) == 2
    assert {b.get("fill") for b in bars} == {"#d69e2e", "#c53030"}  # amber (one 404) and red (dead): not the same
    assert any("1 http_404" in t for t in labels) and any("1 dns" in t for t in labels)
    assert any(t.startswith("dead.example (FAILED)") for t in labels)


def test_fifty_four_states_stay_readable(tmp_path, runs):
    out, _ = runs
    states = parse_states("")
    assert len(states) == 54
    stored(
        out,
        "samhsa",
        "2026-11-09T03:00:00+00:00",
        {f"samhsa:{s}": {"status": "ok", "pages_ok": 3 + i % 7, "errors": []} for i, s in enumerate(states)},
        9,
    )
    dom = render(tmp_path, out)
    bars = dom.cssselect("#site-pages rect.bar")
    assert len(bars) == 54
    ys = sorted(float(b.get("y")) for b in bars)
    assert min(b - a for a, b in itertools.pairwise(ys)) >= 16  # rows never overlap
    heights = {float(b.get("height")) for b in bars}
    assert max(heights) < min(b - a for a, b in itertools.pairwise(ys))
    svg = dom.cssselect("#site-pages svg")[0]
    assert float(svg.get("height")) >= 54 * 20
    data = json.loads(dom.cssselect("script#data")[0].text_content())
    assert len(data["site_runs"]) == 3  # every run's sites are on the page, one shown at a time
