"""Claims vs. mentions: does a piece of text say the organization *offers* something?

Treatment-center pages mention services they do not offer all the time: they explain what
detox is, refer clients to detox elsewhere, plan a future MAT expansion, list their funders,
describe how "most" programs work, or ask questions a family should put to other providers.
This module holds the general cues that turn a vocabulary match into a rejected mention. The
cues are scoped to the *clause* a match sits in, so "We do not offer methadone, but we provide
buprenorphine" rejects methadone and keeps buprenorphine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_CUES: list[tuple[str, re.Pattern[str]]] = [
    ("negation", re.compile(
        r"\b(?:not|no longer|don't|do not|does not|doesn't|cannot|can't|never|unable to|"
        r"isn't|aren't|won't)\b", re.I)),
    ("referral", re.compile(
        r"\b(?:refer(?:s|red|ral|rals|ring)?|arrang(?:e|es|ed|ing)|partner (?:facility|facilities|"
        r"provider|providers|program|programs|agenc(?:y|ies))|elsewhere|outside (?:provider|providers|"
        r"agenc(?:y|ies)|resources?|programs?)|community resources|assistance with|"
        r"assist(?:s|ing)? (?:you |clients |residents |families )?(?:with|in) (?:finding|locating|getting|"
        r"accessing)|help(?:s|ing)? (?:you |clients |residents |families )?(?:find|locate|get into|"
        r"access|connect)|connect(?:s|ing|ed)? (?:you|residents|clients|them|individuals|patients|"
        r"families)(?: \w+)? (?:to|with)|link(?:s|ing)? (?:you|clients|residents) (?:to|with)|"
        r"coordinat(?:e|es|ing) (?:with|care with)|liais(?:e|es|ing|on)|"
        # Residents of a sober home attend treatment somewhere else.
        r"(?:residents|members|guests) (?:\w+ )?(?:attend|attending|go to|participate in|enroll in)|"
        r"(?:with|at|through) (?:a|an|another|other|local|outside) (?:[\w-]+ )?(?:provider|providers|"
        r"program|programs|clinic|clinics|facility|facilities|agency|agencies))\b", re.I)),
    ("future", re.compile(
        r"\b(?:plan(?:s|ned|ning)? to|planned|will (?:soon )?(?:open|offer|launch|add|begin|expand|"
        r"start)|coming soon|expansion|in the future|upcoming|hope to|intend(?:s)? to)\b", re.I)),
    ("history", re.compile(
        r"\b(?:previously|formerly|used to|was once|in the past|historically|discontinued|"
        r"closed (?:our|its|the))\b", re.I)),
    ("funding", re.compile(
        r"\b(?:funded by|funding|grants? from|made possible by|sponsored by|donations?)\b", re.I)),
    ("generic", re.compile(
        r"\b(?:in most|(?<!unlike )most (?:[\w-]+ ){0,5}(?:centers|programs|facilities|rehabs|providers)|"
        r"(?<!unlike )many (?:[\w-]+ ){0,4}(?:centers|programs|facilities|rehabs|providers)|"
        r"(?<!unlike )other (?:programs|centers|facilities|providers|rehabs)|some (?:programs|centers|facilities)|"
        r"typically|look for|when choosing|choose a|finding a|find a|"
        r"(?:is|are) (?:a|an|the) (?:process|type|form|level|stage|term|set)|"
        r"(?:is|are) (?:often|usually|commonly|generally)|what is|what are|"
        # Comparisons and positioning: "more structure than a typical outpatient program",
        # "an intermediary step between residential rehab and outpatient aftercare".
        r"than (?:a |an |the )?(?:typical|traditional|standard|regular|usual|other|most)|"
        r"(?:step|bridge|transition|gap) between)\b", re.I)),
    # A sentence about a kind of program, not this one: "Sober living homes are ...".
    ("generic", re.compile(
        r"^(?!our |we |their |all of our )(?:[\w-]+ ){0,3}(?:homes|houses|programs|centers|facilities|residences|rehabs|clinics) "
        r"(?:are|can|provide|offer|help|allow|give)\b", re.I)),
    ("prerequisite", re.compile(
        r"\b(?:after (?:completing|finishing|leaving|successfully)|(?:have|has|having) completed|"
        r"prior to|before (?:move-in|moving in|admission|entering|arriving)|upon completion of|"
        r"step(?:ping)? down from|completion of)\b", re.I)),
    ("conditional", re.compile(r"\b(?:if (?:you|your|a|someone|needed)|may need|might need|need(?:s)? to)\b", re.I)),
]  # fmt: skip

_CLAUSE_SPLIT = re.compile(r";|\s(?:but|however|whereas|while|although)\s|\.\s", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])|\n")
_FIRST_PERSON = re.compile(r"\b(?:we|our|us|we're|we've|we'll|ours)\b", re.I)
# Passive offering voice on the provider's own (non-blog) pages: "Social detoxification is
# provided in the residential setting".
_PASSIVE_OFFER = re.compile(r"\b(?:is|are) (?:provided|offered)\b", re.I)
_QUESTION_START = re.compile(r"^(?:what|how|why|when|where|who|which|is|are|does|do|can|should|will|did|was)\b", re.I)

_BLOG_PATH = re.compile(
    r"/(?:blog|blogs|news|articles?|posts?|press|stories|insights|learn|education|category|"
    r"tag|author|resources/articles?|\d{4}/\d{2})(?:/|$)",
    re.I,
)


@dataclass(frozen=True)
class Verdict:
    claim: bool
    reason: str = ""


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s and s.strip()]


def clause_around(sentence: str, start: int, end: int) -> str:
    """The clause of ``sentence`` that contains the span [start, end)."""
    lo, hi = 0, len(sentence)
    for m in _CLAUSE_SPLIT.finditer(sentence):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= end:
            hi = m.start()
            break
    return sentence[lo:hi]


def negative_cue(clause: str) -> str:
    """Name of the first cue that makes a mention in this clause not a claim, or ''."""
    for name, pattern in _CUES:
        if pattern.search(clause):
            return name
    return ""


def is_question(text: str) -> bool:
    t = text.strip()
    return t.endswith("?") or bool(_QUESTION_START.match(t) and len(t.split()) > 2 and "?" in t)


def is_question_heading(text: str) -> bool:
    t = text.strip()
    return t.endswith("?") or bool(_QUESTION_START.match(t))


def speaks_for_self(sentence: str, org_terms: tuple[str, ...]) -> bool:
    """Does the sentence speak as or about the organization ("we offer", "Harris House provides")?"""
    if _FIRST_PERSON.search(sentence) or _PASSIVE_OFFER.search(sentence):
        return True
    low = sentence.lower()
    return any(term and re.search(rf"(?<!\w){re.escape(term)}(?!\w)", low) for term in org_terms)


def is_blog_url(url: str) -> bool:
    path = urlsplit(url).path
    return bool(_BLOG_PATH.search(path))
