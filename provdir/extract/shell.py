"""Pages only a browser can read: is this HTML an app shell whose facts appear after JavaScript?

Client-rendered sites (create-react-app, Vite, client-only Gatsby/Next builds, site builders
that render on the client) send ``<div id="root"></div>`` and a script bundle; the address,
phone and services exist only once the bundle has run. Read as plain HTML such a page says
nothing, and a site of them would publish a row that looks like a provider hiding its contact
details. :func:`needs_browser` says whether a page is such a shell, and why, from the HTML alone
(a pure function: the spider decides what to do about it).

A page needs a browser when it runs scripts and shows almost no text of its own, and one of:

- its body is mostly an empty mount point (an element with no text, next to the scripts);
- a framework's mount point (``#root``, ``#app``, ``#__next``, ... from
  ``provdir/vocab/app_mount_points.csv``) is empty beside a static header and footer;
- a ``<noscript>`` asks for JavaScript (phrases in ``provdir/vocab/javascript_required.csv``);
- it is a home page with no link to the rest of its own site.

A page with real text (an ordinary site with a "please enable JavaScript" banner) or without
scripts (nothing would change in a browser) never does.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import lxml.html
from lxml import etree

# Visible text below this many characters is "almost none": a shell's loading message or title
# repeated in a heading; the shortest real contact page in the sample web has ~600.
SHELL_TEXT_CHARS = 200
# A noscript notice alone is enough below this (a splash page with a line or two of copy).
NOSCRIPT_TEXT_CHARS = 600
# A home page without in-scope links but with scripts, below this much text.
NO_LINKS_TEXT_CHARS = 400
# A framework's mount point left empty (nested anywhere in the body, ids in
# provdir/vocab/app_mount_points.csv) beside a static header and footer, below this much text.
NAMED_MOUNT_TEXT_CHARS = 1000

# Script types that are data, not code: a page with only these has nothing to run.
_DATA_SCRIPT_TYPES = ("application/ld+json", "application/json", "text/template", "text/x-template", "importmap")
_INVISIBLE = ("script", "style", "noscript", "template", "svg", "head")
_SPACE = re.compile(r"\s+")
_SCRIPT_TAG = re.compile(r"<script", re.IGNORECASE)
_SCRIPT_TAG_BYTES = re.compile(rb"<script", re.IGNORECASE)


@dataclass(frozen=True)
class ShellSignals:
    """What :func:`needs_browser` measured on a page (kept for stats and the tests)."""

    text_chars: int
    scripts: int
    empty_mount: bool
    empty_named_mount: bool
    noscript_asks_js: bool
    in_scope_links: int | None


@cache
def mount_ids() -> frozenset[str]:
    """Element ids single-page-app frameworks mount into (lower case)."""
    with resources.files("provdir.vocab").joinpath("app_mount_points.csv").open(encoding="utf-8") as fh:
        return frozenset(row["id"].strip().lower() for row in csv.DictReader(fh) if row["id"].strip())


@cache
def javascript_cues() -> tuple[str, ...]:
    """Phrases a ``<noscript>`` uses to ask for JavaScript (lower case)."""
    with resources.files("provdir.vocab").joinpath("javascript_required.csv").open(encoding="utf-8") as fh:
        return tuple(row["phrase"].strip().lower() for row in csv.DictReader(fh) if row["phrase"].strip())


def signals(html: str | bytes, in_scope_links: int | None = None) -> ShellSignals | None:
    """The measurements, or None when ``html`` is not a readable HTML document."""
    return _measure(html, in_scope_links, text_limit=None)


def _measure(
    html: str | bytes, in_scope_links: int | None, text_limit: int | None, root: etree._Element | None = None
) -> ShellSignals | None:
    """Measure ``html`` (or its already parsed ``root``); with ``text_limit``, stop early (None)
    on a page without scripts or with at least that much text (most pages: the rest would not
    change the answer)."""
    if root is not None:
        doc = root
    else:
        try:
            doc = lxml.html.document_fromstring(html)
        except (etree.ParserError, ValueError):
            return None
    scripts = sum(1 for s in doc.iter("script") if _runs_code(s))
    if text_limit is not None and not scripts:
        return None
    body = doc.find("body")
    if body is None:
        body = doc
    text_chars = len(_visible_text(body)) if text_limit is None else _visible_length(body, text_limit)
    if text_limit is not None and text_chars >= text_limit:
        return None
    noscript_text = " ".join(_text(n) for n in doc.iter("noscript")).lower()
    return ShellSignals(
        text_chars=text_chars,
        scripts=scripts,
        empty_mount=_has_empty_mount(body),
        empty_named_mount=_has_empty_named_mount(body),
        noscript_asks_js=any(cue in noscript_text for cue in javascript_cues()),
        in_scope_links=in_scope_links,
    )


def needs_browser(
    html: str | bytes,
    *,
    in_scope_links: int | None = None,
    is_home: bool = False,
    root: etree._Element | None = None,
) -> str:
    """Why this page needs a browser to be read ('' when it does not).

    ``in_scope_links`` is the number of links to the page's own site (None: not counted);
    ``is_home`` marks the site's start page, where having no such link is itself a sign;
    ``root`` is the page's tree when the caller has parsed it already (the crawl has).
    """
    has_script = _SCRIPT_TAG_BYTES.search(html) if isinstance(html, bytes) else _SCRIPT_TAG.search(html)
    if not has_script:
        return ""  # most pages: nothing would run in a browser, no need to parse
    limit = max(SHELL_TEXT_CHARS, NOSCRIPT_TEXT_CHARS, NO_LINKS_TEXT_CHARS, NAMED_MOUNT_TEXT_CHARS)
    s = _measure(html, in_scope_links, text_limit=limit, root=root)
    if s is None or s.scripts == 0:
        return ""
    if s.text_chars < SHELL_TEXT_CHARS and s.empty_mount:
        return "empty mount point and scripts"
    if s.empty_named_mount and s.text_chars < NAMED_MOUNT_TEXT_CHARS:
        return "empty app mount point"
    if s.noscript_asks_js and s.text_chars < NOSCRIPT_TEXT_CHARS:
        return "noscript asks for JavaScript"
    if is_home and in_scope_links == 0 and s.text_chars < NO_LINKS_TEXT_CHARS:
        return "home page with scripts and no links"
    return ""


def _runs_code(script: etree._Element) -> bool:
    kind = (script.get("type") or "").strip().lower()
    if kind in _DATA_SCRIPT_TYPES or (kind and "json" in kind):
        return False
    return bool(script.get("src") or (script.text or "").strip())


def _text(el: etree._Element) -> str:
    return _SPACE.sub(" ", el.text_content()).strip()


def _visible_text(el: etree._Element, limit: int | None = None) -> str:
    """Text a reader sees without scripts: scripts, styles, noscript and templates left out.

    With ``limit``, the walk stops once the text holds ``limit`` characters that are not
    whitespace: the text returned is then at least ``limit`` long (collapsing whitespace never
    removes those), which is all a caller comparing with ``limit`` needs, and most pages stop
    in their first screen instead of collapsing the whole body."""
    parts: list[str] = []
    seen = 0
    for text in _visible_pieces(el):
        parts.append(text)
        if limit is not None:
            seen += sum(map(len, text.split()))  # str.split and \s split on the same whitespace
            if seen >= limit:
                break
    return _SPACE.sub(" ", " ".join(parts)).strip()


def _visible_length(el: etree._Element, limit: int) -> int:
    """``len(_visible_text(el))`` when that is below ``limit``; otherwise some length of at least
    ``limit``, found without collapsing the text (most pages pass the limit in their first
    screen, and the shell check only compares)."""
    parts: list[str] = []
    seen = 0
    for text in _visible_pieces(el):
        parts.append(text)
        seen += sum(map(len, text.split()))
        if seen >= limit:
            return seen
    return len(_SPACE.sub(" ", " ".join(parts)).strip())


def _visible_pieces(node: etree._Element) -> Iterator[str]:
    """The visible text pieces under ``node`` in reading order (``node`` itself is not judged).

    An explicit stack, not recursion: a nested generator per element (``yield from`` passes each
    piece up through every level) cost more than the rest of the shell check, and a nested
    function calling itself is a reference cycle left for the garbage collector on every page."""
    if node.text:
        yield node.text
    stack: list[tuple[Iterator[etree._Element], etree._Element | None]] = [(iter(node), None)]
    while stack:
        children, owner = stack[-1]
        for child in children:
            if isinstance(child.tag, str) and not _hidden(child):
                if child.text:
                    yield child.text
                stack.append((iter(child), child))  # its children next, then its tail
                break
            if child.tail:  # the text after a hidden element or a comment is visible
                yield child.tail
        else:
            stack.pop()
            if owner is not None and owner.tail:
                yield owner.tail


def _hidden(node: etree._Element) -> bool:
    return isinstance(node.tag, str) and (node.tag in _INVISIBLE or node.get("hidden") is not None)


def _has_empty_mount(body: etree._Element) -> bool:
    """An element (not a script) at the top of the body with no text of its own: where an app
    mounts. ``<div id="root"></div>``, ``<app-root></app-root>``, ``<div id="__next"></div>``."""
    for child in body:
        if not isinstance(child.tag, str) or child.tag in _INVISIBLE or child.tag in ("link", "meta", "br", "hr"):
            continue
        if not _visible_text(child):
            return True
    return False


def _has_empty_named_mount(body: etree._Element) -> bool:
    """A framework's mount point (by id, or Angular's ``<app-root>``) with no text, anywhere in the body."""
    ids = mount_ids()
    for node in body.iter():
        if not isinstance(node.tag, str):
            continue
        if ((node.get("id") or "").strip().lower() in ids or node.tag in ids) and not _visible_text(node):
            return True
    return False
