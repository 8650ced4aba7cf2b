"""A monotonic counter per output directory: the order of runs and builds, whatever the clock says.

Run and build ids carry a wall-clock timestamp, and a clock that once ran ahead (then was put
right) would make a months-old run look like the newest one, or make pruning by name delete the
build just published. So every run and build takes a number from ``output/sequence`` when it is
created (and runs take another when they finish); order is by that number. Ids without one
(written before this counter existed) sort before every numbered one, by id, as they used to.

The counter is read and bumped under its own ``flock`` (distributed workers share an output
directory without holding the run lock) and written with an atomic replace.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEQUENCE = "sequence"
_LOCK = ".sequence.lock"
FUTURE_SLACK = timedelta(hours=1)
"""An id dated more than this ahead of the clock is reported as coming from the future."""
_STAMP = re.compile(r"^(\d{8}T\d{6})(\d{6})?Z")


@contextmanager
def _locked(output: Path) -> Iterator[None]:
    output.mkdir(parents=True, exist_ok=True)
    fd = os.open(output / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def current(output: Path) -> int:
    """The last number handed out (0 when none was)."""
    try:
        text = (output / SEQUENCE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return 0
    return int(text) if text.isdigit() else 0


def next_number(output: Path, *, recover: Callable[[], int] | None = None) -> int:
    """The next number of ``output``'s sequence. When the counter file is lost or damaged,
    ``recover()`` gives the highest number still recorded beside the runs and builds, and the
    counter restarts above it (never handing out a number twice)."""
    with _locked(output):
        last = current(output)
        if last == 0 and recover is not None:
            last = recover()
        n = last + 1
        tmp = output / f".{SEQUENCE}.tmp-{os.getpid()}"
        tmp.write_text(f"{n}\n", encoding="ascii")
        os.replace(tmp, output / SEQUENCE)
        return n


def id_time(identifier: str) -> datetime | None:
    """The wall-clock time a run or build id is named after (None if it has none)."""
    m = _STAMP.match(identifier)
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1) + (m.group(2) or "000000"), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:
        return None


def from_the_future(identifier: str, now: datetime | None = None) -> bool:
    """True when ``identifier`` is dated ahead of the clock (a clock that ran ahead made it)."""
    when = id_time(identifier)
    return when is not None and when > (now or datetime.now(UTC)) + FUTURE_SLACK
