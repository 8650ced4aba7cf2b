"""Stable identity and history across runs.

- The registry (``output/registry.csv``) maps every source record key (``samhsa:<frid>``,
  ``site:<host>:<location key>``) to a ``facility_id``, with first/last seen dates and the run
  that last showed it. A cluster of records takes the id its records already have; when
  records with two ids merge, the older id (earliest first_seen, then smallest id) survives
  and the merge is recorded; when one id's records split, the part holding the most of them
  keeps it and the other part gets a new id.
- Status: a facility shown by the latest run of its source is ``active``. One that its source
  was asked about (the site answered, the state was listed) and did not show is ``missing``,
  and after ``CLOSED_AFTER_RUNS`` such runs ``closed?`` — never deleted. A site that failed to
  crawl, or was not in the run, says nothing: its facilities keep their previous status.
- Changes: every publish compares the new table with the previous one and lists facilities
  added, no longer active, merged, split, and every changed field with old and new values.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provdir.build.tables import formula_risk
from provdir.runs.store import Run

REGISTRY = "registry.csv"
REGISTRY_FIELDS = ["source_key", "facility_id", "first_seen", "first_seen_run", "last_seen", "last_seen_run"]
CLOSED_AFTER_RUNS = 3
TRACKED_FIELDS = (
    "name",
    "organization",
    "street",
    "city",
    "state",
    "postal_code",
    "phone",
    "phones",
    "website",
    "accreditations",
    "licenses",
    "services",
    "status",
)


def new_facility_id(source_key: str) -> str:
    """A new facility's id, derived from its first source key (so a rebuild gives the same)."""
    return "F" + hashlib.sha1(source_key.encode()).hexdigest()[:12].upper()


@dataclass
class Event:
    facility_id: str
    change: str
    field: str = ""
    old_value: str = ""
    new_value: str = ""
    old_run_id: str = ""
    new_run_id: str = ""

    def as_row(self, build_id: str) -> dict[str, str]:
        return {**self.__dict__, "build_id": build_id}


class RegistryDamaged(RuntimeError):
    """``registry.csv`` is missing, torn or malformed: ids cannot be kept stable, so the build
    stops (naming the file and line) instead of giving facilities new ids silently."""


_ID = re.compile(r"^F[0-9A-F]{12}$")
RESTORE_HINT = "restore it from the published build with `provdir build --restore-registry` (or put back a good copy)"


class Registry:
    def __init__(self, rows: dict[str, dict[str, str]]) -> None:
        self.rows = rows

    @classmethod
    def load(cls, output: Path, *, published: Path | None = None) -> Registry:
        """The registry of ``output``; ``published`` is the published build (``latest``), whose
        facilities have ids: with one, a missing or shortened registry is damage, not a start."""
        path = output / REGISTRY
        copy = published / "state" / REGISTRY if published is not None else None
        if not path.exists():
            if published is not None and (published / "facilities.parquet").exists():
                raise RegistryDamaged(
                    f"{path} is missing, but build {published.resolve().name} is published "
                    f"with facility ids: {RESTORE_HINT}"
                )
            return cls({})
        registry = cls(read_registry(path))
        if copy is not None and copy.exists():
            try:
                kept = read_registry(copy)
            except RegistryDamaged:
                kept = {}
            lost = len(set(kept) - set(registry.rows))
            if lost:
                raise RegistryDamaged(
                    f"{path}: {lost} source key(s) of the published build's registry ({copy}) "
                    f"are missing from it (truncated?): {RESTORE_HINT}"
                )
        return registry

    @classmethod
    def from_build(cls, build: Path) -> Registry:
        """The registry a published build was made with (its ``state/registry.csv``), or, for a
        build older than that copy, rebuilt from its facilities table (ids, dates, run ids)."""
        copy = build / "state" / REGISTRY
        if copy.exists():
            return cls(read_registry(copy))
        import pyarrow.parquet as pq

        rows: dict[str, dict[str, str]] = {}
        for r in pq.read_table(build / "facilities.parquet").to_pylist():
            for key in r.get("source_keys") or [r.get("source_key")]:
                if key:
                    rows[key] = {
                        "source_key": key,
                        "facility_id": r["facility_id"],
                        "first_seen": r.get("first_seen") or "",
                        "first_seen_run": r.get("run_id") or "",
                        "last_seen": r.get("last_seen") or "",
                        "last_seen_run": r.get("run_id") or "",
                    }
        return cls(rows)

    def save(self, output: Path) -> None:
        self.write(output / REGISTRY)

    def write(self, path: Path) -> None:
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=REGISTRY_FIELDS)
            writer.writeheader()
            for key in sorted(self.rows):
                writer.writerow({k: _defuse(self.rows[key].get(k, "")) for k in REGISTRY_FIELDS})
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)

    def ids_of(self, keys: list[str]) -> list[str]:
        return [self.rows[k]["facility_id"] for k in keys if k in self.rows]

    def first_seen_index(self) -> dict[str, str]:
        """facility_id -> earliest first_seen of its records (one pass; look-ups are then O(1))."""
        index: dict[str, str] = {}
        for r in self.rows.values():
            fid, seen = r.get("facility_id", ""), r.get("first_seen", "")
            if fid and seen and (fid not in index or seen < index[fid]):
                index[fid] = seen
        return index


def _defuse(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe (read back off by
    :func:`read_registry`); keys and ids never start so, but the file is opened by people."""
    return "'" + value if formula_risk(value) else value


def read_registry(path: Path) -> dict[str, dict[str, str]]:
    """Rows of a registry file by source key, read strictly: an unbalanced quote, a torn or short
    row, a bad facility id or a duplicate key raises :class:`RegistryDamaged` naming the line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryDamaged(f"{path}: cannot be read ({exc.strerror or exc}): {RESTORE_HINT}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RegistryDamaged(f"{path}:{line}: not UTF-8 text (torn?): {RESTORE_HINT}") from None
    if text and not text.endswith("\n"):
        line = text.count("\n") + 1
        raise RegistryDamaged(f"{path}:{line}: the last row is torn (no line end): {RESTORE_HINT}")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: dict[str, dict[str, str]] = {}
    try:
        header = next(reader, None)
        if header != REGISTRY_FIELDS:
            raise RegistryDamaged(f"{path}:1: header is not {','.join(REGISTRY_FIELDS)}: {RESTORE_HINT}")
        start = reader.line_num
        for cells in reader:
            where = f"{path}:{start + 1}"
            if len(cells) != len(REGISTRY_FIELDS) or reader.line_num != start + 1:
                raise RegistryDamaged(
                    f"{where}: a malformed row ({len(cells)} fields over "
                    f"{reader.line_num - start} line(s); an unbalanced quote?): {RESTORE_HINT}"
                )
            row = dict(
                zip(
                    REGISTRY_FIELDS,
                    (c[1:] if c.startswith("'") and formula_risk(c[1:]) else c for c in cells),
                    strict=True,
                )
            )
            if not row["source_key"] or not _ID.match(row["facility_id"]):
                raise RegistryDamaged(
                    f"{where}: no source key or a bad facility id {row['facility_id']!r}: {RESTORE_HINT}"
                )
            if row["source_key"] in rows:
                raise RegistryDamaged(f"{where}: source key {row['source_key']!r} listed twice: {RESTORE_HINT}")
            rows[row["source_key"]] = row
            start = reader.line_num
    except csv.Error as exc:
        raise RegistryDamaged(f"{path}:{start + 1}: {exc} (an unbalanced quote?): {RESTORE_HINT}") from None
    return rows


def assign_ids(clusters: list[list[str]], registry: Registry) -> tuple[list[str], list[Event]]:
    """A facility id for each cluster of source keys, with merge and split events."""
    events: list[Event] = []
    # Age of an id: the run that first showed one of its records (run ids sort by time).
    first_seen: dict[str, str] = {}
    for row in registry.rows.values():
        fid, seen = row["facility_id"], row.get("first_seen_run") or row.get("first_seen", "")
        if seen and (fid not in first_seen or seen < first_seen[fid]):
            first_seen[fid] = seen
    wanted: list[str | None] = []
    for keys in clusters:
        ids = sorted(set(registry.ids_of(keys)), key=lambda f: (first_seen.get(f, "~"), f))
        if len(ids) > 1:
            events += [Event(ids[0], "merged", "facility_id", old, ids[0]) for old in ids[1:]]
        wanted.append(ids[0] if ids else None)
    # Two clusters wanting one id: a split. The cluster holding most of the id's keys keeps it.
    claims: dict[str, list[int]] = {}
    for i, fid in enumerate(wanted):
        if fid:
            claims.setdefault(fid, []).append(i)
    out: list[str] = []
    taken: set[str] = set()
    for i, (keys, fid) in enumerate(zip(clusters, wanted, strict=True)):
        if fid and len(claims[fid]) > 1:
            owner = max(
                claims[fid],
                key=lambda j: (sum(registry.rows.get(k, {}).get("facility_id") == fid for k in clusters[j]), -j),
            )
            if owner != i:
                new = _fresh_id(min(keys), taken | set(wanted) - {None})
                events.append(Event(new, "split", "facility_id", fid, new))
                fid = new
        fid = fid or _fresh_id(min(keys), taken | set(wanted) - {None})
        taken.add(fid)
        out.append(fid)
    return out, events


def _fresh_id(key: str, used: set) -> str:
    fid = new_facility_id(key)
    n = 1
    while fid in used:
        fid = new_facility_id(f"{key}#{n}")
        n += 1
    return fid


# -- coverage: what each run was asked about -----------------------------------------------
def coverage_key(source_key: str, state: str) -> str:
    """What a source must have answered for a record's absence to mean something."""
    source, _, rest = source_key.partition(":")
    if source == "site":
        return "site:" + rest.rsplit(":", 1)[0]
    return f"{source}:{state}"


def runs_covering(runs: list[Run]) -> list[tuple[str, set[str]]]:
    """(run_id, coverage keys it answered) for every good run, oldest first."""
    out = []
    for run in runs:
        m = run.manifest()
        if m.get("status") != "ok":
            continue
        source = m.get("source", "site")
        answered = set()
        for key, info in (m.get("sites") or {}).items():
            # A state read with pages missing ("complete": false) cannot say a record is gone.
            if info.get("status") != "ok" or info.get("complete") is False:
                continue
            # Site runs report host[:port]; directory runs report "<source>:<state>" already.
            answered.add(key if source != "site" and key.startswith(f"{source}:") else f"{source}:{key}")
        out.append((run.run_id, answered))
    return out


def missed_runs(
    keys: list[str],
    state: str,
    last_seen_run: str,
    covering: list[tuple[str, set[str]]],
    order: dict[str, int] | None = None,
) -> int:
    """Good runs after ``last_seen_run`` that answered for these records and did not show them.

    "After" is by ``order`` (run id -> place in creation order, :func:`provdir.runs.store.run_order`):
    a run dated ahead by a wrong clock must not hide every later run. Ids ``order`` does not know
    (runs deleted by hand) fall back to comparing ids."""
    wanted = {coverage_key(k, state) for k in keys}

    def after(run_id: str) -> bool:
        if order is not None and run_id in order and last_seen_run in order:
            return order[run_id] > order[last_seen_run]
        return run_id > last_seen_run

    return sum(1 for run_id, answered in covering if after(run_id) and wanted & answered)


def status_for(missed: int) -> str:
    if missed >= CLOSED_AFTER_RUNS:
        return "closed?"
    return "missing" if missed else "active"


# -- changes -------------------------------------------------------------------------------
def diff(previous: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> list[Event]:
    events: list[Event] = []
    for fid, row in current.items():
        old = previous.get(fid)
        if old is None:
            events.append(Event(fid, "added", new_value=row.get("name", ""), new_run_id=row.get("run_id", "")))
            continue
        for name in TRACKED_FIELDS:
            a, b = _text(old.get(name)), _text(row.get(name))
            if a != b:
                events.append(Event(fid, "changed", name, a, b, old.get("run_id", ""), row.get("run_id", "")))
    events += [
        Event(fid, "removed", old_value=row.get("name", ""), old_run_id=row.get("run_id", ""))
        for fid, row in previous.items()
        if fid not in current
    ]
    return events


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if hasattr(value, "tolist"):
        return ";".join(str(v) for v in value.tolist())
    if isinstance(value, float) and value != value:  # NaN from pandas
        return ""
    return str(value)


def counts(events: list[Event]) -> dict[str, int]:
    return dict(Counter(e.change for e in events))
