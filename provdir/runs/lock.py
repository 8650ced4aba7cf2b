"""One run at a time per output directory: an advisory lock that dies with its process.

``fcntl.flock`` on ``output/.provdir.lock``: the kernel releases it when the holder exits,
even on SIGKILL, so a crashed run never leaves a stale lock behind for the next scheduled run.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".provdir.lock"


class Locked(RuntimeError):
    """Another provdir process holds the output directory."""


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    output.mkdir(parents=True, exist_ok=True)
    path = output / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise Locked(f"another provdir run (pid {holder}) is using {output}; not starting") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
