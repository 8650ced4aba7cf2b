"""Headless Chromium for tests of the HTML pages (Debian's chromium; `make browser` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str | None:
    candidates = [os.environ.get("PROVDIR_CHROMIUM", ""), "chromium", "chromium-browser", "google-chrome"]
    return next((shutil.which(c) for c in candidates if c and shutil.which(c)), None)


def browse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run headless Chromium with the flags a closed network needs; skip when it is absent."""
    binary = chromium()
    if binary is None:
        pytest.skip("chromium is not installed: `make browser` installs it (Debian: apt-get install -y chromium)")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ]
    proc = subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc
