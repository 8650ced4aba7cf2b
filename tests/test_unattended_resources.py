"""A full disk or a read-only output folder (issue 19): one clear message, exit code 5, the
state untouched. Uses a real small tmpfs (needs root to mount; skipped otherwise)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from provdir.build import publish
from provdir.cli import main
from provdir.cli.common import EXIT_BAD_INPUT, EXIT_OUTPUT_UNWRITABLE
from tests.test_unattended_publish import site, stored_run


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True).returncode
        != 0
    ):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _state(out: Path) -> dict[str, bytes | str]:
    return {
        "latest": os.readlink(out / "latest"),
        "registry": (out / "registry.csv").read_bytes(),
        "history": (out / "changes_history.csv").read_bytes(),
        "builds": ",".join(sorted(p.name for p in (out / "builds").iterdir())),
    }


def _fill(mnt: Path) -> Path:
    filler = mnt / "filler"
    with filler.open("wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_full_or_read_only_output_ends_in_one_message_with_the_state_untouched(small_disk, capsys, fault):
    """Fails without the fix: a traceback (OSError / a DuckDB IO error), exit 1 at best."""
    out = small_disk / "output"
    stored_run(out, site("Harris House"))
    publish(out)
    stored_run(out, site("Harris House", "+13145550100"))
    before = _state(out)
    if fault == "full":
        filler = _fill(small_disk)
    else:
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    code = main(["build", "--out", str(out)])
    err = capsys.readouterr().err
    # A read-only folder is found by the command's input check, before anything (exit 2); a
    # disk that fills is found while building (exit 5).
    assert code == (EXIT_OUTPUT_UNWRITABLE if fault == "full" else EXIT_BAD_INPUT), err
    assert ("No space left on device" if fault == "full" else "Read-only file system") in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    if fault == "full":
        filler.unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert _state(out) == before
    assert not list((out / "builds").glob(".staging-*"))
    assert main(["build", "--out", str(out)]) == 0  # space back: the next build publishes
    assert os.readlink(out / "latest") != before["latest"]
