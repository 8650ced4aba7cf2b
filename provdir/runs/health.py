"""Run health: each run compared with the previous good run of its source, and the run table
``provdir status`` prints.

A scheduled crawl that "succeeds" with half the phones it found last week is a problem an
operator wants to see the morning after, not when an analyst complains. The comparison is
stored in the run's manifest (``health``) and flags drops beyond ``DROP_WARNING``.
"""

from __future__ import annotations

import json
from typing import Any

from provdir.runs.store import STATS, Run, list_runs

DROP_WARNING = 0.2
"""Flag a figure that fell by more than this share since the previous good run."""


def figures(manifest: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """The figures a run is judged on."""
    published = manifest.get("published") or {}
    sites = manifest.get("sites") or {}
    return {
        "pages": stats.get("response_received_count", manifest.get("counts", {}).get("pages_fetched", 0)),
        "observations": stats.get("observations/written", 0),
        "phones": sum(
            v
            for k, v in stats.items()
            if k.startswith("field/phone/") and k.rsplit("/", 1)[1] in ("main", "admissions", "toll_free", "text")
        ),
        "addresses": stats.get("field/address/physical", 0),
        "services": stats.get("field/service/claims", 0),
        "sites_ok": sum(1 for s in sites.values() if s.get("status") == "ok"),
        "sites_failed": sum(1 for s in sites.values() if s.get("status") != "ok"),
        "facilities": published.get("facilities"),
        "site_pages": {k: v.get("pages_ok", 0) for k, v in sites.items()},
        "site_errors": {k: len(v.get("errors", [])) for k, v in sites.items()},
    }


def compare(current: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """Deltas against the previous good run, with warnings for large drops."""
    if not previous:
        return {"previous_run": None, "warnings": []}
    deltas: dict[str, Any] = {}
    warnings: list[str] = []
    for key in ("pages", "observations", "phones", "addresses", "services", "sites_ok", "facilities"):
        new, old = current.get(key), previous.get(key)
        if not isinstance(new, int) or not isinstance(old, int):
            continue
        deltas[key] = new - old
        if old and (old - new) / old > DROP_WARNING:
            warnings.append(f"{key} fell from {old} to {new}")
    for site, pages in current.get("site_pages", {}).items():
        before = previous.get("site_pages", {}).get(site)
        if before and pages < before * (1 - DROP_WARNING):
            warnings.append(f"{site}: {pages} pages read, {before} last time")
    return {"deltas": deltas, "warnings": warnings}


def read_stats(run: Run) -> dict[str, Any]:
    """The run's Scrapy stats (``stats.json``); empty when missing or unreadable."""
    try:
        stats = json.loads((run.dir / STATS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def assess(run: Run, manifest: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """``run``'s figures (``manifest`` as it will be written) against the previous good run of
    its source: what the manifest stores as ``health``."""
    current = figures(manifest, stats)
    previous_run = previous_good(run, manifest.get("source", "site"))
    previous = figures(previous_run.manifest(), read_stats(previous_run)) if previous_run is not None else None
    result = compare(current, previous)
    result["previous_run"] = previous_run.run_id if previous_run else None
    result["figures"] = {k: v for k, v in current.items() if not isinstance(v, dict)}
    return result


def previous_good(run: Run, source: str) -> Run | None:
    earlier = [r for r in list_runs(run.dir.parent.parent) if r.run_id < run.run_id]
    for candidate in reversed(earlier):
        m = candidate.manifest()
        if m.get("status") == "ok" and m.get("source", "site") == source:
            return candidate
    return None


def status_rows(runs: list[Run], limit: int = 10) -> list[dict[str, Any]]:
    rows = []
    for run in runs[-limit:]:
        m = run.manifest()
        counts = m.get("counts") or {}
        published = m.get("published") or {}
        health = m.get("health") or {}
        rows.append({
            "run_id": run.run_id,
            "source": m.get("source", "?"),
            "status": m.get("status", "?"),
            "finish": m.get("finish_reason") or "-",
            "pages": counts.get("pages_fetched", 0),
            "sites": f"{counts.get('sites', 0) - counts.get('sites_failed', 0)}/{counts.get('sites', 0)}",
            "published": published.get("facilities", "-") if published else ("refused" if m.get("publish_refused") else "-"),
            "warnings": len(health.get("warnings", [])),
        })  # fmt: skip
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no runs yet"
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols), "  ".join("-" * widths[c] for c in cols)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)
