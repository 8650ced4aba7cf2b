"""Distributed honesty (issue 19): a worker whose crawl's frontier vanishes from Redis (Redis
restarted empty) ends non-zero with its run not ``ok``; ``build`` refuses a distributed crawl
whose seeds were not all read. Uses a real Redis (``$PROVDIR_TEST_REDIS_URL``, db 3 by default:
this test empties that db, never restarts the server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from provdir.build import PublishRefused, publish
from provdir.sampleweb.server import bundled_sites_dir, serve_sites
from tests.helpers import FAST, ROOT, cli_in_process, write_seeds

pytestmark = pytest.mark.e2e
REDIS_URL = os.environ.get("PROVDIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
def redis_db():
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        pytest.skip(f"no Redis at {REDIS_URL} ({exc})")
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        pytest.skip("this test empties its Redis db: give it one of its own (not db 0)")
    client.flushdb()
    yield client
    client.flushdb()


def test_a_worker_whose_frontier_vanishes_fails_and_build_refuses_the_crawl(redis_db, tmp_path):
    """Fails without the fix: the worker exited 0 with its run ``ok`` although the requests in
    the lost frontier were never fetched, and the build published the crawl."""
    fetched: list[str] = []
    lock = threading.Lock()

    def slow(handler) -> bool:
        with lock:
            fetched.append(handler.path)
        time.sleep(0.4)  # slow enough that the crawl is still going when Redis is emptied
        return False

    roots = {n: bundled_sites_dir() / n for n in ("redbud-hollow", "agarita-recovery", "harris-house")}
    with serve_sites(roots, port=0, first_host=190, behaviours={n: slow for n in roots}) as urls:
        seeds = write_seeds(tmp_path / "seeds.txt", list(urls.values()))
        enq = cli_in_process(
            "enqueue", str(seeds), "--redis", REDIS_URL, "--allow-private-networks", "--crawl-id", "lost"
        )
        assert enq.returncode == 0, enq.stderr
        out = tmp_path / "out"
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "provdir.cli",
                "worker",
                "--redis",
                REDIS_URL,
                "--crawl-id",
                "lost",
                "--out",
                str(out),
                "--allow-private-networks",
                "--idle-timeout",
                "2",
                *FAST,
                "-s",
                "CONCURRENT_REQUESTS=1",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len([p for p in fetched if p != "/robots.txt"]) < 3:
            time.sleep(0.1)
        redis_db.flushdb()  # Redis "restarted empty" under the worker
        try:
            stdout, stderr = worker.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            worker.kill()
            pytest.fail("the worker did not stop after its frontier vanished")
    assert worker.returncode != 0, stdout + stderr[-3000:]
    (run_dir,) = (out / "runs").iterdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] != "ok"
    assert manifest["finish_reason"] == "frontier_lost"
    assert "frontier is gone" in stderr
    build = cli_in_process("build", "--out", str(out))
    assert build.returncode == 1 and not (out / "latest").exists(), build.stderr


def _worker_run(out: Path, run_id: str, crawl_id: str, sites: dict) -> None:
    d = out / "runs" / run_id
    d.mkdir(parents=True)
    seeds = [{"url": f"http://{s}/", "name": "", "line": i} for i, s in enumerate(("a.example", "b.example"), 1)]
    (d / "manifest.json").write_text(
        json.dumps(
            {"run_id": run_id, "source": "site", "status": "ok", "crawl_id": crawl_id, "sites": sites, "seeds": seeds}
        )
    )


def test_build_refuses_a_distributed_crawl_whose_seeds_were_not_all_read(tmp_path):
    """Fails without the fix: published, the unread seed only listed as a failed site."""
    _worker_run(
        tmp_path,
        "20260102T000000000000Z-site-0002",
        "c1",
        {"a.example": {"seed": "http://a.example/", "pages_ok": 1, "status": "ok"}},
    )
    with pytest.raises(PublishRefused, match=r"crawl c1: 1 seed\(s\) were never read by any worker"):
        publish(tmp_path)
