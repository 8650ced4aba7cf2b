"""900 WriteObservations: append each observation to the run's ``observations.jsonl``.

The run directory is opened by :class:`provdir.crawl.extensions.RunRecorder`; this pipeline only
writes. Counted as ``observations/written``.
"""

from __future__ import annotations

from scrapy import Spider

from pipelines.base import Pipeline
from provdir.model.convert import to_json_line
from provdir.model.items import PageObservation
from provdir.runs.store import OBSERVATIONS


class WriteObservations(Pipeline):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.fh = None

    def process_item(self, item: PageObservation, spider: Spider | None = None) -> PageObservation:
        if self.fh is None:
            # Opened on the first item: pipelines open before the spider_opened signal on
            # which RunRecorder creates the run directory.
            run = getattr(self.crawler, "provdir_run", None)
            if run is None:
                raise RuntimeError("the RunRecorder extension is not enabled: there is no run directory")
            self.fh = (run.dir / OBSERVATIONS).open("ab")
        self.fh.write(to_json_line(item))
        self.fh.flush()
        self.count("observations/written")
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.fh is not None:
            self.fh.close()
