"""``provdir demo``: the whole product on loopback, with nothing but the repository.

1. serves the bundled sample web (``sites/``, one 127.0.0.x address per site) and the sample
   directory (:mod:`provdir.sampleweb.locator`, SAMHSA's listing API format, on 127.0.0.10);
2. crawls the directory (``provdir crawl-samhsa``, in a child process: Twisted's reactor runs
   once per process) and publishes it;
3. crawls the websites (in this process) and publishes again: the build resolves listings and
   website locations into one directory and checks each listing against its website;
4. says what was merged and what the verification found.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from provdir.sampleweb.locator import sample_rows, serve_locator
from provdir.sampleweb.server import bundled_sites_dir, serve_sites, site_roots

MAX_FINDINGS_SHOWN = 12


def run_demo(out: Path, port: int, log_level: str) -> int:
    """Serve, crawl both sources, publish, summarize. Returns an exit code (as ``provdir crawl``)."""
    from provdir.cli.crawl import run_crawl
    from provdir.sources.seeds import load_seeds

    roots = site_roots(bundled_sites_dir())
    with serve_sites(roots, port=port) as urls:
        rows = sample_rows(urls)
        states = sorted({r["state"] for r in rows})
        with serve_locator(rows, port=port) as api_url:
            print(
                f"provdir demo: serving {len(urls)} sample sites and a sample directory of {len(rows)} listings "
                "on loopback:",
                file=sys.stderr,
            )
            print(f"  {api_url}  sample directory (SAMHSA locator API format)", file=sys.stderr)
            for name, url in urls.items():
                print(f"  {url}  {name}", file=sys.stderr)
            out.mkdir(parents=True, exist_ok=True)
            code = crawl_directory(out, api_url, states, log_level)
            if code not in (0, 3):
                return code
            with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="demo-seeds-", dir=out, delete=False) as fh:
                fh.write("# provdir demo: the bundled sample web\n" + "".join(f"{u}\n" for u in urls.values()))
                seeds_file = fh.name
            try:
                code = run_crawl(
                    seeds_file=seeds_file,
                    seeds=load_seeds(seeds_file),
                    out=out,
                    allow_private=True,
                    max_pages=None,
                    log_level=log_level,
                )
            finally:
                Path(seeds_file).unlink(missing_ok=True)
    if code in (0, 3):
        print()
        print("\n".join(summary_lines(out / "latest")))
    return code


def crawl_directory(out: Path, api_url: str, states: list[str], log_level: str) -> int:
    """``provdir crawl-samhsa`` against the sample locator, in a child process; its own summary is
    shown only when it did not publish."""
    cmd = [
        sys.executable,
        "-m",
        "provdir.cli",
        "crawl-samhsa",
        "--states",
        ",".join(states),
        "--api-url",
        api_url,
        "--allow-private-networks",
        "--out",
        str(out),
        "--log-level",
        log_level,
        # Loopback: no need for the real locator's 1 s between requests.
        "-s",
        "DOWNLOAD_DELAY=0.1",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    sys.stderr.write(proc.stderr)
    if proc.returncode not in (0, 3):
        sys.stdout.write(proc.stdout)
        print(
            f"provdir demo: the directory crawl failed (exit {proc.returncode}); the websites were not crawled.",
            file=sys.stderr,
        )
        return proc.returncode
    published = next((line for line in proc.stdout.splitlines() if line.startswith("Published")), "")
    print(f"Directory crawled: {published or 'published'}")
    return proc.returncode


def summary_lines(latest: Path) -> list[str]:
    """What the two sources became: merged facilities and the verification's findings."""
    facilities = pq.read_table(latest / "facilities.parquet").to_pylist()
    verification = pq.read_table(latest / "verification.parquet").to_pylist()
    names = {f["facility_id"]: f["name"] for f in facilities}
    kinds = Counter(_kind(f.get("sources") or []) for f in facilities if f.get("status") == "active")
    lines = [
        "Demo: the directory and the websites, resolved into one directory",
        f"  {sum(kinds.values())} active facilities: {kinds['both']} listed in the directory and read on their "
        f"website (merged into one row each), {kinds['samhsa']} listed only, {kinds['site']} on a website only",
    ]
    twins = [f for f in facilities if sum(1 for k in f.get("source_keys") or [] if k.startswith("samhsa:")) > 1]
    if twins:
        lines.append(
            f"  {len(twins)} {'facility merges' if len(twins) == 1 else 'facilities merge'} several directory "
            "listings (SAMHSA lists a place's substance-use and mental-health programs apart): "
            + ", ".join(sorted(f["name"] for f in twins))
        )
    by_status = Counter(r["status"] for r in verification)
    checked = {r["directory_source_key"] for r in verification}
    lines.append(
        f"  Verification: {len(checked)} listings checked against their websites, {len(verification)} fields: "
        + ", ".join(f"{n} {s}" for s, n in by_status.most_common())
    )
    findings = [r for r in verification if r["status"] in ("conflict", "only_directory")]
    if findings:
        lines.append("  Where the directory is out of date or says more than the website:")
    for r in sorted(findings, key=lambda r: (r["status"], names.get(r["facility_id"], ""), r["field"]))[
        :MAX_FINDINGS_SHOWN
    ]:
        lines.append("    " + _finding(r, names.get(r["facility_id"], r["facility_id"])))
    if len(findings) > MAX_FINDINGS_SHOWN:
        lines.append(f"    ... and {len(findings) - MAX_FINDINGS_SHOWN} more")
    lines.append(f"  Every field and its evidence: {latest / 'verification.csv'}")
    return lines


def _kind(sources: list[str]) -> str:
    if "samhsa" in sources and "site" in sources:
        return "both"
    return "samhsa" if "samhsa" in sources else "site"


def _finding(row: dict[str, Any], name: str) -> str:
    if row["status"] == "conflict":
        return (
            f"{name}: {row['field']} differs: directory {row['directory_value']!r}, "
            f"website {row['website_value']!r} ({row['evidence_url']})"
        )
    return f"{name}: the directory lists {row['field']} {row['directory_value']!r}; the website does not show it"
