"""Runs on disk: ``output/runs/<run_id>/`` with observations, stats and a manifest.

A run directory is written only by its own crawl; publishing reads runs and never changes them.
A run is *good* (may be published) when its crawl finished cleanly and at least one site
answered.

A distributed crawl (``provdir worker`` on Redis) leaves one run per worker, each naming the
crawl in its manifest (``crawl_id``); the good runs of one crawl are read together as one
:class:`CrawlRuns`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provdir.sources.seeds import site_key

log = logging.getLogger(__name__)

OBSERVATIONS = "observations.jsonl"
MANIFEST = "manifest.json"
STATS = "stats.json"
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}(?:[0-9]{6})?Z-[a-z0-9_]{1,40}-[0-9a-f]{4,8}$")


def utc_now_iso() -> str:
    """Now, UTC, to the second: the timestamp format of manifests and observations."""
    return datetime.now(UTC).isoformat(timespec="seconds")


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


@dataclass
class CrawlRuns(Run):
    """The good worker runs of one distributed crawl, read as one run.

    ``run_id`` and ``dir`` are the earliest member's (the crawl started then); the manifest is
    the members' merged (:func:`merge_worker_manifests`).
    """

    crawl_id: str = ""
    members: list[Run] = field(default_factory=list)

    def manifest(self) -> dict[str, Any]:
        return merge_worker_manifests(self.crawl_id, [(m.run_id, m.manifest()) for m in self.members])

    @property
    def answered(self) -> bool:
        return any(s.get("status") == "ok" for s in self.manifest()["sites"].values())


def run_members(run: Run) -> list[Run]:
    """The runs to read for ``run``: its members for a distributed crawl, else itself."""
    return list(run.members) if isinstance(run, CrawlRuns) else [run]


def _grouped(runs: list[Run]) -> tuple[list[tuple[str, Run]], dict[tuple[str, str], list[str]]]:
    """Good runs in order as (source, run), each distributed crawl's members as one CrawlRuns
    listed at every member's place; and the runs of each crawl that are not good."""
    order: list[tuple[str, Run]] = []
    groups: dict[tuple[str, str], CrawlRuns] = {}
    not_good: dict[tuple[str, str], list[str]] = {}
    for run in runs:
        m = run.manifest()
        source, crawl_id = m.get("source", "site"), m.get("crawl_id")
        if m.get("status") != "ok":
            if crawl_id:
                not_good.setdefault((source, crawl_id), []).append(f"{run.run_id} ({m.get('status', 'no manifest')})")
            continue
        if not crawl_id:
            order.append((source, run))
            continue
        group = groups.get((source, crawl_id))
        if group is None:
            group = groups[(source, crawl_id)] = CrawlRuns(run.run_id, run.dir, crawl_id=crawl_id)
        group.members.append(run)
        order.append((source, group))
    return order, not_good


def crawl_runs(runs: list[Run]) -> list[Run]:
    """``runs`` with the good runs of each distributed crawl replaced by one :class:`CrawlRuns`
    (so that a crawl counts once, like a single-process run)."""
    order, _ = _grouped(runs)
    seen: set[int] = set()
    out: list[Run] = []
    for _, run in order:
        if id(run) not in seen:
            seen.add(id(run))
            out.append(run)
    return out


def latest_good_runs(output: Path) -> dict[str, Run]:
    """The newest good run of each source.

    When that run is a worker of a distributed crawl, all good runs of the crawl, as one
    :class:`CrawlRuns` (a crawl in which no worker read a page of any site is not good). Runs of
    that crawl that are not good (a worker still running, killed or failed) are left out, with a
    warning: the pages they read are not in the build.
    """
    order, not_good = _grouped(list_runs(output))
    latest: dict[str, Run] = {}
    for source, run in order:
        if isinstance(run, CrawlRuns) and not run.answered:
            continue
        latest[source] = run
    for source, run in latest.items():
        if isinstance(run, CrawlRuns) and (source, run.crawl_id) in not_good:
            log.warning("crawl %s: %d worker run(s) not finished cleanly, their pages are left out: %s",
                        run.crawl_id, len(not_good[(source, run.crawl_id)]),
                        ", ".join(not_good[(source, run.crawl_id)][:10]))  # fmt: skip
    return latest


_SUMMED = ("pages_scheduled", "pages_ok", "pages_failed", "skipped_non_html")


def merge_worker_manifests(crawl_id: str, manifests: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One manifest for the workers of a crawl: per-site counts added up, a site ``ok`` when any
    worker read a page of it; a seed no worker reported is listed as failed."""
    sites: dict[str, dict[str, Any]] = {}
    for run_id, m in manifests:
        for key, info in (m.get("sites") or {}).items():
            site = sites.setdefault(key, {"seed": info.get("seed"), "name": info.get("name", ""),
                                          **dict.fromkeys(_SUMMED, 0), "failures": {}, "errors": [], "runs": []})  # fmt: skip
            for name in _SUMMED:
                site[name] += int(info.get(name) or 0)
            for kind, n in (info.get("failures") or {}).items():
                site["failures"][kind] = site["failures"].get(kind, 0) + n
            site["errors"] = (site["errors"] + list(info.get("errors") or []))[:10]
            site["runs"].append(run_id)
    seeds: list[dict[str, Any]] = next((m["seeds"] for _, m in manifests if m.get("seeds")), [])
    for seed in seeds:
        key = site_key(seed.get("url", ""))
        if key and key not in sites:
            sites[key] = {"seed": seed.get("url"), "name": seed.get("name", ""), **dict.fromkeys(_SUMMED, 0),
                          "failures": {}, "runs": [],
                          "errors": [f"no worker of crawl {crawl_id} read or failed a page of this site"]}  # fmt: skip
    for site in sites.values():
        site["status"] = "ok" if site["pages_ok"] else "failed"
    counts: dict[str, int] = {}
    for _, m in manifests:
        for name, value in (m.get("counts") or {}).items():
            if isinstance(value, int):
                counts[name] = counts.get(name, 0) + value
    counts["sites"] = len(sites)
    counts["sites_failed"] = sum(1 for s in sites.values() if s["status"] != "ok")
    first = manifests[0][1] if manifests else {}
    return {
        "run_id": manifests[0][0] if manifests else "",
        "source": first.get("source", "site"),
        "spider": first.get("spider"),
        "status": "ok" if manifests and all(m.get("status") == "ok" for _, m in manifests) else "failed",
        "crawl_id": crawl_id,
        "runs": [run_id for run_id, _ in manifests],
        "started": min((m.get("started") or "" for _, m in manifests), default=""),
        "finished": max((m.get("finished") or "" for _, m in manifests), default=""),
        "seeds_file": first.get("seeds_file"),
        "seeds": seeds,
        "sites": dict(sorted(sites.items())),
        "counts": counts,
    }


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
