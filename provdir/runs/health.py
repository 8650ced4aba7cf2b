"""Run health: each run compared with the previous good run of its source, and the run table
``provdir status`` prints.

A scheduled crawl that "succeeds" with half the phones it found last week is a problem an
operator wants to see the morning after, not when an analyst complains. The comparison is
stored in the run's manifest (``health``) and flags drops beyond ``DROP_WARNING``.
"""

from __future__ import annotations

from typing import Any

from provdir.runs import store
from provdir.runs.store import Run, list_runs

DROP_WARNING = 0.2
"""Flag a figure that fell by more than this share since the previous good run."""


SAME_SCOPE = 0.8
"""Runs are compared only when they crawled (nearly) the same sites or states: this share of
the sites of either run at least (Jaccard). A one-site or --from-directory run is compared with
earlier runs of the same sites, not with last night's full crawl."""


def figures(manifest: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """The figures a run is judged on.

    Pages are the pages read over the sites' whole crawl: a run resumed from JOBDIR carries its
    sites' progress (and its interrupted runs' observations) over, so it is judged as the whole
    crawl, not as the part it fetched itself."""
    published = manifest.get("published") or {}
    sites = manifest.get("sites") or {}
    fetched = stats.get("response_received_count", manifest.get("counts", {}).get("pages_fetched", 0))
    return {
        "pages": sum(s.get("pages_ok", 0) for s in sites.values()) if sites else fetched,
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


def scope(manifest: dict[str, Any]) -> frozenset[str]:
    """What a run crawled: its sites (website crawl) or states (``samhsa:VA``), else its seeds."""
    sites = manifest.get("sites") or {}
    if sites:
        return frozenset(sites)
    return frozenset(s.get("url", "") for s in manifest.get("seeds") or [])


def same_scope(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return not a and not b
    return len(a & b) / len(a | b) >= SAME_SCOPE


def previous_good(run: Run, source: str, manifest: dict[str, Any] | None = None) -> Run | None:
    """The latest earlier good run of ``source`` that crawled the same sites (or states) as
    ``run``: like is compared with like. ``manifest`` is the run's own (default: as stored)."""
    mine = scope(manifest if manifest is not None else run.manifest())
    runs = list_runs(run.dir.parent.parent)  # in creation order, not by the clock-dated id
    earlier = runs[: next((i for i, r in enumerate(runs) if r.run_id == run.run_id), len(runs))]
    for candidate in reversed(earlier):
        m = candidate.manifest()
        if m.get("status") == "ok" and m.get("source", "site") == source and same_scope(mine, scope(m)):
            return candidate
    return None


def read_stats(run: Run) -> dict[str, Any]:
    """The run's Scrapy stats (``stats.json``) as numbers by name; empty when missing or
    damaged (values of the wrong type are ignored: a damaged file is never fatal)."""
    return store.read_stats(run)


def assess(run: Run, manifest: dict[str, Any], stats: dict[str, Any]) -> dict[str, Any]:
    """``run``'s figures (``manifest`` as it will be written) against the previous good run of
    its source: what the manifest stores as ``health``."""
    current = figures(manifest, stats)
    previous_run = previous_good(run, manifest.get("source", "site"), manifest)
    previous = figures(previous_run.manifest(), read_stats(previous_run)) if previous_run is not None else None
    result = compare(current, previous)
    if browser_warning(manifest.get("browser")):
        # Sites whose pages only a browser can read were not (all) read (provdir/crawl/render.py).
        result.setdefault("warnings", []).append(browser_warning(manifest.get("browser")))
    result["previous_run"] = previous_run.run_id if previous_run else None
    result["figures"] = {k: v for k, v in current.items() if not isinstance(v, dict)}
    return result


def effective_status(manifest: dict[str, Any]) -> str:
    """The manifest's status, except that a run still marked ``running`` whose process is gone
    (killed, machine rebooted) is ``interrupted``: it will never finish."""
    status = manifest.get("status", "?")
    if status != "running":
        return status
    pid, host = manifest.get("pid"), manifest.get("host")
    if not isinstance(pid, int) or (host and host != _hostname()):
        return status  # another machine's worker, or an old manifest: cannot tell
    return status if _alive(pid) else "interrupted"


def _hostname() -> str:
    import socket

    return socket.gethostname()


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def status_rows(runs: list[Run], limit: int = 10) -> list[dict[str, Any]]:
    rows = []
    for run in runs[-limit:]:
        m = run.manifest()
        counts = m.get("counts") or {}
        published = m.get("published") or {}
        health = m.get("health") or {}
        rows.append(
            {
                "run_id": run.run_id,
                "source": m.get("source", "?"),
                "status": effective_status(m) if m else ("damaged" if run.manifest_problem else "?"),
                "finish": m.get("finish_reason") or "-",
                "pages": counts.get("pages_fetched", 0),
                "sites": f"{counts.get('sites', 0) - counts.get('sites_failed', 0)}/{counts.get('sites', 0)}",
                "published": published.get("facilities", "-")
                if published
                else ("refused" if m.get("publish_refused") else "-"),
                "warnings": len(health.get("warnings", [])),
            }
        )
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no runs yet"
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    lines = ["  ".join(c.ljust(widths[c]) for c in cols), "  ".join("-" * widths[c] for c in cols)]
    lines += ["  ".join(str(r[c]).ljust(widths[c]) for c in cols) for r in rows]
    return "\n".join(lines)


def browser_warning(summary: dict[str, Any] | None) -> str:
    """The line the CLI summary and ``provdir status`` show ('' when nothing needs saying)."""
    if not summary:
        return ""
    incomplete = summary.get("sites_incomplete") or []
    if not incomplete:
        return ""
    n = len(incomplete)
    sites = f"{n} site{'s' if n != 1 else ''} need{'s' if n == 1 else ''} a browser"
    why = summary.get("unavailable") or "some pages could not be rendered"
    return f"{sites}: {why} ({', '.join(incomplete[:5])}{' ...' if n > 5 else ''})"
