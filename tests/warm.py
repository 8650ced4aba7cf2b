"""A warm interpreter for the tests' CLI runs (``tests.helpers.run_cli``): it imports the project
once, then forks a child per ``provdir ARGS`` run. A child is the process ``python -m provdir.cli
ARGS`` would be, minus the interpreter start-up and the imports: same ``main``, its own working
directory, environment, stdout and stderr, its own reactor, exit code and signals.

Why: a crawl of a small loopback web is ~0.5 s of crawling after ~3 s of start-up (Scrapy,
Twisted, pandas, pyarrow, pandera, the extractors); the suite runs about a hundred of them.

Only modules are imported here, nothing is run (a module that reads the environment when
imported, the Scrapy settings module, is imported again in each child): no reactor is installed (a child installs the
asyncio reactor itself, as a fresh process would) and no cache is filled. If an import did install
a reactor, this process says ``cold`` and the tests use plain subprocesses.

Protocol: the test sends a JSON request per line, ``{"argv", "cwd", "env", "stdout", "stderr",
"status"}`` (the last three are file paths), and this process answers ``pid N`` once the child
runs; when the child has ended, its exit code (negative: killed by that signal) is written to the
status file. Several children may run at once. It exits at end of input.
"""

from __future__ import annotations

import json
import os
import random
import select
import sys


def _preload() -> None:
    """Every module of the project, and the Scrapy components and libraries a crawl and a publish
    load by name or lazily."""
    import importlib
    import pkgutil

    from scrapy.settings import default_settings

    import pipelines
    import provdir
    import spiders

    names = ["pandera.backends.pandas", "duckdb", "pyarrow.parquet", "scrapy.core.downloader.handlers.http11"]
    for package in (provdir, pipelines, spiders):
        names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    for setting in ("DOWNLOADER_MIDDLEWARES_BASE", "SPIDER_MIDDLEWARES_BASE", "EXTENSIONS_BASE", "ITEM_PIPELINES_BASE"):
        names += [path.rsplit(".", 1)[0] for path in getattr(default_settings, setting, {})]
    for name in names:
        if ".sampleweb.sites" not in name and not name.endswith("__main__"):  # a __main__ would run
            importlib.import_module(name)


def _child(request: dict) -> None:
    """Become ``provdir ARGV``: never returns (``sys.exit`` with the command's exit code)."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
    random.seed()  # a fresh process's random state, not a copy of this one's
    # The settings module reads the environment when imported (PROVDIR_ALLOWED_NETWORKS, ...):
    # Scrapy imports it afresh, under this run's environment.
    sys.modules.pop("provdir.crawl.settings", None)
    sys.argv = [os.path.join(os.path.dirname(sys.modules["provdir.cli"].__file__ or ""), "__main__.py")]
    from provdir.cli import main

    sys.exit(main(request["argv"]))


def serve() -> None:
    _preload()
    if "twisted.internet.reactor" in sys.modules:
        print("cold", flush=True)
        return
    print("ready", flush=True)
    running: dict[int, str] = {}  # child pid -> its status file
    pending = b""
    while True:
        if select.select([0], [], [], 0.05)[0]:
            data = os.read(0, 65536)
            if not data:
                return  # end of input: the test worker is done (children still running go on)
            pending += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    _child(request)
                running[pid] = request["status"]
                print(f"pid {pid}", flush=True)
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if not pid:
                break
            path = running.pop(pid)
            with open(path + ".tmp", "w", encoding="ascii") as fh:
                fh.write(str(os.waitstatus_to_exitcode(status)))
            os.replace(path + ".tmp", path)  # whole or absent: the test polls for it


if __name__ == "__main__":
    serve()
