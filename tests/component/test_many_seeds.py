"""Many seeds in bounded memory (issue 19): seeds become requests as the crawl gets through them,
and a large run's per-site detail lives in ``sites.jsonl``/``seeds.jsonl`` beside a small
manifest, read back by :meth:`Run.manifest` for every consumer (status, report, health, build)."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from scrapy.core.scheduler import Scheduler

from provdir.runs.store import DETAIL_INLINE_MAX, SITES, Run, create_run
from spiders.provider_sites import ProviderSitesSpider
from tests.helpers import crawler_with_downloader, write_seeds


def spider_with_scheduler(tmp_path, seeds: int, backlog: int) -> tuple[ProviderSitesSpider, Scheduler]:
    crawler = crawler_with_downloader(
        ProviderSitesSpider, project=True, PROVDIR_OUTPUT_DIR=str(tmp_path / "out"), PROVDIR_START_BACKLOG=backlog
    )
    path = write_seeds(tmp_path / "seeds.txt", [f"https://site{i}.example/" for i in range(seeds)])
    spider = ProviderSitesSpider.from_crawler(crawler, seeds=str(path))
    crawler.spider = spider
    scheduler = Scheduler.from_crawler(crawler)
    scheduler.open(spider)
    # The engine's running state and its slot's scheduler are what start() looks at.
    crawler.engine.running = True
    crawler.engine._slot = SimpleNamespace(scheduler=scheduler)
    return spider, scheduler


def test_seeds_are_taken_only_as_the_scheduler_has_room(tmp_path):
    spider, scheduler = spider_with_scheduler(tmp_path, seeds=50, backlog=10)

    async def scenario() -> tuple[int, bool, int]:
        start = spider.start()
        pending = asyncio.ensure_future(anext(start))
        while (await asyncio.wait([pending], timeout=0.5))[0]:  # the engine enqueues what start() yields
            scheduler.enqueue_request(pending.result())
            pending = asyncio.ensure_future(anext(start))
        held = len(scheduler)  # start() is waiting now
        for _ in range(4):  # the downloader takes four requests
            scheduler.next_request()
        resumed = bool((await asyncio.wait([pending], timeout=0.5))[0])
        if resumed:
            scheduler.enqueue_request(pending.result())
        else:
            pending.cancel()
        return held, resumed, len(scheduler)

    held, resumed, after = asyncio.run(scenario())
    # One request per seed (robots.txt comes from the robots middleware's own fetch): 10 seeds
    # held, not all 50.
    assert held == 10
    assert resumed and after == 7
    # One more seed once the downloader made room; the other 39 are not started yet.
    assert sum(1 for s in spider.sites.values() if s.scheduled) == 11


def test_every_seed_is_reported_even_those_never_started(tmp_path):
    spider, _ = spider_with_scheduler(tmp_path, seeds=3, backlog=10)
    reports = spider.site_reports()
    assert sorted(reports) == ["site0.example", "site1.example", "site2.example"]
    assert all(r["status"] == "failed" and r["pages_scheduled"] == 0 for r in reports.values())


def report(i: int, ok: bool) -> dict:
    return {
        "seed": f"https://site{i}.example/",
        "name": "",
        "pages_scheduled": 1,
        "pages_ok": int(ok),
        "pages_failed": int(not ok),
        "skipped_non_html": 0,
        "status": "ok" if ok else "failed",
        "failures": {} if ok else {"refused": 1},
        "errors": [] if ok else [f"https://site{i}.example/: refused"],
    }


def manifest_of(n: int) -> dict:
    sites = {f"site{i}.example": report(i, ok=i % 3 == 0) for i in range(n)}
    return {
        "status": "ok",
        "source": "site",
        "seeds": [{"url": s["seed"], "name": "", "line": i + 1} for i, s in enumerate(sites.values())],
        "sites": sites,
        "counts": {"pages_fetched": n, "sites": n, "sites_failed": sum(s["status"] != "ok" for s in sites.values())},
    }


def test_a_large_runs_manifest_stays_small_and_reads_back_whole(tmp_path):
    run = create_run(tmp_path / "out", "site")
    written = manifest_of(20_000)
    run.write_manifest(written)
    assert run.manifest_path.stat().st_size < 10_000  # the whole detail inline was ~9 MB
    stored = json.loads(run.manifest_path.read_text())
    assert "sites" not in stored and stored["detail_files"]["sites"] == SITES and stored["seeds_count"] == 20_000
    again = Run(run.run_id, run.dir).manifest()
    assert again["sites"] == written["sites"] and again["seeds"] == written["seeds"]
    assert run.sites() == written["sites"]
    assert "sites" not in run.manifest(detail=False) and run.good


def test_a_small_runs_manifest_keeps_its_sites_inline(tmp_path):
    run = create_run(tmp_path / "out", "site")
    written = manifest_of(DETAIL_INLINE_MAX)
    run.write_manifest(written)
    assert json.loads(run.manifest_path.read_text())["sites"] == written["sites"]
    assert not (run.dir / SITES).exists()


def test_a_torn_sites_file_keeps_every_whole_line(tmp_path):
    run = create_run(tmp_path / "out", "site")
    run.write_manifest(manifest_of(DETAIL_INLINE_MAX + 10))
    path = run.dir / SITES
    path.write_bytes(path.read_bytes()[:-40])  # a kill cut the last line
    sites = run.manifest()["sites"]
    assert len(sites) == DETAIL_INLINE_MAX + 9 and "site0.example" in sites
