"""Services and levels of care the organization itself offers.

What counts as evidence, by page region (see :mod:`provdir.extract.page`):

- a *label* naming a program: a site-menu item, a heading, a list item or a short line whose
  text is mostly the program's name ("Inpatient / Detox", "Partial Hospitalization Program");
- a *statement* in the body of a non-blog page where the organization speaks for itself
  ("We offer medically supervised detox", "New Dawn provides lifetime aftercare"), or any
  sentence on the page dedicated to that program (its title names the service);
- never the body of a blog/news post, a question, a link to a blog post, or a clause with a
  negation, referral, future-plan, history, funding, generic or prerequisite cue
  (:mod:`provdir.extract.claims`; the cue phrase that fired is kept with the rejection);
- never a program card or heading whose neighbouring badge or first line says it is a plan
  ("Family Program" + "Coming Soon");
- on a page whose subject is a service *in general* (an SEO landing page "Detox in Mesa, AZ",
  an insurer's coverage page "Does Aetna Cover Rehab?"), only first-person statements: its
  headings and descriptive sentences are mentions.

What a site says it does *not* offer is read by :func:`extract_not_offered`: "we do not offer
methadone" (the services the clause names), "we are outpatient only" / "we do not have beds"
(the levels of care the phrase rules out: ``provdir/vocab/service_negatives.en.csv``). The build
publishes them as ``not_offered`` and lets them override weaker positive mentions site-wide.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from urllib.parse import unquote, urlsplit

from provdir.extract import claims
from provdir.extract.page import Block, Page
from provdir.extract.phones import other_orgs_heading
from provdir.model.items import Fact
from provdir.normalize.address import state_abbr
from provdir.vocab import vocabulary

MAX_LABEL_WORDS = 8
MIN_LABEL_COVERAGE = 0.3
SNIPPET = 200


def extract_services(
    page: Page, *, blog: bool, org_terms: tuple[str, ...], program_values: set[str]
) -> tuple[list[Fact], list[dict[str, str]]]:
    """Return (claims, rejected mentions) for one page.

    ``program_values`` are the services named by the page's own title/h1: on a page dedicated
    to a program, its descriptive sentences are claims even without "we".
    """
    matcher = vocabulary.services()
    facts: list[Fact] = []
    rejected: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def keep(value: str, snippet: str, region: str, basis: str) -> None:
        if (value, basis) in seen:
            return
        seen.add((value, basis))
        facts.append(Fact(value=value, snippet=snippet[:SNIPPET], region=region, basis=basis))

    def reject(value: str, reason: str, snippet: str, cue: str = "") -> None:
        if len(rejected) < 200:
            rejected.append(
                {"field": "service", "value": value, "reason": reason, "cue": cue, "snippet": snippet[:SNIPPET]}
            )

    lang = page.lang
    subject = "" if blog else general_subject(page)
    others = _under_other_orgs_heading(page.blocks)

    substance_lists = _substance_list_blocks(page.blocks)
    for block in page.blocks:
        if blog and block.region == "main":
            for m in matcher.find(block.flat):
                if not m.label_only:
                    reject(m.value, "blog_post", block.flat)
            continue
        if block.link_href and claims.is_blog_url(block.link_href):
            continue
        for line in _units(block):
            matches = matcher.find(line)
            if not matches:
                continue
            if _is_label(block, line, matches):
                if block.index in substance_lists:
                    for m in matches:
                        if _is_medication(m.value):
                            reject(m.value, "substance_list", line)
                    matches = [m for m in matches if not _is_medication(m.value)]
                if claims.is_question_heading(line):
                    for m in matches:
                        reject(m.value, "question", line)
                    continue
                cue = claims.find_cue(line, field="service", lang=lang) or _neighbour_plan(page.blocks, block, lang)
                landing = page_subject_text(line) if block.link_href and block.region != "nav" else ""
                for m in matches:
                    if cue:
                        reject(m.value, cue.category, line, cue.phrase)
                    elif subject and block.region == "main":
                        reject(m.value, subject, line)
                    elif landing in ("landing_page", "insurer_page"):
                        reject(m.value, "landing_link", line)  # "Detox in Redmond, OR": an SEO page's link
                    elif block.index in others:
                        reject(m.value, "other_org_list", line, others[block.index])
                    else:
                        keep(m.value, line, block.region, "menu" if block.region == "nav" else "label")
                continue
            for sentence in claims.sentences(line):
                _statement(sentence, block, org_terms, set() if subject else program_values, keep, reject, lang)
    return facts, rejected


_SUBSTANCE_CONTEXT = re.compile(
    r"\b(?:detox\w*|withdraw\w*|addict\w*|dependen\w*|taper\w*|abus\w*|misus\w*)\b[^.]*?\b(?:from|to|on|off|of)\b",
    re.I,
)
MIN_SUBSTANCES_IN_LIST = 3


@cache
def _substance_start() -> re.Pattern[str]:
    names = sorted(vocabulary.substances(), key=len, reverse=True)
    return re.compile(rf"(?:{'|'.join(re.escape(n) for n in names)})\b", re.I)


def _is_medication(value: str) -> bool:
    term = vocabulary.services().terms.get(value)
    return term is not None and term.category == "pharmacotherapy"


def _substance_list_blocks(blocks: list[Block]) -> set[int]:
    """Indices of list items that belong to a list made mostly of substances of abuse."""
    starts_with_substance = _substance_start()
    out: set[int] = set()
    run: list[Block] = []

    def close() -> None:
        hits = sum(1 for b in run if starts_with_substance.match(b.flat))
        if hits >= MIN_SUBSTANCES_IN_LIST and hits * 2 >= len(run):
            out.update(b.index for b in run)
        run.clear()

    for block in blocks:
        if block.in_list and (not run or (block.region == run[-1].region and block.index == run[-1].index + 1)):
            run.append(block)
            continue
        close()
        if block.in_list:
            run.append(block)
    close()
    return out


def _units(block: Block) -> list[str]:
    """Lines of a block; a block that is one line stays whole."""
    lines = block.lines
    return lines if len(lines) > 1 else [block.flat]


def _is_label(block: Block, line: str, matches: list[vocabulary.Match]) -> bool:
    words = line.split()
    if len(words) > MAX_LABEL_WORDS or (line.rstrip().endswith((".", "!")) and len(words) > 4):
        return False
    covered = sum(m.end - m.start for m in matches)
    structural = block.heading or block.in_list or block.link_href is not None or block.region == "nav"
    return structural or covered / max(len(line), 1) >= MIN_LABEL_COVERAGE


def _statement(sentence, block, org_terms, program_values, keep, reject, lang="en") -> None:
    matcher = vocabulary.services()
    matches = [m for m in matcher.find(sentence) if not m.label_only]
    if not matches:
        return
    if claims.is_question(sentence):
        for m in matches:
            reject(m.value, "question", sentence)
        return
    for m in matches:
        clause = claims.clause_around(sentence, m.start, m.end)
        # "Methadone is dispensed at licensed clinics, while we focus on counseling": the "we"
        # belongs to the other clause.
        self_voice = claims.speaks_for_self(clause, org_terms)
        found = claims.find_cue(clause, field="service", lang=lang)
        cue, phrase = (found.category, found.phrase) if found else ("", "")
        if not cue and _is_medication(m.value) and _SUBSTANCE_CONTEXT.search(sentence[max(0, m.start - 60) : m.start]):
            cue = "substance"  # "detox from methadone": the drug is what the client leaves
        if cue:
            reject(m.value, cue, sentence, phrase)
        elif self_voice or m.value in program_values:
            keep(m.value, sentence, block.region, "statement")
        else:
            reject(m.value, "not_self", sentence)


def page_program_values(page: Page, org_terms: tuple[str, ...] = ()) -> set[str]:
    """Services named by the page's h1 or title: the program this page is about.

    Empty on a page about a service in general (:func:`general_subject`).
    """
    matcher = vocabulary.services()
    if general_subject(page):
        return set()
    texts = [b.flat for b in page.blocks if b.tag == "h1" and b.region == "main"][:1]
    texts.append(page.title.split("|")[0].split(" - ")[0])
    values: set[str] = set()
    for text in texts:
        if claims.is_question_heading(text):
            continue
        values.update(m.value for m in matcher.find(text))
    return values


def implied(facts: list[Fact]) -> list[Fact]:
    """Add what a claimed service implies (detox implies substance-use treatment)."""
    terms = vocabulary.services().terms
    have = {f.value for f in facts}
    extra: list[Fact] = []
    for f in facts:
        for value in terms[f.value].implies if f.value in terms else ():
            if value not in have:
                have.add(value)
                extra.append(Fact(value=value, snippet=f.snippet, region=f.region, basis=f"implied:{f.value}"))
    return extra


# -- pages about a service in general ------------------------------------------------------
_PLACE_AFTER = re.compile(
    r"\b(?:in|near|serving|around|for)\s+(?P<place>(?:[A-Z][\w.'-]+\s+){0,3}?[A-Z][\w.'-]+)"
    r"(?:,?\s+(?P<state>[A-Z]{2}\b|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?))?"
)
_PLACE_BEFORE = re.compile(r"^(?P<place>(?:[A-Z][\w.'-]+\s+){0,2}[A-Z][\w.'-]+),?\s+(?P<state>[A-Z]{2})\b")
_TITLE_SPLIT = re.compile(r"\s+[|\u2013\u2014:\u00bb\u00b7\u2022-]\s+|\s*\|\s*")
_INSURER_TOPIC = re.compile(r"\b(?:cover|covers|coverage|covered|insurance|benefits|in[- ]network|accept)\b", re.I)


@cache
def _insurers() -> re.Pattern[str]:
    with resources.files("provdir.vocab").joinpath("other_organizations.en.csv").open(encoding="utf-8") as fh:
        patterns = [r["pattern"] for r in csv.DictReader(fh) if r["kind"] == "insurer"]
    return re.compile(rf"(?<![\w-])(?:{'|'.join(patterns)})(?![\w-])", re.I)


def _names_place(text: str) -> bool:
    """ "Detox in Mesa, AZ", "Drug Rehab Near Phoenix Arizona", "Scottsdale, AZ Detox"."""
    for m in _PLACE_AFTER.finditer(text):
        if m.group("state") and state_abbr(m.group("state")):
            return True
        if state_abbr(m.group("place")):
            return True
    before = _PLACE_BEFORE.match(text)
    return bool(before and state_abbr(before.group("state")))


def page_subject_text(text: str) -> str:
    """``landing_page`` / ``insurer_page`` / ``question`` when a title or heading is about a
    service in general, else ''."""
    if claims.is_question_heading(text) and vocabulary.services().find(text):
        return "question"
    if not vocabulary.services().find(text):
        return ""
    if _insurers().search(text) and _INSURER_TOPIC.search(text):
        return "insurer_page"
    return "landing_page" if _names_place(text) else ""


def general_subject(page: Page) -> str:
    """``landing_page`` or ``insurer_page`` when the page is about a service in general.

    A city + service title ("Alcohol Detox in Mesa, AZ") or an insurer's coverage page ("Does
    Aetna Cover Rehab?"): such pages describe what exists, not what this organization offers.
    The home page is never one (its title is the organization's own).
    """
    if urlsplit(page.url).path.strip("/") in ("", "index.html", "index.php", "home"):
        return ""
    matcher = vocabulary.services()
    h1 = next((b.flat for b in page.blocks if b.tag == "h1" and b.region == "main"), "")
    segments = [*_TITLE_SPLIT.split(page.title)[:1], h1]
    slug = unquote(urlsplit(page.url).path).lower()
    for text in segments:
        if not text or not matcher.find(text):
            continue
        if _insurers().search(text) and (_INSURER_TOPIC.search(text) or "insurance" in slug):
            return "insurer_page"
        if _names_place(text):
            return "landing_page"
    return ""


def _under_other_orgs_heading(blocks: list[Block]) -> dict[int, str]:
    """Main-region blocks under a heading that introduces other organizations ("Community
    Resources", "Referral partners"): block index -> the heading words that say so."""
    out: dict[int, str] = {}
    current = ""
    for b in blocks:
        if b.region != "main":
            continue
        if b.heading:
            m = other_orgs_heading(b.flat)
            current = m
            continue
        if current:
            out[b.index] = current
    return out


def _neighbour_plan(blocks: list[Block], block: Block, lang: str) -> claims.Cue | None:
    """A future cue in the badge or first line beside a program label ("Coming Soon")."""
    if not (block.heading or block.in_list or block.tag in ("dt", "th", "div", "span", "p")):
        return None
    for j in (block.index - 1, block.index + 1):
        if not 0 <= j < len(blocks) or blocks[j].region != block.region:
            continue
        near = blocks[j]
        if j < block.index and len(near.flat.split()) > 4:
            continue  # only a short badge above the label, not the previous paragraph
        first = claims.sentences(near.flat)[:1]
        cue = claims.find_cue(first[0], field="service", lang=lang) if first else None
        if cue and cue.category == "future":
            return cue
    return None


# -- what the site says it does not offer --------------------------------------------------
@dataclass(frozen=True)
class _Negative:
    pattern: re.Pattern[str]
    kind: str
    excludes: tuple[str, ...]


@cache
def _negatives(lang: str = "en") -> tuple[_Negative, ...]:
    folder = resources.files("provdir.vocab")
    name = f"service_negatives.{lang}.csv"
    if not folder.joinpath(name).is_file():
        name = "service_negatives.en.csv"
    with folder.joinpath(name).open(encoding="utf-8") as fh:
        return tuple(
            _Negative(
                re.compile(rf"\b(?:{r['pattern']})\b", re.I), r["kind"], tuple(v for v in r["excludes"].split(";") if v)
            )
            for r in csv.DictReader(fh)
        )


# Every negative pattern of the English file has one of these words; another language's file
# is read in full (no prefilter).
_MAYBE_NEGATIVE_EN = re.compile(
    r"\b(?:not|no|never|only|cannot|can't|don't|doesn't|won't|isn't|aren't|strictly|exclusively|solely)\b", re.I
)
_NEGATIVE_HINTS = ("not", "no", "never", "only", "n't", "strictly", "exclusively", "solely")


def _maybe_negative(text: str) -> bool:
    low = text.lower()
    return any(h in low for h in _NEGATIVE_HINTS) and bool(_MAYBE_NEGATIVE_EN.search(text))


_WE = re.compile(r"\b(?:we|we're|we've|us)\b", re.I)


def _org_is_subject(clause: str, org_terms: tuple[str, ...]) -> bool:
    """Is the organization itself the subject ("we are outpatient only", "Tamarack is ...")?"""
    low = clause.lower().lstrip()
    return bool(_WE.search(clause)) or any(t and low.startswith(t) for t in org_terms)


_SUBORDINATE = re.compile(
    r"\b(?:because|since|as|so|which|who|when|while|whereas|although|though|unless|if|but|however|instead)\b|[;.!?]",
    re.I,
)
_NOT_ONLY = re.compile(r"\bnot (?:just|only|merely|simply|limited to)\b|\bnot only\b", re.I)


def extract_not_offered(page: Page, *, blog: bool, org_terms: tuple[str, ...]) -> list[Fact]:
    """Services the organization says it does not offer, with the sentence that says so.

    Only in the organization's own voice (first person, its name, or a short label such as an
    "Outpatient only" badge), never in a blog post or a question.
    """
    if blog:
        return []
    matcher = vocabulary.services()
    out: list[Fact] = []
    seen: set[str] = set()

    def add(value: str, snippet: str, region: str, basis: str) -> None:
        if value not in seen:
            seen.add(value)
            out.append(Fact(value=value, snippet=snippet[:SNIPPET], region=region, basis=basis))

    for block in page.blocks:
        if page.lang == "en" and not _maybe_negative(block.flat):
            continue  # most blocks say nothing negative: skip them cheaply
        for sentence in claims.sentences(block.flat):
            if claims.is_question(sentence) or _NOT_ONLY.search(sentence):
                continue
            label = len(sentence.split()) <= 4
            for neg in _negatives(page.lang):
                for hit in neg.pattern.finditer(sentence):
                    clause = claims.clause_around(sentence, hit.start(), hit.end())
                    if not (label or claims.speaks_for_self(clause, org_terms)):
                        continue
                    if neg.kind == "implied":
                        if not (label or _org_is_subject(clause, org_terms)):
                            continue  # "our IOP is outpatient only" says nothing of the whole site
                        for value in neg.excludes:
                            add(value, sentence, block.region, "negative_implied")
                        continue
                    # The object of the negated verb only: "we do not accept Medicaid, because sober
                    # living is housing" rules out Medicaid, not sober living.
                    obj = _SUBORDINATE.split(sentence[hit.end() :], 1)[0]
                    for m in matcher.find(obj):
                        if not m.label_only or label:
                            add(m.value, sentence, block.region, "negative")
    return out
