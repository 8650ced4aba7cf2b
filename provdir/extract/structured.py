"""schema.org data (JSON-LD and microdata, via ``extruct``): names, addresses, phones, geo."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import extruct

from provdir.extract.phones import e164, parse_number
from provdir.model.items import AddressFact, Fact, PhoneFact
from provdir.normalize.address import parse_address, state_abbr, zip5

log = logging.getLogger(__name__)

# Types whose name/address/telephone describe the organization or one of its places.
PLACE_TYPES = frozenset(
    [
        "Organization",
        "LocalBusiness",
        "MedicalBusiness",
        "MedicalClinic",
        "MedicalOrganization",
        "Hospital",
        "Physician",
        "HealthAndBeautyBusiness",
        "NGO",
        "Corporation",
        "ProfessionalService",
        "Place",
        "MedicalCenter",
        "DiagnosticLab",
        "PsychologicalTreatment",
    ]
)
BLOG_TYPES = frozenset(["BlogPosting", "NewsArticle", "Article", "Blog"])


_JSON_LD = re.compile(r"<script[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script>", re.I | re.S)


def structured_items(html: str, url: str) -> list[dict[str, Any]]:
    """All JSON-LD and microdata items of a page, flattened through @graph. Never raises.

    JSON-LD scripts are parsed one by one, so one broken script (a stray comma, an HTML
    comment around it) does not lose the others, which is what extruct does with the page.
    """
    items: list[dict[str, Any]] = []
    for body in _JSON_LD.findall(html):
        text = body.strip().removeprefix("<!--").removesuffix("-->").strip()
        text = text.removeprefix("//<![CDATA[").removesuffix("//]]>").strip()
        try:
            items.extend(_flatten(json.loads(text, strict=False)))
        except ValueError:
            log.debug("unreadable JSON-LD script on %s", url)
    if "itemtype" in html:
        try:
            data = extruct.extract(html, base_url=url, syntaxes=["microdata"], uniform=True, errors="ignore")
        except Exception as exc:  # extruct surfaces parser errors of several libraries
            log.debug("microdata unreadable on %s: %s", url, exc)
            data = {}
        for item in data.get("microdata", []) or []:
            items.extend(_flatten(item))
    return items


def _flatten(item: Any) -> Iterator[dict[str, Any]]:
    if isinstance(item, list):
        for x in item:
            yield from _flatten(x)
    elif isinstance(item, dict):
        if "@graph" in item:
            yield from _flatten(item["@graph"])
        else:
            yield item
            for key in ("location", "department", "subOrganization", "branchOf", "parentOrganization"):
                if key in item:
                    yield from _flatten(item[key])


def types_of(item: dict[str, Any]) -> set[str]:
    t = item.get("@type", [])
    types = t if isinstance(t, list) else [t]
    return {str(x).rsplit("/", 1)[-1] for x in types}


def is_blog(items: list[dict[str, Any]]) -> bool:
    return any(types_of(i) & BLOG_TYPES for i in items)


def facts_from_structured(items: list[dict[str, Any]]) -> tuple[list[Fact], list[PhoneFact], list[AddressFact]]:
    names: list[Fact] = []
    phones: list[PhoneFact] = []
    addresses: list[AddressFact] = []
    for item in items:
        if not types_of(item) & PLACE_TYPES:
            continue
        name = _text(item.get("name"))
        if name:
            names.append(Fact(value=name, snippet=f"schema.org name: {name}", region="structured", basis="structured"))
        tel = _text(item.get("telephone"))
        num = parse_number(tel) if tel else None
        if num is not None:
            phones.append(
                PhoneFact(
                    raw=tel,
                    e164=e164(num),
                    extension=num.extension or "",
                    role="main",
                    snippet=f"schema.org telephone: {tel}",
                    region="structured",
                    source="structured",
                )
            )
        for addr in _as_list(item.get("address")):
            fact = _postal_address(addr, name)
            if fact is not None:
                fact.phones = [phones[-1].e164] if num is not None else []
                geo = item.get("geo") if isinstance(item.get("geo"), dict) else {}
                fact.latitude, fact.longitude = _float(geo.get("latitude")), _float(geo.get("longitude"))
                addresses.append(fact)
    return names, phones, addresses


def _postal_address(addr: Any, name: str) -> AddressFact | None:
    if isinstance(addr, str):
        parsed = parse_address(addr)
        if parsed is None:
            return None
        return AddressFact(
            raw=addr,
            street=parsed.full_street,
            city=parsed.city,
            state=parsed.state,
            postal_code=parsed.postal_code,
            kind="mailing" if parsed.po_box else "physical",
            label=name,
            snippet=f"schema.org address: {addr}",
            region="structured",
            source="structured",
        )
    if not isinstance(addr, dict):
        return None
    street = _text(addr.get("streetAddress"))
    city = _text(addr.get("addressLocality"))
    state = state_abbr(_text(addr.get("addressRegion")))
    postal = zip5(_text(addr.get("postalCode")))
    raw = ", ".join(x for x in (street, city, f"{state} {postal}".strip()) if x)
    parsed = parse_address(raw) if street and city and state else None
    if parsed is None:
        return None
    return AddressFact(
        raw=raw,
        street=parsed.full_street,
        city=parsed.city,
        state=parsed.state,
        postal_code=parsed.postal_code or postal,
        kind="mailing" if parsed.po_box else "physical",
        label=name,
        snippet=f"schema.org address: {raw}",
        region="structured",
        source="structured",
    )


def _as_list(x: Any) -> list[Any]:
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


def _text(x: Any) -> str:
    if isinstance(x, list):
        x = x[0] if x else ""
    if isinstance(x, dict):
        x = x.get("name") or x.get("@value") or ""
    return " ".join(str(x).split()) if x is not None else ""


def _float(x: Any) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None
