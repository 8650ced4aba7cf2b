"""The build reads a crawl's observations site by site, from disk, one site in memory at a time."""

from __future__ import annotations

import json
import tracemalloc

from provdir.model.items import FacilityRecord
from provdir.runs.store import OBSERVATIONS, create_run, observations_by_site


def _write(run, rows, torn: bool = False) -> None:
    with (run.dir / OBSERVATIONS).open("w", encoding="utf-8") as fh:
        for row in rows:
            # the fields every page has; a row without a site stays without one
            fh.write(json.dumps({"source": "site", "seed_url": "", **row}) + "\n")
        if torn:
            fh.write('{"kind": "page", "site": "a.example", "url": "http://a.exa')  # killed writer


def test_groups_each_sites_pages_across_worker_runs(tmp_path):
    first, second = create_run(tmp_path, "site"), create_run(tmp_path, "site")
    _write(
        first,
        [
            {"kind": "page", "site": "a.example", "url": "http://a.example/"},
            {"kind": "page", "site": "b.example", "url": "http://b.example/"},
            {"kind": "record", "source": "samhsa", "source_id": "1", "url": "http://x/1"},
            {"kind": "page", "site": "a.example", "url": "http://a.example/contact/"},
        ],
    )
    _write(
        second,
        [
            {"kind": "page", "site": "c.example", "url": "http://c.example/"},
            {"kind": "page", "site": "a.example", "url": "http://a.example/about/"},
            {"kind": "page", "url": "http://nosite.example/"},
        ],
        torn=True,
    )
    groups = list(observations_by_site([first, second]))
    assert groups[0] == (
        first.run_id,
        None,
        [FacilityRecord(source="samhsa", source_id="1", url="http://x/1")],
    )
    by_site = {site: (run_id, [o.url for o in obs]) for run_id, site, obs in groups[1:]}
    assert list(by_site) == ["a.example", "b.example", "c.example"]  # order of first appearance
    assert by_site["a.example"] == (
        first.run_id,
        ["http://a.example/", "http://a.example/contact/", "http://a.example/about/"],
    )
    assert by_site["c.example"] == (second.run_id, ["http://c.example/"])


def test_memory_is_bounded_by_a_site_not_by_the_crawl(tmp_path):
    run = create_run(tmp_path, "site")
    snippet = "x" * 2000
    # 300 sites x 10 pages interleaved, as a crawl visiting hosts in turn writes them: ~6 MB.
    _write(
        run,
        [
            {"kind": "page", "site": f"s{s}.example", "url": f"http://s{s}.example/{p}", "title": snippet}
            for p in range(10)
            for s in range(300)
        ],
    )
    size = (run.dir / OBSERVATIONS).stat().st_size
    tracemalloc.start()
    try:
        sites = 0
        for _, site, observations in observations_by_site([run]):
            assert len(observations) == 10 and all(o.site == site for o in observations)
            sites += 1
            del observations
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sites == 300
    assert peak < size / 10, (peak, size)  # a list of every observation would be ~size
