"""Seeds files: a text file of URLs (one per line, ``#`` comments) or a CSV with a ``url`` column.

A bad seeds file is rejected as a whole, before any request, with the file and line named:
a crawl over half a seed list would publish a directory that silently lacks the other half.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from provdir.redact import redact_text

MAX_SEEDS_FILE_BYTES = 50 * 1024 * 1024
# "www.example.org" or "example.org:8080/path": a host name with at least one dot.
_BARE_HOST = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:/\S*)?$")


class SeedsError(ValueError):
    """The seeds file cannot be used; the message names the file and, where known, the line."""


@dataclass(frozen=True)
class Seed:
    url: str
    name: str = ""
    line: int = 0

    @property
    def site(self) -> str:
        return site_key(self.url)


def site_key(url: str) -> str:
    """A site's scope key: host, plus the port when it is not the scheme's default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        return f"{host}:{port}"
    return host


def normalize_seed_url(text: str) -> str | None:
    """Return a canonical http(s) URL, or None when ``text`` is not a usable web address.

    A bare host name ("www.example.org") is accepted as https, since seed lists collected by
    hand often omit the scheme.
    """
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        return None
    if "://" not in text:
        if not _BARE_HOST.match(text):
            return None
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username is not None:
        return None  # credentials in a seed URL would be sent to the site: refused
    host = parts.hostname.lower()
    if not all(label and len(label) <= 63 for label in host.split(".")):
        return None
    if any(not (c.isalnum() or c in "-.:[]") for c in host):
        return None
    literal = f"[{host}]" if ":" in host else host  # an IPv6 address keeps its brackets
    netloc = literal if port is None else f"{literal}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


def load_seeds(path: str | Path) -> list[Seed]:
    """Read and validate a seeds file. Raises :class:`SeedsError` naming the file and line."""
    p = Path(path)
    if not p.exists():
        raise SeedsError(f"{p}: seeds file not found")
    if not p.is_file():
        raise SeedsError(f"{p}: not a file")
    if p.stat().st_size > MAX_SEEDS_FILE_BYTES:
        raise SeedsError(f"{p}: seeds file larger than {MAX_SEEDS_FILE_BYTES // 2**20} MiB")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SeedsError(f"{p}:{line}: not UTF-8 text") from exc
    if "\x00" in text:
        raise SeedsError(f"{p}: binary file, not a seeds list")
    seeds = _from_csv(p, text) if _looks_like_csv(p, text) else _from_lines(p, text)
    if not seeds:
        raise SeedsError(f"{p}: no seed URLs (the file is empty or only comments)")
    return _dedupe(seeds)


def _looks_like_csv(p: Path, text: str) -> bool:
    if p.suffix.lower() == ".csv":
        return True
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    return "," in first and "url" in [c.strip().lower() for c in first.split(",")]


def _from_lines(p: Path, text: str) -> list[Seed]:
    seeds: list[Seed] = []
    for n, line in enumerate(text.splitlines(), start=1):
        # "#" starts a comment at the start of a line or after a space (a URL may hold "#").
        body = line.strip().split(" #", 1)[0].strip()
        if not body or body.startswith("#"):
            continue
        url = normalize_seed_url(body)
        if url is None:
            raise SeedsError(f"{p}:{n}: not a valid http(s) URL: {redact_text(body)[:120]!r}")
        seeds.append(Seed(url=url, line=n))
    return seeds


def _from_csv(p: Path, text: str) -> list[Seed]:
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "url" not in fields:
        raise SeedsError(f"{p}:1: CSV has no 'url' column (columns: {', '.join(fields) or 'none'})")
    reader.fieldnames = fields
    seeds: list[Seed] = []
    # Line numbers count the header; comment lines are skipped above, so map back to the file.
    file_lines = [i for i, ln in enumerate(text.splitlines(), start=1) if not ln.lstrip().startswith("#")]
    for row_no, row in enumerate(reader, start=1):
        n = file_lines[row_no] if row_no < len(file_lines) else row_no + 1
        value = (row.get("url") or "").strip()
        if not value:
            if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                raise SeedsError(f"{p}:{n}: empty url")
            continue
        url = normalize_seed_url(value)
        if url is None:
            raise SeedsError(f"{p}:{n}: not a valid http(s) URL: {redact_text(value)[:120]!r}")
        seeds.append(Seed(url=url, name=(row.get("name") or "").strip(), line=n))
    return seeds


def _dedupe(seeds: list[Seed]) -> list[Seed]:
    """One seed per site: the first wins (a site is crawled once per run)."""
    seen: set[str] = set()
    out = []
    for s in seeds:
        if s.site not in seen:
            seen.add(s.site)
            out.append(s)
    return out
