"""The crawl raises its soft open-files limit, within the hard one (provdir/crawl/open_files.py)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = (
    "import resource; from provdir.crawl.open_files import raise_soft_limit; "
    "print(raise_soft_limit({wanted}), *resource.getrlimit(resource.RLIMIT_NOFILE))"
)


def limits_in_a_process_started_with(soft: int, hard: int, wanted: int) -> list[int]:
    def start_low() -> None:  # a process started as a service manager often starts one: 1,024 soft
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(wanted=wanted)],
        preexec_fn=start_low,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return [int(x) for x in done.stdout.split()]


@pytest.mark.parametrize(
    ("soft", "hard", "wanted", "after"),
    [
        (256, 4096, 2048, 2048),  # raised to what the crawl wants
        (256, 1500, 65536, 1500),  # no further than the hard limit
        (3000, 4096, 2048, 3000),  # never lowered
    ],
)
def test_the_soft_limit_is_raised_within_the_hard_one(soft, hard, wanted, after):
    current_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if current_hard != resource.RLIM_INFINITY and current_hard < hard:
        pytest.skip(f"this machine's hard limit is {current_hard}: a process cannot raise it to {hard}")
    assert limits_in_a_process_started_with(soft, hard, wanted) == [after, after, hard]
