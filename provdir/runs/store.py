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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provdir.model.convert import Observation, observation_from_json, observation_from_line
from provdir.runs import sequence
from provdir.sources.seeds import site_key

log = logging.getLogger(__name__)

OBSERVATIONS = "observations.jsonl"
MANIFEST = "manifest.json"
STATS = "stats.json"
SITES = "sites.jsonl"
SEEDS = "seeds.jsonl"
DETAIL_INLINE_MAX = 1000
"""A manifest lists its sites and seeds inline up to this many; a larger run keeps them in
``sites.jsonl`` (one ``{"site": key, ...report}`` a line) and ``seeds.jsonl`` beside the manifest,
which names them in ``detail_files``: 100,000 seeds made a 35 MB manifest. Read them back through
:meth:`Run.manifest` (or :meth:`Run.sites`), never from the files directly."""
SEQUENCE_FILE = "sequence.json"
"""Beside the manifest: the run's numbers in the output's monotonic sequence (creation and
completion), written by this code only, so a crawl's own manifest writes never lose them."""
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

    def manifest(self, detail: bool = True) -> dict[str, Any]:
        """The manifest, or {} when it is missing or damaged (see :attr:`manifest_problem`).

        With ``detail`` (the default), ``sites`` and ``seeds`` are always there, read back from
        ``sites.jsonl``/``seeds.jsonl`` for a large run; without it, a large run's manifest has
        only their counts (``counts.sites``, ``seeds_count``), which is all a listing needs."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        files = data.get("detail_files")
        if detail and isinstance(files, dict):
            if files.get("sites"):
                data["sites"] = {
                    row.pop("site"): row for row in _read_jsonl(self.dir / SITES) if isinstance(row.get("site"), str)
                }
            if files.get("seeds"):
                data["seeds"] = _read_jsonl(self.dir / SEEDS)
        return _sane_manifest(data)[0]

    def sites(self) -> dict[str, dict[str, Any]]:
        """Per-site results of the run by site key, wherever they are kept."""
        return self.manifest().get("sites") or {}

    @property
    def manifest_problem(self) -> str:
        """Why the manifest cannot be (wholly) read, '' when it can: damaged state is reported
        by ``status`` and ``report``, never fatal to them."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return f"{self.manifest_path}: missing"
        except (OSError, ValueError) as exc:
            return f"{self.manifest_path}: unreadable ({exc.__class__.__name__}: {str(exc)[:120]})"
        if not isinstance(data, dict):
            return f"{self.manifest_path}: not a JSON object"
        dropped = _sane_manifest(data)[1]
        return f"{self.manifest_path}: damaged field(s) ignored: {', '.join(dropped)}" if dropped else ""

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Write the manifest; more than :data:`DETAIL_INLINE_MAX` sites or seeds go to their
        JSONL files first (written line by line), so the manifest never names a missing file."""
        sites, seeds = data.get("sites") or {}, data.get("seeds") or []
        files: dict[str, str] = {}
        if isinstance(sites, dict) and len(sites) > DETAIL_INLINE_MAX:
            write_jsonl_atomic(self.dir / SITES, ({"site": key, **info} for key, info in sites.items()))
            files["sites"] = SITES
        if isinstance(seeds, list) and len(seeds) > DETAIL_INLINE_MAX:
            write_jsonl_atomic(self.dir / SEEDS, seeds)
            files["seeds"] = SEEDS
        if files:
            data = {k: v for k, v in data.items() if k not in files}
            data["detail_files"] = files
            data["seeds_count"] = len(seeds)
        write_json_atomic(self.manifest_path, data)
        if data.get("status") not in (None, "running") and "finished" not in self.sequence_numbers():
            output = self.dir.parent.parent
            try:
                self._record_sequence(finished=sequence.next_number(output, recover=lambda: max_recorded(output)))
            except OSError as exc:  # the manifest is written; the completion number is a nicety
                log.warning("run %s: completion number not recorded: %s", self.run_id, exc)

    def sequence_numbers(self) -> dict[str, int]:
        """{"created": n, "finished": m} in the output's sequence ({} for runs made before it)."""
        try:
            data = json.loads((self.dir / SEQUENCE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if k in ("created", "finished") and isinstance(v, int)}

    def _record_sequence(self, **numbers: int) -> None:
        write_json_atomic(self.dir / SEQUENCE_FILE, {**self.sequence_numbers(), **numbers})

    @property
    def order_key(self) -> tuple[int, int, str]:
        """Sort key: by creation number; runs without one (older code) first, by id."""
        created = self.sequence_numbers().get("created")
        return (0, 0, self.run_id) if created is None else (1, created, self.run_id)

    @property
    def good(self) -> bool:
        m = self.manifest(detail=False)
        return m.get("status") == "ok"


_MANIFEST_DICTS = ("counts", "published", "health", "sites")
_MANIFEST_TEXTS = ("status", "source", "crawl_id", "finish_reason", "started", "finished")


def _sane_manifest(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``data`` without the fields that do not have their type (a hand edit, a bad disk): every
    reader can then use ``.get`` safely. Returns the fields dropped too."""
    dropped = [k for k in _MANIFEST_DICTS if k in data and not isinstance(data[k], dict)]
    dropped += [k for k in _MANIFEST_TEXTS if k in data and data[k] is not None and not isinstance(data[k], str)]
    clean = {k: v for k, v in data.items() if k not in dropped}
    sites = clean.get("sites")
    if sites and any(not isinstance(v, dict) for v in sites.values()):
        clean["sites"] = {k: v for k, v in sites.items() if isinstance(v, dict)}
        dropped.append("sites (some entries)")
    health = clean.get("health")
    if health and not isinstance(health.get("warnings", []), list):
        clean["health"] = {k: v for k, v in health.items() if k != "warnings"}
        dropped.append("health.warnings")
    return clean, dropped


def read_stats(run: Run) -> dict[str, Any]:
    """A run's ``stats.json`` as numbers by name; {} when missing or damaged (reported by the
    caller, never fatal)."""
    try:
        data = json.loads((run.dir / STATS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def runs_dir(output: Path) -> Path:
    return output / "runs"


def create_run(output: Path, source: str, run_id: str | None = None) -> Run:
    run_id = run_id or new_run_id(source)
    if not valid_run_id(run_id):
        raise ValueError(f"invalid run id {run_id!r}")
    d = runs_dir(output) / run_id
    d.mkdir(parents=True, exist_ok=False)
    run = Run(run_id, d)
    run._record_sequence(created=sequence.next_number(output, recover=lambda: max_recorded(output)))
    return run


def list_runs(output: Path) -> list[Run]:
    """All runs, oldest first: in the order they were created (the output's sequence), never by
    the clock-dated id alone (a clock that ran ahead would make an old run the newest)."""
    base = runs_dir(output)
    if not base.is_dir():
        return []
    runs = [Run(p.name, p) for p in base.iterdir() if p.is_dir() and valid_run_id(p.name)]
    return sorted(runs, key=lambda r: r.order_key)


def run_order(runs: list[Run]) -> dict[str, int]:
    """Run id -> its place in ``runs`` (as :func:`list_runs` gives them: creation order)."""
    return {r.run_id: i for i, r in enumerate(runs)}


def max_recorded(output: Path) -> int:
    """The highest sequence number recorded beside any run or build of ``output`` (0 if none):
    where a lost counter file restarts."""
    best = 0
    base = runs_dir(output)
    if base.is_dir():
        for p in base.iterdir():
            if p.is_dir():
                best = max([best, *Run(p.name, p).sequence_numbers().values()])
    builds = output / "builds"
    if builds.is_dir():
        for p in builds.iterdir():
            try:
                n = json.loads((p / "build.json").read_text(encoding="utf-8")).get("sequence")
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(n, int):
                best = max(best, n)
    return best


def runs_from_the_future(output: Path) -> list[str]:
    """Ids of runs dated ahead of the clock: a clock ran ahead when they were made. They are
    ordered by creation like any run, but an operator should know."""
    return [r.run_id for r in list_runs(output) if sequence.from_the_future(r.run_id)]


@dataclass
class CrawlRuns(Run):
    """The good worker runs of one distributed crawl, read as one run.

    ``run_id`` and ``dir`` are the earliest member's (the crawl started then); the manifest is
    the members' merged (:func:`merge_worker_manifests`).
    """

    crawl_id: str = ""
    members: list[Run] = field(default_factory=list)

    def manifest(self, detail: bool = True) -> dict[str, Any]:
        # a crawl's manifest is always its members' in full (``detail`` is for one run's file)
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
            log.warning(
                "crawl %s: %d worker run(s) not finished cleanly, their pages are left out: %s",
                run.crawl_id,
                len(not_good[(source, run.crawl_id)]),
                ", ".join(not_good[(source, run.crawl_id)][:10]),
            )
    return latest


_SUMMED = ("pages_scheduled", "pages_ok", "pages_failed", "skipped_non_html")


def merge_worker_manifests(crawl_id: str, manifests: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One manifest for the workers of a crawl: per-site counts added up, a site ``ok`` when any
    worker read a page of it; a seed no worker reported is listed as failed."""
    sites: dict[str, dict[str, Any]] = {}
    for run_id, m in manifests:
        for key, info in (m.get("sites") or {}).items():
            site = sites.setdefault(
                key,
                {
                    "seed": info.get("seed"),
                    "name": info.get("name", ""),
                    **dict.fromkeys(_SUMMED, 0),
                    "failures": {},
                    "errors": [],
                    "runs": [],
                },
            )
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
            sites[key] = {
                "seed": seed.get("url"),
                "name": seed.get("name", ""),
                **dict.fromkeys(_SUMMED, 0),
                "failures": {},
                "runs": [],
                "errors": [f"no worker of crawl {crawl_id} read or failed a page of this site"],
            }
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


def read_observations(run: Run) -> list[Observation]:
    """Observations of a run, as their items: every whole line kept; a torn or damaged line (a
    killed writer cuts the last one, possibly inside a multi-byte character; a line that is no
    observation) is skipped and reported, never fatal (lines are decoded one by one, so one bad
    byte costs one line, not the file)."""
    path = run.dir / OBSERVATIONS
    out: list[Observation] = []
    if not path.exists():
        return out
    bad: list[int] = []
    with path.open("rb") as fh:
        for number, line in enumerate(fh, 1):
            try:
                obs = observation_from_line(line)
            except ValueError:  # UnicodeDecodeError is a ValueError too
                if line.strip():
                    bad.append(number)
                continue
            out.append(obs)
    if bad:
        log.warning(
            "%s: %d line(s) unreadable and skipped (torn by a kill?), line %s; %d whole line(s) used",
            path,
            len(bad),
            ", ".join(map(str, bad[:5])),
            len(out),
        )
    return out


def observations_by_site(members: list[Run]) -> Iterator[tuple[str, str | None, list[Observation]]]:
    """The observations of one crawl (a run, or the worker runs of a distributed crawl) grouped
    by site, one group in memory at a time: ``(run_id, site, observations)``.

    Directory records (:class:`~provdir.model.items.FacilityRecord`) come first, one per group with ``site`` None;
    then each site's page observations from every member, sites in the order they first appear,
    credited to the first member that has the site. Pages of many sites are interleaved in a
    run's file (a crawl visits hosts in turn), so the file is read twice: once to note where
    each site's lines are (byte offsets: memory in proportion to the number of pages, not their
    size), then site by site. The build's memory is then bounded by the largest site, not by
    the crawl.
    """
    where: dict[str, list[tuple[int, int]]] = {}  # site -> (member index, offset)
    first_run: dict[str, str] = {}
    for index, member in enumerate(members):
        path = member.dir / OBSERVATIONS
        if not path.exists():
            continue
        with path.open("rb") as fh:
            offset = 0
            for line in fh:
                at, offset = offset, offset + len(line)
                # The index needs only the kind and the site: a page is converted to its item
                # once, when its site's group is read.
                try:
                    data = json.loads(line.decode("utf-8"))
                except ValueError:  # a torn or damaged line (UnicodeDecodeError too), as read_observations
                    continue
                if not isinstance(data, dict):
                    continue
                if data.get("kind") == "record":
                    try:
                        record = observation_from_json(data)
                    except ValueError:  # a damaged record is skipped, as any line
                        continue
                    yield member.run_id, None, [record]
                    continue
                site = data.get("site")
                if not isinstance(site, str):
                    continue
                where.setdefault(site, []).append((index, at))
                first_run.setdefault(site, member.run_id)
    handles: dict[int, Any] = {}
    try:
        for site, places in where.items():
            group = []
            for index, at in places:
                handle = handles.get(index)
                if handle is None:
                    handle = handles[index] = (members[index].dir / OBSERVATIONS).open("rb")
                handle.seek(at)
                try:
                    group.append(observation_from_line(handle.readline()))
                except ValueError:  # JSON, but no observation: skipped, as read_observations does
                    continue
            if group:
                yield first_run[site], site, group
    finally:
        for handle in handles.values():
            handle.close()


def write_jsonl_atomic(path: Path, rows: Iterable[Any]) -> None:
    """One JSON value a line, replacing ``path`` whole once every line is written."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    os.replace(tmp, path)


def _read_jsonl(path: Path) -> list[Any]:
    """The whole JSON-object lines of ``path`` ([] when it is missing); a torn or damaged line
    is skipped and reported."""
    rows: list[Any] = []
    bad = 0
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    row = json.loads(line)
                except ValueError:
                    bad += 1
                    continue
                if isinstance(row, dict):
                    rows.append(row)
                else:
                    bad += 1
    except OSError as exc:
        log.warning("%s: unreadable: %s", path, exc.strerror or exc)
    if bad:
        log.warning("%s: %d line(s) unreadable and skipped; %d whole line(s) used", path, bad, len(rows))
    return rows


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
