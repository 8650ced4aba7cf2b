"""The vocabulary matcher's quick "no candidate word" exit finds what the word-by-word scan finds."""

from __future__ import annotations

from provdir.vocab import vocabulary


def _values(text: str) -> list[str]:
    return [m.value for m in vocabulary.services().find(text)]


def test_sentences_without_a_synonym_word_match_nothing():
    assert _values("Call us today to schedule a visit of our campus and meet the team.") == []
    assert _values("") == []


def test_matches_survive_the_quick_exit():
    assert _values("We offer Intensive Outpatient treatment and medical DETOX.") == ["iop", "detox"]
    # Case, a non-ASCII neighbour and a hyphen: the same as the word-by-word scan.
    assert _values("Ünited DETOXİ program; co-occurring disorders") == _values("co-occurring disorders")
    assert "co_occurring" in _values("co-occurring disorders")
    assert _values("predetox and detoxing") == []  # inside another word: not a match
