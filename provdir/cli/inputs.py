"""Bad command-line input, caught before anything is done: one line naming it, exit 2.

:func:`check_args` is called once by :func:`provdir.cli.main` on the parsed arguments of every
command: the output folder (a file, or not writable), the log level, the port, ``--to`` (a
folder, or in a folder that does not exist) and the ``-s NAME=VALUE`` overrides (a value of the
wrong type names the setting; an unknown name is warned about, with the closest known name).
:func:`quiet_broken_pipe` ends a command whose reader went away (``provdir status | head``)
without a traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import os
import re
import sys
from collections.abc import Callable
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
WRITES_OUT = frozenset({"crawl", "crawl-samhsa", "worker", "demo", "build", "report"})
"""Commands that write into ``--out`` (``report`` writes OUT/report-runs.html unless --to)."""
READS_OUT = frozenset({"status", "export"})
_SETTING_READ = re.compile(r"""settings\.(?:get\w*|getwithbase|__getitem__)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
_BOOL_VALUES = ("0", "1", "True", "False", "true", "false")


class BadInput(ValueError):
    """One line saying which input is wrong and why."""


def check_args(args: Any) -> list[str]:
    """Problems with the parsed arguments (empty when they are usable); warnings are printed."""
    problems: list[str] = []
    command = getattr(args, "command", "")
    level = getattr(args, "log_level", None)
    if level is not None and str(level).upper() not in LOG_LEVELS:
        problems.append(f"--log-level {level!r}: not a log level (one of {', '.join(LOG_LEVELS)})")
    elif level is not None:
        args.log_level = str(level).upper()
    port = getattr(args, "port", None)
    if port is not None and not 0 <= port <= 65535:
        problems.append(f"--port {port}: a port is 0-65535 (0: any free port)")
    to = getattr(args, "to", None)
    if to is not None:
        example = (
            "report-runs.html"
            if command == "report"
            else f"provider-directory.{getattr(args, 'export_format', 'xlsx')}"
        )
        problems += _target_problems(Path(to), example)
    out = getattr(args, "out", None)
    if out is not None and command:
        writes = command in WRITES_OUT and not (command == "report" and to is not None)
        problems += out_problems(Path(out), create=writes)
    for text in getattr(args, "setting", None) or []:
        try:
            warning = check_setting(text)
        except BadInput as exc:
            problems.append(str(exc))
        else:
            if warning:
                print(f"provdir: warning: {warning}", file=sys.stderr)
    return problems


def out_problems(out: Path, *, create: bool) -> list[str]:
    """The output folder must be a folder; a command that writes must be able to write in it."""
    if out.exists() and not out.is_dir():
        return [f"--out {out}: is a file, not a folder"]
    if not create:
        return []
    # Tried for real (permissions, read-only mounts, root), then undone: a command that stops
    # later on another bad input leaves nothing behind.
    missing = [p for p in (out, *out.parents) if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [f"--out {out}: cannot create the folder ({exc.strerror or exc})"]
    probe = out / f".provdir-write-check-{os.getpid()}"
    try:
        probe.write_bytes(b"")
    except OSError as exc:
        return [f"--out {out}: cannot write in the folder ({exc.strerror or exc})"]
    finally:
        with contextlib.suppress(OSError):  # a read-only mount answers EROFS even for a missing file
            probe.unlink(missing_ok=True)
        for made in missing:
            try:
                made.rmdir()
            except OSError:
                break
    return []


def _target_problems(to: Path, example: str) -> list[str]:
    if to.is_dir():
        return [f"--to {to}: is a folder; give the file to write (e.g. {to / example})"]
    existing = next(p for p in to.parents if p.exists())  # missing folders are created
    if not existing.is_dir():
        return [f"--to {to}: {existing} is a file, not a folder"]
    if not os.access(existing, os.W_OK):
        return [f"--to {to}: cannot write in {existing}"]
    return []


# -- -s NAME=VALUE -------------------------------------------------------------------------
def check_setting(text: str) -> str:
    """Raise :class:`BadInput` for a value the setting cannot take; return a warning for a name
    no part of the crawler reads (empty when fine)."""
    if "=" not in text:
        raise BadInput(f"-s {text!r}: needs NAME=VALUE")
    name, value = (part.strip() for part in text.split("=", 1))
    known = known_settings()
    if name not in known:
        best, score = closest_setting(name, known)
        hint = f"did you mean {best}?" if score >= 0.6 else f"the closest known name is {best}"
        return f"-s {name}: no such setting ({hint}); passed on, but nothing reads it"
    default = known[name]
    if isinstance(default, bool):
        if value not in _BOOL_VALUES:
            raise BadInput(f"-s {name}={value}: {name} takes a boolean (True/False or 1/0), got {value!r}")
    elif isinstance(default, int | float):
        try:
            float(value)
        except ValueError:
            raise BadInput(f"-s {name}={value}: {name} takes a number, got {value!r}") from None
    return ""


def closest_setting(name: str, known: dict[str, Any]) -> tuple[str, float]:
    """The known name most like ``name`` (also without the ``PROVDIR_`` prefix, and a name that
    contains it, e.g. ``ALLOW_PRIVATE_NETWORKS``), with its similarity (0-1)."""

    def score(candidate: str) -> float:
        ratio = max(
            difflib.SequenceMatcher(None, name, candidate).ratio(),
            difflib.SequenceMatcher(None, name, candidate.removeprefix("PROVDIR_")).ratio(),
        )
        return max(ratio, 0.8) if len(name) >= 6 and name in candidate else ratio

    best = max(sorted(known), key=score)
    return best, score(best)


@cache
def known_settings() -> dict[str, Any]:
    """Setting name -> its default: Scrapy's, the project's, and the names the project and the
    Scrapy plugins it uses read (a scan of their sources: new settings are known without a list)."""
    import scrapy.settings.default_settings as scrapy_defaults

    from provdir.crawl import settings as project

    known: dict[str, Any] = {n: getattr(scrapy_defaults, n) for n in dir(scrapy_defaults) if n.isupper()}
    known.update({n: getattr(project, n) for n in dir(project) if n.isupper()})
    package = Path(__file__).resolve().parents[1]  # provdir/
    roots = [package, package.parent / "spiders", package.parent / "pipelines"]
    for plugin in ("scrapy_redis", "scrapy_playwright"):
        spec = find_spec(plugin)
        if spec is not None and spec.submodule_search_locations:
            roots += [Path(p) for p in spec.submodule_search_locations]
    for root in roots:
        for path in root.rglob("*.py") if root.is_dir() else ():
            try:
                text = path.read_text(encoding="utf-8")
            except OSError:
                continue
            for name in _SETTING_READ.findall(text):
                known.setdefault(name, None)
    try:
        import scrapy_redis.defaults as redis_defaults
    except ImportError:
        pass
    else:
        known.update({n: None for n in dir(redis_defaults) if n.isupper() and n not in known})
    return known


# -- broken pipes --------------------------------------------------------------------------
def quiet_broken_pipe(run: Callable[[], int]) -> int:
    """Run a command; if the reader of its output went away (``| head``), stop quietly.

    As the Python docs advise: point stdout at /dev/null so the interpreter's final flush does
    not raise again. Exit 1: the output was not all delivered."""
    try:
        code = run()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        logging.shutdown()
        return 1
