"""``provdir crawl --processes N``: N crawler processes on one machine, no Redis.

A crawl of thousands of sites is CPU-bound in one Python process (extraction runs in the
reactor thread), so one process uses one core. Here the seeds are split by site into N parts
(the i-th distinct site goes to part ``i % N``) and each part is crawled by its own process
running the ordinary ``provider_sites`` spider (``-a part=K/N``). A site lives in exactly one
process, so its politeness (per-host concurrency, delays, robots.txt, backoff) is what a single
process gives it; nothing is shared between processes but the output directory (the HTTP cache
holds disjoint entries, each run its own folder).

Each process writes an ordinary run that names the crawl (``crawl_id`` in its manifest, as the
Redis workers' runs do) and lists every seed of the crawl, so the build reads the processes'
runs as one crawl (:class:`provdir.runs.store.CrawlRuns`): a site that no process reported is listed
as failed. The parent holds the output lock, waits for every process, then publishes once.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler

from provdir.crawl.extensions import RunRecorder
from provdir.runs.store import Run, merge_worker_manifests, new_run_id, runs_dir

RECORDER = "provdir.crawl.processes.ProcessRunRecorder"


def new_crawl_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"local-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def parse_part(text: str) -> tuple[int, int]:
    """``"K/N"`` -> (K, N) with 0 <= K < N; ValueError otherwise."""
    k, sep, n = str(text).partition("/")
    if not sep or not k.strip().isdigit() or not n.strip().isdigit():
        raise ValueError(f"part must be K/N (e.g. 0/2), got {text!r}")
    part, parts = int(k), int(n)
    if not 0 <= part < parts:
        raise ValueError(f"part must be K/N with 0 <= K < N, got {text!r}")
    return part, parts


def partition(sites: list[str], part: int, parts: int) -> set[str]:
    """The sites of ``part``: the i-th distinct site (in seed order) goes to part ``i % parts``."""
    order = list(dict.fromkeys(sites))
    return {site for i, site in enumerate(order) if i % parts == part}


class ProcessRunRecorder(RunRecorder):
    """:class:`provdir.crawl.extensions.RunRecorder` for one process of ``crawl --processes``.

    Like a Redis worker's run: the manifest names the crawl, the run never publishes (the parent
    publishes once every process is done), and it is ``ok`` when it finished cleanly (whether a
    site answered is judged across the crawl at build time). Its ``seeds`` are the whole crawl's,
    so that a site whose process died is reported as failed, not forgotten.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.publish = False
        self.crawl_id = crawler.settings.get("PROVDIR_CRAWL_ID")

    def _manifest(self, spider: Spider, **kwargs: Any) -> dict[str, Any]:
        manifest = super()._manifest(spider, **kwargs)
        manifest["crawl_id"] = self.crawl_id
        manifest["process"] = {"pid": os.getpid(), "part": getattr(spider, "part", None)}
        every = getattr(spider, "crawl_seeds", None)
        if every is not None:
            manifest["seeds"] = [{"url": s.url, "name": s.name, "line": s.line} for s in every]
        return manifest

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.close_member_run(spider, reason)


def child_settings(crawl_id: str, base: dict[str, Any]) -> dict[str, Any]:
    """The settings of one process (on top of ``base``, the crawl's command-line settings)."""
    from scrapy.utils.project import get_project_settings

    extensions = dict(get_project_settings().getdict("EXTENSIONS"))
    order = extensions.pop("provdir.crawl.extensions.RunRecorder", 500)
    extensions.update({"provdir.crawl.extensions.RunRecorder": None, RECORDER: order})
    return {**base, "PROVDIR_CRAWL_ID": crawl_id, "PROVDIR_PUBLISH": False, "EXTENSIONS": extensions}


def run_processes(
    *, seeds_file: str, out: Path, processes: int, settings: dict[str, Any], log_level: str
) -> tuple[str, list[Run], list[int]]:
    """Crawl ``seeds_file`` with ``processes`` processes; (crawl id, their runs, exit codes).

    The caller holds the output lock. Ctrl-C (SIGINT/SIGTERM) is passed on to every process,
    which then closes its run as Scrapy does on a shutdown.
    """
    crawl_id = new_crawl_id()
    runs: list[Run] = []
    procs: list[subprocess.Popen[bytes]] = []
    for part in range(processes):
        run_id = new_run_id("site")
        runs.append(Run(run_id, runs_dir(out) / run_id))
        config = {
            "seeds": seeds_file,
            "part": f"{part}/{processes}",
            "log_level": log_level,
            "settings": {**child_settings(crawl_id, settings), "PROVDIR_RUN_ID": run_id},
        }
        # Own process group: a Ctrl-C on the terminal reaches only the parent, which passes it on
        # once (Scrapy treats a second SIGINT as "stop now", which would fail the run).
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "provdir.crawl.processes", json.dumps(config)], start_new_session=True
            )
        )

    def forward(signum: int, frame: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        codes = [p.wait() for p in procs]
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return crawl_id, runs, codes


def merged_manifest(crawl_id: str, runs: list[Run]) -> dict[str, Any]:
    return merge_worker_manifests(crawl_id, [(r.run_id, r.manifest()) for r in runs if r.manifest()])


def _child(config: dict[str, Any]) -> None:
    """One process: the provider_sites spider on its part of the seeds."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "provdir.crawl.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict({**config["settings"], "LOG_LEVEL": config["log_level"]}, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl("provider_sites", seeds=config["seeds"], part=config["part"])
    process.start()


if __name__ == "__main__":
    _child(json.loads(sys.argv[1]))
