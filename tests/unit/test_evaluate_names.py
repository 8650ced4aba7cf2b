"""provdir.evaluate: name scoring and reading Parquet cells back (pure parts)."""

from __future__ import annotations

import math

from provdir.evaluate import _plain, name_counts, score_site

GOLD = {
    "org_name": "Riverbend Recovery Center",
    "org_aliases": ["Riverbend Recovery", "RRC"],
    "locations": [{"name": "Riverbend Women's House", "street": None, "city": "Tulsa", "state": "OK"}],
}


def row(org: str, name: str) -> dict:
    return {"organization": org, "name": name}


def test_organization_right_against_name_or_alias_ignoring_case_and_punctuation():
    counts, _ = name_counts([row("riverbend recovery, center", "Riverbend Recovery Center"), row("RRC", "RRC")], GOLD)
    assert (counts.rows, counts.org_right) == (2, 2)
    counts, notes = name_counts([row("Facebook", "Facebook")], GOLD)
    assert counts.org_right == 0 and "org 'Facebook'" in notes


def test_display_name_acceptable_names_the_org_or_a_gold_location_and_is_well_cased():
    rows = [
        row("Riverbend Recovery", "Riverbend Recovery – Tulsa"),
        row("Riverbend Recovery", "Riverbend Women's House"),
        row("Riverbend Recovery", "Getting Here"),
        row("Riverbend Recovery", "riverbend recovery"),
        row("Riverbend Recovery", "riverbend.example"),
    ]
    counts, _ = name_counts(rows, GOLD)
    assert counts.display_ok == 2
    assert counts.badly_cased == 2  # the lower-case name and the host name


def test_missing_parquet_values_read_as_empty_strings():
    assert _plain(None) == "" and _plain(math.nan) == "" and _plain("x") == "x" and _plain(1.5) == 1.5


def test_score_site_with_a_row_without_street():
    score = score_site(
        "riverbend",
        {**GOLD, "phones": []},
        [{**row("RRC", "RRC"), "street": "", "city": "Tulsa", "state": "OK", "postal_code": "", "phones": []}],
    )
    assert score.names.org_right == 1
