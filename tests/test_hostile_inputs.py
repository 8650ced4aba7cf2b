"""Bad seeds and arguments stop the command with a clear message before any request is made
(the seeds-file checks themselves are in test_e2e_failures.py and test_seeds.py)."""

from __future__ import annotations

import pytest

from tests.helpers import write_seeds
from tests.hostile import HostileServer, crawl, html, page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site():
    with HostileServer("127.0.0.191", {"*": page(html("Home", text="Call (417) 555-0142"))}) as server:
        yield server


@pytest.fixture(scope="module")
def v6_site():
    with HostileServer("::1", {"*": page(html("Home", text="Call (417) 555-0142"))}) as server:
        yield server


def test_ipv6_literal_seed_is_a_valid_seed(v6_site, tmp_path):
    # http://[::1]:PORT/ used to crash the CLI (the brackets were lost when the URL was rebuilt).
    result = crawl(write_seeds(tmp_path / "seeds.txt", [v6_site.url()]), tmp_path / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    assert v6_site.count("/", exclude_robots=True) >= 1


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PROVDIR_RETRY_AFTER_MAX", "soon"),
        ("PROVDIR_CRAWL_DELAY_MAX", "-3"),
        ("PROVDIR_EXTRACT_TIME_LIMIT", "nan"),
        ("PROVDIR_RESOLVER_OVERRIDES", '{"a.invalid": "not-an-address"}'),
    ],
)
def test_bad_safety_setting_stops_before_any_request(site, tmp_path, setting, value):
    result = crawl(write_seeds(tmp_path / "seeds.txt", [site.url()]), tmp_path / "out", "-s", f"{setting}={value}")
    assert result.returncode == 2  # bad input: nothing crawled
    assert setting in "\n".join(result.stderr.splitlines()[-3:]), result.stderr[-1500:]
    assert "Traceback" not in result.stderr
    assert site.count() == 0
    assert not (tmp_path / "out" / "latest").exists()
