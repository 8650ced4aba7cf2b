"""Runs on disk: ``output/runs/<run_id>/`` with observations, stats and a manifest.

A run directory is written only by its own crawl; publishing reads runs and never changes them.
A run is *good* (may be published) when its crawl finished cleanly and at least one site
answered.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OBSERVATIONS = "observations.jsonl"
MANIFEST = "manifest.json"
STATS = "stats.json"
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}(?:[0-9]{6})?Z-[a-z0-9_]{1,40}-[0-9a-f]{4,8}$")


def new_run_id(source: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    # Microseconds keep two runs started in the same second in time order (runs sort by id).
    return f"{now:%Y%m%dT%H%M%S%fZ}-{source}-{secrets.token_hex(2)}"


def valid_run_id(run_id: str) -> bool:
    """Run ids become directory names: only our own format, never a path."""
    return bool(_RUN_ID.match(run_id))


@dataclass
class Run:
    run_id: str
    dir: Path

    @property
    def manifest_path(self) -> Path:
        return self.dir / MANIFEST

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def write_manifest(self, data: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, data)

    @property
    def good(self) -> bool:
        m = self.manifest()
        return m.get("status") == "ok"


def runs_dir(output: Path) -> Path:
    return output / "runs"


def create_run(output: Path, source: str, run_id: str | None = None) -> Run:
    run_id = run_id or new_run_id(source)
    if not valid_run_id(run_id):
        raise ValueError(f"invalid run id {run_id!r}")
    d = runs_dir(output) / run_id
    d.mkdir(parents=True, exist_ok=False)
    return Run(run_id, d)


def list_runs(output: Path) -> list[Run]:
    """All runs, oldest first (run ids sort by time)."""
    base = runs_dir(output)
    if not base.is_dir():
        return []
    return [Run(p.name, p) for p in sorted(base.iterdir()) if p.is_dir() and valid_run_id(p.name)]


def latest_good_runs(output: Path) -> dict[str, Run]:
    """The newest good run of each source."""
    latest: dict[str, Run] = {}
    for run in list_runs(output):
        m = run.manifest()
        if m.get("status") == "ok":
            latest[m.get("source", "site")] = run
    return latest


def read_observations(run: Run) -> list[dict[str, Any]]:
    """Observations of a run; a torn last line (killed writer) is skipped, not fatal."""
    path = run.dir / OBSERVATIONS
    out: list[dict[str, Any]] = []
    if not path.exists():
        return out
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
