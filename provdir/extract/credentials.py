"""Accreditations (CARF, The Joint Commission, ...) and state licenses/certifications.

Accreditations are read from text and from logo images (alt text, title, file name), because
small sites often show a CARF or Gold Seal logo and nothing else. A license is a *facility*
license: "licensed by the California Department of Health Care Services, License #..." or
"certified by the Missouri Department of Mental Health". Staff credentials ("our counselors are
Licensed Clinical Social Workers"), funders ("funded by MDHHS") and accreditors named in a
licensing sentence ("licensed ... by the State ... and the Joint Commission") are not licenses.
"""

from __future__ import annotations

import re

from provdir.extract import claims
from provdir.extract.page import Page
from provdir.model.items import Fact, LicenseFact
from provdir.normalize.address import state_abbr, state_names
from provdir.vocab import vocabulary

SNIPPET = 200

_LICENSE_CUE = re.compile(
    r"\b(?:licensed|certified|licensed and certified|certified and licensed|approved|regulated|"
    r"accredited|recognized)\s+(?:as an? [\w\s-]{1,40}?\s+)?(?:by|through|with|under)\s+",
    re.I,
)
# "state-licensed", "licensed by the state": a license whose agency the page does not name.
_STATE_LICENSED = re.compile(r"\b(?:[Ss]tate[\s-][Ll]icensed|[Ll]icensed by the [Ss]tate(?! of))\b")
# A licensing body is a government body: a department/division/office, or a commission, bureau,
# board or agency *of a state* ("Better Business Bureau" is neither).
_GOV_WORDS = re.compile(r"\b(?:Department|Dept\.?|Division|Office of|State|Commonwealth|County)\b")
_BODY_WORDS = re.compile(r"\b(?:Commission|Bureau|Board|Agency|Authority|Administration|Council)\b")
_STAFF = re.compile(
    r"\b(?:counselors?|therapists?|clinicians?|staff|physicians?|doctors?|nurses?|psychiatrists?|"
    r"psychologists?|social workers?|practitioners?|director|team members?|employees|providers are)\b",
    re.I,
)
_NUMBER = re.compile(
    r"\b(?:licen[cs]e|lic\.|certification|certificate|cert\.)\s*(?:number|num\.?|no\.?|#)?\s*[:#]?\s*"
    r"(?P<num>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}[A-Z0-9])\b",
    re.I,
)
_SPLIT_AGENCIES = re.compile(r",|;|\band (?:the|by|is|are|was|accredited|certified|licensed|approved)\b|\bas well as\b")


def extract_accreditations(page: Page, *, blog: bool) -> tuple[list[Fact], list[dict[str, str]]]:
    matcher = vocabulary.accreditations()
    facts: list[Fact] = []
    rejected: list[dict[str, str]] = []
    seen: set[str] = set()

    def keep(value: str, snippet: str, region: str, basis: str) -> None:
        if value not in seen:
            seen.add(value)
            facts.append(Fact(value=value, snippet=snippet[:SNIPPET], region=region, basis=basis))

    for block in page.blocks:
        if blog and block.region == "main":
            continue
        for sentence in claims.sentences(block.flat):
            for m in matcher.find(sentence):
                clause = claims.clause_around(sentence, m.start, m.end)
                cue = claims.negative_cue(clause)
                if cue in ("negation", "future", "history", "generic") or claims.is_question(sentence):
                    rejected.append({"field": "accreditation", "value": m.value,
                                     "reason": cue or "question", "snippet": sentence[:SNIPPET]})  # fmt: skip
                    continue
                keep(m.value, sentence, block.region, "statement")
    tokens = vocabulary.accreditation_logo_tokens()
    for img in page.images:
        if blog and img.region == "main":
            continue
        text = f"{img.alt} {img.title}".strip()
        for m in matcher.find(text):
            keep(m.value, f"logo: {text}", img.region, "logo")
        name = img.src.rsplit("/", 1)[-1].lower()
        for tok, value in tokens.items():
            if re.search(rf"(?:^|[^a-z]){re.escape(tok)}(?:[^a-z]|$)", name):
                keep(value, f"logo: {img.src}", img.region, "logo")
    return facts, rejected


def extract_licenses(page: Page, *, blog: bool) -> list[LicenseFact]:
    facts: list[LicenseFact] = []
    seen: set[tuple[str, str]] = set()
    for block in page.blocks:
        if blog and block.region == "main":
            continue
        for sentence in claims.sentences(block.flat):
            for lic in _licenses_in(sentence):
                lic.region = block.region
                key = (lic.agency.lower(), lic.number)
                if key not in seen:
                    seen.add(key)
                    facts.append(lic)
    return _merge_numbers(facts)


def _licenses_in(sentence: str) -> list[LicenseFact]:
    out: list[LicenseFact] = []
    if re.search(r"\b(?:funded|funding|grant)\b", sentence, re.I) and not _LICENSE_CUE.search(sentence):
        return out
    for cue in _LICENSE_CUE.finditer(sentence):
        subject = sentence[: cue.start()]
        if _STAFF.search(subject[-60:]):
            continue  # "our counselors are certified by ..." is a staff credential
        tail = sentence[cue.end() :]
        for part in _SPLIT_AGENCIES.split(tail)[:3]:
            if _NUMBER.match(part.strip()):
                continue  # "..., certification number DMH-04417": the number, not another agency
            agency, state = _agency(part)
            if agency:
                out.append(
                    LicenseFact(agency=agency, state=state, number=_number(sentence), snippet=sentence[:SNIPPET])
                )
    for m in _STATE_LICENSED.finditer(sentence):
        if out or _STAFF.search(sentence[: m.start()][-60:]):
            continue  # an agency already named in the sentence says more than "state-licensed"
        out.append(LicenseFact(agency="", state="", number=_number(sentence), snippet=sentence[:SNIPPET]))
    if not out:
        number = _number(sentence)
        if number:
            agency, state = _agency(sentence)
            out.append(LicenseFact(agency=agency, state=state, number=number, snippet=sentence[:SNIPPET]))
    return out


def _agency(text: str) -> tuple[str, str]:
    """A licensing agency named at the start of ``text``: (canonical or shown name, state)."""
    text = text.strip()
    if any(m.start < 8 for m in vocabulary.accreditations().find(text[:80])):
        return "", ""  # "... and the Joint Commission": an accreditor, not a licensor
    for pattern, state, agency in vocabulary.license_agencies():
        m = pattern.search(text[:120])
        # A known name or acronym counts at the start of the part, where an agency is named.
        if m and m.start() <= 40 and not _NUMBER.match(text):
            shown_state = _state_in(text[:120])
            return (agency if state else _shown_agency(text) or agency), state or shown_state
    shown = _shown_agency(text)
    if shown:
        return shown, _state_in(shown)
    return "", ""


def _shown_agency(text: str) -> str:
    """'the State of California Department of X (DX), License ...' -> 'State of California Department of X'."""
    m = re.match(
        r"^(?:the\s+)?((?:[A-Z][\w.&'-]*|of|and|for|on|the|&)(?:\s+(?:[A-Z][\w.&'-]*|of|and|for|on|the|&))*)",
        text.strip(),
    )
    if not m:
        return ""
    name = re.sub(r"\s+(?:and|of|for|on|the|&)$", "", m.group(1)).strip().rstrip(".,;:")
    if len(name.split()) < 2:
        return ""
    if _GOV_WORDS.search(name) or (_BODY_WORDS.search(name) and _state_in(name)):
        return name
    return ""


def _state_in(text: str) -> str:
    for name in state_names():
        if len(name) > 2 and re.search(rf"\b{re.escape(name)}\b", text, re.I):
            return state_abbr(name)
    return ""


def _number(sentence: str) -> str:
    m = _NUMBER.search(sentence)
    return m.group("num") if m else ""


def _merge_numbers(facts: list[LicenseFact]) -> list[LicenseFact]:
    """Drop an agency-less number when the same number is already tied to an agency."""
    tied = {f.number for f in facts if f.agency and f.number}
    return [f for f in facts if f.agency or not f.number or f.number not in tied]
