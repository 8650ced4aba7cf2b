"""Accreditations (CARF, The Joint Commission, ...) and state licenses/certifications.

Accreditations are read from text, from logo images (alt text, title, file name) and from seal
widgets (a LegitScript seal script, a Joint Commission Quality Check link), because small sites
often show a CARF or Gold Seal logo and nothing else. A logo in a "featured on" / partners /
funders strip is not an accreditation.

A license is a *facility* license or certification by a government body. The bodies are a
registry (:mod:`provdir.normalize.agency`); the words around them are cue lexicons
(``vocab/license_cues.csv``). An agency named in a sentence is a licensor when the nearest cue
before it is a licensing word, wherever it stands ("Licensed/Certified by ...", "certifications
granted in several locations, by the ... Department of ..., as a CCBHC", "holds a license from
...", "a DHCS-licensed facility"); when it is a funding or membership word, it is not. Under a
licensing/accreditation heading, a list item or short line that names an agency is a license
with no verb at all. State agency seals and logos count too (basis ``logo``). Staff
credentials ("our counselors are certified by ..."), professional boards and accreditors are
not licenses.

When the page names no agency ("State-licensed"), or one that several states have ("the
Department of Mental Health", "DMH"), the state is left empty here: the build takes it from the
facility's address and records it as inferred.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from lxml import etree

from provdir.extract import claims
from provdir.extract.page import Page, _combine, _own_region
from provdir.model.items import Fact, LicenseFact
from provdir.normalize import agency as registry
from provdir.vocab import vocabulary

SNIPPET = 200

# "state-licensed", "licensed by the state": a license whose agency the page does not name.
_STATE_LICENSED = re.compile(
    r"\b(?:state[\s-](?:licensed|certified|approved)|(?:licensed|certified)(?: and (?:licensed|certified))? by the "
    r"state\b(?! of)|(?:is|are|as) (?:a |an )?(?:fully )?licensed (?:[\w-]+ ){0,3}?(?:treatment )?(?:facility|"
    r"program|center|agency|provider)\b|\b(?:we are|we're) (?:fully |proudly )?licensed\b(?! (?:and )?(?:therapists?|"
    r"counsel|clinic|professional|staff|social|psycholog|nurs)))",
    re.I,
)
_NUMBER = re.compile(
    r"\b(?:licen[cs]e|lic\b\.?|certification|certificate|cert\b\.?)\s*(?:number|num\.?|nos?\.?|#)?\s*[:#]?\s*"
    r"(?P<num>(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{3,}[A-Z0-9])\b",
    re.I,
)
# A sentence that names a government body the registry lacks: shown as written.
_SHOWN_AGENCY = re.compile(
    r"(?:by|from|through|with|under)\s+(?:the\s+)?((?:[A-Z][\w.&'-]*|of|and|for|on|the|&)"
    r"(?:\s+(?:[A-Z][\w.&'-]*|of|and|for|on|the|&))*)"
)
_GOV_WORDS = re.compile(r"\b(?:Department|Dept\.?|Division|Office of|County)\b")
_BODY_WORDS = re.compile(r"\b(?:Commission|Bureau|Agency|Authority|Administration|Council)\b")
_DESIGNATION = re.compile(r"^[\s,]*(?:\([^)]*\)[\s,]*)?as (?:an? |the )?(?P<what>[^.;]{2,80})", re.I)
_SHORT_LINE = 20  # words: a list item or a line under a heading, not a paragraph


def _cues() -> dict[str, re.Pattern[str]]:
    return vocabulary.license_cues()


# -- accreditations ------------------------------------------------------------------------
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
                    rejected.append(
                        {
                            "field": "accreditation",
                            "value": m.value,
                            "reason": cue or "question",
                            "snippet": sentence[:SNIPPET],
                        }
                    )
                    continue
                keep(m.value, sentence, block.region, "statement")
    for value, url, region in _seals(page):
        if not (blog and region == "main"):
            keep(value, f"seal: {url}", region, "seal")
    tokens = vocabulary.accreditation_logo_tokens()
    featured: set[str] | None = None
    for img in page.images:
        if blog and img.region == "main":
            continue
        text = f"{img.alt} {img.title}".strip()
        found = [(m.value, f"logo: {text}") for m in matcher.find(text)]
        name = img.src.rsplit("/", 1)[-1].lower()
        found += [
            (value, f"logo: {img.src}")
            for tok, value in tokens.items()
            # the substring test first: most images name no accreditation body at all
            if tok in name and re.search(rf"(?:^|[^a-z]){re.escape(tok)}(?:[^a-z]|$)", name)
        ]
        if found and featured is None:
            featured = _featured_images(page)
        for value, snippet in found:
            if featured and img.src in featured:
                rejected.append(
                    {"field": "accreditation", "value": value, "reason": "featured", "snippet": snippet[:SNIPPET]}
                )
            else:
                keep(value, snippet, img.region, "logo")
    return facts, rejected


def _seals(page: Page) -> list[tuple[str, str, str]]:
    """(value, URL, region) of seal widgets: scripts, iframes and links around a seal image."""
    if page.root is None:
        return []
    seals = vocabulary.accreditation_seals()
    out = []
    # A text link to carf.org is a mention, not a seal: links count only around an image.
    for el in page.root.xpath("//script[@src] | //iframe[@src] | //a[@href][.//img]"):
        url = (el.get("href") if el.tag == "a" else el.get("src")) or ""
        low = url.lower()
        for pattern, value in seals:
            if pattern in low:
                out.append((value, url, _region_of(el)))
    return out


def _region_of(el: etree._Element) -> str:
    region = "main"
    for anc in reversed(list(el.iterancestors())):
        region = _combine(region, _own_region(anc))
    return _combine(region, _own_region(el))


def _featured_images(page: Page) -> set[str]:
    """Image sources inside a "featured on" / partners / funders strip."""
    if page.root is None:
        return set()
    featured = _cues()["featured"]
    out: set[str] = set()
    for img in page.root.iter("img"):
        src = img.get("src") or ""
        if not src or src.startswith("data:"):
            src = img.get("data-src") or img.get("data-lazy-src") or img.get("data-original") or src
        if _strip_label(img, featured):
            out.add(src)
    return out


def _strip_label(el: etree._Element, pattern: re.Pattern[str]) -> bool:
    """Whether a container of ``el`` (up to four levels) is labelled by ``pattern``: its class
    or id, or a heading / short text just before the logos."""
    node = el
    for _ in range(4):
        parent = node.getparent()
        if parent is None:
            return False
        label = f"{parent.get('class') or ''} {parent.get('id') or ''} {parent.get('aria-label') or ''}"
        if pattern.search(label.replace("-", " ").replace("_", " ")):
            return True
        prev = node.getprevious()
        while prev is not None and not isinstance(prev.tag, str):
            prev = prev.getprevious()
        # A label is a heading or a short line, not a neighbouring column of links.
        if prev is not None and prev.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "span", "strong", "b", "div"):
            text = " ".join((prev.text_content() or "").split())
            if (
                text
                and len(text) <= 60
                and not prev.findall(".//img")
                and not prev.findall(".//li")
                and len(prev.findall(".//a")) <= 1
                and pattern.search(text)
            ):
                return True
        node = parent
    return False


# -- licenses ------------------------------------------------------------------------------
def extract_licenses(page: Page, *, blog: bool, rejected: list[dict[str, str]] | None = None) -> list[LicenseFact]:
    """The page's licenses; agencies named but not as licensors (a funder, a staff credential,
    a negation) are appended to ``rejected`` with the reason, when given."""
    facts: list[LicenseFact] = []
    headings: dict[str, str] = {}  # region -> the latest heading in it
    for block in page.blocks:
        if block.heading or _label_line(block):
            headings[block.region] = block.flat
            if not block.heading:
                continue
        if blog and block.region == "main":
            continue
        listed = _under_licensing_heading(headings.get(block.region, "")) and not block.heading
        for sentence in (piece for whole in _sentences(block.flat) for piece in _pieces(whole)):
            line = listed and (block.in_list or len(sentence.split()) <= _SHORT_LINE)
            for lic in _licenses_in(sentence, listed=line, rejected=rejected):
                lic.region = block.region
                facts.append(lic)
    facts += _logo_licenses(page, blog)
    return _merge(facts)


# A piece that ends in an abbreviation ("Mo.", "Dept.", "N.C.", "Lic.") may have been cut inside
# an agency's name or before its number: "Licensed by the Mo. | Dept. of Mental Health".
_AROUND_CUT = 300  # characters either side of a cut that are read to decide a join
_MOST_JOIN_TRIES = 200  # per block of text
_ENDS_ABBREVIATED = re.compile(r"(?:(?<![\w.])[A-Z][A-Za-z]{0,5}\.|(?:[A-Z]\.\s?){2,3})$")


def _sentences(text: str) -> list[str]:
    """The sentences of ``text``, a cut after an abbreviation undone when an agency's name or a
    license number runs across it (over up to three cuts: "the Okla. | Dept. | Of Mental ...")."""
    pieces = claims.sentences(text)
    out: list[str] = []
    i = 0
    tries = 0  # a page names a few agencies; a hostile body thousands of "Dept." ends
    while i < len(pieces):
        parts = [pieces[i]]
        # Only the words around a cut are read: a name or a number is short, and a run-on text
        # (a hostile body) must be neither searched nor copied again at every join.
        tail = pieces[i][-_AROUND_CUT:]
        i += 1
        while i < len(pieces) and tries < _MOST_JOIN_TRIES and _ENDS_ABBREVIATED.search(tail):
            tries += 1
            cut = len(tail)
            for k in (1, 2, 3):
                near = " ".join([tail, *(p[:_AROUND_CUT] for p in pieces[i : i + k])])
                if any(m.start < cut < m.end for m in registry.find(near)) or any(
                    m.start() < cut < m.end() for m in _NUMBER.finditer(near)
                ):
                    parts += pieces[i : i + k]
                    tail = " ".join([tail, *pieces[i : i + k]])[-_AROUND_CUT:]
                    i += k
                    break
            else:
                break
        out.append(" ".join(parts))
    return out


_LONGEST = 1200  # characters: a licensing sentence is short; a run-on block is read in pieces
_OVERLAP = 300


def _pieces(sentence: str) -> list[str]:
    """``sentence``, or a run-on text without sentence ends cut at spaces into overlapping
    pieces of at most ``_LONGEST`` characters (a phrase cut by one piece is whole in the next),
    so reading it stays linear in its length."""
    if len(sentence) <= _LONGEST:
        return [sentence]
    out: list[str] = []
    start = 0
    while start < len(sentence):
        end = len(sentence) if len(sentence) - start <= _LONGEST else sentence.rfind(" ", start + 1, start + _LONGEST)
        if end <= start:
            end = min(len(sentence), start + _LONGEST)
        out.append(sentence[start:end])
        if end >= len(sentence):
            break
        nxt = sentence.find(" ", max(start + 1, end - _OVERLAP), end)
        start = nxt + 1 if nxt > start else end
    return out


def _label_line(block) -> bool:
    """A short line that works as a heading: "Accreditations:", "Licensed & Accredited"."""
    text = block.flat
    return (
        len(text.split()) <= 4
        and not block.link_href
        and not block.has_digit
        and _under_licensing_heading(text)
        and (text.endswith(":") or not registry.find(text))
    )


def _under_licensing_heading(heading: str) -> bool:
    cues = _cues()
    return bool(heading) and bool(cues["heading"].search(heading)) and not cues["not_heading"].search(heading)


def _licenses_in(
    sentence: str, *, listed: bool = False, rejected: list[dict[str, str]] | None = None
) -> list[LicenseFact]:
    cues = _cues()

    def reject(m: registry.Mention, reason: str) -> None:
        if rejected is not None:
            rejected.append({"field": "license", "value": m.name, "reason": reason, "snippet": sentence[:SNIPPET]})

    # Without a licensing word, only a line under a licensing heading can name a license.
    if (not listed and not cues["license"].search(sentence)) or claims.is_question(sentence):
        return []
    mentions = _join_units(sentence, registry.find(sentence))
    spans = [(m.start, m.end) for m in mentions]
    marks = _cue_marks(sentence, spans)
    out: list[LicenseFact] = []
    for m in mentions:
        if cues["staff_body"].search(sentence, m.start, min(len(sentence), m.end + 40)):
            reject(m, "staff")  # "Board of Examiners", "Certification Board": they license people
            continue
        after = _cue_right_after(sentence, marks, m.end)
        clause = sentence.rfind(";", 0, m.start) + 1  # a cue counts within the agency's clause
        cue = _cue_before([c for c in marks if c[0] >= clause], m.start) or after
        if after and after[2] != "license":
            cue = after  # "MDHHS funds the program": the agency's own verb decides
        if cue is None:
            if not listed or m.how == "state":
                continue
            basis, verb = "list", ""
        elif cue[2] != "license":
            reject(m, cue[2])  # funded by / member of / partner of
            continue
        else:
            basis, verb = "statement", sentence[cue[0] : cue[1]]
            if _negated(sentence, min(cue[0], m.start), m.end):
                reject(m, "negation")
                continue
            if _staff_subject(sentence, min(cue[0], m.start)) or (
                cue[1] <= m.start and cues["staff"].search(sentence, cue[1], m.start)
            ):
                reject(m, "staff")  # "Certified Peer Specialists trained by DBHDS": the cue describes people
                continue
        out.append(_fact(sentence, m, basis, verb))
    # A government body the registry lacks ("the Arizona Department of Economic Security"),
    # right after a licensing cue: shown as written.
    for lic in _shown_agencies(sentence, spans, marks):
        out.append(lic)
    if listed and not out and not marks:
        out += _shown_line_agency(sentence)
    if not out:
        for said in _STATE_LICENSED.finditer(sentence):
            if _staff_subject(sentence, said.start()) or _negated(sentence, said.start(), said.end()):
                continue
            out.append(
                LicenseFact(
                    agency="",
                    number=_number(sentence),
                    snippet=sentence[:SNIPPET],
                    kind=_kind(sentence, said.group(0)),
                    as_shown=said.group(0),
                )
            )
            break
    if not out:
        number = _number(sentence)
        if number and not vocabulary.accreditations().find(sentence) and not _staff_subject(sentence, len(sentence)):
            out.append(LicenseFact(agency="", number=number, snippet=sentence[:SNIPPET], as_shown=""))
    return out


def _join_units(text: str, mentions: list[registry.Mention]) -> list[registry.Mention]:
    """A department and its division named one after the other ("Massachusetts Department of
    Public Health, Bureau of Substance Addiction Services") are one licensor: the one the
    registry knows best, spanning both."""
    out: list[registry.Mention] = []
    for m in mentions:
        prev = out[-1] if out else None
        if prev and prev.how != "state" and m.how != "state" and re.fullmatch(r"[\s,'s]*", text[prev.end : m.start]):
            best = prev if prev.agency or not m.agency else m
            out[-1] = replace(best, start=prev.start, end=m.end, text=text[prev.start : m.end])
            continue
        out.append(m)
    return out


def _fact(sentence: str, m: registry.Mention, basis: str, verb: str) -> LicenseFact:
    agency, state = m.name, m.state
    if m.how == "state":
        # "licensed in the State of Ohio": the state, not a named agency. "licensed by the State
        # of Texas": the state itself, as shown.
        agency = "" if re.search(r"\bin\s*$", sentence[: m.start]) else m.name
    pattern = m.agency.license_pattern if m.agency else ""
    return LicenseFact(
        agency=agency,
        state=state,
        number=_number(sentence, pattern, (m.start, m.end)),
        snippet=sentence[:SNIPPET],
        agency_id=m.agency.id if m.agency else "",
        kind=_kind(sentence[m.end :], verb),
        as_shown=m.text,
        basis=basis,
    )


def _cue_marks(sentence: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """(start, end, cue) of every licensing/funding/membership word outside agency names."""
    marks = []
    for name in ("license", "funding", "membership"):
        for c in _cues()[name].finditer(sentence):
            if not any(s <= c.start() < e for s, e in spans):
                marks.append((c.start(), c.end(), name))
    return sorted(marks)


def _cue_before(marks: list[tuple[int, int, str]], start: int) -> tuple[int, int, str] | None:
    before = [c for c in marks if c[1] <= start]
    return before[-1] if before else None


def _cue_right_after(sentence: str, marks: list[tuple[int, int, str]], end: int) -> tuple[int, int, str] | None:
    # "DHCS-licensed", "an OASAS certified program", "MDHHS funds it": the cue follows the
    # agency at once (at most one word between, and no "and"/comma: that is another clause).
    for c in marks:
        if 0 <= c[0] - end <= 12:
            gap = sentence[end : c[0]]
            if re.fullmatch(r"[\s-]*(?:(?!and\b|or\b)[A-Za-z]+[\s-]+)?", gap):
                return c
            return None
    return None


def _negated(sentence: str, start: int, end: int) -> bool:
    """'not licensed by', 'make sure a program is licensed by', 'license ... is pending'."""
    cues = _cues()
    return bool(
        cues["negative"].search(sentence[max(0, start - 60) : end])
        or cues["negative_after"].search(sentence[end : end + 40])
    )


def _staff_subject(sentence: str, cue_start: int) -> bool:
    subject = sentence[:cue_start][-60:]
    return bool(_cues()["staff"].search(subject))


def _shown_agencies(sentence: str, spans: list[tuple[int, int]], marks) -> list[LicenseFact]:
    out = []
    for m in _SHOWN_AGENCY.finditer(sentence):
        if any(s <= m.start(1) < e for s, e in spans):
            continue
        cue = _cue_before(marks, m.start())
        if cue is None or cue[2] != "license" or m.start() - cue[1] > 60:
            continue
        if _negated(sentence, cue[0], m.end()) or _staff_subject(sentence, cue[0]):
            continue
        name = re.sub(r"\s+(?:and|of|for|on|the|&)$", "", m.group(1)).strip().rstrip(".,;:")
        name = re.split(r"\s+(?:and|&)\s+(?:the\s+)?(?=[A-Z])", name)[0]
        if len(name.split()) < 2 or _cues()["staff_body"].search(name):
            continue
        state = registry.state_code(registry.normalize(name).split())
        if not (_GOV_WORDS.search(name) or (_BODY_WORDS.search(name) and state)):
            continue
        if vocabulary.accreditations().find(name):
            continue
        out.append(
            LicenseFact(
                agency=name,
                state=state,
                number=_number(sentence),
                snippet=sentence[:SNIPPET],
                kind=_kind(sentence[m.end() :], sentence[cue[0] : cue[1]]),
                as_shown=name,
            )
        )
    return out


_LINE_AGENCY = re.compile(
    r"^(?:the\s+)?((?:[A-Z][\w.&'-]*|of|and|for|on|the|&)(?:,?\s+(?:[A-Z][\w.&'-]*|of|and|for|on|the|&))*)"
)


def _shown_line_agency(line: str) -> list[LicenseFact]:
    """A line under a licensing heading that names a state body the registry lacks ("State of
    Vermont Department of Disabilities & Aging"): shown as written, with the state it names."""
    m = _LINE_AGENCY.match(line.strip())
    if not m:
        return []
    name = re.sub(r"\s+(?:and|of|for|on|the|&)$", "", m.group(1)).strip().rstrip(".,;:")
    state = registry.state_code(registry.normalize(name).split())
    if len(name.split()) < 3 or not state or not _GOV_WORDS.search(name) or _cues()["staff_body"].search(name):
        return []
    if vocabulary.accreditations().find(name):
        return []
    return [
        LicenseFact(
            agency=" ".join(name.replace("&", " and ").split()),
            state=state,
            snippet=line[:SNIPPET],
            as_shown=name,
            basis="list",
        )
    ]


def _kind(after: str, verb: str) -> str:
    """The credential kind: a designation named after the agency ("..., as a CCBHC"), else the
    licensing word itself (licensed -> facility_license, certified -> program_certification)."""
    m = _DESIGNATION.match(after)
    text = m.group("what") if m else ""
    for kind, pattern in vocabulary.credential_kinds():
        if kind in ("facility_license", "program_certification"):
            continue
        if text and pattern.search(text):
            return kind
    for kind, pattern in vocabulary.credential_kinds():
        if pattern.search(verb):
            return kind
    return ""


def _number(sentence: str, pattern: str = "", near: tuple[int, int] | None = None) -> str:
    """The license number in ``sentence``: after a license word ("License #", "Lic. No.",
    "Cert. #"), before or after the agency; with several, the one nearest the agency at ``near``
    ("License #A, DHCS; Cert. #B, DMH"). Else the agency's own number ``pattern``."""
    found = list(_NUMBER.finditer(sentence))
    if found:
        if near is None or len(found) == 1:
            return found[0].group("num")
        lo, hi = near
        return min(found, key=lambda m: max(lo - m.end(), m.start() - hi, 0)).group("num")
    if pattern:
        m = re.search(rf"(?<![\w-])(?:{pattern})(?![\w-])", sentence)
        if m:
            return m.group(0)
    return ""


# -- seals and logos of state agencies -----------------------------------------------------
_LOGO_WORDS = re.compile(r"(?:^|[^a-z])(?:logo|seal|badge|certified|licensed|approved|member)(?:[^a-z]|$)")


def _logo_licenses(page: Page, blog: bool) -> list[LicenseFact]:
    """A state agency's seal or logo: its alt/title text or file name names a registry agency."""
    out = []
    featured = None
    for img in page.images:
        if blog and img.region == "main":
            continue
        text = f"{img.alt} {img.title}".strip()
        may = text and _file_name_may_name_agency(re.sub(r"[^A-Za-z0-9 ]+", " ", text))
        found = [m for m in registry.find(text) if m.how != "state"] if may else []
        name = img.src.rsplit("/", 1)[-1].split("?")[0].lower()
        stem = re.sub(r"\.(?:png|jpe?g|gif|svg|webp|avif)$", "", name)
        if not found and stem:
            found = _file_name_agencies(stem)
        if not found:
            continue
        if featured is None:
            featured = _featured_images(page)
        if img.src in featured:
            continue
        basis = "seal" if "seal" in f"{stem} {text.lower()}" else "logo"
        m = found[0]
        out.append(
            LicenseFact(
                agency=m.name,
                state=m.state,
                snippet=f"{basis}: {text or img.src}"[:SNIPPET],
                region=img.region,
                agency_id=m.agency.id if m.agency else "",
                as_shown=m.text,
                basis=basis,
            )
        )
    return out


def _file_name_may_name_agency(words: str) -> bool:
    toks = set(words.lower().split())
    return bool(toks & _agency_file_tokens())


@cache
def _agency_file_tokens() -> frozenset[str]:
    """Lower-case words that may start an agency's name or acronym in a file name."""
    reg = registry.registry()
    out = {a.lower() for a in [*reg.acronyms, *reg.generic] if " " not in a}
    out |= {"department", "dept", "division", "office", "commission", "agency", "bureau", "administration"}
    return frozenset(out)


def _file_name_agencies(stem: str) -> list[registry.Mention]:
    """'ohiomhas-seal', 'missouri-department-of-mental-health-logo', 'dmh_logo' -> agencies."""
    words = re.sub(r"[-_.+]+|%20", " ", stem)
    if not _file_name_may_name_agency(words):
        return []
    found = [
        m
        for m in registry.find(words.title().replace(" Of ", " of ").replace(" And ", " and "))
        if m.how not in ("state", "acronym", "generic")
    ]
    if found:
        return found
    reg = registry.registry()
    by_upper = {a.upper(): a for a in [*reg.acronyms, *reg.generic]}
    for tok in words.split():
        acr = by_upper.get(tok.upper())
        # A short acronym alone ("dhs.png") is too weak; with "logo"/"seal" in the name it is one.
        if acr and (len(acr) >= 5 or _LOGO_WORDS.search(stem)):
            return [m for m in registry.find(acr) if m.how != "state"]
    return []


# -- merging -------------------------------------------------------------------------------
def _merge(facts: list[LicenseFact]) -> list[LicenseFact]:
    """One fact per license: duplicates dropped, a lone number beside a lone agency joined."""
    # A seal or an agency line and, in the same region, "License #12345" with no agency: one
    # license (the number belongs to the only agency shown there).
    for region in {f.region for f in facts}:
        here = [f for f in facts if f.region == region]
        bare = {f.number for f in here if not f.agency and f.number and not f.state}
        named = {(f.agency_id or f.agency.lower()) for f in here if f.agency and not f.number}
        if len(bare) == 1 and len(named) == 1 and not any(f.agency and f.number for f in here):
            number = bare.pop()
            for f in here:
                if f.agency and not f.number:
                    f.number = number
    tied = {f.number for f in facts if f.agency and f.number}
    out: list[LicenseFact] = []
    seen: set[tuple[str, str, str]] = set()
    for f in facts:
        if not f.agency and f.number and f.number in tied:
            continue
        key = ((f.agency_id or f.agency).lower(), f.state, f.number)
        if key in seen:
            continue
        seen.add(key)
        out.append(f)
    # The same agency with and without a number: keep the numbered one.
    numbered = {((f.agency_id or f.agency).lower(), f.state) for f in out if f.number}
    out = [f for f in out if f.number or ((f.agency_id or f.agency).lower(), f.state) not in numbered]
    # "State-licensed" beside a named agency says nothing more.
    if any(f.agency for f in out):
        out = [f for f in out if f.agency or f.number or f.state]
    return out
