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
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provdir.runs.store import Run

REGISTRY = "registry.csv"
REGISTRY_FIELDS = ["source_key", "facility_id", "first_seen", "first_seen_run", "last_seen", "last_seen_run"]
CLOSED_AFTER_RUNS = 3
TRACKED_FIELDS = (
    "name", "organization", "street", "city", "state", "postal_code", "phone", "phones", "website",
    "accreditations", "licenses", "services", "status",
)  # fmt: skip


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


class Registry:
    def __init__(self, rows: dict[str, dict[str, str]]) -> None:
        self.rows = rows

    @classmethod
    def load(cls, output: Path) -> Registry:
        path = output / REGISTRY
        if not path.exists():
            return cls({})
        with path.open(encoding="utf-8", newline="") as fh:
            return cls({row["source_key"]: row for row in csv.DictReader(fh)})

    def save(self, output: Path) -> None:
        tmp = output / f".{REGISTRY}.tmp-{os.getpid()}"
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=REGISTRY_FIELDS)
            writer.writeheader()
            for key in sorted(self.rows):
                writer.writerow({k: self.rows[key].get(k, "") for k in REGISTRY_FIELDS})
        os.replace(tmp, output / REGISTRY)

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
            owner = max(claims[fid], key=lambda j: (sum(registry.rows.get(k, {}).get("facility_id") == fid
                                                        for k in clusters[j]), -j))  # fmt: skip
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


def missed_runs(keys: list[str], state: str, last_seen_run: str, covering: list[tuple[str, set[str]]]) -> int:
    """Good runs after ``last_seen_run`` that answered for these records and did not show them."""
    wanted = {coverage_key(k, state) for k in keys}
    return sum(1 for run_id, answered in covering if run_id > last_seen_run and wanted & answered)


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
    events += [Event(fid, "removed", old_value=row.get("name", ""), old_run_id=row.get("run_id", ""))
               for fid, row in previous.items() if fid not in current]  # fmt: skip
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
