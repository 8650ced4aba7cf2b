"""Phone numbers to E.164 (libphonenumber), shared by extraction, pipelines and the SAMHSA mapping."""

from __future__ import annotations

import phonenumbers

REGION = "US"
CONTACT_ROLES = frozenset({"main", "admissions", "toll_free", "text"})
"""Roles a family can call; ``fax`` and ``crisis`` numbers are evidence only, never contact phones."""


def parse_number(raw: str) -> phonenumbers.PhoneNumber | None:
    """A valid number read as a US number, or ``None``."""
    try:
        num = phonenumbers.parse(raw, REGION)
    except phonenumbers.NumberParseException:
        return None
    return num if phonenumbers.is_valid_number(num) else None


def e164(num: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
