"""Seeds from the directory: the websites of the facilities a directory source published.

A chain with 40 listed locations is one website: listings are deduplicated by the registered
domain of their website, keeping the first root URL seen for it.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq

from provdir.normalize.url import registered_domain
from provdir.sources.seeds import normalize_seed_url

DIRECTORY_SOURCES = ("samhsa",)


class NoDirectory(RuntimeError):
    pass


def directory_websites(output: Path, states: set[str] | None = None) -> list[tuple[str, str]]:
    """(root URL, organization) of every directory-listed website, one per registered domain."""
    path = output / "latest" / "facilities.parquet"
    if not path.exists():
        raise NoDirectory(f"no published directory at {path}: run `provdir crawl-samhsa` first")
    table = pq.read_table(path, columns=["website", "organization", "state", "sources"]).to_pylist()
    seen: dict[str, tuple[str, str]] = {}
    for row in table:
        if not set(row.get("sources") or []) & set(DIRECTORY_SOURCES) or not row.get("website"):
            continue
        if states and row.get("state") not in states:
            continue
        url = normalize_seed_url(row["website"])
        if url is None:
            continue
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}/"
        seen.setdefault(registered_domain(root), (root, row.get("organization") or ""))
    return sorted(seen.values())


def write_seeds(seeds: list[tuple[str, str]], path: Path) -> Path:
    """A CSV seeds file (url, name) the website spider reads."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["url", "name"])
        writer.writerows(seeds)
    return path
