"""Command line: ``provdir crawl | crawl-samhsa | enqueue | worker | demo | build | status | report | evaluate | export``.

Exit codes (for schedulers): 0 published and every site answered; 3 published, but some sites
failed (see the run manifest); 1 nothing published (the crawl failed or found nothing);
2 bad input (seeds file, arguments) — nothing was crawled; 4 another provdir run holds the
output directory — nothing was done.
"""

from __future__ import annotations

import argparse
import sys

from provdir import __version__
from provdir.cli import crawl, distributed, inspect, publish
from provdir.cli.common import EXIT_BAD_INPUT

GROUPS = (crawl, distributed, inspect, publish)
"""Each module registers its own subcommands; the order is the order ``--help`` lists them in."""


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    from provdir.cli.inputs import check_args, quiet_broken_pipe

    problems = check_args(args)
    if problems:
        for problem in problems:
            print(f"provdir: {problem}; nothing was done", file=sys.stderr)
        return EXIT_BAD_INPUT
    return quiet_broken_pipe(lambda: int(args.func(args)))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="provdir", description="Crawl treatment-center websites into a facility directory."
    )
    p.add_argument("--version", action="version", version=f"provdir {__version__}")
    sub = p.add_subparsers(dest="command")
    for group in GROUPS:
        group.register(sub)
    return p


if __name__ == "__main__":
    sys.exit(main())
