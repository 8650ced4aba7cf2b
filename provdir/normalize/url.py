"""URL identity: the registered domain a website belongs to.

Shared by seeding from the directory (one crawl per registered domain) and the build's entity
resolution (records sharing a website domain), so it lives below both.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any


@cache
def _domain_extractor() -> Any:
    import tldextract

    # The bundled public-suffix snapshot: no network at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@cache
def registered_domain(url: str) -> str:
    """'http://www.regionten.org/' -> 'regionten.org'; loopback hosts keep host:port."""
    if not url:
        return ""
    host = re.sub(r"^[a-z]+://", "", url.strip().lower()).split("/", 1)[0]
    if re.match(r"^\d+\.\d+\.\d+\.\d+(:\d+)?$", host) or host.startswith("localhost"):
        return host
    ext = _domain_extractor()(host.split(":", 1)[0])
    if hasattr(ext, "top_domain_under_public_suffix"):  # tldextract >= 5.3
        top = ext.top_domain_under_public_suffix
    else:
        top = ext.registered_domain
    return top or host.split(":", 1)[0]
