"""Command line: ``provdir crawl | crawl-samhsa | enqueue | worker | demo | build | status | report | evaluate | export``.

Exit codes (for schedulers): 0 published and every site answered; 3 published, but some sites
failed (see the run manifest); 1 nothing published (the crawl failed or found nothing);
2 bad input (seeds file, arguments) — nothing was crawled; 4 another provdir run holds the
output directory — nothing was done.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provdir import __version__, netguard
from provdir.lock import Locked, output_lock
from provdir.runs import Run, list_runs, new_run_id, runs_dir
from provdir.seeds import Seed, SeedsError, load_seeds

EXIT_OK, EXIT_NOT_PUBLISHED, EXIT_BAD_INPUT, EXIT_WARNINGS, EXIT_LOCKED = 0, 1, 2, 3, 4


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    return int(args.func(args))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="provdir", description="Crawl treatment-center websites into a facility directory."
    )
    p.add_argument("--version", action="version", version=f"provdir {__version__}")
    sub = p.add_subparsers(dest="command")

    crawl = sub.add_parser("crawl", help="crawl the websites in SEEDS and publish the directory")
    crawl.add_argument("seeds", nargs="?", help="text file of URLs (one per line, # comments) or CSV with a url column")
    crawl.add_argument("--from-directory", action="store_true",
                       help="crawl the websites of the facilities the directory source (SAMHSA) published, "
                            "one per registered domain, and verify the listings against them")  # fmt: skip
    crawl.add_argument("--states", default="", help="with --from-directory: only listings in these states (VA,MO)")
    _crawl_options(crawl)
    crawl.set_defaults(func=cmd_crawl)

    samhsa = sub.add_parser("crawl-samhsa", help="crawl SAMHSA's treatment locator for some states and publish")
    samhsa.add_argument("--states", default="",
                        help="comma-separated two-letter codes, e.g. VA,MO (default: every state and territory)")  # fmt: skip
    samhsa.add_argument("--api-url", default=None,
                        help="listing API base URL (default: setting SAMHSA_API_URL, the real locator)")  # fmt: skip
    samhsa.add_argument("--page-size", type=_positive_int, default=None, help="rows per API page (default 100)")
    samhsa.add_argument("--out", default="output", help="output directory (default: output/)")
    samhsa.add_argument("--allow-private-networks", action="store_true",
                        help="allow a loopback/private --api-url (the tests serve the API on 127.0.0.x)")  # fmt: skip
    samhsa.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    samhsa.add_argument("--setting", "-s", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (repeatable)")  # fmt: skip
    samhsa.set_defaults(func=cmd_crawl_samhsa)

    enqueue = sub.add_parser("enqueue", help="load SEEDS into Redis as a new distributed crawl; prints its crawl id")
    enqueue.add_argument("seeds", help="seeds file, as for crawl")
    enqueue.add_argument("--redis", required=True, metavar="URL", help="Redis URL, e.g. redis://127.0.0.1:6379/0")
    enqueue.add_argument("--crawl-id", default=None, help="id for the crawl (default: generated from the time)")
    enqueue.add_argument("--allow-private-networks", action="store_true",
                         help="accept loopback/private seeds (the workers need it too)")  # fmt: skip
    enqueue.add_argument("--max-pages-per-site", type=_positive_int, default=None,
                         help="page cap per site, for the whole crawl (default: the workers' setting, 40)")  # fmt: skip
    enqueue.set_defaults(func=cmd_enqueue)

    worker = sub.add_parser("worker", help="join a distributed crawl on Redis until no work is left in it")
    worker.add_argument("--redis", required=True, metavar="URL", help="Redis URL, e.g. redis://127.0.0.1:6379/0")
    worker.add_argument("--crawl-id", default=None, help="crawl to join (default: the last one enqueued)")
    worker.add_argument("--out", default="output", help="output directory for this worker's run (default: output/)")
    worker.add_argument("--allow-private-networks", action="store_true",
                        help="allow loopback/private addresses (the tests serve sites on 127.0.0.x)")  # fmt: skip
    worker.add_argument("--idle-timeout", type=float, default=None,
                        help="exit after this many seconds with no work left in the crawl (default 10)")  # fmt: skip
    worker.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    worker.add_argument("--setting", "-s", action="append", default=[], metavar="NAME=VALUE",
                        help="override a Scrapy setting (repeatable)")  # fmt: skip
    worker.set_defaults(func=cmd_worker)

    demo = sub.add_parser("demo", help="serve the bundled sample web on loopback, crawl it, publish")
    demo.add_argument("--out", default="output", help="output directory (default: output/)")
    demo.add_argument("--port", type=int, default=8061, help="port for the sample sites (default 8061)")
    demo.add_argument("--log-level", default="WARNING")
    demo.set_defaults(func=cmd_demo)

    evaluate = sub.add_parser("evaluate", help="crawl hand-labelled sites on loopback and print accuracy")
    evaluate.add_argument("gold_dir", type=Path, help="folder of gold/<slug>.json files")
    evaluate.add_argument("sites_dir", type=Path, help="folder of sites/<slug>/ web roots")
    evaluate.add_argument("--verbose", "-v", action="store_true", help="print what was extra or missing per site")
    evaluate.add_argument("--keep", type=Path, help="keep the crawl's output in this folder")
    evaluate.set_defaults(func=cmd_evaluate)

    status = sub.add_parser("status", help="the last runs as a table, with health warnings")
    status.add_argument("--out", default="output")
    status.add_argument("--limit", type=_positive_int, default=10)
    status.set_defaults(func=cmd_status)

    runs_report = sub.add_parser("report", help="write a self-contained HTML page about run health")
    runs_report.add_argument("--out", default="output")
    runs_report.add_argument("--to", type=Path, default=None, help="file to write (default: OUT/report-runs.html)")
    runs_report.set_defaults(func=cmd_report)

    build = sub.add_parser("build", help="re-publish from stored runs without crawling")
    build.add_argument("--out", default="output")
    build.add_argument("--force", action="store_true", help="publish even if the build looks like a mass failure")
    build.set_defaults(func=cmd_build)

    export = sub.add_parser("export", help="write the published directory as a spreadsheet (xlsx) or GeoJSON")
    export.add_argument("--format", required=True, choices=["xlsx", "geojson"], dest="export_format",
                        help="xlsx: one sheet per table, spreadsheet-safe; geojson: facilities as points")  # fmt: skip
    export.add_argument("--out", default="output", help="output directory holding latest/ (default: output/)")
    export.add_argument("--to", type=Path, default=None,
                        help="file to write (default: OUT/exports/provider-directory-<build id>.<format>)")  # fmt: skip
    export.set_defaults(func=cmd_export)
    return p


def _crawl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="output", help="output directory (default: output/)")
    p.add_argument("--allow-private-networks", action="store_true",
                   help="allow loopback/private addresses (the demo and tests serve sites on 127.0.0.x)")  # fmt: skip
    p.add_argument("--max-pages-per-site", type=_positive_int, default=None, help="page cap per site (default 40)")
    p.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    p.add_argument("--setting", "-s", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy setting (repeatable)")  # fmt: skip


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


# -- crawl ---------------------------------------------------------------------------------
def cmd_crawl(args: argparse.Namespace) -> int:
    if args.from_directory == bool(args.seeds):
        print("provdir: give a SEEDS file or --from-directory (one of the two)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.from_directory:
        from provdir.directory_seeds import NoDirectory, directory_websites, write_seeds

        states = {s.strip().upper() for s in args.states.split(",") if s.strip()} or None
        try:
            websites = directory_websites(Path(args.out), states)
        except NoDirectory as exc:
            print(f"provdir: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if not websites:
            print("provdir: the published directory lists no websites" + (f" in {args.states}" if states else ""),
                  file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        Path(args.out).mkdir(parents=True, exist_ok=True)
        args.seeds = str(write_seeds(websites, Path(args.out) / "directory-seeds.csv"))
        print(f"provdir: {len(websites)} directory-listed website(s), one per domain -> {args.seeds}", file=sys.stderr)
    seeds = checked_seeds(args.seeds, args.allow_private_networks, "nothing was crawled and nothing was published")
    if seeds is None:
        return EXIT_BAD_INPUT
    try:
        overrides = dict(_parse_setting(s) for s in args.setting)
    except ValueError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return run_crawl(seeds_file=args.seeds, seeds=seeds, out=Path(args.out), allow_private=args.allow_private_networks,
                     max_pages=args.max_pages_per_site, log_level=args.log_level, overrides=overrides)  # fmt: skip


def checked_seeds(path: str, allow_private: bool, nothing_done: str) -> list[Seed] | None:
    """The seeds of ``path``, or None after saying why they cannot be used (file and line named):
    a bad file, or private-network seeds without --allow-private-networks."""
    try:
        seeds = load_seeds(path)
    except SeedsError as exc:
        print(f"provdir: bad seeds file: {exc}", file=sys.stderr)
        print(f"provdir: {nothing_done}.", file=sys.stderr)
        return None
    if not allow_private:
        refused = [(s, netguard.refusal(urlsplit(s.url).hostname or "")) for s in seeds]
        refused = [(s, why) for s, why in refused if why]
        if refused:
            for s, why in refused[:10]:
                print(f"provdir: {path}:{s.line}: {s.url}: {why}", file=sys.stderr)
            print("provdir: private-network seeds are refused; pass --allow-private-networks to crawl them. "
                  f"{nothing_done[0].upper()}{nothing_done[1:]}.", file=sys.stderr)  # fmt: skip
            return None
    return seeds


def _parse_setting(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ValueError(f"--setting needs NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    return name.strip(), value


def run_crawl(*, seeds_file: str = "", seeds: list[Seed] | None = None, out: Path, allow_private: bool,
              max_pages: int | None = None, log_level: str, overrides: dict[str, Any] | None = None,
              spider: str = "provider_sites", spider_kwargs: dict[str, Any] | None = None, source: str = "site",
              what: str | None = None, run_id: str | None = None) -> int:  # fmt: skip
    """Run a spider (provider_sites on ``seeds_file`` by default) in this process, then print the
    run's summary. Returns an exit code."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "provdir.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    run_id = run_id or new_run_id(source)
    settings.setdict({
        "PROVDIR_OUTPUT_DIR": str(out), "PROVDIR_RUN_ID": run_id,
        # Conditional re-crawls: the HTTP cache lives beside the runs it serves.
        "HTTPCACHE_DIR": str((out / "httpcache").resolve()),
        "PROVDIR_ALLOW_PRIVATE_NETWORKS": allow_private, "LOG_LEVEL": log_level,
        **({"PROVDIR_MAX_PAGES_PER_SITE": max_pages} if max_pages else {}),
        **(overrides or {}),
    }, priority="cmdline")  # fmt: skip
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
            return report_run(run, out)
    except Locked as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_LOCKED


# -- crawl-samhsa --------------------------------------------------------------------------
def cmd_crawl_samhsa(args: argparse.Namespace) -> int:
    from provdir.samhsa import MAX_PAGE_SIZE, parse_states

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
        overrides: dict[str, Any] = dict(_parse_setting(s) for s in args.setting)
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
            print("provdir: private-network addresses are refused; pass --allow-private-networks to crawl them. "
                  "Nothing was crawled.", file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
        overrides["SAMHSA_API_URL"] = args.api_url
    spider_kwargs: dict[str, Any] = {"states": ",".join(states)}
    if args.page_size:
        spider_kwargs["page_size"] = args.page_size
    out = Path(args.out)
    what = f"SAMHSA's locator for {len(states)} state(s): {', '.join(states[:10])}{' ...' if len(states) > 10 else ''}"
    run_id = new_run_id("samhsa")
    code = run_crawl(out=out, allow_private=args.allow_private_networks, log_level=args.log_level,
                     overrides=overrides, spider="samhsa_locator", spider_kwargs=spider_kwargs, source="samhsa",
                     what=what, run_id=run_id)  # fmt: skip
    if code in (EXIT_OK, EXIT_WARNINGS):
        # Published, but a state that lost pages is missing facilities: say so, exit 3.
        sites = Run(run_id, runs_dir(out) / run_id).manifest().get("sites", {})
        partial = {k: v for k, v in sites.items() if v.get("status") == "ok" and v.get("pages_failed")}
        for key, info in sorted(partial.items()):
            print(f"  INCOMPLETE {key}: {info['pages_failed']} page(s) could not be read: {info['errors'][0]}")
        if partial:
            return EXIT_WARNINGS
    return code


def report_run(run: Run, out: Path) -> int:
    manifest = run.manifest()
    if not manifest:
        print(f"provdir: run {run.run_id} left no manifest; nothing was published.", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    sites = manifest.get("sites", {})
    failed = {k: v for k, v in sites.items() if v.get("status") != "ok"}
    print(f"\nRun {run.run_id}: {manifest.get('status')} ({manifest.get('finish_reason')}); "
          f"{manifest['counts']['pages_fetched']} pages fetched, {len(sites) - len(failed)}/{len(sites)} sites answered")  # fmt: skip
    for site, info in sorted(failed.items()):
        why = info["errors"][0] if info.get("errors") else "no page could be read"
        print(f"  FAILED {site}: {why}")
    published = manifest.get("published")
    if not published:
        if manifest.get("publish_refused"):
            print(f"Not published: {manifest['publish_refused']}")
        print(f"Nothing published; the last good directory (if any) is unchanged: {out / 'latest'}")
        return EXIT_NOT_PUBLISHED
    print_summary(published, out)
    return EXIT_WARNINGS if failed else EXIT_OK


def print_summary(published: dict[str, Any], out: Path) -> None:
    print(f"\nPublished {published['facilities']} facility locations (build {published['build_id']})")
    print("Locations per state: " + ", ".join(f"{k} {v}" for k, v in published["by_state"].items()))
    total = max(published["facilities"], 1)
    filled = published["fields_filled"]
    shown = [
        "name",
        "street",
        "city",
        "state",
        "postal_code",
        "phone",
        "website",
        "accreditations",
        "licenses",
        "services",
    ]
    print("Fields filled: " + ", ".join(f"{k} {filled.get(k, 0)}/{total}" for k in shown))
    latest = out / "latest"
    print(
        f"Files in {latest}/: facilities.csv/.parquet, evidence, facility_services/_accreditations/_licenses/_phones,"
    )
    print("  changes, verification, data_dictionary.csv, datapackage.json, directory.duckdb (views.sql), report.html")


# -- distributed crawl on Redis: enqueue, worker --------------------------------------------
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
        crawl_id = distributed.enqueue(client, seeds, crawl_id=args.crawl_id, seeds_file=str(Path(args.seeds).resolve()),
                                       max_pages=args.max_pages_per_site)  # fmt: skip
    except distributed.DistributedError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"provdir: enqueued {len(seeds)} site(s) from {args.seeds} as crawl {crawl_id} on "
          f"{distributed.redacted(args.redis)}; start workers with: provdir worker --redis URL --crawl-id {crawl_id}",
          file=sys.stderr)  # fmt: skip
    print(crawl_id)
    return EXIT_OK


def cmd_worker(args: argparse.Namespace) -> int:
    """Exit codes: 0 the worker finished cleanly (its run is ok), 1 it did not, 2 bad input."""
    from provdir import distributed

    try:
        overrides: dict[str, Any] = dict(_parse_setting(s) for s in args.setting)
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
    print(f"provdir: worker joining crawl {crawl_id} on {distributed.redacted(args.redis)} (run {run_id})",
          file=sys.stderr)  # fmt: skip
    distributed.run_worker(redis_url=args.redis, crawl_id=crawl_id, out=out, allow_private=args.allow_private_networks,
                           log_level=args.log_level, run_id=run_id, overrides=overrides)  # fmt: skip
    manifest = Run(run_id, runs_dir(out) / run_id).manifest()
    if not manifest:
        print(f"provdir: worker run {run_id} left no manifest", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    sites = manifest.get("sites", {})
    read = sum(1 for info in sites.values() if info.get("status") == "ok")
    print(f"Worker run {run_id} (crawl {crawl_id}): {manifest.get('status')} ({manifest.get('finish_reason')}); "
          f"{manifest['counts']['pages_fetched']} pages fetched, pages read on {read} site(s)")  # fmt: skip
    if manifest.get("status") != "ok":
        return EXIT_NOT_PUBLISHED
    print(f"When every worker has finished: provdir build --out {out} (with every worker's runs under {out / 'runs'})")
    return EXIT_OK


# -- demo ----------------------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots

    out = Path(args.out)
    roots = site_roots(bundled_sites_dir())
    with serve_sites(roots, port=args.port) as urls:
        print(f"provdir demo: serving {len(urls)} sample sites on loopback:", file=sys.stderr)
        for name, url in urls.items():
            print(f"  {url}  {name}", file=sys.stderr)
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="demo-seeds-", dir=out, delete=False) as fh:
            fh.write("# provdir demo: the bundled sample web\n" + "".join(f"{u}\n" for u in urls.values()))
            seeds_file = fh.name
        try:
            seeds = load_seeds(seeds_file)
            return run_crawl(seeds_file=seeds_file, seeds=seeds, out=out, allow_private=True, max_pages=None,
                             log_level=args.log_level)  # fmt: skip
        finally:
            Path(seeds_file).unlink(missing_ok=True)


# -- evaluate ------------------------------------------------------------------------------
def cmd_evaluate(args: argparse.Namespace) -> int:
    from provdir.evaluate import evaluate, report

    for path in (args.gold_dir, args.sites_dir):
        if not path.is_dir():
            print(f"provdir: not a folder: {path}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    print(report(evaluate(args.gold_dir, args.sites_dir, keep=args.keep), verbose=args.verbose))
    return EXIT_OK


# -- status and report ---------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    from provdir.health import format_table, status_rows

    runs = list_runs(Path(args.out))
    print(format_table(status_rows(runs, args.limit)))
    for run in runs[-args.limit :]:
        for warning in (run.manifest().get("health") or {}).get("warnings", []):
            print(f"  {run.run_id}: {warning}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from provdir.runreport import write_report

    out = Path(args.out)
    if not list_runs(out):
        print(f"provdir: no runs under {out / 'runs'}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Wrote {write_report(out, args.to)}")
    return EXIT_OK


# -- build ---------------------------------------------------------------------------------
def cmd_build(args: argparse.Namespace) -> int:
    from provdir.build import NothingToPublish, PublishRefused, publish

    out = Path(args.out)
    try:
        with output_lock(out):
            result = publish(out, force=args.force)
    except Locked as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except (NothingToPublish, PublishRefused) as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    print_summary(json.loads(json.dumps(result.summary(), default=str)), out)
    return EXIT_OK


# -- export --------------------------------------------------------------------------------
def cmd_export(args: argparse.Namespace) -> int:
    from provdir.build.export import ExportError, export

    try:
        path = export(Path(args.out) / "latest", args.export_format, to=args.to)
    except ExportError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    print(f"Wrote {path}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
