"""Scale-out on Redis: 1, 2 and 4 `provdir worker` processes over a generated sample web of
hundreds of sites on loopback; throughput and duplicate fetches per configuration.

The web: copies of the bundled sample sites, each with its own name and phone numbers
(``<org> <n>``, last four digits shifted), each site on its own 127.1.x.y address, served by
this process (threads), which counts every request server-side. Politeness is off by default
(no per-host delay, no AutoThrottle), as in the tests: the figures are the crawler's own speed,
not the delay's. Needs a Redis server (default redis://127.0.0.1:6379/0); its keys are under
a prefix of the benchmark's own and deleted afterwards.

    python benchmarks/redis_scaling.py [--sites 240] [--workers 1,2,4] [--redis URL] [--single] [--polite]

- pages/s: page fetches (robots.txt excluded) / the time from the first request the web
  received to the last one (worker start-up and the idle wait before exit are not counted);
- wall: from starting the workers to the last one exiting (start-up ~2 s and the 1 s idle
  timeout included);
- duplicates: page fetches beyond the first of the same (site, path), across all workers;
- closest requests to one host: the smallest time between two requests (robots.txt included)
  one site received, whichever workers sent them;
- ``--polite`` keeps the project's per-host delay (workers then take a Redis lease per request);
- CPU seconds of the workers, of this process (the web server) and of the Redis server: on a
  machine with few cores the web server shares them with the workers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
_PHONE = re.compile(r"(\(?\d{3}\)?[ .-]?\d{3}[ .-])(\d{4})\b")


def generate(dest: Path, n: int) -> dict[str, Path]:
    """``n`` sites copied from the bundled ones, each renamed and with its own phone numbers."""
    from provdir.sampleweb import load_facts
    from provdir.sampleweb.server import bundled_sites_dir

    bundled = bundled_sites_dir()
    facts = load_facts()
    slugs = sorted(facts)
    roots = {}
    for i in range(n):
        slug = slugs[i % len(slugs)]
        name = f"{slug}-{i:03d}"
        root = dest / name
        shutil.copytree(bundled / slug, root)
        org = facts[slug]["org_name"]
        for path in root.rglob("*"):
            if path.suffix in (".html", ".htm", ".php"):
                text = path.read_text(encoding="utf-8")
                text = text.replace(org, f"{org} {i}")
                text = _PHONE.sub(lambda m, i=i: f"{m.group(1)}{(int(m.group(2)) + i) % 10000:04d}", text)
                path.write_text(text, encoding="utf-8")
        roots[name] = root
    return roots


class Web:
    """Serves the sites, each on 127.1.<i // 250>.<i % 250 + 1>, recording every request."""

    def __init__(self, roots: dict[str, Path]) -> None:
        self.roots = roots
        self.lock = threading.Lock()
        self.requests: list[tuple[float, str, str]] = []
        self.servers: list[ThreadingHTTPServer] = []
        self.urls: dict[str, str] = {}

    def _behaviour(self, name: str):
        def record(handler) -> bool:
            with self.lock:
                self.requests.append((time.monotonic(), name, handler.path))
            return False

        return record

    @contextmanager
    def serving(self):
        from provdir.sampleweb.server import make_handler

        try:
            for i, (name, root) in enumerate(sorted(self.roots.items())):
                host = f"127.1.{i // 250}.{i % 250 + 1}"
                server = ThreadingHTTPServer((host, 0), make_handler(root, self._behaviour(name)))
                server.daemon_threads = True
                self.servers.append(server)
                threading.Thread(target=server.serve_forever, daemon=True).start()
                self.urls[name] = f"http://{host}:{server.server_address[1]}/"
            yield self
        finally:
            for server in self.servers:
                server.shutdown()
                server.server_close()

    def take(self) -> list[tuple[float, str, str]]:
        with self.lock:
            rows, self.requests = self.requests, []
        return rows


def measure(label: str, rows: list[tuple[float, str, str]], wall: float, sites: int) -> dict:
    pages = [(site, path) for _, site, path in rows if path != "/robots.txt"]
    counts = Counter(pages)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    span = (max(t for t, _, _ in rows) - min(t for t, _, _ in rows)) if rows else 0.0
    by_site: dict[str, list[float]] = {}
    for t, site, _ in rows:
        by_site.setdefault(site, []).append(t)
    gaps = [b - a for times in by_site.values() for a, b in itertools.pairwise(sorted(times))]
    result = {
        "config": label,
        "page_fetches": len(pages),
        "distinct_pages": len(counts),
        "sites_fetched": len({s for s, _ in counts}),
        "sites": sites,
        "robots_fetches": len(rows) - len(pages),
        "duplicates": duplicates,
        "crawl_seconds": round(span, 2),
        "wall_seconds": round(wall, 2),
        "pages_per_s": round(len(pages) / span, 1) if span else 0.0,
        "min_same_host_gap_s": round(min(gaps), 3) if gaps else None,
    }
    print(
        f"{label:<12} {result['page_fetches']:>5} page fetches ({result['distinct_pages']} distinct, "
        f"{result['sites_fetched']}/{sites} sites)  {result['crawl_seconds']:6.1f} s crawl  "
        f"{result['pages_per_s']:6.1f} pages/s  {result['wall_seconds']:6.1f} s wall  "
        f"duplicates {duplicates}  robots.txt fetches {result['robots_fetches']}  "
        f"closest requests to one host {result['min_same_host_gap_s']} s",
        flush=True,
    )
    return result


def _cpu(redis_url: str) -> dict[str, float]:
    """CPU seconds (user + system) so far: finished child processes (the workers), this process
    (the web server threads) and the Redis server."""
    import redis

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    info = redis.Redis.from_url(redis_url).info("cpu")
    return {
        "workers": children.ru_utime + children.ru_stime,
        "web": own.ru_utime + own.ru_stime,
        "redis": float(info.get("used_cpu_user", 0)) + float(info.get("used_cpu_sys", 0)),
    }


def run_single(web: Web, seeds: Path, tmp: Path) -> dict:
    web.take()
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "provdir.cli",
            "crawl",
            str(seeds),
            "--out",
            str(tmp / "single"),
            "--allow-private-networks",
            *FAST,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        raise SystemExit(f"single-process crawl failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return measure("1 process", web.take(), wall, len(web.urls))


def run_workers(web: Web, seeds: Path, tmp: Path, n: int, redis_url: str) -> dict:
    prefix = f"provdir-bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PROVDIR_REDIS_PREFIX": prefix}
    try:
        enq = subprocess.run(
            [
                sys.executable,
                "-m",
                "provdir.cli",
                "enqueue",
                str(seeds),
                "--redis",
                redis_url,
                "--allow-private-networks",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=env,
        )
        if enq.returncode != 0:
            raise SystemExit(f"enqueue failed:\n{enq.stderr}")
        crawl_id = enq.stdout.strip()
        web.take()
        out = tmp / f"workers-{n}"
        cpu = _cpu(redis_url)
        start = time.perf_counter()
        cmd = [
            sys.executable,
            "-m",
            "provdir.cli",
            "worker",
            "--redis",
            redis_url,
            "--crawl-id",
            crawl_id,
            "--out",
            str(out),
            "--allow-private-networks",
            "--idle-timeout",
            "1",
            *FAST,
            "--log-level",
            "ERROR",
        ]
        procs = [
            subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(n)
        ]
        for proc in procs:
            _, err = proc.communicate(timeout=1800)
            if proc.returncode != 0:
                raise SystemExit(f"a worker failed ({proc.returncode}):\n{err[-2000:]}")
        wall = time.perf_counter() - start
        used = {k: round(v - cpu[k], 1) for k, v in _cpu(redis_url).items()}
        result = measure(f"{n} worker{'s' if n > 1 else ''}", web.take(), wall, len(web.urls))
        result["cpu_seconds"] = used
        shares = []
        for run in sorted((out / "runs").iterdir()):
            manifest = json.loads((run / "manifest.json").read_text())
            shares.append(manifest["counts"]["pages_fetched"])
        result["pages_fetched_per_worker"] = shares
        print(
            f"{'':<12} responses per worker (Scrapy's count, robots.txt included): {shares}; CPU seconds: "
            f"workers {used['workers']}, web server {used['web']}, Redis {used['redis']}",
            flush=True,
        )
        return result
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=240)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--single", action="store_true", help="also time a single-process `provdir crawl`")
    parser.add_argument(
        "--polite",
        action="store_true",
        help="keep the project's politeness (DOWNLOAD_DELAY 0.25 s, AutoThrottle): per-host leases in Redis",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    if args.polite:
        FAST.clear()
    with tempfile.TemporaryDirectory(prefix="provdir-redis-bench-") as tmpdir:
        tmp = Path(tmpdir)
        roots = generate(tmp / "sites", args.sites)
        pages = sum(1 for r in roots.values() for p in r.rglob("*") if p.suffix in (".html", ".php"))
        print(f"{len(roots)} sites, {pages} HTML files, on 127.1.x.y; {os.cpu_count()} CPU(s)", flush=True)
        with Web(roots).serving() as web:
            seeds = tmp / "seeds.txt"
            seeds.write_text("".join(f"{u}\n" for u in web.urls.values()))
            results = []
            if args.single:
                results.append(run_single(web, seeds, tmp))
            for n in (int(x) for x in args.workers.split(",")):
                results.append(run_workers(web, seeds, tmp, n, args.redis))
        base = next((r for r in results if r["config"] == "1 worker"), None)
        if base:
            for r in results:
                if r["config"].endswith(("workers", "worker")):
                    print(f"{r['config']:<12} speed-up over 1 worker: {r['pages_per_s'] / base['pages_per_s']:.2f}x")
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
