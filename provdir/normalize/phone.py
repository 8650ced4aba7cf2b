"""Phone numbers to E.164 (libphonenumber), shared by extraction, pipelines and the SAMHSA mapping."""

from __future__ import annotations

import functools

import phonenumbers

# phonenumbers compiles its metadata's patterns on demand through re's cache (512 entries,
# first in, first out in Python 3.11), which a crawl's own patterns overflow: a 150-site crawl
# compiled 57 of them 4 times over. Its own cache holds each compiled pattern once (bounded by the
# metadata), for the whole process.
phonenumbers.enable_pattern_cache()

REGION = "US"
CONTACT_ROLES = frozenset({"main", "admissions", "toll_free", "text"})
"""Roles a family can call; ``fax`` and ``crisis`` numbers are evidence only, never contact phones."""


@functools.lru_cache(maxsize=4096)
def parse_number(raw: str) -> phonenumbers.PhoneNumber | None:
    """A valid number read as a US number, or ``None``.

    Cached: a site shows the same few numbers on every page (header, footer), and the extractor,
    the phone pipeline and the build each read them; a broad crawl spent ~3% of its CPU here.
    The number returned is shared: read it, never change it."""
    try:
        num = phonenumbers.parse(raw, REGION)
    except phonenumbers.NumberParseException:
        return None
    return num if phonenumbers.is_valid_number(num) else None


def e164(num: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
