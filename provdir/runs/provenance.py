"""Which runs a build is made of, and the newer runs it left out.

``provdir build`` publishes the latest *good* run of each source. When a newer run was killed,
failed or is still going, the build silently used an older crawl; an operator must be told. Pure
reading of the stored manifests, so the CLI can say it before or after publishing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from provdir.runs.health import effective_status
from provdir.runs.store import CrawlRuns, latest_good_runs, list_runs, run_members


@dataclass
class Provenance:
    used: dict[str, list[str]] = field(default_factory=dict)
    """source -> run ids read (several for a distributed crawl)."""
    crawls: dict[str, str] = field(default_factory=dict)
    """source -> crawl id, for a distributed crawl."""
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    """(source, run id, status) of runs newer than the one used and not used."""

    def lines(self) -> list[str]:
        out = []
        for source, ids in sorted(self.used.items()):
            crawl = f" (crawl {self.crawls[source]}, {len(ids)} worker runs)" if source in self.crawls else ""
            out.append(
                f"Built from {source} run {ids[0]}{crawl}"
                if len(ids) == 1 or not crawl
                else f"Built from {source} runs {', '.join(ids)}{crawl}"
            )
        return out

    def warnings(self) -> list[str]:
        return [
            f"skipped a newer {source} run, {run_id} ({status}): its pages are not in this build"
            for source, run_id, status in self.skipped
        ]


def provenance(output: Path) -> Provenance:
    result = Provenance()
    latest = latest_good_runs(output)
    used_ids: set[str] = set()
    for source, run in latest.items():
        ids = sorted(m.run_id for m in run_members(run))
        result.used[source] = ids
        used_ids.update(ids)
        if isinstance(run, CrawlRuns):
            result.crawls[source] = run.crawl_id
    for run in list_runs(output):
        m = run.manifest()
        source = m.get("source", "site")
        newest_used = max(result.used.get(source, [""]))
        if run.run_id in used_ids or run.run_id < newest_used:
            continue
        status = effective_status(m) if m else "no manifest"
        if status != "ok":
            result.skipped.append((source, run.run_id, status))
    return result
