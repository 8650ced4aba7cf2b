"""Publishing: stored runs -> resolved facilities -> tables -> an atomic swap of ``output/latest``.

Steps (pure given the stored runs, the registry and the previous build; ``provdir build``
re-runs them without crawling):

1. the latest good run of each source, its observations turned into locations
   (:mod:`provdir.build.locations`);
2. entity resolution across sources and pages (:mod:`provdir.build.resolve`) and one merged
   facility per cluster (:mod:`provdir.build.merge`);
3. stable ids, statuses and the change list (:mod:`provdir.build.history`); facilities of the
   previous build that this build's runs did not show are carried with their status updated,
   never deleted;
4. a mass-failure gate: a build with far fewer active facilities than the previous one is
   refused unless forced;
5. tables written into a staging folder under ``output/builds/``: the wide facilities table
   (with ZIP-centroid coordinates where the source gives none, :mod:`provdir.build.geo`), the
   evidence, the changes, the long tables (:mod:`provdir.build.longtables`), the vocabulary, the
   data dictionary and ``datapackage.json`` (:mod:`provdir.build.datapackage`);
6. every written file checked against its data dictionary (:mod:`provdir.build.checks`); a
   violation refuses the publish (:class:`SchemaViolation`), whatever ``force`` says;
7. derived artefacts: ``directory.duckdb`` and ``views.sql`` (:mod:`provdir.build.duckdb_views`),
   ``report.html`` (:mod:`provdir.build.report`), ``build.json``;
8. the staging folder renamed to ``output/builds/<build_id>/``, then ``output/latest`` (a
   symbolic link) moved onto it with ``os.replace``, atomic on POSIX: readers see the old
   directory or the new one, never half of each, and a crash leaves the last good directory
   in place.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provdir import __version__
from provdir.build import checks, datapackage, duckdb_views, geo, history, longtables, report, verify
from provdir.build.locations import Location, record_location, site_locations
from provdir.build.merge import merge
from provdir.build.resolve import registered_domain, resolve
from provdir.build.tables import (
    CHANGES_COLUMNS,
    EVIDENCE_COLUMNS,
    FACILITY_COLUMNS,
    TABLES_BY_NAME,
    VERIFICATION_COLUMNS,
    VOCABULARY_COLUMNS,
    read_rows,
    write_dictionary,
    write_table,
)
from provdir.runs.store import (
    Run,
    crawl_runs,
    latest_good_runs,
    list_runs,
    read_observations,
    run_members,
    write_json_atomic,
)
from provdir.vocab import vocabulary

log = logging.getLogger(__name__)
KEEP_BUILDS = 5
MASS_FAILURE_RATIO = 0.5
"""A build whose active facilities fall below this share of the previous build's is refused."""
CHANGES_HISTORY = "changes_history.csv"


@dataclass
class PublishResult:
    build_id: str
    path: Path
    facilities: int
    runs: list[str]
    by_state: dict[str, int] = field(default_factory=dict)
    fields_filled: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    resolution: dict[str, int] = field(default_factory=dict)
    coordinates: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    verification: dict[str, dict[str, int]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


class NothingToPublish(RuntimeError):
    pass


class PublishRefused(RuntimeError):
    """The new build looks like a mass failure; the last good directory is kept."""


class SchemaViolation(PublishRefused):
    """The new build's files break their data dictionary; nothing is published, the last good
    directory is kept. ``force`` does not override it: a published file never violates it."""


def collect(output: Path) -> tuple[dict[str, Run], list[tuple[str, Location]]]:
    """Locations of the latest good run of each source, with the run id they come from.

    A distributed crawl's worker runs are read together: a site's pages, whichever workers read
    them, make its locations (credited to the earliest of those runs)."""
    runs = latest_good_runs(output)
    located: list[tuple[str, Location]] = []
    for run in runs.values():
        by_site: dict[str, list[dict[str, Any]]] = {}
        site_run: dict[str, str] = {}
        for member in run_members(run):
            for obs in read_observations(member):
                if obs.get("kind") == "record":
                    located.append((member.run_id, record_location(obs)))
                else:
                    by_site.setdefault(obs["site"], []).append(obs)
                    site_run.setdefault(obs["site"], member.run_id)
        for site, observations in by_site.items():
            located.extend((site_run[site], loc) for loc in site_locations(observations))
    return runs, located


def publish(output: Path | str, *, force: bool = False) -> PublishResult:
    """Rebuild the published directory from stored runs."""
    output = Path(output)
    runs, located = collect(output)
    if not runs:
        raise NothingToPublish(f"no finished run under {output / 'runs'} to publish")
    now = datetime.now(UTC)
    today = now.date().isoformat()
    build_id = f"{now:%Y%m%dT%H%M%S%fZ}"

    resolution = resolve([loc for _, loc in located])
    facilities = [merge([located[i] for i in cluster]) for cluster in resolution.clusters]
    registry = history.Registry.load(output)
    ids, events = history.assign_ids([f.source_keys for f in facilities], registry)
    first_seen = registry.first_seen_index()

    rows: dict[str, dict[str, Any]] = {}
    evidence: list[dict[str, Any]] = []
    phone_details: dict[str, list[dict[str, str]]] = {}
    for fid, facility in zip(ids, facilities, strict=True):
        phone_details[fid] = facility.phone_details
        for key in facility.source_keys:
            entry = registry.rows.setdefault(
                key, {"source_key": key, "first_seen": today, "first_seen_run": facility.row["run_id"]}
            )
            entry.update(facility_id=fid, last_seen=today, last_seen_run=facility.row["run_id"])
        row = {"facility_id": fid, **facility.row, "status": "active", "missed_runs": 0,
               "first_seen": first_seen.get(fid) or today, "last_seen": today, "verified_at": ""}  # fmt: skip
        rows[fid] = row
        for run_id, source_key, ev in facility.evidence:
            evidence.append({"facility_id": fid, "field": ev.field, "value": ev.value, "url": ev.url,
                             "snippet": ev.snippet, "region": ev.region, "basis": ev.basis,
                             "source_key": source_key, "run_id": run_id})  # fmt: skip

    verification, verified = verify.verify(
        list(zip(ids, facilities, strict=True)),
        [loc for _, loc in located if loc.source == "site"],
        _site_status(runs.get("site")),
        today,
    )
    for fid, date in verified.items():
        rows[fid]["verified_at"] = date
    unread = _sites_needing_browser(runs.get("site"))
    for row in rows.values():
        row["needs_browser"] = any(key.startswith(f"site:{site}:") for key in row.get("source_keys") or []
                                   for site in unread)  # fmt: skip

    previous = _previous_rows(output)
    previous_evidence: dict[str, list[dict[str, Any]]] | None = None
    covering = history.runs_covering(crawl_runs(list_runs(output)))
    absorbed = {e.old_value for e in events if e.change == "merged"}
    for fid, old in previous.items():
        if fid in rows or fid in absorbed:
            continue
        keys = list(old.get("source_keys") or [old.get("source_key", "")])
        last_run = max((registry.rows.get(k, {}).get("last_seen_run", "") for k in keys), default="")
        missed = history.missed_runs(keys, old.get("state", ""), last_run, covering)
        carried = dict(old)
        carried.setdefault("needs_browser", False)  # a build from before the column
        if missed:
            carried["status"], carried["missed_runs"] = history.status_for(missed), missed
        rows[fid] = carried
        if previous_evidence is None:
            previous_evidence = _previous_evidence(output)
        evidence.extend(previous_evidence.get(fid, []))

    active = sum(1 for r in rows.values() if r["status"] == "active")
    before = sum(1 for r in previous.values() if r.get("status") == "active")
    if not force and before and active < MASS_FAILURE_RATIO * before:
        raise PublishRefused(
            f"only {active} active facilities against {before} in the last published build "
            f"(below {MASS_FAILURE_RATIO:.0%}): looks like a mass failure, not published. "
            "Re-run with --force to publish it anyway."
        )
    events += history.diff({k: v for k, v in previous.items() if k not in absorbed}, rows)
    table = [rows[fid] for fid in sorted(rows)]
    change_rows = [e.as_row(build_id) for e in events]
    coordinates = geo.fill_coordinates(table)
    carried_phones = _previous_by_facility(output, "facility_phones") if len(phone_details) < len(table) else {}
    long_tables = longtables.build(table, evidence, phone_details, carried_phones)

    builds = output / "builds"
    staging = builds / f".staging-{build_id}"
    staging.mkdir(parents=True)
    try:
        write_table(table, FACILITY_COLUMNS, staging, "facilities")
        write_table(evidence, EVIDENCE_COLUMNS, staging, "evidence")
        write_table(change_rows, CHANGES_COLUMNS, staging, "changes")
        write_table(verification, VERIFICATION_COLUMNS, staging, "verification")
        for name, long_rows in long_tables.items():
            write_table(long_rows, TABLES_BY_NAME[name].columns, staging, name)
        _write_vocabulary(staging)
        write_dictionary(staging)
        datapackage.write_datapackage(staging, build_id, now.isoformat(timespec="seconds"))
        problems = checks.check_directory(staging)
        if problems:
            shown = problems[: checks.MAX_PROBLEMS_SHOWN]
            more = len(problems) - len(shown)
            raise SchemaViolation(
                f"build {build_id} breaks its data dictionary, not published:\n  - "
                + "\n  - ".join(shown)
                + (f"\n  ... and {more} more" if more else "")
            )
        duckdb_views.write_database(staging)
        result = PublishResult(
            build_id=build_id, path=output / "latest", facilities=len(table), runs=sorted(m.run_id for r in runs.values() for m in run_members(r)),
            by_state=dict(sorted(Counter(r["state"] or "??" for r in table).items())),
            fields_filled={name: sum(1 for r in table if r.get(name) not in (None, "", [])) for name, _, _ in FACILITY_COLUMNS},
            by_status=dict(Counter(r["status"] for r in table)), changes=history.counts(events),
            resolution={"records": len(located), "facilities": len(facilities), "comparisons": resolution.comparisons,
                        "pairs_matched": resolution.pairs_matched, "blocks": resolution.blocks},
            coordinates=dict(coordinates),
            tables={"facilities": len(table), "evidence": len(evidence), "changes": len(change_rows),
                    "verification": len(verification),
                    **{name: len(long_rows) for name, long_rows in long_tables.items()}},
            verification=verify.summary(verification),
        )  # fmt: skip
        write_json_atomic(staging / "build.json", {**result.summary(), "software_version": __version__})
        report.write_report(staging, table, long_tables, result.summary())
        final = builds / build_id
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    registry.save(output)
    _append_history(output, change_rows)
    _swap_latest(output, final)
    _prune(builds)
    log.info("published %d facilities to %s", len(table), output / "latest")
    return result


def _site_status(site_run: Run | None) -> dict[str, str]:
    """Registered domain of each website in the latest site crawl -> 'ok' or 'failed'."""
    if site_run is None:
        return {}
    out: dict[str, str] = {}
    for info in (site_run.manifest().get("sites") or {}).values():
        if info.get("seed"):
            out[registered_domain(info["seed"])] = info.get("status", "failed")
    return out


def _sites_needing_browser(site_run: Run | None) -> set[str]:
    """Sites of the latest site crawl whose pages needed a browser the crawl could not use."""
    if site_run is None:
        return set()
    return {site for member in run_members(site_run)
            for site in ((member.manifest().get("browser") or {}).get("sites_incomplete") or [])}  # fmt: skip


def _previous_rows(output: Path) -> dict[str, dict[str, Any]]:
    path = output / "latest" / "facilities.parquet"
    if not path.exists():
        return {}
    try:
        records = read_rows(path)  # dates as ISO strings, NULL as '' (as the build's rows)
    except Exception as exc:  # a damaged previous build must not block a new one
        log.warning("previous build unreadable (%s); publishing without history", exc)
        return {}
    return {r["facility_id"]: r for r in records}


def _previous_evidence(output: Path) -> dict[str, list[dict[str, Any]]]:
    """Evidence rows of the previous build by facility (carried facilities keep theirs)."""
    return _previous_by_facility(output, "evidence")


def _previous_by_facility(output: Path, stem: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of a table of the previous build, by facility (empty if it has no such table)."""
    path = output / "latest" / f"{stem}.parquet"
    by_id: dict[str, list[dict[str, Any]]] = {}
    if path.exists():
        for r in read_rows(path):
            by_id.setdefault(r["facility_id"], []).append(r)
    return by_id


def _append_history(output: Path, change_rows: list[dict[str, Any]]) -> None:
    """Every publish's changes, appended: the long view of what changed when."""
    if not change_rows:
        return
    path = output / CHANGES_HISTORY
    names = [name for name, _, _ in CHANGES_COLUMNS]
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=names, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(change_rows)


def _write_vocabulary(directory: Path) -> None:
    rows = [{"field": "service", "value": t.value, "label": t.label, "category": t.category,
             "samhsa_code": t.samhsa_code} for t in vocabulary.services().terms.values()]  # fmt: skip
    rows += [{"field": "accreditation", "value": t.value, "label": t.label, "category": t.kind,
              "samhsa_code": t.samhsa_code} for t in vocabulary.accreditations().terms.values()]  # fmt: skip
    write_table(rows, VOCABULARY_COLUMNS, directory, "vocabulary")


def _swap_latest(output: Path, final: Path) -> None:
    latest = output / "latest"
    if latest.exists() and not latest.is_symlink():
        # An old real directory (never written by this code, but possible by hand): keep it.
        latest.rename(output / "builds" / f"legacy-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    tmp = output / f".latest.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(Path("builds") / final.name, tmp)
    os.replace(tmp, latest)


def _prune(builds: Path) -> None:
    done = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in done[:-KEEP_BUILDS]:
        shutil.rmtree(old, ignore_errors=True)


def read_build(output: Path | str) -> dict[str, Any]:
    path = Path(output) / "latest" / "build.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
