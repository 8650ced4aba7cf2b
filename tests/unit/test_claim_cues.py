"""The claim cue lexicon (provdir/vocab/claim_cues.<lang>.csv) and the Unicode-safe matcher."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from provdir.extract import claims
from provdir.vocab import vocabulary
from provdir.vocab.vocabulary import Matcher, Term


def lexicon_rows() -> list[dict[str, str]]:
    with resources.files("provdir.vocab").joinpath("claim_cues.en.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_row_names_a_category_form_fields_and_source():
    rows = lexicon_rows()
    assert len(rows) > 50
    for row in rows:
        assert row["category"] and row["form"] in ("word", "regex") and row["source"], row
        assert set(row["fields"].split(";")) <= {"service", "accreditation"}, row


def test_categories_are_contiguous_so_file_order_is_the_order_tried():
    seen: list[str] = []
    for row in lexicon_rows():
        if not seen or seen[-1] != row["category"]:
            assert row["category"] not in seen or row["category"] == "generic", row
            seen.append(row["category"])
    assert seen[0] == "negation"


@pytest.mark.parametrize(
    ("clause", "category", "phrase"),
    [
        ("we do not offer methadone", "negation", "do not"),
        ("detox is provided through our partner network", "referral", "through our partner network"),
        ("a family program is coming soon", "future", "coming soon"),
        ("telehealth, launching in May", "future", "launching in"),
        ("once you complete detox", "prerequisite", "once you complete"),
        ("sober living homes are a bridge", "generic", "sober living homes are"),
    ],
)
def test_find_cue_records_the_phrase_that_fired(clause, category, phrase):
    cue = claims.find_cue(clause, field="service")
    assert cue is not None
    assert (cue.category, cue.phrase.lower()) == (category, phrase)


def test_cues_apply_only_to_their_fields():
    # Funding and referral cues are about services; an accreditation sentence is not rejected by them.
    assert claims.find_cue("funded by a state grant", field="service").category == "funding"
    assert claims.find_cue("funded by a state grant", field="accreditation") is None
    assert claims.negative_cue("funded by a state grant") == "funding"  # no field: every cue


def test_unknown_language_falls_back_to_english():
    assert vocabulary.claim_cues("xx") == vocabulary.claim_cues("en")


def test_synonym_starting_with_a_non_ascii_letter_loads_and_matches():
    terms = {"acamprosate": Term("acamprosate", "Acamprosato", "pharmacotherapy", "")}
    matcher = Matcher.from_synonyms(terms, {"acamprosate": ["ácido acamprosato", "éxito"]})
    assert [m.value for m in matcher.find("Ofrecemos ácido acamprosato.")] == ["acamprosate"]
    assert [m.text for m in matcher.find("Un gran éxito")] == ["éxito"]


def test_accented_letter_is_part_of_a_word():
    terms = {"detox": Term("detox", "Detox", "setting", "DT")}
    matcher = Matcher.from_synonyms(terms, {"detox": ["detox"]})
    assert matcher.find("pre\u00e9detox") == []  # inside a longer word
    assert [m.value for m in matcher.find("medical detox")] == ["detox"]


def test_synonym_without_a_letter_or_digit_is_a_clear_error():
    with pytest.raises(ValueError, match="must start with a letter or digit"):
        Matcher.from_synonyms({"x": Term("x", "x", "", "")}, {"x": ["-- x"]})


def test_a_spanish_page_reads_the_spanish_lexicon():
    cue = claims.find_cue("la desintoxicación se ofrece a través de nuestra red de socios", field="service", lang="es")
    assert cue is not None and (cue.category, cue.phrase) == ("referral", "a través de nuestra red de socios")
    assert claims.find_cue("programa familiar próximamente", lang="es").category == "future"
    # The English lexicon does not read Spanish, and the Spanish one is chosen by <html lang>.
    assert claims.find_cue("programa familiar próximamente", lang="en") is None
    from provdir.extract.page import parse_page

    assert parse_page('<html lang="es-US"><body><p>Hola</p></body></html>', "https://x.example/").lang == "es"
