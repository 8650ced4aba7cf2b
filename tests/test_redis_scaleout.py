"""Scale-out on Redis: ``provdir enqueue`` + several ``provdir worker`` processes + ``provdir build``,
against a real Redis server (127.0.0.1:6379, or ``$PROVDIR_TEST_REDIS_URL``) and the bundled
sample web on loopback. The web server records every request (site, path, time, User-Agent;
each worker sends its own User-Agent), so duplicates and politeness are judged server-side.

Every test uses its own Redis key prefix (``PROVDIR_REDIS_PREFIX``) and deletes only its own keys.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import redis
import scrapy

from provdir import distributed
from provdir.runs.store import CrawlRuns, latest_good_runs, run_members
from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots
from provdir.sources.seeds import Seed, site_key
from tests.helpers import FAST, WarmProcess, cli_in_process, crawl, start_cli, write_seeds

pytestmark = pytest.mark.e2e
REDIS_URL = os.environ.get("PROVDIR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def redis_client() -> redis.Redis:
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
        client.ping()
    except (redis.RedisError, ValueError) as exc:
        pytest.skip(f"no Redis server answers PING at {REDIS_URL} ({exc}); the scale-out tests need a real one")
    return client


def _fresh_prefix() -> str:
    return f"provdir-test-{uuid.uuid4().hex[:10]}"


def _delete_prefix(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
    if keys:
        client.delete(*keys)


@pytest.fixture
def prefix(redis_client, monkeypatch) -> str:
    """A key prefix of this test's own (also set for the CLI subprocesses); its keys are deleted after."""
    p = _fresh_prefix()
    monkeypatch.setenv(distributed.PREFIX_ENV, p)
    yield p
    _delete_prefix(redis_client, p)


@dataclass
class Hits:
    """Requests a loopback web received: (monotonic time, site, path, User-Agent)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    rows: list[tuple[float, str, str, str]] = field(default_factory=list)

    def behaviour(self, site: str, pause: float):
        def record(handler) -> bool:
            with self.lock:
                self.rows.append((time.monotonic(), site, handler.path, handler.headers.get("User-Agent", "")))
            if pause:
                time.sleep(pause)  # a slow server: the crawl lasts long enough for every worker to join
            return False  # then serve the page as usual

        return record

    def take(self) -> list[tuple[float, str, str, str]]:
        with self.lock:
            rows, self.rows = self.rows, []
        return rows


def pages(rows) -> list[tuple[str, str]]:
    """(site, path) of every request but robots.txt (each worker's Scrapy fetches it once per host)
    and the scripts and styles a browser rendering loads (each worker that renders a page of a
    client-rendered site fetches its bundle once: provdir/crawl/render.py)."""
    return [
        (site, path)
        for _, site, path, _ in rows
        if path != "/robots.txt" and not path.split("?")[0].endswith((".js", ".css"))
    ]


@pytest.fixture(scope="module")
def counting_web():
    hits = Hits()
    roots = site_roots(bundled_sites_dir())
    behaviours = {name: hits.behaviour(name, pause=0.05) for name in roots}
    with serve_sites(roots, port=0, first_host=200, behaviours=behaviours) as urls:
        yield urls, hits


def start_worker(crawl_id: str, out: Path, name: str, *extra: str, idle: float = 1.5) -> WarmProcess | subprocess.Popen:
    return start_cli(
        "worker",
        "--redis",
        REDIS_URL,
        "--crawl-id",
        crawl_id,
        "--out",
        str(out),
        "--allow-private-networks",
        "--idle-timeout",
        str(idle),
        "-s",
        f"USER_AGENT={name}",
        *extra,
    )


def finish(procs: list[WarmProcess | subprocess.Popen], timeout: float = 240) -> list[tuple[int, str, str]]:
    results = []
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"worker did not exit in time:\n{err[-3000:]}")
        results.append((proc.returncode, out, err))
    return results


def manifests(out: Path) -> list[dict]:
    return [json.loads((d / "manifest.json").read_text()) for d in sorted((out / "runs").iterdir())]


def facts(latest: Path) -> set[tuple]:
    """What the comparison holds fixed: ids, names, addresses, phones, services."""
    df = pd.read_parquet(latest / "facilities.parquet")
    return {
        (
            r.facility_id,
            r.name,
            r.organization,
            r.street,
            r.city,
            r.state,
            r.postal_code,
            r.phone,
            tuple(sorted(r.phones)),
            tuple(sorted(r.services)),
            r.website,
        )
        for r in df.itertuples()
    }


# -- a crawl shared by three workers ---------------------------------------------------------
@dataclass
class Distributed:
    crawl_id: str
    out: Path
    workers: list[tuple[int, str, str]]
    rows: list[tuple[float, str, str, str]]
    build: subprocess.CompletedProcess
    single: Path
    single_rows: list[tuple[float, str, str, str]]


@pytest.fixture(scope="module")
def three_workers(counting_web, redis_client, tmp_path_factory) -> Distributed:
    urls, hits = counting_web
    base = tmp_path_factory.mktemp("redis-scaleout")
    seeds = write_seeds(base / "seeds.txt", list(urls.values()))
    # The single-process crawl of the same sites (same addresses and ports: same facility ids).
    hits.take()
    single = crawl(seeds, base / "single")
    assert single.returncode == 0, single.stderr[-3000:]
    single_rows = hits.take()

    prefix = _fresh_prefix()
    env_before = os.environ.get(distributed.PREFIX_ENV)
    os.environ[distributed.PREFIX_ENV] = prefix
    try:
        enq = cli_in_process("enqueue", str(seeds), "--redis", REDIS_URL, "--allow-private-networks")
        assert enq.returncode == 0, enq.stderr
        crawl_id = enq.stdout.strip()
        out = base / "distributed"
        # At most 4 requests in flight per worker: the first worker up cannot take the whole
        # (small) frontier before the others have started.
        procs = [start_worker(crawl_id, out, f"worker-{i}", *FAST, "-s", "CONCURRENT_REQUESTS=4") for i in range(3)]
        workers = finish(procs)
        rows = hits.take()
        build = cli_in_process("build", "--out", str(out))
    finally:
        _delete_prefix(redis_client, prefix)
        if env_before is None:
            os.environ.pop(distributed.PREFIX_ENV, None)
        else:
            os.environ[distributed.PREFIX_ENV] = env_before
    return Distributed(crawl_id, out, workers, rows, build, single.latest, single_rows)


def test_every_worker_finishes_and_records_the_crawl(three_workers):
    for code, stdout, stderr in three_workers.workers:
        assert code == 0, stderr[-3000:]
        assert f"(crawl {three_workers.crawl_id}): ok (finished)" in stdout
    runs = manifests(three_workers.out)
    assert len(runs) == 3
    assert {m["crawl_id"] for m in runs} == {three_workers.crawl_id}
    assert all(m["status"] == "ok" and "published" not in m for m in runs)  # workers never publish


def test_the_work_is_shared(three_workers):
    by_worker = Counter(agent for _, _, path, agent in three_workers.rows if path != "/robots.txt")
    assert len(by_worker) >= 2, f"one worker fetched everything: {by_worker}"
    read = [m["counts"]["pages_fetched"] for m in manifests(three_workers.out)]
    assert sum(1 for n in read if n) >= 2


def test_no_page_is_fetched_twice_across_workers(three_workers):
    twice = {page: n for page, n in Counter(pages(three_workers.rows)).items() if n > 1}
    assert not twice, f"fetched more than once: {twice}"


def test_the_same_pages_as_a_single_process_crawl(three_workers):
    assert set(pages(three_workers.rows)) == set(pages(three_workers.single_rows))


def test_every_site_is_present(three_workers, counting_web):
    urls, _ = counting_web
    assert three_workers.build.returncode == 0, three_workers.build.stderr[-3000:]
    published = pd.read_parquet(three_workers.out / "latest" / "facilities.parquet")
    assert set(published["website"]) == set(urls.values())
    (crawl_runs,) = latest_good_runs(three_workers.out).values()
    assert isinstance(crawl_runs, CrawlRuns) and len(run_members(crawl_runs)) == 3
    sites = crawl_runs.manifest()["sites"]
    assert set(sites) == {site_key(u) for u in urls.values()}
    assert all(s["status"] == "ok" for s in sites.values())


def test_published_directory_equals_the_single_process_one(three_workers):
    assert three_workers.build.returncode == 0, three_workers.build.stderr[-3000:]
    assert facts(three_workers.out / "latest") == facts(three_workers.single)


# -- politeness across workers -----------------------------------------------------------------
def test_two_workers_never_hit_a_host_closer_than_the_delay(redis_client, prefix, tmp_path):
    delay = 0.4
    roots = {name: bundled_sites_dir() / name for name in ("redbud-hollow", "agarita-recovery")}
    hits = Hits()
    with serve_sites(roots, port=0, first_host=210, behaviours={n: hits.behaviour(n, 0.0) for n in roots}) as urls:
        seeds = write_seeds(tmp_path / "seeds.txt", list(urls.values()))
        enq = cli_in_process(
            "enqueue", str(seeds), "--redis", REDIS_URL, "--allow-private-networks", "--crawl-id", "polite"
        )
        assert enq.returncode == 0, enq.stderr
        # Two requests at a time per worker: a worker cannot take every request of the two
        # hosts into its own queue, so both workers fetch from both hosts.
        polite = ["-s", f"DOWNLOAD_DELAY={delay}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=2"]
        procs = [start_worker("polite", tmp_path / "out", f"worker-{i}", *polite) for i in range(2)]
        results = finish(procs)
    for code, _, stderr in results:
        assert code == 0, stderr[-3000:]
    rows = hits.take()
    by_site: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for t, site, _, agent in rows:
        by_site[site].append((t, agent))
    shared = [site for site, hs in by_site.items() if len({a for _, a in hs}) == 2]
    assert shared, "no host was fetched by both workers: the test would prove nothing"
    # A host's next request starts at least the delay after the previous response arrived: the
    # server's arrival times are at least the delay apart (5 ms for Redis's expiry clock).
    tolerance = 0.005
    for site, hs in by_site.items():
        times = sorted(t for t, _ in hs)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert len(times) >= 5
        assert min(gaps) >= delay - tolerance, f"{site}: requests {min(gaps):.3f} s apart (delay {delay} s)"
    stats = [json.loads(p.read_text()) for p in (tmp_path / "out" / "runs").glob("*/stats.json")]
    assert sum(s.get("distributed/host_lease/waits", 0) for s in stats) > 0  # the workers did contend


# -- a seed that moved: its new host is in scope on every worker -------------------------------
def test_a_seed_redirect_moves_the_site_for_every_worker(redis_client, prefix, tmp_path):
    hits = Hits()
    new_root = {"moved": bundled_sites_dir() / "harris-house"}
    with serve_sites(new_root, port=0, first_host=220, behaviours={"moved": hits.behaviour("moved", 0.15)}) as new:
        target = new["moved"].rstrip("/")

        def redirect(handler) -> bool:
            handler.send_response(301)
            handler.send_header("Location", target + handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return True

        with serve_sites(new_root, port=0, first_host=221, behaviours={"moved": redirect}) as old:
            seeds = write_seeds(tmp_path / "seeds.txt", [old["moved"]])
            enq = cli_in_process(
                "enqueue", str(seeds), "--redis", REDIS_URL, "--allow-private-networks", "--crawl-id", "moved"
            )
            assert enq.returncode == 0, enq.stderr
            spread = [*FAST, "-s", "CONCURRENT_REQUESTS=2"]
            results = finish([start_worker("moved", tmp_path / "out", f"worker-{i}", *spread) for i in range(2)])
    for code, _, stderr in results:
        assert code == 0, stderr[-3000:]
    rows = hits.take()
    fetched = Counter(pages(rows))
    assert len(fetched) >= 15, sorted(fetched)  # the new host's pages were followed, not only the seed
    assert not {p: n for p, n in fetched.items() if n > 1}
    assert len({agent for _, _, path, agent in rows if path != "/robots.txt"}) == 2  # by both workers
    (crawl_runs,) = latest_good_runs(tmp_path / "out").values()
    (site,) = crawl_runs.manifest()["sites"].values()
    assert site["status"] == "ok" and site["pages_ok"] >= 15


# -- bad input and Redis state ----------------------------------------------------------------
def test_enqueue_refuses_bad_seeds_private_seeds_and_a_taken_id(redis_client, prefix, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("http://ok.example/\nnot a url\n")
    proc = cli_in_process("enqueue", str(bad), "--redis", REDIS_URL)
    assert proc.returncode == 2 and "bad.txt:2" in proc.stderr
    private = write_seeds(tmp_path / "private.txt", ["http://127.0.0.1:9/"])
    proc = cli_in_process("enqueue", str(private), "--redis", REDIS_URL)
    assert proc.returncode == 2 and "--allow-private-networks" in proc.stderr
    assert not list(redis_client.scan_iter(match=f"{prefix}:*"))  # nothing was stored
    first = cli_in_process(
        "enqueue", str(private), "--redis", REDIS_URL, "--allow-private-networks", "--crawl-id", "c1"
    )
    assert first.returncode == 0 and first.stdout.strip() == "c1"
    again = cli_in_process(
        "enqueue", str(private), "--redis", REDIS_URL, "--allow-private-networks", "--crawl-id", "c1"
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    assert cli_in_process("enqueue", str(private), "--redis", REDIS_URL, "--crawl-id", "../x").returncode == 2


def test_worker_needs_a_reachable_redis_and_a_known_crawl(redis_client, prefix, tmp_path):
    proc = cli_in_process("worker", "--redis", "redis://127.0.0.1:1/0", "--out", str(tmp_path))
    assert proc.returncode == 2 and "cannot be used" in proc.stderr
    proc = cli_in_process("worker", "--redis", REDIS_URL, "--crawl-id", "never-enqueued", "--out", str(tmp_path))
    assert proc.returncode == 2 and "not in this Redis" in proc.stderr
    proc = cli_in_process("worker", "--redis", REDIS_URL, "--out", str(tmp_path))  # no crawl enqueued under this prefix
    assert proc.returncode == 2 and "provdir enqueue" in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_the_page_cap_holds_however_many_claim_at_once(redis_client, prefix):
    keys = distributed.CrawlKeys("cap", prefix)
    frontiers = [distributed.SiteFrontier(redis_client, keys) for _ in range(4)]
    verdicts: list[int] = []
    lock = threading.Lock()

    def claim(frontier):
        for i in range(50):
            v = frontier.claim("site.example", f"https://site.example/p{i}", 20)
            with lock:
                verdicts.append(v)

    threads = [threading.Thread(target=claim, args=(f,)) for f in frontiers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = Counter(verdicts)
    assert counts[distributed.SiteFrontier.CLAIMED] == 20  # each URL at most once, 20 in all
    assert frontiers[0].scheduled("site.example") == 20


def test_requests_travel_through_redis_as_json(tmp_path):
    class S(scrapy.Spider):
        name = "s"

        def parse(self, response):
            pass

        def on_error(self, failure):
            pass

    spider = S()
    request = scrapy.Request(
        "http://127.0.0.1:9/a?b=1",
        callback=spider.parse,
        errback=spider.on_error,
        meta={"site": "127.0.0.1:9", "scope": ["a", "b"], "depth": 2, "redirect_times": 1},
        priority=7,
        headers={"X-Y": "z"},
        body=b"\x00\xff",
    )
    data = distributed.RequestJSON.dumps(request.to_dict(spider=spider))
    assert b"__bytes__" in data and not data.startswith(b"\x80")  # JSON, not pickle
    from scrapy.utils.request import request_from_dict

    back = request_from_dict(distributed.RequestJSON.loads(data), spider=spider)
    assert (back.url, back.meta, back.priority, back.body) == (request.url, request.meta, 7, b"\x00\xff")
    assert back.callback == spider.parse and back.errback == spider.on_error
    assert back.headers.get("X-Y") == b"z"


# -- which runs the build reads ----------------------------------------------------------------
def _run(out: Path, run_id: str, status: str, sites: dict, crawl_id: str | None = None) -> None:
    d = out / "runs" / run_id
    d.mkdir(parents=True)
    manifest = {
        "run_id": run_id,
        "source": "site",
        "status": status,
        "sites": sites,
        "seeds": [{"url": f"http://{s}/", "name": "", "line": 1} for s in ("a.example", "b.example")],
        "counts": {"pages_fetched": sum(i.get("pages_ok", 0) for i in sites.values())},
    }
    if crawl_id:
        manifest["crawl_id"] = crawl_id
    (d / "manifest.json").write_text(json.dumps(manifest))


def test_build_reads_every_good_run_of_the_newest_crawl(tmp_path, caplog):
    ok_a = {"a.example": {"seed": "http://a.example/", "pages_ok": 3, "status": "ok"}}
    ok_b = {"b.example": {"seed": "http://b.example/", "pages_ok": 2, "status": "ok"}}
    failed_b = {"b.example": {"seed": "http://b.example/", "pages_ok": 0, "pages_failed": 4, "status": "failed"}}
    _run(tmp_path, "20260101T000000000000Z-site-0001", "ok", {**ok_a, **ok_b})  # a single-process run
    _run(tmp_path, "20260102T000000000000Z-site-0002", "ok", ok_a, "c1")
    _run(tmp_path, "20260102T000000000001Z-site-0003", "ok", failed_b, "c1")
    _run(tmp_path, "20260102T000000000002Z-site-0004", "ok", ok_b, "c1")
    _run(tmp_path, "20260102T000000000003Z-site-0005", "running", {}, "c1")  # killed, or not done
    latest = latest_good_runs(tmp_path)["site"]
    assert isinstance(latest, CrawlRuns) and latest.crawl_id == "c1"
    assert [r.run_id[-4:] for r in run_members(latest)] == ["0002", "0003", "0004"]
    merged = latest.manifest()
    assert merged["sites"]["b.example"]["status"] == "ok"  # one worker read a page of it
    assert merged["sites"]["b.example"]["pages_failed"] == 4
    assert "0005 (running)" in caplog.text

    # A crawl where no worker read any page is not good: the newest good one stays.
    _run(tmp_path, "20260103T000000000000Z-site-0006", "ok", failed_b, "c2")
    assert latest_good_runs(tmp_path)["site"].crawl_id == "c1"
    # A newer single-process run is used alone, as always.
    _run(tmp_path, "20260104T000000000000Z-site-0007", "ok", ok_a)
    latest = latest_good_runs(tmp_path)["site"]
    assert not isinstance(latest, CrawlRuns) and latest.run_id.endswith("0007")


def test_a_seed_no_worker_reported_is_a_failed_site(tmp_path):
    _run(
        tmp_path,
        "20260102T000000000000Z-site-0002",
        "ok",
        {"a.example": {"seed": "http://a.example/", "pages_ok": 1, "status": "ok"}},
        "c1",
    )
    merged = latest_good_runs(tmp_path)["site"].manifest()
    assert merged["sites"]["b.example"]["status"] == "failed"
    assert "no worker" in merged["sites"]["b.example"]["errors"][0]
    assert merged["counts"]["sites_failed"] == 1


def test_enqueue_stores_the_seeds_in_order(redis_client, prefix):
    seeds = [Seed("http://a.example/", "A", 1), Seed("http://b.example/", "", 2)]
    crawl_id = distributed.enqueue(redis_client, seeds, seeds_file="s.txt", max_pages=7, prefix=prefix)
    keys = distributed.CrawlKeys(crawl_id, prefix)
    stored, info = distributed.crawl_info(redis_client, keys)
    assert stored == seeds and info["max_pages"] == "7"
    assert distributed.resolve_crawl_id(redis_client, None, prefix) == crawl_id
    assert redis_client.lrange(keys.start, 0, -1) == [b"0", b"1"]
