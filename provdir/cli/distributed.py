"""``provdir enqueue`` and ``worker``: a distributed crawl on Redis."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from provdir.cli.common import EXIT_BAD_INPUT, EXIT_NOT_PUBLISHED, EXIT_OK, checked_seeds, parse_setting, positive_int
from provdir.runs.store import Run, new_run_id, runs_dir


def register(sub: Any) -> None:
    """Add this group's subcommands to the ``provdir`` parser."""
    enqueue = sub.add_parser("enqueue", help="load SEEDS into Redis as a new distributed crawl; prints its crawl id")
    enqueue.add_argument("seeds", help="seeds file, as for crawl")
    enqueue.add_argument("--redis", required=True, metavar="URL", help="Redis URL, e.g. redis://127.0.0.1:6379/0")
    enqueue.add_argument("--crawl-id", default=None, help="id for the crawl (default: generated from the time)")
    enqueue.add_argument(
        "--allow-private-networks", action="store_true", help="accept loopback/private seeds (the workers need it too)"
    )
    enqueue.add_argument(
        "--max-pages-per-site",
        type=positive_int,
        default=None,
        help="page cap per site, for the whole crawl (default: the workers' setting, 40)",
    )
    enqueue.set_defaults(func=cmd_enqueue)

    worker = sub.add_parser("worker", help="join a distributed crawl on Redis until no work is left in it")
    worker.add_argument("--redis", required=True, metavar="URL", help="Redis URL, e.g. redis://127.0.0.1:6379/0")
    worker.add_argument("--crawl-id", default=None, help="crawl to join (default: the last one enqueued)")
    worker.add_argument("--out", default="output", help="output directory for this worker's run (default: output/)")
    worker.add_argument(
        "--allow-private-networks",
        action="store_true",
        help="allow loopback/private addresses (the tests serve sites on 127.0.0.x)",
    )
    worker.add_argument(
        "--idle-timeout",
        type=float,
        default=None,
        help="exit after this many seconds with no work left in the crawl (default 10)",
    )
    worker.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    worker.add_argument(
        "--setting",
        "-s",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable)",
    )
    worker.set_defaults(func=cmd_worker)


def cmd_enqueue(args: argparse.Namespace) -> int:
    from provdir import distributed

    seeds = checked_seeds(args.seeds, args.allow_private_networks, "nothing was enqueued")
    if seeds is None:
        return EXIT_BAD_INPUT
    if args.crawl_id is not None and not distributed.valid_crawl_id(args.crawl_id):
        print(f"provdir: bad --crawl-id {args.crawl_id!r} (1-64 letters, digits, _ . -)", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        client = distributed.connect(args.redis)
        crawl_id = distributed.enqueue(
            client,
            seeds,
            crawl_id=args.crawl_id,
            seeds_file=str(Path(args.seeds).resolve()),
            max_pages=args.max_pages_per_site,
        )
    except distributed.DistributedError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        f"provdir: enqueued {len(seeds)} site(s) from {args.seeds} as crawl {crawl_id} on "
        f"{distributed.redacted(args.redis)}; start workers with: provdir worker --redis URL --crawl-id {crawl_id}",
        file=sys.stderr,
    )
    print(crawl_id)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Exit codes: 0 the worker finished cleanly (its run is ok), 1 it did not, 2 bad input."""
    from provdir import distributed

    try:
        overrides: dict[str, Any] = dict(parse_setting(s) for s in args.setting)
    except ValueError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.idle_timeout is not None:
        if not args.idle_timeout >= 0:
            print("provdir: --idle-timeout must be 0 or more seconds", file=sys.stderr)
            return EXIT_BAD_INPUT
        overrides["PROVDIR_WORKER_IDLE_TIMEOUT"] = args.idle_timeout
    try:
        client = distributed.connect(args.redis)
        crawl_id = distributed.resolve_crawl_id(client, args.crawl_id)
    except distributed.DistributedError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out)
    run_id = new_run_id("site")
    print(
        f"provdir: worker joining crawl {crawl_id} on {distributed.redacted(args.redis)} (run {run_id})",
        file=sys.stderr,
    )
    distributed.run_worker(
        redis_url=args.redis,
        crawl_id=crawl_id,
        out=out,
        allow_private=args.allow_private_networks,
        log_level=args.log_level,
        run_id=run_id,
        overrides=overrides,
    )
    manifest = Run(run_id, runs_dir(out) / run_id).manifest()
    if not manifest:
        print(f"provdir: worker run {run_id} left no manifest", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    sites = manifest.get("sites", {})
    read = sum(1 for info in sites.values() if info.get("status") == "ok")
    print(
        f"Worker run {run_id} (crawl {crawl_id}): {manifest.get('status')} ({manifest.get('finish_reason')}); "
        f"{manifest['counts']['pages_fetched']} pages fetched, pages read on {read} site(s)"
    )
    if manifest.get("status") != "ok":
        return EXIT_NOT_PUBLISHED
    print(f"When every worker has finished: provdir build --out {out} (with every worker's runs under {out / 'runs'})")
    return EXIT_OK
