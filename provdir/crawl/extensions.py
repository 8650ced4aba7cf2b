"""RunRecorder: opens the run directory, writes stats and the manifest. It never publishes.

The manifest is written twice: at start (status ``running``, so a killed crawl leaves a run
that is visibly unfinished) and at close, with the finish reason, per-site results, counts and
health. Only a run that finished cleanly with at least one site answering is marked ``ok``; only
an ``ok`` run is published, so a failed crawl never touches ``output/latest/``. Publishing
happens after the crawl, outside the reactor (:mod:`provdir.cli.publishing`): ``provdir crawl``
publishes once the crawl process has stopped; ``scrapy crawl`` only with
``PROVDIR_PUBLISH_ON_CLOSE``.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from provdir import __version__
from provdir.redact import install_log_redaction
from provdir.runs import health
from provdir.runs.store import STATS, Run, create_run, utc_now_iso, write_json_atomic

log = logging.getLogger(__name__)


class RunRecorder:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.output = Path(settings.get("PROVDIR_OUTPUT_DIR"))
        self.source = "site"
        self.run: Run | None = None
        self.run_id = settings.get("PROVDIR_RUN_ID")
        self.started = ""
        # Seed, proxy and Redis URLs may carry passwords; Scrapy logs request URLs (cron.log).
        install_log_redaction()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        self.source = getattr(spider, "source", "site")
        self.run = create_run(self.output, self.source, self.run_id)
        self.crawler.provdir_run = self.run  # type: ignore[attr-defined]
        self.started = utc_now_iso()
        self.run.write_manifest(self._manifest(spider, status="running", reason=None))
        log.info("run %s: writing to %s", self.run.run_id, self.run.dir)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        assert self.run is not None
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        try:
            write_json_atomic(self.run.dir / STATS, stats)
        except OSError as exc:
            log.error("run %s: cannot write %s: %s", self.run.run_id, STATS, exc.strerror or exc)
        sites = spider.site_reports() if hasattr(spider, "site_reports") else {}
        answered = any(s.get("status") == "ok" for s in sites.values()) if sites else True
        status = "ok" if reason == "finished" and answered else "failed"
        manifest = self._manifest(spider, status=status, reason=reason, sites=sites, stats=stats)
        if not self._write(manifest):
            return  # the run is not recorded as finished: nothing to publish from it
        if status != "ok":
            log.error("run %s not published: finish reason %r, sites answered: %s", self.run.run_id, reason, answered)
        manifest["health"] = health.assess(self.run, manifest, stats)
        if status == "ok":
            for warning in manifest["health"].get("warnings", []):
                log.warning("run %s health: %s", self.run.run_id, warning)
        self._write(manifest)

    def close_member_run(self, spider: Spider, reason: str) -> str:
        """Close a run that is one part of a larger crawl (a Redis worker's, one process of
        ``--processes``): stats and manifest written, no health of its own (the crawl is
        assessed as a whole when it is built). Returns the run's status."""
        assert self.run is not None
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        try:
            write_json_atomic(self.run.dir / STATS, stats)
        except OSError as exc:
            log.error("run %s: cannot write %s: %s", self.run.run_id, STATS, exc.strerror or exc)
        sites = spider.site_reports() if hasattr(spider, "site_reports") else {}
        status = "ok" if reason == "finished" else "failed"
        manifest = self._manifest(spider, status=status, reason=reason, sites=sites, stats=stats)
        manifest["health"] = {"previous_run": None, "warnings": []}
        self._write(manifest)
        return status

    def _write(self, manifest: dict[str, Any]) -> bool:
        """Write the manifest; a full disk or read-only folder is said in one line, not a
        traceback (the run then has no final manifest: it is not published)."""
        assert self.run is not None
        try:
            self.run.write_manifest(manifest)
        except OSError as exc:
            log.error("run %s: cannot write its manifest in %s: %s", self.run.run_id, self.run.dir, exc.strerror or exc)
            return False
        return True

    def _manifest(
        self, spider: Spider, *, status: str, reason: str | None, sites: dict | None = None, stats: dict | None = None
    ) -> dict[str, Any]:
        assert self.run is not None
        stats = stats or {}
        seeds = [{"url": s.url, "name": s.name, "line": s.line} for s in getattr(spider, "seeds", [])]
        return {
            "run_id": self.run.run_id,
            "source": self.source,
            "spider": spider.name,
            "status": status,
            "finish_reason": reason,
            "started": self.started,
            "finished": utc_now_iso() if reason else None,
            "software_version": __version__,
            # Who runs it: `provdir status` tells a run still marked running from one that was killed.
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "seeds_file": getattr(spider, "seeds_file", None),
            "seeds": seeds,
            "sites": sites or {},
            **({"browser": spider.browser_summary()} if sites and hasattr(spider, "browser_summary") else {}),
            "counts": {
                "pages_fetched": stats.get("response_received_count", 0),
                "observations": stats.get("observations/written", 0),
                "pages_failed": stats.get("pages/failed", 0),
                "requests_refused_private_network": stats.get("netguard/refused", 0),
                "sites": len(sites or {}),
                "sites_failed": sum(1 for s in (sites or {}).values() if s.get("status") != "ok"),
            },
        }
