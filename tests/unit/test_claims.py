"""provdir.extract.claims: the cues that turn a vocabulary match into a rejected mention."""

from __future__ import annotations

import re

import pytest

from provdir.extract import claims


@pytest.mark.parametrize(
    ("clause", "cue"),
    [
        ("We do not offer methadone", "negation"),
        ("Cedar Bluff no longer provides detox on site", "negation"),
        ("We don't prescribe Suboxone", "negation"),
        ("Our program is not a detox facility", "negation"),
        ("We refer clients who need medical detox to Mercy Hospital", "referral"),
        ("Referrals to detox are available", "referral"),
        ("we can help you find a detox bed nearby", "referral"),
        ("We connect residents with local MAT providers", "referral"),
        ("Residents attend intensive outpatient treatment during the day", "referral"),
        ("Clients receive medication-assisted treatment through a local clinic", "referral"),
        ("We plan to offer medication-assisted treatment", "future"),
        ("A telehealth option is coming soon", "future"),
        ("We will soon open a detox unit", "future"),
        ("Cedar Bluff previously offered sober living", "history"),
        ("We used to run an adolescent program", "history"),
        ("Our detox unit was discontinued in 2019", "history"),
        ("This program is funded by a grant from the county", "funding"),
        ("Made possible by donations from our alumni", "funding"),
        ("In most detox programs clients stay five to seven days", "generic"),
        ("Most residential treatment centers last 30 days", "generic"),
        ("Detox is typically the first step", "generic"),
        ("Detox is a process that clears substances from the body", "generic"),
        ("What is dual diagnosis", "generic"),
        ("Look for a program that offers family therapy", "generic"),
        ("Residents must have completed detox", "prerequisite"),
        ("Clients step down from residential care", "prerequisite"),
        ("Upon completion of our residential program", "prerequisite"),
        ("If you need detox call us", "conditional"),
    ],
)
def test_negative_cue_names_the_cue(clause, cue):
    assert claims.negative_cue(clause) == cue


@pytest.mark.parametrize(
    "clause",
    [
        "We offer medically supervised detox",
        "Cedar Bluff Recovery provides lifetime aftercare",
        "Our intensive outpatient program meets three evenings a week",
        "We accept Medicaid and most major insurance plans",
        "Partial Hospitalization Program",
    ],
)
def test_plain_claim_has_no_cue(clause):
    assert claims.negative_cue(clause) == ""


@pytest.mark.parametrize(
    "clause",
    ["Notable outcomes for our alumni", "Another step toward recovery", "Knots and all, we offer yoga"],
)
def test_cue_words_must_be_whole_words(clause):
    # "Notable", "Another" and "Knots" contain "not"; none of them is a negation.
    assert claims.negative_cue(clause) != "negation"


def test_clause_around_stops_at_but():
    sentence = "We do not offer methadone, but we provide buprenorphine in our clinic."
    start = sentence.index("buprenorphine")
    clause = claims.clause_around(sentence, start, start + len("buprenorphine"))
    assert "buprenorphine" in clause
    assert "not" not in clause
    start = sentence.index("methadone")
    clause = claims.clause_around(sentence, start, start + len("methadone"))
    assert "not" in clause
    assert "buprenorphine" not in clause


@pytest.mark.parametrize("splitter", ["; ", " however ", " while ", " although ", " whereas "])
def test_clause_around_splits_on_clause_boundaries(splitter):
    sentence = f"We refer clients to detox elsewhere{splitter}we offer residential care"
    start = sentence.index("residential")
    clause = claims.clause_around(sentence, start, start + len("residential"))
    assert "refer" not in clause
    assert claims.negative_cue(clause) == ""


def test_sentences_split_on_terminal_punctuation_and_newlines():
    text = 'We offer detox. Do you take Medicaid? Yes! "Call today."\nSecond line here'
    assert claims.sentences(text) == [
        "We offer detox.",
        "Do you take Medicaid?",
        "Yes!",
        '"Call today."',
        "Second line here",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Is residential treatment right for you?",
        "What does detox feel like?",
        "Do you offer medication-assisted treatment?",
        "How long does IOP last ?",
    ],
)
def test_is_question(text):
    assert claims.is_question(text)


@pytest.mark.parametrize(
    "text",
    ["We offer residential treatment.", "Which is why we offer detox on site.", "Call us today"],
)
def test_statement_is_not_question(text):
    assert not claims.is_question(text)


@pytest.mark.parametrize(
    "heading",
    ["What Is Medical Detox", "Do You Need Detox?", "How Intensive Outpatient Works", "Is IOP Right for Me"],
)
def test_question_heading_detected_without_question_mark(heading):
    assert claims.is_question_heading(heading)


@pytest.mark.parametrize("heading", ["Medical Detox", "Our Intensive Outpatient Program", "Inpatient / Detox"])
def test_program_heading_is_not_question_heading(heading):
    assert not claims.is_question_heading(heading)


@pytest.mark.parametrize(
    "sentence", ["We offer detox.", "Our team provides IOP.", "Call us for an assessment.", "We're in-network."]
)
def test_first_person_speaks_for_self(sentence):
    assert claims.speaks_for_self(sentence, ())


def test_org_name_speaks_for_self():
    terms = ("cedar bluff", "cedar bluff recovery")
    assert claims.speaks_for_self("Cedar Bluff Recovery provides lifetime aftercare.", terms)
    assert not claims.speaks_for_self("Detox clears substances from the body.", terms)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("st. jude's (north) offers iop.", True),  # regex characters in the name are literal
        ("st judes north offers iop.", False),
        ("harrison house offers detox.", False),  # whole words: "harris" is not "harrison"
        ("call harris today.", True),
        ("the cedar bluff recovery team", True),  # the longer term, where both would match
        ("cedar bluffs", False),
        ("harrison, then harris again", True),  # a later whole-word place, after one that is not
        ("harris_house", False),  # "_" is a word character, as in \w
        ("harrisé", False),  # so is a letter outside ASCII
        ("(harris)", True),
        ("", False),
    ],
)
def test_names_any_finds_a_term_only_as_whole_words(text, named):
    terms = ("cedar bluff", "cedar bluff recovery", "harris", "st. jude's (north)", "")
    assert claims.names_any(text, terms) is named
    # the same answer term by term, the way it was asked before one pattern served them all
    assert named is any(t and re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text) for t in terms)


def test_names_any_without_terms_names_nothing():
    assert not claims.names_any("anything at all", ())
    assert not claims.names_any("anything at all", ("",))


def test_third_person_general_text_does_not_speak_for_self():
    assert not claims.speaks_for_self("Detox is usually the first step in recovery.", ())
    # "use" and "ourselves" are not the first-person words "us" and "our".
    assert not claims.speaks_for_self("Alcohol use disorders affect many families.", ())


@pytest.mark.parametrize(
    "url",
    [
        "https://cedarbluff.example/blog/what-is-detox/",
        "https://cedarbluff.example/news/",
        "https://cedarbluff.example/2023/05/signs-of-relapse/",
        "https://cedarbluff.example/articles/understanding-iop",
        "https://cedarbluff.example/category/addiction/",
        "https://cedarbluff.example/author/jdoe/",
        "https://cedarbluff.example/resources/articles/mat-myths/",
    ],
)
def test_blog_urls(url):
    assert claims.is_blog_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://cedarbluff.example/",
        "https://cedarbluff.example/programs/detox/",
        "https://cedarbluff.example/contact-us/",
        "https://cedarbluff.example/blogging-guidelines/",
        "https://cedarbluff.example/newsletter-signup/",
    ],
)
def test_non_blog_urls(url):
    assert not claims.is_blog_url(url)
