"""Publishing once a crawl has finished, outside the crawl's reactor.

``provdir crawl`` (and ``crawl-samhsa``, ``demo``) calls :func:`publish_run` after the crawl
process has stopped, with the output lock held. A plain ``scrapy crawl`` publishes only when
asked to (``-s PROVDIR_PUBLISH_ON_CLOSE=True``), through :class:`PublishOnClose`. Either way the
run's manifest records what happened (``published``: the build summary, or ``publish_refused``:
why not) and its health is compared again with the published figures, so ``provdir status``
reads the same thing whichever way the run was published.

This sits with the CLI, above both the crawl and the build: nothing in :mod:`provdir.crawl`
imports it or :mod:`provdir.build` (the crawl writes observations and a manifest; the build
reads them). ``provdir.crawl.settings`` names :class:`PublishOnClose` by its dotted path only,
and importing this module does not load the build.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from provdir.runs import health
from provdir.runs.lock import Locked, output_lock
from provdir.runs.store import Run

log = logging.getLogger(__name__)


def publish_run(run: Run, output: Path, *, force: bool = False) -> dict[str, Any]:
    """Publish ``output`` from its stored runs if ``run`` finished ``ok``, and record the result
    in ``run``'s manifest. The caller holds the output lock. Returns the manifest as written (the
    manifest unchanged when the run is not ``ok``)."""
    # Imported here: the build loads pandas and pyarrow, which importing this module should not.
    from provdir.build.publish import NothingToPublish, PublishRefused, publish

    manifest = run.manifest()
    if manifest.get("status") != "ok":
        return manifest
    try:
        result = publish(output, force=force)
    except (PublishRefused, NothingToPublish) as exc:
        log.error("run %s not published: %s", run.run_id, exc)
        manifest["publish_refused"] = str(exc)
    except Exception as exc:  # a broken build must not lose the run's record: say why, keep latest/
        log.exception("run %s not published: the build failed", run.run_id)
        manifest["publish_refused"] = f"the build failed: {type(exc).__name__}: {exc}"
    else:
        manifest["published"] = result.summary()
    _record_health(run, manifest)
    return manifest


def _record_health(run: Run, manifest: dict[str, Any]) -> None:
    """Health again, now with the published figures; log only warnings the crawl did not log."""
    said = set((manifest.get("health") or {}).get("warnings", []))
    manifest["health"] = health.assess(run, manifest, health.read_stats(run))
    for warning in manifest["health"].get("warnings", []):
        if warning not in said:
            log.warning("run %s health: %s", run.run_id, warning)
    run.write_manifest(manifest)


class PublishOnClose:
    """Opt-in extension: publish when a ``scrapy crawl`` spider closes (``PROVDIR_PUBLISH_ON_CLOSE``).

    Off by default: ``provdir crawl`` publishes after the crawl instead, outside the reactor. It
    runs after :class:`provdir.crawl.extensions.RunRecorder` has written the closing manifest
    (it is connected later), takes the output lock, and publishes only an ``ok`` run.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.output = Path(crawler.settings.get("PROVDIR_OUTPUT_DIR"))
        self.force = crawler.settings.getbool("PROVDIR_FORCE_PUBLISH")
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PublishOnClose:
        if not crawler.settings.getbool("PROVDIR_PUBLISH_ON_CLOSE"):
            raise NotConfigured("PROVDIR_PUBLISH_ON_CLOSE is off")
        return cls(crawler)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        run: Run | None = getattr(self.crawler, "provdir_run", None)
        if run is None or run.manifest().get("status") != "ok":
            return
        try:
            with output_lock(self.output):
                publish_run(run, self.output, force=self.force)
        except Locked as exc:
            log.error("run %s not published: %s", run.run_id, exc)
            manifest = run.manifest()
            manifest["publish_refused"] = str(exc)
            run.write_manifest(manifest)
