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

from provdir.model.items import PageObservation
from provdir.runs.store import OBSERVATIONS, latest_good_runs, run_members


def body_hash(body: bytes) -> str:
    """The body's digest under the current extractors: an extractor change (a new
    ``EXTRACTOR_VERSION``) re-reads unchanged pages instead of reusing facts read the old way."""
    from provdir.extract import EXTRACTOR_VERSION

    return hashlib.sha1(EXTRACTOR_VERSION.encode() + b"\0" + body).hexdigest()


class ExtractionCache:
    def __init__(self, paths: Path | list[Path] | None) -> None:
        if isinstance(paths, Path):
            paths = [paths]
        self.index: dict[str, tuple[str, Path, int]] = {}
        for path in paths or []:
            if path.exists():
                self._read(path)

    def _read(self, path: Path) -> None:
        with path.open("rb") as fh:
            offset = 0
            for line in fh:
                try:
                    obs = json.loads(line)
                except ValueError:
                    obs = {}
                if obs.get("body_hash") and obs.get("kind", "page") != "record":
                    self.index[obs["url"]] = (obs["body_hash"], path, offset)
                offset += len(line)

    @classmethod
    def for_output(cls, output: Path, source: str = "site") -> ExtractionCache:
        """The previous good run of ``source`` (every worker run of a distributed crawl)."""
        run = latest_good_runs(output).get(source)
        return cls([member.dir / OBSERVATIONS for member in run_members(run)] if run else None)

    def get(self, url: str, digest: str) -> PageObservation | None:
        hit = self.index.get(url)
        if hit is None or hit[0] != digest:
            return None
        with hit[1].open("rb") as fh:
            fh.seek(hit[2])
            return PageObservation.from_dict(json.loads(fh.readline()))
