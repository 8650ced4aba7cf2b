"""A broad crawl on one machine: N generated sites with real-world latency, the real `provdir crawl`.

    python benchmarks/broad_crawl.py [--sites 200] [--latency 0.3] [--jitter 0.2] [--processes 1]

The web (benchmarks/_broadweb.py) is served from its own process, one loopback address per
site, HTTP/1.1 keep-alive, ``latency ± jitter`` seconds per response; 12-29 pages of ~15 KB per
site with the facts in the footer and on the contact page, robots.txt, sitemaps, a broken link
and trap links. The crawl runs with the project's default (polite) settings and does not
publish; ``provdir build`` then runs in its own process, so each has its own peak RSS.

Printed, all measured in this run:
- pages/s of the crawl (HTML pages answered 200 / the crawl's elapsed time), CPU per page of the
  crawler process(es), and the *extraction-only ceiling*: ``extract_page`` alone on a sample of
  the same pages, in a process of its own before the crawl and after it (the faster is kept),
  as pages/s on one core; the ratio of the two; and the crawl's own extraction CPU per page
  (``extract/cpu_seconds`` in its stats, timed in the same process at the same time as the crawl,
  so immune to the machine's drift), and the crawl's pages/s against that rate;
- requests per TCP connection (sites with >= 10 pages), mean requests in flight, the most in
  flight at once on one host, the spacing between a host's requests (min / 5th percentile /
  median), robots.txt fetches per host, trap and robots-disallowed fetches (should be 0);
- peak RSS of the crawl and of the build; facility recall (sites whose address and phone are in
  the published facilities).

The machine may be shared: a figure measured under load is a lower bound for throughput.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._broadweb import WebServer, make_site, render  # noqa: E402


def run_cli(args: list[str], cwd: Path, timeout: float, ok: tuple[int, ...]) -> tuple[int, float, float, float]:
    """Run ``provdir ARGS``; (exit code, wall s, CPU s of it and its children, peak RSS MiB)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "provdir.cli", *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, text=True
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"provdir {args[0]} took longer than {timeout:.0f} s; stopped")
            time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        if proc.returncode not in ok:
            err.seek(0)
            sys.stderr.write(err.read()[-3000:])
    # Linux counts the process's waited-for children in both figures (--processes N).
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def extraction_ceiling(n_sites: int, urls: list[str], sample: int) -> tuple[float, int]:
    """CPU seconds per page of extract_page alone on ``sample`` pages of the generated web: every
    page of sites spread evenly over the crawl (sites differ: the first 20 ran 15% cheaper than a
    spread of 300)."""
    from provdir.extract import extract_page

    pages = []
    stride = max(1, n_sites // max(1, sample // 20))  # ~20 pages a site
    for i in range(0, n_sites, stride):
        site = make_site(i)
        for path in site.paths:
            pages.append((urls[i].rstrip("/") + path, render(site, path, urls[i]).decode(), urls[i], site.name))
            if len(pages) >= sample:
                break
        if len(pages) >= sample:
            break
    extract_page(pages[0][1], pages[0][0], site="warm", seed_url=pages[0][2], seed_name="")  # imports, vocabularies
    start = time.process_time()
    for html, url, root in ((p[1], p[0], p[2]) for p in pages):
        extract_page(html, url, site=root, seed_url=root, seed_name="")
    return (time.process_time() - start) / len(pages), len(pages)


def ceiling_in_own_process(n_sites: int, urls: list[str], sample: int) -> tuple[float, int]:
    """:func:`extraction_ceiling` in a fresh process: this one stays small, so the crawl it
    starts does not inherit its memory in the peak RSS figures (Linux counts it across exec)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(extraction_ceiling, n_sites, urls, sample).result()


def recall(out: Path, n_sites: int) -> tuple[float, int]:
    import pyarrow.parquet as pq

    path = out / "latest" / "facilities.parquet"
    if not path.exists():
        return 0.0, 0
    rows = pq.read_table(path, columns=["postal_code", "phone", "phones", "street"]).to_pylist()
    have = {(r["postal_code"], p) for r in rows for p in (r["phones"] or [r["phone"]]) if p}
    found = sum(1 for i in range(n_sites) if (make_site(i).postal_code, make_site(i).e164) in have)
    return found / n_sites, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per response (default 0.3)")
    parser.add_argument("--jitter", type=float, default=0.2, help="± seconds, uniform (default 0.2)")
    parser.add_argument("--processes", type=int, default=1, help="provdir crawl --processes N (default 1)")
    parser.add_argument("--sample", type=int, default=1000, help="pages timed for the extraction ceiling")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before the crawl is stopped")
    parser.add_argument("--setting", "-s", action="append", default=[], help="extra crawl setting NAME=VALUE")
    parser.add_argument("--keep", type=Path, default=None, help="keep the output folder here")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    out = args.keep or Path(tmp.name) / "out"
    with WebServer(args.sites, latency=args.latency, jitter=args.jitter) as web:
        # The ceiling is timed before the crawl (the web idle) and again after it; the faster of
        # the two is used (this machine's speed has drifted up to 40% within minutes: the stricter figure).
        before, sampled = ceiling_in_own_process(args.sites, web.urls, args.sample)
        seeds = Path(tmp.name) / "seeds.txt"
        seeds.write_text("".join(f"{u}\n" for u in web.urls))
        crawl_args = [
            "crawl",
            str(seeds),
            "--out",
            str(out),
            "--allow-private-networks",
            "-s",
            "PROVDIR_PUBLISH=False",
            *(["--processes", str(args.processes)] if args.processes > 1 else []),
            *[x for s in args.setting for x in ("-s", s)],
        ]
        code, wall, cpu, crawl_rss = run_cli(crawl_args, ROOT, args.timeout, ok=(1,))  # 1: not published
        server = web.collect()
    if code != 1:
        raise SystemExit(f"crawl failed with exit code {code}")
    stats = [json.loads((d / "stats.json").read_text()) for d in sorted((out / "runs").iterdir())]
    pages = sum(s.get("observations/written", 0) + s.get("observations/duplicate_page", 0) for s in stats)
    responses = sum(s.get("response_received_count", 0) for s in stats)
    elapsed = max(s.get("elapsed_time_seconds", wall) for s in stats)
    crawl_rss = max([crawl_rss] + [s.get("memusage/max", 0) / 2**20 for s in stats])

    after, _ = ceiling_in_own_process(args.sites, web.urls, args.sample)  # at once: the least drift
    bcode, bwall, _, build_rss = run_cli(["build", "--out", str(out)], ROOT, args.timeout, ok=(0, 3))
    rec, facilities = recall(out, args.sites)
    per_page = min(before, after)
    ceiling = 1 / per_page
    rate = pages / elapsed
    load = os.getloadavg()[0]

    print(
        f"web: {args.sites} sites, {args.latency:g} ± {args.jitter:g} s per response; crawl --processes {args.processes}"
    )
    print(
        f"crawl: {pages} pages ({responses} responses) in {elapsed:.1f} s = {rate:.1f} pages/s; "
        f"CPU {cpu:.1f} s = {1000 * cpu / max(pages, 1):.1f} ms per page"
    )
    print(
        f"extraction alone: {1000 * per_page:.1f} ms per page ({sampled} pages; {1000 * before:.1f} before the crawl, "
        f"{1000 * after:.1f} after) = {ceiling:.1f} pages/s on one core; crawl / ceiling = {rate / ceiling:.2f}"
    )
    extract_cpu = sum(s.get("extract/cpu_seconds", 0.0) for s in stats)
    extracted = sum(s.get("extract/pages", 0) for s in stats)
    if extracted:
        inside = extract_cpu / extracted
        print(
            f"extraction inside the crawl: {1000 * inside:.1f} ms per page ({extracted} pages) = "
            f"{inside / per_page:.2f} x the ceiling's; crawl / its own extraction rate = "
            f"{rate * inside / args.processes:.2f} per process (the share of its time spent extracting)"
        )
    print(
        f"connections: {server['connections']} for {server['requests']} requests; "
        f"{server['requests_per_connection_sites_ge10']:.1f} requests per connection (sites >= 10 pages)"
    )
    print(
        f"in flight: mean {server['in_flight_mean']:.1f}; at most {server['max_in_flight_per_host']} at once on one host"
    )
    print(
        f"per-host spacing: min {server['gap_min'] or 0:.3f} s, p05 {server['gap_p05'] or 0:.3f} s, "
        f"median {server['gap_median'] or 0:.3f} s"
    )
    print(
        f"robots.txt fetches per host: mean {server['robots_fetches_mean']:.2f}, max {server['robots_fetches_max']}; "
        f"trap requests {server['trap_requests']}, robots-disallowed requests {server['disallowed_requests']}, "
        f"404s {server['not_found']}"
    )
    print(f"peak RSS: crawl {crawl_rss:.0f} MiB, build {build_rss:.0f} MiB (build {bwall:.1f} s wall, exit {bcode})")
    print(f"facility recall: {rec:.3f} ({facilities} facilities published for {args.sites} sites)")
    print(f"load average at the end: {load:.1f} on {os.cpu_count()} cores (a loaded machine gives a lower bound)")
    tmp.cleanup() if args.keep is None else None


if __name__ == "__main__":
    main()
