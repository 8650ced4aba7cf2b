"""Services and levels of care the organization itself offers.

What counts as evidence, by page region (see :mod:`provdir.extract.page`):

- a *label* naming a program: a site-menu item, a heading, a list item or a short line whose
  text is mostly the program's name ("Inpatient / Detox", "Partial Hospitalization Program");
- a *statement* in the body of a non-blog page where the organization speaks for itself
  ("We offer medically supervised detox", "New Dawn provides lifetime aftercare"), or any
  sentence on the page dedicated to that program (its title names the service);
- never the body of a blog/news post, a question, a link to a blog post, or a clause with a
  negation, referral, future-plan, history, funding, generic or prerequisite cue
  (:mod:`provdir.extract.claims`).
"""

from __future__ import annotations

import re
from functools import cache

from provdir.extract import claims
from provdir.extract.page import Block, Page
from provdir.model.items import Fact
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

    def reject(value: str, reason: str, snippet: str) -> None:
        if len(rejected) < 200:
            rejected.append({"field": "service", "value": value, "reason": reason, "snippet": snippet[:SNIPPET]})

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
                cue = claims.negative_cue(line)
                for m in matches:
                    if cue:
                        reject(m.value, cue, line)
                    else:
                        keep(m.value, line, block.region, "menu" if block.region == "nav" else "label")
                continue
            for sentence in claims.sentences(line):
                _statement(sentence, block, org_terms, program_values, keep, reject)
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


def _statement(sentence, block, org_terms, program_values, keep, reject) -> None:
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
        cue = claims.negative_cue(clause)
        if not cue and _is_medication(m.value) and _SUBSTANCE_CONTEXT.search(sentence[max(0, m.start - 60) : m.start]):
            cue = "substance"  # "detox from methadone": the drug is what the client leaves
        if cue:
            reject(m.value, cue, sentence)
        elif self_voice or m.value in program_values:
            keep(m.value, sentence, block.region, "statement")
        else:
            reject(m.value, "not_self", sentence)


def page_program_values(page: Page) -> set[str]:
    """Services named by the page's h1 or title: the program this page is about."""
    matcher = vocabulary.services()
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
