"""``provdir build`` and ``export``: publish from stored runs, and export the published directory."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from provdir.cli.common import EXIT_LOCKED, EXIT_NOT_PUBLISHED, EXIT_OK, EXIT_OUTPUT_UNWRITABLE, print_summary
from provdir.runs.lock import Locked, output_lock


def register(sub: Any) -> None:
    """Add this group's subcommands to the ``provdir`` parser."""
    build = sub.add_parser("build", help="re-publish from stored runs without crawling")
    build.add_argument("--out", default="output")
    build.add_argument("--force", action="store_true", help="publish even if the build looks like a mass failure")
    build.add_argument(
        "--restore-registry",
        action="store_true",
        help="take the facility-id registry from the published build (after registry.csv was "
        "damaged or deleted) instead of registry.csv",
    )
    build.set_defaults(func=cmd_build)

    export = sub.add_parser("export", help="write the published directory as a spreadsheet (xlsx) or GeoJSON")
    export.add_argument(
        "--format",
        required=True,
        choices=["xlsx", "geojson"],
        dest="export_format",
        help="xlsx: one sheet per table, spreadsheet-safe; geojson: facilities as points",
    )
    export.add_argument("--out", default="output", help="output directory holding latest/ (default: output/)")
    export.add_argument(
        "--to",
        type=Path,
        default=None,
        help="file to write (default: OUT/exports/provider-directory-<build id>.<format>)",
    )
    export.set_defaults(func=cmd_export)


def cmd_build(args: argparse.Namespace) -> int:
    from provdir.build import NothingToPublish, PublishRefused, publish
    from provdir.build.publish import OutputUnwritable

    out = Path(args.out)
    try:
        with output_lock(out):
            result = publish(out, force=args.force, restore_registry=args.restore_registry)
    except Locked as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except OutputUnwritable as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_OUTPUT_UNWRITABLE
    except OSError as exc:  # the lock itself could not be taken: a read-only or full output folder
        print(
            f"provdir: cannot write to {exc.filename or out}: {exc.strerror or exc}. Nothing was published; "
            "nothing was changed.",
            file=sys.stderr,
        )
        return EXIT_OUTPUT_UNWRITABLE
    except (NothingToPublish, PublishRefused) as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    print_summary(json.loads(json.dumps(result.summary(), default=str)), out)
    from provdir.runs.provenance import provenance

    made_of = provenance(out)
    for line in made_of.lines():
        print(line)
    for warning in made_of.warnings():
        print(f"provdir: warning: {warning}", file=sys.stderr)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from provdir.build.export import ExportError, export

    try:
        path = export(Path(args.out) / "latest", args.export_format, to=args.to)
    except ExportError as exc:
        print(f"provdir: {exc}", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    print(f"Wrote {path}")
    return EXIT_OK
