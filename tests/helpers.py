"""Helpers shared by the tests: where things are, running the CLI or Scrapy in a subprocess,
writing seeds. Fixtures live in ``conftest.py``; everything a test imports lives here.

A real crawl runs in a subprocess because Twisted's reactor runs once per process; component
tests (``tests/component/``) call pipelines, middlewares and callbacks in-process instead.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

ROOT = Path(__file__).resolve().parents[1]
# A real page of SAMHSA's locator API (public federal data), copied into the repo: see its README.
SAMHSA_FIXTURE = ROOT / "tests" / "fixtures" / "samhsa" / "locator-listing-page1.json"
SHARED = ROOT.parent / "shared"
# No politeness delay and a short retry backoff: loopback sites answer at once, and a dead
# test site would otherwise cost 1 s + 2 s of backoff per crawl (a test of the backoff sets its own).
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "PROVDIR_RETRY_BACKOFF_BASE=0.05"]


def cli_command(*args: str) -> list[str]:
    """``provdir ARGS`` as an argv, run with this interpreter."""
    return [sys.executable, "-m", "provdir.cli", *args]


def scrapy_command(*args: str) -> list[str]:
    """``scrapy ARGS`` as an argv, run with this interpreter (from ``ROOT``, where scrapy.cfg is)."""
    return [sys.executable, "-m", "scrapy", *args]


def scrapy_crawl_command(spider: str, out: Path, *args: str) -> list[str]:
    """``scrapy crawl SPIDER`` writing only under ``out``: runs there, and the HTTP cache too
    (Scrapy's default, ``.scrapy/httpcache``, would land in the checkout)."""
    return scrapy_command(
        "crawl", spider, "-s", f"PROVDIR_OUTPUT_DIR={out}", "-s", f"HTTPCACHE_DIR={out / 'httpcache'}", *FAST, *args
    )


def run_cli(
    *args: str, cwd: Path = ROOT, timeout: float = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``provdir ARGS`` to completion in a process of its own (:func:`start_cli`); ``env`` is
    added to this process's environment."""
    proc = start_cli(*args, cwd=cwd, env=env)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise subprocess.TimeoutExpired(proc.args, timeout, stdout, stderr) from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def start_cli(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None, warm: bool = True
) -> WarmProcess | subprocess.Popen:
    """Start ``provdir ARGS`` in a process of its own, stdout and stderr captured as text.

    The process is forked from this test worker's warm interpreter (``tests/warm.py``: the project
    imported once), which saves each run ~3 s of start-up. A plain ``python -m provdir.cli``
    instead with ``warm=False`` (a test of the process's own memory) or ``PROVDIR_TEST_COLD=1``."""
    full_env = {**os.environ, **(env or {})}
    interpreter = _warm_interpreter() if warm else None
    if interpreter is not None:
        return WarmProcess(interpreter, list(args), cwd, full_env)
    return subprocess.Popen(
        cli_command(*args), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env
    )


_WARM: list[subprocess.Popen | None] = []  # [] not started yet; [None] unavailable
_WARM_LOCK = threading.Lock()  # its start, then one request and its answer at a time


def _warm_interpreter() -> subprocess.Popen | None:
    if os.environ.get("PROVDIR_TEST_COLD"):
        return None
    with _WARM_LOCK:
        if not _WARM:
            _WARM.append(_start_warm())
    return _WARM[0]


def _start_warm() -> subprocess.Popen | None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.warm"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
    )
    if _read_line(proc) == "ready":
        atexit.register(_stop_warm, proc)
        return proc
    proc.kill()  # it said "cold" (an import installed a reactor) or failed: plain subprocesses
    proc.wait()
    return None


def _read_line(proc: subprocess.Popen) -> str:
    """One line of the warm interpreter's answers (``ready``, ``pid N``), read byte by byte."""
    assert proc.stdout is not None
    data = b""
    while not data.endswith(b"\n"):
        byte = os.read(proc.stdout.fileno(), 1)
        if not byte:
            break
        data += byte
    return data.decode().strip()


def _stop_warm(proc: subprocess.Popen) -> None:
    if proc.stdin:
        proc.stdin.close()  # end of input: it exits
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


class WarmProcess:
    """A ``provdir ARGS`` child of the warm interpreter, with the part of ``subprocess.Popen``'s
    interface the tests use (``pid``, ``poll``, ``wait``, ``communicate``, signals)."""

    def __init__(self, interpreter: subprocess.Popen, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        import tempfile

        assert interpreter.stdin is not None
        self._files = tempfile.TemporaryDirectory(prefix="provdir-cli-")
        files = Path(self._files.name)
        self._stdout, self._stderr, self._status = files / "stdout", files / "stderr", files / "status"
        self.args = cli_command(*args)
        self.returncode: int | None = None
        request = {"argv": args, "cwd": str(cwd), "env": env}
        request |= {"stdout": str(self._stdout), "stderr": str(self._stderr), "status": str(self._status)}
        with _WARM_LOCK:
            interpreter.stdin.write((json.dumps(request) + "\n").encode())
            interpreter.stdin.flush()
            self.pid = int(_read_line(interpreter).split()[1])

    def _reaped(self, timeout: float | None) -> bool:
        """Whether the child has ended, waiting up to ``timeout`` seconds (None: for ever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            if self._status.exists():  # written whole, by rename, once the child is reaped
                self.returncode = int(self._status.read_text())
                break
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True

    def poll(self) -> int | None:
        self._reaped(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._reaped(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        self.wait(timeout)
        return self._stdout.read_text(), self._stderr.read_text()

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def cli_in_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``provdir ARGS`` called in this process, for commands that start no crawl (bad input,
    ``enqueue``, ``build``, ``export``, ``status``, ``report``): the exit code and output a
    subprocess would give, without its start-up cost. A crawl needs :func:`run_cli` (the reactor
    runs once per process). ``env`` is set for the call's duration.

    Python's last-resort log handler (warnings to stderr, bare) is what the command's own process
    would use; under pytest the root logger has pytest's handlers instead, so it is stood in for."""
    import contextlib
    import io
    import logging

    from provdir.cli import main

    out, err = io.StringIO(), io.StringIO()
    handler = logging.StreamHandler(err)
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    saved_env = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    root.addHandler(handler)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors and --help
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        root.removeHandler(handler)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(["provdir", *args], code, out.getvalue(), err.getvalue())


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    out: Path

    @property
    def latest(self) -> Path:
        return self.out / "latest"

    def manifest(self) -> dict:
        runs = sorted((self.out / "runs").iterdir())
        return json.loads((runs[-1] / "manifest.json").read_text())

    def stats(self) -> dict:
        runs = sorted((self.out / "runs").iterdir())
        return json.loads((runs[-1] / "stats.json").read_text())


def crawl(seeds: Path, out: Path, *extra: str) -> CrawlResult:
    """``provdir crawl SEEDS --out OUT`` on loopback sites, politeness delays off."""
    proc = run_cli("crawl", str(seeds), "--out", str(out), "--allow-private-networks", *FAST, *extra)
    return CrawlResult(proc.returncode, proc.stdout, proc.stderr, out)


def write_seeds(path: Path, urls: list[str]) -> Path:
    path.write_text("# test seeds\n" + "".join(f"{u}\n" for u in urls), encoding="utf-8")
    return path


# -- in-process components (tests/component/) --------------------------------------------------
def project_settings() -> dict[str, Any]:
    """The project's settings module as a dict (what ``scrapy crawl`` starts from)."""
    from provdir.crawl import settings as module

    settings = {name: getattr(module, name) for name in dir(module) if name.isupper()}
    # The project's cache lives in Scrapy's project data dir (.scrapy/ in the checkout) unless
    # the CLI points it elsewhere: off here; a test that wants it gives HTTPCACHE_DIR=tmp_path.
    settings["HTTPCACHE_ENABLED"] = False
    return settings


def crawler_for(spidercls: type | None = None, project: bool = False, **settings: Any) -> Crawler:
    """A configured, not started crawler (Scrapy's ``get_crawler``) for building one component.

    ``project=True`` starts from the project's settings; keyword arguments override. Its stats
    collector is live, so a component's counters can be asserted."""
    from scrapy.utils.test import get_crawler

    return get_crawler(spidercls, {**(project_settings() if project else {}), **settings})


def crawler_with_downloader(spidercls: type | None = None, project: bool = False, **settings: Any) -> Crawler:
    """:func:`crawler_for`, plus the engine and its downloader (slots, per-slot settings) that
    politeness middlewares work on; nothing is downloaded (no download handler is loaded)."""
    crawler = crawler_for(spidercls, project, **{"DOWNLOAD_HANDLERS": {"http": None, "https": None}, **settings})
    crawler.engine = crawler._create_engine()  # what Crawler.crawl() does before starting
    return crawler


def open_slot(crawler: Crawler, key: str, delay: float = 0.0, jitter: float = 0.0) -> Any:
    """A download slot as the downloader opens one for a host's first request (without the
    reactor-driven slot clean-up that ``Downloader._get_slot`` also starts)."""
    from scrapy.core.downloader import Slot

    d = crawler.engine.downloader
    per_slot = d.per_slot_settings.get(key, {})
    d.slots[key] = Slot(d.domain_concurrency, per_slot.get("delay", delay), per_slot.get("jitter", jitter))
    return d.slots[key]


# -- typed observations from hand-written dicts --------------------------------------------------
def typed_observation(data: dict[str, Any] | Any) -> Any:
    """A page observation written by hand as a dict, as the build reads it from a run (through
    :func:`provdir.model.convert.observation_from_json`). A test's dict may give only the keys it
    is about: the fields an observation requires (the page's URLs, an address's or phone's raw
    text) are filled in. Items pass through."""
    from provdir.model.convert import observation_from_json

    if not isinstance(data, dict):
        return data
    data = {"source": "site", "site": "", "seed_url": "", "url": "", **data}
    for key in ("addresses", "phones"):
        if key in data:
            data[key] = [{"raw": "", **item} for item in data[key]]
    return observation_from_json(data)


def typed_observations(observations: list[Any]) -> list[Any]:
    return [typed_observation(o) for o in observations]


def typed_license(data: dict[str, Any]) -> Any:
    """A license fact written by hand as a dict, as a stored observation gives it."""
    from provdir.model.convert import converter
    from provdir.model.items import LicenseFact

    return converter.structure(data, LicenseFact)


def site_locations(observations: list[Any]) -> list[Any]:
    """:func:`provdir.build.locations.site_locations` over hand-written dict observations."""
    from provdir.build import locations

    return locations.site_locations(typed_observations(observations))


def site_state(observations: list[Any]) -> str:
    """:func:`provdir.build.licenses.site_state` over hand-written dict observations."""
    from provdir.build import licenses

    return licenses.site_state(typed_observations(observations))
