"""Publishing as one transaction: ``latest``, the registry and the history move together.

A build is written whole into ``builds/.staging-<id>/`` (its tables, its change list and the
registry it was resolved with, ``state/registry.csv``), renamed to ``builds/<id>/``, and then
committed in durable steps:

1. ``journal``: ``output/.publish.json`` names the build being published;
2. ``swap``: ``output/latest`` moved onto it (atomic ``os.replace`` of a symbolic link) — the
   moment of publication;
3. ``registry``: ``output/registry.csv`` replaced by the build's copy;
4. ``history``: the build's ``changes.csv`` rows written into ``changes_history.csv`` (the whole
   file rewritten and replaced, rows of that build replaced, so doing it twice is harmless);
5. the journal removed, old builds pruned.

History and registry are written *from the published build, after the swap*: a kill before the
swap leaves them as they were (the build was never published), a kill after it leaves a journal
that :func:`recover` finishes on the next start. :func:`recover` also removes what killed builds
leave behind (staging folders, temporary files, a built but never published build).

Faults are injected deterministically in tests: ``PROVDIR_FAULT_AT=<step>`` makes the process
``os._exit`` right after that step (random kills never land in these narrow windows).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from provdir.build.tables import CHANGES_COLUMNS

log = logging.getLogger(__name__)

JOURNAL = ".publish.json"
CHANGES_HISTORY = "changes_history.csv"
STATE_DIR = "state"
FAULT_ENV = "PROVDIR_FAULT_AT"
FAULT_EXIT = 137
STEPS = ("staged", "renamed", "journal", "swap", "registry", "history", "done")
"""Durable steps of a publish, in order; a test may kill the process after any of them."""


class HistoryDamaged(RuntimeError):
    """``changes_history.csv`` cannot be read as rows of its columns (named with the line)."""


def fault_point(step: str) -> None:
    """Die here, as a kill would, when the test harness asks for it (``PROVDIR_FAULT_AT``)."""
    if os.environ.get(FAULT_ENV) == step:
        os._exit(FAULT_EXIT)


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def latest_target(output: Path) -> str | None:
    """Name of the build ``output/latest`` points to (None when there is none)."""
    latest = output / "latest"
    if not latest.is_symlink():
        return None
    return Path(os.readlink(latest)).name


def swap_latest(output: Path, final: Path) -> None:
    latest = output / "latest"
    if latest.exists() and not latest.is_symlink():
        # An old real directory (never written by this code, but possible by hand): keep it.
        from datetime import UTC, datetime

        latest.rename(output / "builds" / f"legacy-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    tmp = output / f".latest.tmp-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(Path("builds") / final.name, tmp)
    os.replace(tmp, latest)
    fsync_dir(output)


def commit(output: Path, final: Path) -> None:
    """Publish the finished build ``final`` (steps 1-5 of the module docstring)."""
    write_bytes_atomic(output / JOURNAL, json.dumps({"build_id": final.name}).encode())
    fault_point("journal")
    swap_latest(output, final)
    fault_point("swap")
    finish(output, final)
    (output / JOURNAL).unlink(missing_ok=True)
    fault_point("done")


def finish(output: Path, final: Path) -> None:
    """Bring the registry and the history up to the published build ``final`` (idempotent)."""
    copy = final / STATE_DIR / "registry.csv"
    if copy.exists():
        write_bytes_atomic(output / "registry.csv", copy.read_bytes())
    fault_point("registry")
    changes = final / "changes.csv"
    if changes.exists():
        with changes.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        write_history(output, final.name, rows)
    fault_point("history")


def recover(output: Path) -> list[str]:
    """Undo or finish what a killed publish left (called on start, under the output lock).
    Returns what was done, for the log."""
    done: list[str] = []
    builds = output / "builds"
    journal = output / JOURNAL
    if journal.exists():
        try:
            build_id = json.loads(journal.read_text(encoding="utf-8"))["build_id"]
        except (OSError, ValueError, KeyError, TypeError):
            build_id = ""
        final = builds / build_id if build_id and "/" not in build_id else None
        if final is not None and final.is_dir() and latest_target(output) == build_id:
            finish(output, final)
            done.append(
                f"finished publishing build {build_id} (a kill came after it was published): "
                "registry and changes_history.csv brought up to it"
            )
        elif final is not None and final.is_dir():
            shutil.rmtree(final, ignore_errors=True)
            done.append(f"removed build {build_id}: it was killed before being published")
        journal.unlink(missing_ok=True)
    if builds.is_dir():
        for leftover in builds.iterdir():
            if leftover.name.startswith(".staging-"):
                shutil.rmtree(leftover, ignore_errors=True)
                done.append(f"removed {leftover.name}, left by a killed build")
    # Only the publish's own temporary files (workers write others, without the output lock).
    for name in ("registry.csv", "latest", CHANGES_HISTORY, JOURNAL):
        for leftover in output.glob(f".{name}.tmp-*"):
            if leftover.is_file() or leftover.is_symlink():
                leftover.unlink(missing_ok=True)
    for message in done:
        log.warning("%s", message)
    return done


# -- changes_history.csv -------------------------------------------------------------------
def history_columns() -> list[str]:
    return [name for name, _, _ in CHANGES_COLUMNS]


def read_history(output: Path) -> tuple[list[list[str]], str]:
    """Rows of ``changes_history.csv`` (header excluded) and a notice when a torn last row (a
    kill in the middle of an append by older code) was dropped; its text is kept beside the
    file. A damaged row elsewhere raises :class:`HistoryDamaged` naming the line."""
    path = output / CHANGES_HISTORY
    if not path.exists():
        return [], ""
    raw = path.read_bytes()
    notice = ""
    if raw and not raw.endswith(b"\n"):
        cut = raw.rfind(b"\n") + 1
        torn = raw[cut:]
        aside = path.with_name(f"{CHANGES_HISTORY}.torn")
        aside.write_bytes(torn)
        raw = raw[:cut]
        notice = (
            f"{path}: its last row was torn ({len(torn)} bytes, a kill in the middle of a write); "
            f"dropped from the history and kept in {aside}"
        )
    text = raw.decode("utf-8", errors="strict") if raw else ""
    names = history_columns()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        header = next(reader, None)
        if header is None:
            return [], notice
        if header != names:
            raise HistoryDamaged(f"{path}:1: header is not the changes columns ({', '.join(names)})")
        for row in reader:
            if len(row) != len(names):
                raise HistoryDamaged(
                    f"{path}:{reader.line_num}: {len(row)} fields, {len(names)} expected; "
                    "repair or move the file aside (each build's changes.csv holds its rows)"
                )
            rows.append(row)
    except csv.Error as exc:
        raise HistoryDamaged(f"{path}:{reader.line_num}: {exc}") from None
    return rows, notice


def write_history(output: Path, build_id: str, change_rows: list[dict[str, Any]]) -> None:
    """Replace the rows of ``build_id`` in ``changes_history.csv`` with ``change_rows`` (text as
    the build's ``changes.csv`` has it: already defused), atomically."""
    rows, notice = read_history(output)
    if notice:
        log.warning("%s", notice)
    names = history_columns()
    at = names.index("build_id")
    kept = [r for r in rows if r[at] != build_id]
    if not change_rows and len(kept) == len(rows) and (output / CHANGES_HISTORY).exists() and not notice:
        return
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(names)
    writer.writerows(kept)
    writer.writerows([[str(r.get(n) if r.get(n) is not None else "") for n in names] for r in change_rows])
    write_bytes_atomic(output / CHANGES_HISTORY, buf.getvalue().encode("utf-8"))
