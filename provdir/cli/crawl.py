"""``provdir crawl``, ``crawl-samhsa`` and ``demo``: run a spider in this process, then report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provdir.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_LOCKED,
    EXIT_NOT_PUBLISHED,
    EXIT_OK,
    EXIT_WARNINGS,
    checked_seeds,
    crawl_options,
    parse_setting,
    positive_int,
    print_summary,
    report_run,
)
from provdir.cli.publishing import publish_run
from provdir.crawl import netguard
from provdir.runs.lock import Locked, output_lock
from provdir.runs.store import Run, new_run_id, runs_dir
from provdir.sources.seeds import Seed


def register(sub: Any) -> None:
    """Add this group's subcommands to the ``provdir`` parser."""
    crawl = sub.add_parser("crawl", help="crawl the websites in SEEDS and publish the directory")
    crawl.add_argument("seeds", nargs="?", help="text file of URLs (one per line, # comments) or CSV with a url column")
    crawl.add_argument(
        "--from-directory",
        action="store_true",
        help="crawl the websites of the facilities the directory source (SAMHSA) published, "
        "one per registered domain, and verify the listings against them",
    )
    crawl.add_argument("--states", default="", help="with --from-directory: only listings in these states (VA,MO)")
    crawl.add_argument(
        "--processes",
        type=positive_int,
        default=1,
        metavar="N",
        help="crawler processes, the sites split between them (default 1; one per core)",
    )
    crawl_options(crawl)
    crawl.set_defaults(func=cmd_crawl)

    samhsa = sub.add_parser("crawl-samhsa", help="crawl SAMHSA's treatment locator for some states and publish")
    samhsa.add_argument(
        "--states", default="", help="comma-separated two-letter codes, e.g. VA,MO (default: every state and territory)"
    )
    samhsa.add_argument(
        "--api-url", default=None, help="listing API base URL (default: setting SAMHSA_API_URL, the real locator)"
    )
    samhsa.add_argument("--page-size", type=positive_int, default=None, help="rows per API page (default 100)")
    samhsa.add_argument("--out", default="output", help="output directory (default: output/)")
    samhsa.add_argument(
        "--allow-private-networks",
        action="store_true",
        help="allow a loopback/private --api-url (the tests serve the API on 127.0.0.x)",
    )
    samhsa.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    samhsa.add_argument(
        "--setting",
        "-s",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable)",
    )
    samhsa.set_defaults(func=cmd_crawl_samhsa)

    demo = sub.add_parser(
        "demo", help="serve the bundled sample web and sample directory on loopback, crawl both, publish"
    )
    demo.add_argument("--out", default="output", help="output directory (default: output/)")
    demo.add_argument("--port", type=int, default=8061, help="port for the sample sites (default 8061)")
    demo.add_argument("--log-level", default="WARNING")
    demo.set_defaults(func=cmd_demo)


def cmd_crawl(args: argparse.Namespace) -> int:
    if args.from_directory == bool(args.seeds):
        print("provdir: give a SEEDS file or --from-directory (one of the two)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.from_directory:
        from provdir.sources.directory_seeds import NoDirectory, directory_websites, write_seeds

        states = {s.strip().upper() for s in args.states.split(",") if s.strip()} or None
        try:
            websites = directory_websites(Path(args.out), states)
        except NoDirectory as exc:
            print(f"provdir: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if not websites:
            print(
                "provdir: the published directory lists no websites" + (f" in {args.states}" if states else ""),
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        Path(args.out).mkdir(parents=True, exist_ok=True)
        args.seeds = str(write_seeds(websites, Path(args.out) / "directory-seeds.csv"))
        print(f"provdir: {len(websites)} directory-listed website(s), one per domain -> {args.seeds}", file=sys.stderr)
    seeds = checked_seeds(args.seeds, args.allow_private_networks, "nothing was crawled and nothing was published")
    if seeds is None:
        return EXIT_BAD_INPUT
    try:
        overrides = dict(parse_setting(s) for s in args.setting)
    except ValueError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.processes > 1:
        return run_crawl_processes(
            seeds_file=args.seeds,
            seeds=seeds,
            out=Path(args.out),
            processes=args.processes,
            allow_private=args.allow_private_networks,
            max_pages=args.max_pages_per_site,
            log_level=args.log_level,
            overrides=overrides,
        )
    return run_crawl(
        seeds_file=args.seeds,
        seeds=seeds,
        out=Path(args.out),
        allow_private=args.allow_private_networks,
        max_pages=args.max_pages_per_site,
        log_level=args.log_level,
        overrides=overrides,
    )


def run_crawl_processes(
    *,
    seeds_file: str,
    seeds: list[Seed],
    out: Path,
    processes: int,
    allow_private: bool,
    max_pages: int | None,
    log_level: str,
    overrides: dict[str, Any],
) -> int:
    """``crawl --processes N``: N crawler processes over the seeds split by site, published once
    (provdir/crawl/processes.py). Returns an exit code, as :func:`run_crawl`."""
    from scrapy.utils.project import get_project_settings

    from provdir.crawl.processes import merged_manifest, run_processes

    if "JOBDIR" in overrides:
        print("provdir: JOBDIR (resumable crawl) works with one process; drop --processes or JOBDIR", file=sys.stderr)
        return EXIT_BAD_INPUT
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "provdir.crawl.settings")
    effective = get_project_settings()
    effective.setdict(overrides, priority="cmdline")
    settings = {
        "PROVDIR_OUTPUT_DIR": str(out),
        "HTTPCACHE_DIR": str((out / "httpcache").resolve()),
        "PROVDIR_ALLOW_PRIVATE_NETWORKS": allow_private,
        "LOG_LEVEL": log_level,
        **({"PROVDIR_MAX_PAGES_PER_SITE": max_pages} if max_pages else {}),
        **overrides,
    }
    sites = len({s.site for s in seeds})
    try:
        with output_lock(out):
            print(f"provdir: crawling {sites} site(s) from {seeds_file} with {processes} processes", file=sys.stderr)
            crawl_id, runs, codes = run_processes(
                seeds_file=seeds_file, out=out, processes=processes, settings=settings, log_level=log_level
            )
            manifest = merged_manifest(crawl_id, runs)
            site_reports = manifest.get("sites", {})
            failed = {k: v for k, v in site_reports.items() if v.get("status") != "ok"}
            good = bool(runs) and all(c == 0 for c in codes) and all(r.good for r in runs)
            print(
                f"\nCrawl {crawl_id} ({processes} processes, runs {', '.join(r.run_id for r in runs)}): "
                f"{'ok' if good else 'failed'}; {manifest['counts'].get('pages_fetched', 0)} pages fetched, "
                f"{len(site_reports) - len(failed)}/{len(site_reports)} sites answered"
            )
            for site, info in sorted(failed.items()):
                why = info["errors"][0] if info.get("errors") else "no page could be read"
                print(f"  FAILED {site}: {why}")
            if not good or len(failed) == len(site_reports) or not effective.getbool("PROVDIR_PUBLISH"):
                print(f"Nothing published; the last good directory (if any) is unchanged: {out / 'latest'}")
                return EXIT_NOT_PUBLISHED
            from provdir.build import NothingToPublish, PublishRefused, publish

            try:
                result = publish(out, force=effective.getbool("PROVDIR_FORCE_PUBLISH"))
            except (PublishRefused, NothingToPublish) as exc:
                print(f"Not published: {exc}")
                return EXIT_NOT_PUBLISHED
            print_summary(result.summary(), out)
            return EXIT_WARNINGS if failed else EXIT_OK
    except Locked as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_LOCKED


def run_crawl(
    *,
    seeds_file: str = "",
    seeds: list[Seed] | None = None,
    out: Path,
    allow_private: bool,
    max_pages: int | None = None,
    log_level: str,
    overrides: dict[str, Any] | None = None,
    spider: str = "provider_sites",
    spider_kwargs: dict[str, Any] | None = None,
    source: str = "site",
    what: str | None = None,
    run_id: str | None = None,
) -> int:
    """Run a spider (provider_sites on ``seeds_file`` by default) in this process, publish once
    the crawl has stopped (unless ``PROVDIR_PUBLISH`` is off), then print the run's summary.
    Returns an exit code."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "provdir.crawl.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    run_id = run_id or new_run_id(source)
    settings.setdict(
        {
            "PROVDIR_OUTPUT_DIR": str(out),
            "PROVDIR_RUN_ID": run_id,
            # Conditional re-crawls: the HTTP cache lives beside the runs it serves.
            "HTTPCACHE_DIR": str((out / "httpcache").resolve()),
            "PROVDIR_ALLOW_PRIVATE_NETWORKS": allow_private,
            "LOG_LEVEL": log_level,
            **({"PROVDIR_MAX_PAGES_PER_SITE": max_pages} if max_pages else {}),
            **(overrides or {}),
            # This command publishes after the crawl (below), never inside it.
            "PROVDIR_PUBLISH_ON_CLOSE": False,
        },
        priority="cmdline",
    )
    out.mkdir(parents=True, exist_ok=True)
    what = what or f"{len(seeds or [])} site(s) from {seeds_file}"
    try:
        with output_lock(out):
            print(f"provdir: crawling {what} (run {run_id})", file=sys.stderr)
            process = CrawlerProcess(settings)
            started = process.crawl(spider, **(spider_kwargs if spider_kwargs is not None else {"seeds": seeds_file}))
            # A bad setting or spider argument fails while the crawler is built, before any request.
            failures: list[str] = []
            started.addErrback(lambda failure: failures.append(f"{failure.type.__name__}: {failure.getErrorMessage()}"))
            process.start()
            run = Run(run_id, runs_dir(out) / run_id)
            if failures and not run.manifest():
                print(f"provdir: the crawl could not start: {failures[0]}", file=sys.stderr)
                print("provdir: nothing was crawled and nothing was published.", file=sys.stderr)
                return EXIT_BAD_INPUT
            if settings.getbool("PROVDIR_PUBLISH"):
                publish_run(run, out, force=settings.getbool("PROVDIR_FORCE_PUBLISH"))
            return report_run(run, out)
    except Locked as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_LOCKED


def cmd_crawl_samhsa(args: argparse.Namespace) -> int:
    from provdir.sources.samhsa import MAX_PAGE_SIZE, parse_states

    try:
        states = parse_states(args.states)
    except ValueError as exc:
        print(f"provdir: bad --states {args.states!r}: {exc}", file=sys.stderr)
        print("provdir: nothing was crawled and nothing was published.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.page_size and args.page_size > MAX_PAGE_SIZE:
        print(f"provdir: --page-size must be at most {MAX_PAGE_SIZE}. Nothing was crawled.", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        overrides: dict[str, Any] = dict(parse_setting(s) for s in args.setting)
    except ValueError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.api_url is not None:
        parts = urlsplit(args.api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            print(
                f"provdir: --api-url must be an http(s) URL, got {args.api_url!r}. Nothing was crawled.",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        why = "" if args.allow_private_networks else netguard.refusal(parts.hostname)
        if why:
            print(f"provdir: --api-url {args.api_url}: {why}", file=sys.stderr)
            print(
                "provdir: private-network addresses are refused; pass --allow-private-networks to crawl them. "
                "Nothing was crawled.",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        overrides["SAMHSA_API_URL"] = args.api_url
    spider_kwargs: dict[str, Any] = {"states": ",".join(states)}
    if args.page_size:
        spider_kwargs["page_size"] = args.page_size
    out = Path(args.out)
    what = f"SAMHSA's locator for {len(states)} state(s): {', '.join(states[:10])}{' ...' if len(states) > 10 else ''}"
    run_id = new_run_id("samhsa")
    code = run_crawl(
        out=out,
        allow_private=args.allow_private_networks,
        log_level=args.log_level,
        overrides=overrides,
        spider="samhsa_locator",
        spider_kwargs=spider_kwargs,
        source="samhsa",
        what=what,
        run_id=run_id,
    )
    if code in (EXIT_OK, EXIT_WARNINGS):
        # Published, but a state that lost pages is missing facilities: say so, exit 3.
        sites = Run(run_id, runs_dir(out) / run_id).manifest().get("sites", {})
        partial = {k: v for k, v in sites.items() if v.get("status") == "ok" and v.get("pages_failed")}
        for key, info in sorted(partial.items()):
            print(f"  INCOMPLETE {key}: {info['pages_failed']} page(s) could not be read: {info['errors'][0]}")
        if partial:
            return EXIT_WARNINGS
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from provdir.sampleweb.demo import run_demo

    return run_demo(Path(args.out), args.port, args.log_level)
