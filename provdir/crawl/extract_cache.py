"""Reuse of the previous run's extraction for pages whose body has not changed.

An unchanged page (same URL, same body bytes: typically a 304 answered from the HTTP cache) is
not re-extracted: its observation is read back from the previous good run of the source. The
digest also covers the extractor itself (its code and the vocabulary files it reads), so a run
after an extractor or vocabulary change extracts every page afresh instead of reusing what the
old rules decided. Only
an index (URL -> body hash, byte offset) is kept in memory; the observation is read from disk
when it is reused.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from provdir.model.convert import observation_from_line
from provdir.model.items import PageObservation
from provdir.runs.store import OBSERVATIONS, latest_good_runs, run_members


@functools.cache
def extractor_fingerprint() -> bytes:
    """SHA-1 over the extraction code, the normalizers and the vocabulary data files."""
    digest = hashlib.sha1()
    root = Path(__file__).resolve().parents[1]
    for folder in ("extract", "normalize", "vocab", "model"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".csv", ".txt", ".yaml", ".json"}:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.digest()


def body_hash(body: bytes) -> str:
    """The page's reuse key: its body bytes under this version of the extractor."""
    return hashlib.sha1(extractor_fingerprint() + body).hexdigest()


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
                # Only the URL and the body hash are indexed: a line becomes an item when reused.
                try:
                    data = json.loads(line.decode("utf-8"))
                except ValueError:  # a torn or damaged line is no cache entry
                    data = None
                if not isinstance(data, dict) or data.get("kind", "page") != "page":
                    data = {}
                url, digest = data.get("url"), data.get("body_hash")
                if isinstance(url, str) and isinstance(digest, str) and digest:
                    self.index[url] = (digest, path, offset)
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
            line = fh.readline()
        try:
            obs = observation_from_line(line)
        except ValueError:  # JSON, but no observation: extracted afresh
            return None
        return obs if isinstance(obs, PageObservation) else None
