"""What every command shares: exit codes, common options, seeds checking, the run summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from provdir.crawl import netguard
from provdir.redact import redact_text, redacted_url
from provdir.runs.health import browser_warning
from provdir.runs.store import Run
from provdir.sources.seeds import Seed, SeedsError, load_seeds

EXIT_OK, EXIT_NOT_PUBLISHED, EXIT_BAD_INPUT, EXIT_WARNINGS, EXIT_LOCKED = 0, 1, 2, 3, 4
EXIT_OUTPUT_UNWRITABLE = 5
"""The output folder could not take the build (full disk, read-only): nothing changed."""


def crawl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="output", help="output directory (default: output/)")
    p.add_argument(
        "--allow-private-networks",
        action="store_true",
        help="allow loopback/private addresses (the demo and tests serve sites on 127.0.0.x)",
    )
    p.add_argument("--max-pages-per-site", type=positive_int, default=None, help="page cap per site (default 40)")
    p.add_argument("--log-level", default="WARNING", help="Scrapy log level (default WARNING)")
    p.add_argument(
        "--setting",
        "-s",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a Scrapy setting (repeatable)",
    )


def positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def checked_seeds(path: str, allow_private: bool, nothing_done: str) -> list[Seed] | None:
    """The seeds of ``path``, or None after saying why they cannot be used (file and line named):
    a bad file, or private-network seeds without --allow-private-networks."""
    try:
        seeds = load_seeds(path)
    except SeedsError as exc:
        print(f"provdir: bad seeds file: {redact_text(str(exc))}", file=sys.stderr)
        print(f"provdir: {nothing_done}.", file=sys.stderr)
        return None
    if not allow_private:
        refused = [(s, netguard.refusal(urlsplit(s.url).hostname or "")) for s in seeds]
        refused = [(s, why) for s, why in refused if why]
        if refused:
            for s, why in refused[:10]:
                print(f"provdir: {path}:{s.line}: {redacted_url(s.url)}: {why}", file=sys.stderr)
            print(
                "provdir: private-network seeds are refused; pass --allow-private-networks to crawl them. "
                f"{nothing_done[0].upper()}{nothing_done[1:]}.",
                file=sys.stderr,
            )
            return None
    return seeds


def parse_setting(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise ValueError(f"--setting needs NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    return name.strip(), value


def report_run(run: Run, out: Path) -> int:
    manifest = run.manifest()
    if not manifest:
        print(f"provdir: run {run.run_id} left no manifest; nothing was published.", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    sites = manifest.get("sites", {})
    failed = {k: v for k, v in sites.items() if v.get("status") != "ok"}
    print(
        f"\nRun {run.run_id}: {manifest.get('status')} ({manifest.get('finish_reason')}); "
        f"{manifest['counts']['pages_fetched']} pages fetched, {len(sites) - len(failed)}/{len(sites)} sites answered"
    )
    by_reason: dict[str, list[str]] = {}
    for site, info in sorted(failed.items()):
        by_reason.setdefault(
            redact_text(info["errors"][0]) if info.get("errors") else "no page could be read", []
        ).append(site)
    for why, names in by_reason.items():
        if len(names) <= 3:
            for site in names:
                print(f"  FAILED {site}: {why}")
        else:  # e.g. an unreachable API: one line, not 54
            print(f"  FAILED {len(names)} sites ({', '.join(names[:3])}, ...): {why}")
    if browser_warning(manifest.get("browser")):
        # Published, but those sites' rows may lack facts only a browser shows (needs_browser).
        print(f"  NEEDS BROWSER: {browser_warning(manifest.get('browser'))}")
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
