"""``provdir status``, ``report`` and ``evaluate``: look at runs and at accuracy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from provdir.cli.common import EXIT_BAD_INPUT, EXIT_OK, positive_int
from provdir.runs.store import list_runs


def register(sub: Any) -> None:
    """Add this group's subcommands to the ``provdir`` parser."""
    evaluate = sub.add_parser("evaluate", help="crawl hand-labelled sites on loopback and print accuracy")
    evaluate.add_argument("gold_dir", type=Path, help="folder of gold/<slug>.json files")
    evaluate.add_argument("sites_dir", type=Path, help="folder of sites/<slug>/ web roots")
    evaluate.add_argument("--verbose", "-v", action="store_true", help="print what was extra or missing per site")
    evaluate.add_argument("--keep", type=Path, help="keep the crawl's output in this folder")
    evaluate.set_defaults(func=cmd_evaluate)

    status = sub.add_parser("status", help="the last runs as a table, with health warnings")
    status.add_argument("--out", default="output")
    status.add_argument("--limit", type=positive_int, default=10)
    status.set_defaults(func=cmd_status)

    runs_report = sub.add_parser("report", help="write a self-contained HTML page about run health")
    runs_report.add_argument("--out", default="output")
    runs_report.add_argument("--to", type=Path, default=None, help="file to write (default: OUT/report-runs.html)")
    runs_report.set_defaults(func=cmd_report)


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


def cmd_status(args: argparse.Namespace) -> int:
    from provdir.runs.health import format_table, status_rows
    from provdir.runs.sequence import from_the_future

    runs = list_runs(Path(args.out))
    print(format_table(status_rows(runs, args.limit)))
    ahead = [r.run_id for r in runs if from_the_future(r.run_id)]
    if ahead:  # ordered by creation, not by date; but the clock ran ahead once: say so
        print(f"  {len(ahead)} run(s) dated ahead of this machine's clock (it ran ahead?): {', '.join(ahead[:5])}")
    for run in runs[-args.limit :]:
        if run.manifest_problem:  # damaged state is reported, never fatal to status
            print(f"  {run.run_id}: {run.manifest_problem}")
        for warning in (run.manifest().get("health") or {}).get("warnings", []):
            print(f"  {run.run_id}: {warning}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from provdir.runs.report import write_report

    out = Path(args.out)
    if not list_runs(out):
        print(f"provdir: no runs under {out / 'runs'}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Wrote {write_report(out, args.to)}")
    return EXIT_OK
