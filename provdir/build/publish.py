"""Publishing: stored runs -> resolved facilities -> tables -> an atomic swap of ``output/latest``.

Steps (pure given the stored runs, the registry and the previous build; ``provdir build``
re-runs them without crawling):

1. the latest good run of each source, its observations turned into locations
   (:mod:`provdir.build.locations`);
2. entity resolution across sources and pages (:mod:`provdir.build.resolve`) and one merged
   facility per cluster (:mod:`provdir.build.merge`);
3. each facility's long fact rows (:mod:`provdir.build.longtables`: services, accreditations,
   licenses, phones, each with its typed attributes and provenance), the build's primary
   product; the wide table's list columns are derived from them;
4. stable ids, statuses and the change list (:mod:`provdir.build.history`); facilities of the
   previous build that this build's runs did not show are carried with their status updated,
   never deleted, with the previous build's fact rows as they were;
5. a mass-failure gate: a build with far fewer active facilities than the previous one is
   refused unless forced;
6. tables written into a staging folder under ``output/builds/``: the wide facilities table
   (with ZIP-centroid coordinates where the source gives none, :mod:`provdir.build.geo`), the
   evidence, the changes, the long fact tables, the vocabulary, the
   data dictionary and ``datapackage.json`` (:mod:`provdir.build.datapackage`);
7. every written file checked against its data dictionary (:mod:`provdir.build.checks`); a
   violation refuses the publish (:class:`SchemaViolation`), whatever ``force`` says;
8. derived artefacts: ``directory.duckdb`` and ``views.sql`` (:mod:`provdir.build.duckdb_views`),
   ``report.html`` (:mod:`provdir.build.report`), ``build.json``;
9. the staging folder (holding the registry it was resolved with, ``state/registry.csv``)
   renamed to ``output/builds/<build_id>/``, then committed as one transaction
   (:mod:`provdir.build.transaction`): ``output/latest`` (a symbolic link) moved onto it with
   ``os.replace``, atomic on POSIX, then the registry and ``changes_history.csv`` written from
   the published build; a kill between those steps is finished on the next start. Builds are
   ordered (and pruned) by the output's sequence (:mod:`provdir.sequence`), not by their dated
   names; the build ``latest`` points to is never pruned.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from provdir import __version__
from provdir.build import checks, datapackage, duckdb_views, geo, history, longtables, report, transaction, verify
from provdir.build.locations import Location, evidence_scope, record_location, site_locations
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
from provdir.model.items import FacilityRecord, PageObservation
from provdir.redact import redacted_url, without_userinfo
from provdir.runs import sequence
from provdir.runs.store import (
    CrawlRuns,
    Run,
    crawl_runs,
    latest_good_runs,
    list_runs,
    max_recorded,
    observations_by_site,
    run_members,
    run_order,
    runs_from_the_future,
    write_json_atomic,
)
from provdir.vocab import vocabulary

log = logging.getLogger(__name__)
KEEP_BUILDS = 5
MASS_FAILURE_RATIO = 0.5
"""A build whose active facilities fall below this share of the previous build's is refused."""
CHANGES_HISTORY = transaction.CHANGES_HISTORY


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
        # One site's observations in memory at a time (provdir.runs.store.observations_by_site).
        for run_id, site, observations in observations_by_site(run_members(run)):
            # a group without a site is one directory record; a site's group is its pages
            if site is None:
                located.extend((run_id, record_location(cast(FacilityRecord, obs))) for obs in observations)
            else:
                located.extend((run_id, loc) for loc in site_locations(cast(list[PageObservation], observations)))
    return runs, located


class OutputUnwritable(PublishRefused):
    """The output folder cannot take the build (full disk, read-only, no permission): nothing
    was published, the last good directory and the registry are as they were."""


class StateDamaged(PublishRefused):
    """A state file (registry, history) is damaged; the message names the file and line."""


def _unwritable(output: Path, exc: BaseException, *, published: str = "") -> OutputUnwritable:
    why = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    where = getattr(exc, "filename", None) or output
    if published:
        return OutputUnwritable(
            f"cannot write to {where}: {why}. Build {published} is published (latest points at "
            "it); the registry and changes_history.csv are brought up to it on the next start."
        )
    return OutputUnwritable(
        f"cannot write to {where}: {why}. Nothing was published; the last good directory "
        "and the registry are unchanged. Free space or fix permissions and run `provdir build`."
    )


def publish(output: Path | str, *, force: bool = False, restore_registry: bool = False) -> PublishResult:
    """Rebuild the published directory from stored runs (under the output lock).

    ``restore_registry``: take the registry from the published build (``latest``) instead of
    ``registry.csv`` — after the registry was damaged or deleted."""
    output = Path(output)
    try:
        transaction.recover(output)
    except transaction.HistoryDamaged as exc:
        raise StateDamaged(f"{exc}; nothing was published") from None
    except OSError as exc:
        raise _unwritable(output, exc) from None
    _report_future(output)
    runs, located = collect(output)
    if not runs:
        raise NothingToPublish(f"no finished run under {output / 'runs'} to publish")
    _refuse_unread_seeds(runs.get("site"), force)
    now = datetime.now(UTC)
    today = now.date().isoformat()
    build_id = f"{now:%Y%m%dT%H%M%S%fZ}"

    resolution = resolve([loc for _, loc in located])
    facilities = [merge([located[i] for i in cluster]) for cluster in resolution.clusters]
    registry = _load_registry(output, restore_registry)
    ids, events = history.assign_ids([f.source_keys for f in facilities], registry)
    first_seen = registry.first_seen_index()

    rows: dict[str, dict[str, Any]] = {}
    evidence: list[dict[str, Any]] = []
    for fid, facility in zip(ids, facilities, strict=True):
        for key in facility.source_keys:
            entry = registry.rows.setdefault(
                key, {"source_key": key, "first_seen": today, "first_seen_run": facility.row["run_id"]}
            )
            entry.update(facility_id=fid, last_seen=today, last_seen_run=facility.row["run_id"])
        row = {
            "facility_id": fid,
            **facility.row,
            "status": "active",
            "missed_runs": 0,
            "first_seen": first_seen.get(fid) or today,
            "last_seen": today,
            "verified_at": "",
        }
        rows[fid] = row
        for run_id, source_key, ev in facility.evidence:
            evidence.append(
                {
                    "facility_id": fid,
                    "field": ev.field,
                    "value": ev.value,
                    "url": ev.url,
                    "snippet": ev.snippet,
                    "region": ev.region,
                    "basis": ev.basis,
                    "scope": ev.scope or evidence_scope(ev.field, ev.value),
                    "source_key": source_key,
                    "run_id": run_id,
                }
            )

    # The fact rows first; the wide table's list columns are read from them.
    facts: dict[str, longtables.Tables] = {}
    index = longtables.by_value(evidence)
    for fid, facility in zip(ids, facilities, strict=True):
        facts[fid] = longtables.facts(
            fid, facility.values, rows[fid], index, facility.phone_details, facility.license_details
        )
        rows[fid].update(longtables.wide_columns(facts[fid]))

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
        row["needs_browser"] = any(
            key.startswith(f"site:{site}:") for key in row.get("source_keys") or [] for site in unread
        )

    _strip_credentials(list(rows.values()))  # before the diff: the change list names them too
    _strip_credentials(evidence)
    _strip_credentials(verification)
    previous = _previous_rows(output)
    previous_evidence: dict[str, list[dict[str, Any]]] | None = None
    previous_facts: dict[str, dict[str, list[dict[str, Any]]]] | None = None
    all_runs = list_runs(output)
    order = run_order(all_runs)
    covering = history.runs_covering(crawl_runs(all_runs))
    absorbed = {e.old_value for e in events if e.change == "merged"}
    for fid, old in previous.items():
        if fid in rows or fid in absorbed:
            continue
        keys = list(old.get("source_keys") or [old.get("source_key", "")])
        last_run = max(
            (registry.rows.get(k, {}).get("last_seen_run", "") for k in keys),
            key=lambda r: (order.get(r, -1), r),
            default="",
        )
        missed = history.missed_runs(keys, old.get("state", ""), last_run, covering, order)
        carried = dict(old)
        carried.setdefault("needs_browser", False)  # a build from before the column
        if missed:
            carried["status"], carried["missed_runs"] = history.status_for(missed), missed
        rows[fid] = carried
        if previous_evidence is None:
            previous_evidence = _previous_evidence(output)
            previous_facts = _previous_facts(output)
        # a build from before evidence had a scope: the field's usual one
        kept = [
            {**ev, "scope": ev.get("scope") or evidence_scope(ev["field"], ev["value"])}
            for ev in previous_evidence.get(fid, [])
        ]
        evidence.extend(kept)
        assert previous_facts is not None
        facts[fid] = longtables.carried(fid, carried, previous_facts, longtables.by_value(kept))
        carried.update(longtables.wide_columns(facts[fid]))

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
    long_tables = {name: [r for fid in sorted(rows) for r in facts[fid][name]] for name in longtables.TABLES}

    builds = output / "builds"
    staging = builds / f".staging-{build_id}"
    try:
        transaction.read_history(output)  # a damaged history refuses the build before any work
        sequence_number = sequence.next_number(output, recover=lambda: max_recorded(output))
        staging.mkdir(parents=True)
    except transaction.HistoryDamaged as exc:
        raise StateDamaged(f"{exc}; nothing was published") from None
    except OSError as exc:
        raise _unwritable(output, exc) from None
    try:
        for rows_ in long_tables.values():
            _strip_credentials(rows_)
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
            build_id=build_id,
            path=output / "latest",
            facilities=len(table),
            runs=sorted(m.run_id for r in runs.values() for m in run_members(r)),
            by_state=dict(sorted(Counter(r["state"] or "??" for r in table).items())),
            fields_filled={
                name: sum(1 for r in table if r.get(name) not in (None, "", [])) for name, _, _ in FACILITY_COLUMNS
            },
            by_status=dict(Counter(r["status"] for r in table)),
            changes=history.counts(events),
            resolution={
                "records": len(located),
                "facilities": len(facilities),
                "comparisons": resolution.comparisons,
                "pairs_matched": resolution.pairs_matched,
                "blocks": resolution.blocks,
            },
            coordinates=dict(coordinates),
            tables={
                "facilities": len(table),
                "evidence": len(evidence),
                "changes": len(change_rows),
                "verification": len(verification),
                **{name: len(long_rows) for name, long_rows in long_tables.items()},
            },
            verification=verify.summary(verification),
        )
        write_json_atomic(
            staging / "build.json", {**result.summary(), "software_version": __version__, "sequence": sequence_number}
        )
        report.write_report(staging, table, long_tables, result.summary())
        # The registry this build was resolved with travels inside it: it becomes registry.csv
        # only once the build is published (transaction.finish).
        (staging / transaction.STATE_DIR).mkdir()
        registry.write(staging / transaction.STATE_DIR / history.REGISTRY)
        transaction.fault_point("staged")
        final = builds / build_id
        os.rename(staging, final)
        transaction.fsync_dir(builds)
        transaction.fault_point("renamed")
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError) or _is_io_error(exc):
            raise _unwritable(output, exc) from None
        raise
    try:
        transaction.commit(output, final)
    except OSError as exc:
        if transaction.latest_target(output) != build_id:
            shutil.rmtree(final, ignore_errors=True)
            (output / transaction.JOURNAL).unlink(missing_ok=True)
            raise _unwritable(output, exc) from None
        raise _unwritable(output, exc, published=build_id) from None
    try:
        _prune(output, keep={build_id})
    except OSError as exc:  # published; old builds stay until the next prune
        log.warning("could not prune old builds: %s", exc)
    log.info("published %d facilities to %s", len(table), output / "latest")
    return result


def _refuse_unread_seeds(site_run: Run | None, force: bool) -> None:
    """A distributed crawl in which some seeds were never read by any worker (its frontier was
    lost, or workers were stopped early) is not a crawl of its seed list: publishing it would
    say nothing of those sites while looking complete. Refused unless forced."""
    if not isinstance(site_run, CrawlRuns):
        return
    unread = [info.get("seed") or key for key, info in site_run.manifest()["sites"].items() if not info.get("runs")]
    if unread and not force:
        raise PublishRefused(
            f"crawl {site_run.crawl_id}: {len(unread)} seed(s) were never read by any worker "
            f"(e.g. {', '.join(redacted_url(u) for u in unread[:3])}): the crawl did not finish its seed list, "
            "not published. Re-run the crawl, or --force to publish it anyway."
        )


_URL_COLUMNS = ("url", "website", "evidence_url", "seed_url", "website_value", "source_urls")


def _strip_credentials(rows: list[dict[str, Any]]) -> None:
    """A seed URL may carry a password (``https://user:pw@host/``) to crawl with: the published
    tables name the pages without it."""
    for row in rows:
        for name in _URL_COLUMNS:
            value = row.get(name)
            if isinstance(value, str) and "@" in value:
                row[name] = without_userinfo(value)
            elif isinstance(value, list) and any("@" in str(v) for v in value):
                row[name] = [without_userinfo(v) if isinstance(v, str) else v for v in value]


def _is_io_error(exc: BaseException) -> bool:
    """DuckDB reports a full disk or a read-only folder as its own IOException."""
    return type(exc).__module__.startswith("duckdb") and "IO" in type(exc).__name__


def _load_registry(output: Path, restore: bool) -> history.Registry:
    latest = output / "latest"
    published = latest if latest.is_dir() else None
    if restore:
        if published is None:
            raise StateDamaged(f"--restore-registry: no published build under {latest} to restore it from")
        try:
            registry = history.Registry.from_build(published)
        except (history.RegistryDamaged, OSError, ValueError, KeyError) as exc:
            raise StateDamaged(f"--restore-registry: the published build's registry cannot be read: {exc}") from None
        log.warning("registry restored from build %s (%d source keys)", published.resolve().name, len(registry.rows))
        return registry
    try:
        return history.Registry.load(output, published=published)
    except history.RegistryDamaged as exc:
        raise StateDamaged(f"{exc}. Nothing was published; no facility was given a new id.") from None


def _report_future(output: Path) -> None:
    """Say so when runs or builds are dated ahead of the clock (a clock that ran ahead): they
    are ordered by the output's sequence, not by their dates, but an operator should know."""
    ahead = runs_from_the_future(output)
    builds = output / "builds"
    if builds.is_dir():
        ahead += [f"build {p.name}" for p in builds.iterdir() if sequence.from_the_future(p.name)]
    if ahead:
        log.warning(
            "%d run(s)/build(s) are dated ahead of this machine's clock (the clock ran ahead when they were "
            "made?); they are ordered by creation, not by date: %s",
            len(ahead),
            ", ".join(ahead[:5]),
        )


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
    return {
        site
        for member in run_members(site_run)
        for site in ((member.manifest().get("browser") or {}).get("sites_incomplete") or [])
    }


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


def _previous_facts(output: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The previous build's fact tables by facility, for the tables it has."""
    return {
        name: _previous_by_facility(output, name)
        for name in longtables.TABLES
        if (output / "latest" / f"{name}.parquet").exists()
    }


def _previous_by_facility(output: Path, stem: str) -> dict[str, list[dict[str, Any]]]:
    """Rows of a table of the previous build, by facility (empty if it has no such table)."""
    path = output / "latest" / f"{stem}.parquet"
    by_id: dict[str, list[dict[str, Any]]] = {}
    if path.exists():
        for r in read_rows(path):
            by_id.setdefault(r["facility_id"], []).append(r)
    return by_id


def _write_vocabulary(directory: Path) -> None:
    rows = [
        {"field": "service", "value": t.value, "label": t.label, "category": t.category, "samhsa_code": t.samhsa_code}
        for t in vocabulary.services().terms.values()
    ]
    rows += [
        {"field": "accreditation", "value": t.value, "label": t.label, "category": t.kind, "samhsa_code": t.samhsa_code}
        for t in vocabulary.accreditations().terms.values()
    ]
    write_table(rows, VOCABULARY_COLUMNS, directory, "vocabulary")


def build_order(builds: Path) -> list[Path]:
    """Finished builds, oldest first: by the sequence number in their ``build.json``, never by
    their clock-dated names alone; builds without one (older code) first, by name."""

    def key(p: Path) -> tuple[int, int, str]:
        try:
            n = json.loads((p / "build.json").read_text(encoding="utf-8")).get("sequence")
        except (OSError, ValueError, AttributeError):
            n = None
        return (0, 0, p.name) if not isinstance(n, int) else (1, n, p.name)

    return sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=key)


def _prune(output: Path, keep: set[str]) -> None:
    """Remove all but the newest ``KEEP_BUILDS`` builds; never the one ``latest`` points to nor
    the ones in ``keep`` (being published)."""
    keep = keep | {transaction.latest_target(output) or ""}
    done = build_order(output / "builds")
    for old in done[:-KEEP_BUILDS]:
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def read_build(output: Path | str) -> dict[str, Any]:
    path = Path(output) / "latest" / "build.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
