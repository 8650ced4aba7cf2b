"""Every bad input of the command line: one line naming it, exit 2, nothing left behind, no
traceback; unknown -s names warned about with the closest known name; broken pipes quiet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provdir.cli.inputs import BadInput, check_setting
from tests.helpers import ROOT, cli_in_process, write_seeds


def one_line(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def seeds(tmp_path) -> Path:
    return write_seeds(tmp_path / "seeds.txt", ["http://127.0.0.1:9/"])


def test_out_that_is_a_file(tmp_path, seeds):
    out = tmp_path / "out.txt"
    out.write_text("keep me")
    one_line(cli_in_process("crawl", str(seeds), "--out", str(out), "--allow-private-networks"), str(out), "is a file")
    assert out.read_text() == "keep me"


def test_out_that_cannot_be_written(tmp_path, seeds):
    if os.geteuid() == 0:  # root ignores permissions: a folder that cannot exist stands in for one
        out = Path("/proc/self/provdir-out")
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        out = locked / "out"
    line = one_line(cli_in_process("crawl", str(seeds), "--out", str(out), "--allow-private-networks"), str(out))
    assert "cannot create" in line or "cannot write" in line
    assert not out.exists()


def test_out_is_created_by_the_command_not_by_the_check(tmp_path):
    out = tmp_path / "new" / "out"
    proc = cli_in_process("crawl", str(tmp_path / "missing-seeds.txt"), "--out", str(out))
    assert proc.returncode == 2 and "seeds" in proc.stderr
    assert not (tmp_path / "new").exists()  # a bad seeds file leaves no empty folder behind


def test_bogus_log_level(tmp_path, seeds):
    one_line(
        cli_in_process("crawl", str(seeds), "--out", str(tmp_path / "o"), "--log-level", "bogus"),
        "--log-level",
        "'bogus'",
        "DEBUG",
    )
    assert not (tmp_path / "o").exists()


def test_demo_port_out_of_range(tmp_path):
    one_line(cli_in_process("demo", "--port", "99999", "--out", str(tmp_path / "o")), "--port 99999", "0-65535")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", [["export", "--format", "xlsx"], ["report"]])
def test_to_a_folder(tmp_path, command):
    target = tmp_path / "somewhere"
    target.mkdir()
    (tmp_path / "out").mkdir()
    one_line(cli_in_process(*command, "--out", str(tmp_path / "out"), "--to", str(target)), f"--to {target}", "folder")
    assert list(target.iterdir()) == [] and list(tmp_path.glob("**/.*tmp*")) == []


def test_setting_with_a_value_of_the_wrong_type_is_named(tmp_path, seeds):
    one_line(
        cli_in_process("crawl", str(seeds), "--out", str(tmp_path / "o"), "-s", "DOWNLOAD_DELAY=abc"),
        "DOWNLOAD_DELAY",
        "number",
        "'abc'",
    )


def test_unknown_setting_is_warned_with_the_closest_known_name(tmp_path):
    proc = cli_in_process(
        "crawl",
        str(tmp_path / "missing.txt"),
        "--out",
        str(tmp_path / "o"),
        "-s",
        "DOWNLOAD_DELAI=1",
        "-s",
        "NOSUCHSETTING=1",
        "-s",
        "DOWNLOAD_DELAY=0",
    )
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2, proc.stderr
    assert "DOWNLOAD_DELAI" in warnings[0] and "did you mean DOWNLOAD_DELAY?" in warnings[0]
    assert "NOSUCHSETTING" in warnings[1] and "closest known name is" in warnings[1]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("ROBOTSTXT_OBEY=maybe", False),
        ("ROBOTSTXT_OBEY=False", True),
        ("RETRY_TIMES=two", False),
        ("PROVDIR_RETRY_BACKOFF_BASE=0.5", True),
        ("SAMHSA_API_URL=http://x/", True),
        ("JOBDIR=/tmp/j", True),
    ],
)
def test_setting_values_by_type(text, ok):
    if ok:
        assert check_setting(text) == ""
    else:
        with pytest.raises(BadInput, match=text.split("=")[0]):
            check_setting(text)


def test_status_into_a_closed_pipe_is_quiet(tmp_path):
    (tmp_path / "out").mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "provdir.cli", "status", "--out", str(tmp_path / "out")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before anything is written (`| head` that already quit)
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert stderr == ""
