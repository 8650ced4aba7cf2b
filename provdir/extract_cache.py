"""Reuse of the previous run's extraction for pages whose body has not changed.

An unchanged page (same URL, same body bytes: typically a 304 answered from the HTTP cache) is
not re-extracted: its observation is read back from the previous good run of the source. Only
an index (URL -> body hash, byte offset) is kept in memory; the observation is read from disk
when it is reused.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from provdir.items import PageObservation
from provdir.runs import OBSERVATIONS, latest_good_runs


def body_hash(body: bytes) -> str:
    return hashlib.sha1(body).hexdigest()


class ExtractionCache:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.index: dict[str, tuple[str, int]] = {}
        if path is None or not path.exists():
            return
        with path.open("rb") as fh:
            offset = 0
            for line in fh:
                try:
                    obs = json.loads(line)
                except ValueError:
                    offset += len(line)
                    continue
                if obs.get("body_hash") and obs.get("kind", "page") != "record":
                    self.index[obs["url"]] = (obs["body_hash"], offset)
                offset += len(line)

    @classmethod
    def for_output(cls, output: Path, source: str = "site") -> ExtractionCache:
        run = latest_good_runs(output).get(source)
        return cls(run.dir / OBSERVATIONS if run else None)

    def get(self, url: str, digest: str) -> PageObservation | None:
        hit = self.index.get(url)
        if self.path is None or hit is None or hit[0] != digest:
            return None
        with self.path.open("rb") as fh:
            fh.seek(hit[1])
            return PageObservation.from_dict(json.loads(fh.readline()))
