"""A page as extractors see it: text blocks, each labelled with the page region it sits in.

Real treatment-center pages put their facts in menus, headers, footers and contact blocks,
and talk about detox in general in their body copy. Knowing *where* a text sits is what lets
the extractors tell a claim ("Inpatient / Detox" in the site menu) from a mention (a blog
paragraph explaining what detox is). This module does the one DOM walk every extractor shares.
"""

from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from provdir.normalize.url import join

_DIGIT = re.compile(r"\d")
REGIONS = ("nav", "header", "footer", "sidebar", "main")

# Elements that start a new text block. Inline elements (a, span, strong, ...) join the
# block they sit in; <br> becomes a line break inside the block (addresses depend on it).
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
        "caption",
        "center",
    ]
)
HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "head", "select"]
)

# class/id tokens that mark regions on sites that do not use the HTML5 elements.
_NAV_TOKENS = re.compile(
    r"(?:^|[\s_-])(nav|navbar|navigation|menu|mainmenu|main-menu|menubar|megamenu|submenu|"
    r"dropdown|breadcrumbs?|eval-sitemap|sitemap|topbar|top-bar)(?:$|[\s_-])",
    re.I,
)
_HEADER_TOKENS = re.compile(r"(?:^|[\s_-])(header|masthead|site-header|banner|topheader)(?:$|[\s_-])", re.I)
_FOOTER_TOKENS = re.compile(r"(?:^|[\s_-])(footer|colophon|site-info|bottom-bar|copyright)(?:$|[\s_-])", re.I)
_SIDEBAR_TOKENS = re.compile(
    r"(?:^|[\s_-])(sidebar|side-bar|widget-area|widgets?|aside|rightsidebar|leftsidebar)(?:$|[\s_-])", re.I
)
_ROLE_REGION = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "main": "main",
}


@dataclass
class Block:
    """A run of visible text between block-level boundaries."""

    text: str
    region: str
    tag: str
    index: int
    heading: bool = False
    link_href: str | None = None
    """Set when the whole block is one link (a menu item): its absolute URL."""
    in_list: bool = False
    has_digit: bool = False

    @property
    def lines(self) -> list[str]:
        return [ln for ln in self.text.split("\n") if ln.strip()]

    @property
    def flat(self) -> str:
        """The block's text on one line (computed once: every extractor reads it)."""
        if self._flat is None:
            self._flat = " ".join(self.text.split())
        return self._flat

    _flat: str | None = field(default=None, repr=False, compare=False)


@dataclass
class Image:
    src: str
    alt: str
    title: str
    region: str


@dataclass
class TelLink:
    href: str
    text: str
    context: str
    region: str


@dataclass
class Page:
    url: str
    html: str
    title: str = ""
    blocks: list[Block] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tel_links: list[TelLink] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    """(absolute URL, anchor text) of every link on the page."""
    meta: dict[str, str] = field(default_factory=dict)
    root: lxml.html.HtmlElement | None = None
    lang: str = "en"
    """Primary language subtag of ``<html lang>`` ("en-US" -> "en"); "en" when absent."""

    def text_of(self, region: str) -> str:
        return "\n".join(b.text for b in self.blocks if b.region == region)


def clean_text(text: str) -> str:
    """Decode leftover entities, normalize Unicode spacing/quotes, collapse spaces per line."""
    if "&" in text:
        text = html_lib.unescape(text)
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u00ad", "").replace("\u200b", "")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def _own_region(el: etree._Element) -> str | None:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in ("body", "html"):
        return None  # body classes describe the theme ("header-overlay-left"), not a region
    if tag == "nav":
        return "nav"
    if tag == "header":
        return "header"
    if tag == "footer":
        return "footer"
    if tag == "aside":
        return "sidebar"
    if tag == "main":
        return "main"
    role = (el.get("role") or "").lower()
    if role in _ROLE_REGION:
        return _ROLE_REGION[role]
    tokens = f"{el.get('class') or ''} {el.get('id') or ''}"
    if not tokens.strip():
        return None
    if _NAV_TOKENS.search(tokens):
        return "nav"
    if _FOOTER_TOKENS.search(tokens):
        return "footer"
    if _HEADER_TOKENS.search(tokens):
        return "header"
    if _SIDEBAR_TOKENS.search(tokens):
        return "sidebar"
    return None


def _combine(outer: str, own: str | None) -> str:
    """Region of an element given its parent's region and its own markers.

    A menu inside the header is ``nav`` (menus are the most specific evidence); a menu inside
    the footer stays ``footer``-scoped only if it is not a menu; otherwise outer regions win,
    so a "widget" inside the footer is still footer.
    """
    if own is None:
        return outer
    if outer == "main" or own == "main":
        return own  # an explicit <main> / role=main is main wherever a theme wrapped it
    if own == "nav":
        return "nav"
    return outer


def html_root(html: str) -> etree._Element | None:
    """The page's lxml tree, or None for a page with nothing to parse. Never raises."""
    try:
        return lxml.html.document_fromstring(html) if html.strip() else None
    except (etree.ParserError, ValueError):
        return None


def parse_page(html: str, url: str, root: etree._Element | None = None) -> Page:
    """Parse HTML into a :class:`Page`. Never raises on malformed HTML. ``root`` is the tree
    :func:`html_root` made of ``html`` when the caller has it already; it is only read."""
    page = Page(url=url, html=html)
    if root is None:
        root = html_root(html)
    if root is None:
        return page
    page.root = root
    lang = (root.get("lang") or root.get("xml:lang") or "").strip().lower()
    if re.fullmatch(r"[a-z]{2,3}(?:[-_][a-z0-9]+)*", lang):
        page.lang = re.split(r"[-_]", lang)[0]
    title_el = root.find(".//title")
    if title_el is not None and title_el.text:
        page.title = clean_text(title_el.text)
    for meta in root.iter("meta"):
        key = meta.get("property") or meta.get("name")
        if key and meta.get("content"):
            page.meta[key.lower()] = meta.get("content", "")
    _Walker(page).walk(root)
    return page


class _Walker:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.buf: list[str] = []
        self.buf_region = "main"
        self.buf_tag = "body"
        self.buf_links: list[str] = []
        self.buf_link_text: list[str] = []
        self.buf_in_list = False

    def flush(self) -> None:
        raw = "".join(self.buf)
        self.buf = []
        text = clean_text(raw)
        links, link_text = self.buf_links, self.buf_link_text
        self.buf_links, self.buf_link_text = [], []
        if not text:
            return
        href = None
        if len(links) == 1 and " ".join(" ".join(link_text).split()) == " ".join(text.split()):
            href = links[0]
        self.page.blocks.append(
            Block(
                text=text,
                region=self.buf_region,
                tag=self.buf_tag,
                index=len(self.page.blocks),
                heading=self.buf_tag in HEADING_TAGS,
                link_href=href,
                in_list=self.buf_in_list,
                has_digit=_DIGIT.search(text) is not None,
            )
        )

    def walk(self, root: etree._Element) -> None:
        body = root.find("body")
        self._visit(body if body is not None else root, ("main", "body", False))
        self.flush()

    def _visit(self, el: etree._Element, outer: tuple[str, str, bool]) -> None:
        """Visit ``el``; ``outer`` is the (region, tag, in_list) of the enclosing block, which
        the text after a nested block (its tail) belongs to."""
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag in SKIP_TAGS:
            # Comments, scripts, styles: keep only the text that follows them.
            if el.tail:
                self.buf.append(el.tail)
            return
        # Inline-hidden content (display:none) is read like visible content: on real sites it
        # is almost always an accordion, a tab or a "click here for locations" panel that a
        # script opens, and the facts in it are the provider's own.
        region = _combine(outer[0], _own_region(el))
        in_list = outer[2] or tag == "li"
        is_block = tag in BLOCK_TAGS
        context = (region, tag, in_list) if is_block else (region, outer[1], in_list)
        if is_block:
            self.flush()
            self.buf_region, self.buf_tag, self.buf_in_list = context
        if tag == "br":
            self.buf.append("\n")
        elif tag == "img":
            self._image(el, region)
        elif tag == "a":
            self._link(el, region)
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self._visit(child, context)
        if is_block:
            self.flush()
            self.buf_region, self.buf_tag, self.buf_in_list = outer
        if el.tail:
            self.buf.append(el.tail)

    def _image(self, el: etree._Element, region: str) -> None:
        src = el.get("src") or ""
        if not src or src.startswith("data:"):  # lazy-loading placeholder: the real file is elsewhere
            src = el.get("data-src") or el.get("data-lazy-src") or el.get("data-original") or src
        self.page.images.append(
            Image(src=src, alt=clean_text(el.get("alt") or ""), title=clean_text(el.get("title") or ""), region=region)
        )

    def _link(self, el: etree._Element, region: str) -> None:
        href = (el.get("href") or "").strip()
        text = clean_text(el.text_content() or "")
        if href.lower().startswith("tel:"):
            label = " ".join(filter(None, [el.get("aria-label"), el.get("title")]))
            parent = el.getparent()
            context = clean_text(parent.text_content()) if parent is not None else ""
            self.page.tel_links.append(TelLink(href=href, text=text or label, context=context[:200], region=region))
            return
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            return
        try:
            absolute = join(self.page.url, href)
            _ = urlsplit(absolute).port  # raises for "host:99999", as urljoin does for "http://[::1"
        except ValueError:  # a link that is no URL: skipped, the page's facts and other links kept
            return
        self.page.links.append((absolute, text))
        self.buf_links.append(absolute)
        self.buf_link_text.append(text)


def same_site(url: str, site_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(site_url)
    return (a.hostname, a.port) == (b.hostname, b.port)
