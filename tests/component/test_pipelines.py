"""Each item pipeline as a component: built from a crawler (Scrapy's ``get_crawler``), fed
hand-made observations, its output and its stats asserted. No crawl, no reactor."""

from __future__ import annotations

import json

import pytest
from scrapy.exceptions import DropItem

from pipelines.addresses import NormalizeAddresses
from pipelines.duplicates import DropDuplicatePages
from pipelines.phones import NormalizePhones
from pipelines.store import WriteObservations
from pipelines.validate import ValidateObservation
from pipelines.vocabulary import CheckVocabulary
from provdir.model.convert import observation_from_json
from provdir.model.items import AddressFact, FacilityRecord, Fact, PageObservation, PhoneFact
from provdir.runs.store import OBSERVATIONS, create_run
from tests.helpers import crawler_for


def observation(**fields) -> PageObservation:
    base = {
        "source": "site",
        "site": "harris.example",
        "seed_url": "https://harris.example/",
        "url": "https://harris.example/contact/",
    }
    return PageObservation(**{**base, **fields})


def record(**fields) -> FacilityRecord:
    return FacilityRecord(**{"source": "samhsa", "source_id": "123", "url": "https://api.example/p1", **fields})


# -- 100 ValidateObservation ------------------------------------------------------------------
def test_validate_passes_an_attributed_page_and_counts_it():
    pipe = ValidateObservation.from_crawler(crawler := crawler_for())
    obs = observation()
    assert pipe.process_item(obs) is obs
    assert crawler.stats.get_value("observations/received") == 1


@pytest.mark.parametrize("missing", ["site", "url"])
def test_validate_drops_a_page_without_site_or_url(missing):
    pipe = ValidateObservation.from_crawler(crawler := crawler_for())
    with pytest.raises(DropItem, match="without site or url"):
        pipe.process_item(observation(**{missing: ""}))
    assert crawler.stats.get_value("observations/dropped/unattributed") == 1
    assert crawler.stats.get_value("observations/received") is None


def test_validate_drops_a_directory_record_without_id_and_anything_else():
    pipe = ValidateObservation.from_crawler(crawler := crawler_for())
    with pytest.raises(DropItem, match="without id or url"):
        pipe.process_item(record(source_id=""))
    with pytest.raises(DropItem, match="not a page observation: dict"):
        pipe.process_item({"url": "https://harris.example/"})
    assert crawler.stats.get_value("observations/dropped/not_an_observation") == 1
    assert pipe.process_item(rec := record()) is rec


# -- 200 NormalizePhones ----------------------------------------------------------------------
def test_phones_are_normalized_to_e164_and_invalid_ones_dropped():
    pipe = NormalizePhones.from_crawler(crawler := crawler_for())
    obs = observation(phones=[PhoneFact(raw="(417) 555-0142"), PhoneFact(raw="call us"), PhoneFact(raw="555-01")])
    out = pipe.process_item(obs)
    assert [p.e164 for p in out.phones] == ["+14175550142"]
    assert crawler.stats.get_value("field/phone/invalid") == 2
    assert crawler.stats.get_value("field/phone/main") == 1


def test_a_national_crisis_line_is_retyped_and_repeats_merged():
    pipe = NormalizePhones.from_crawler(crawler := crawler_for())
    obs = observation(
        phones=[
            PhoneFact(raw="1-800-662-4357", role="admissions"),
            PhoneFact(raw="417.555.0142"),
            PhoneFact(raw="+1 417 555 0142"),
        ]
    )
    out = pipe.process_item(obs)
    assert [(p.e164, p.role) for p in out.phones] == [("+18006624357", "crisis"), ("+14175550142", "main")]
    assert crawler.stats.get_value("field/phone/crisis") == 1
    assert crawler.stats.get_value("field/phone/main") == 1


def test_an_extension_on_the_page_is_kept():
    pipe = NormalizePhones.from_crawler(crawler_for())
    (phone,) = pipe.process_item(observation(phones=[PhoneFact(raw="(417) 555-0142 ext. 12")])).phones
    assert (phone.e164, phone.extension) == ("+14175550142", "12")


# -- 300 NormalizeAddresses -------------------------------------------------------------------
def test_addresses_get_state_and_zip5_and_incomplete_ones_are_dropped():
    pipe = NormalizeAddresses.from_crawler(crawler := crawler_for())
    good = AddressFact(raw="...", street="1402 S Main St", city="Joplin", state="Missouri", postal_code="64801-2345")
    no_street = AddressFact(raw="Joplin, MO", city="Joplin", state="MO")
    out = pipe.process_item(observation(addresses=[good, no_street]))
    assert [(a.state, a.postal_code) for a in out.addresses] == [("MO", "64801")]
    assert crawler.stats.get_value("field/address/invalid") == 1
    assert crawler.stats.get_value("field/address/physical") == 1


def test_the_same_address_twice_keeps_the_first_with_what_only_the_second_had():
    pipe = NormalizeAddresses.from_crawler(crawler_for())
    first = AddressFact(raw="a", street="1402 S Main St", city="Joplin", state="MO", postal_code="64801")
    second = AddressFact(
        raw="b",
        street="1402 S Main St",
        city="Joplin",
        state="MO",
        postal_code="64801",
        label="Joplin clinic",
        phones=["+14175550142"],
    )
    (kept,) = pipe.process_item(observation(addresses=[first, second])).addresses
    assert kept.raw == "a" and kept.label == "Joplin clinic" and kept.phones == ["+14175550142"]


def test_a_directory_record_is_left_to_its_mapping():
    pipe = NormalizeAddresses.from_crawler(crawler := crawler_for())
    rec = record(street="1402 S Main St", state="Missouri")
    assert pipe.process_item(rec).state == "Missouri"
    assert crawler.stats.get_stats() == {}


# -- 400 CheckVocabulary ----------------------------------------------------------------------
def test_values_outside_the_vocabulary_are_dropped_and_counted():
    pipe = CheckVocabulary.from_crawler(crawler := crawler_for())
    obs = observation(
        services=[Fact("detox", "medical detox"), Fact("yoga_retreat", "yoga")],
        accreditations=[Fact("CARF", "CARF accredited"), Fact("ISO9001", "ISO")],
        rejected=[{"value": "detox", "reason": "negated", "snippet": "we do not offer detox"}],
    )
    out = pipe.process_item(obs)
    assert [f.value for f in out.services] == ["detox"]
    assert [f.value for f in out.accreditations] == ["CARF"]
    stats = crawler.stats.get_stats()
    assert stats["field/service/unknown"] == 1 and stats["field/accreditation/unknown"] == 1
    assert stats["field/service/claims"] == 1 and stats["field/service/rejected_mentions"] == 1


# -- 500 DropDuplicatePages -------------------------------------------------------------------
def test_the_same_content_twice_on_a_site_is_kept_once():
    pipe = DropDuplicatePages.from_crawler(crawler := crawler_for())
    pipe.process_item(observation(url="https://harris.example/", content_hash="abc"))
    with pytest.raises(DropItem, match="same content"):
        pipe.process_item(observation(url="https://harris.example/index.php", content_hash="abc"))
    # Another site with the same bytes, and pages without a hash, are not duplicates.
    pipe.process_item(observation(site="redbud.example", content_hash="abc"))
    pipe.process_item(observation(content_hash=""))
    pipe.process_item(observation(content_hash=""))
    assert crawler.stats.get_value("observations/duplicate_page") == 1


def test_a_directory_record_id_is_kept_once():
    pipe = DropDuplicatePages.from_crawler(crawler := crawler_for())
    pipe.process_item(record())
    with pytest.raises(DropItem, match="seen earlier"):
        pipe.process_item(record(url="https://api.example/p2"))
    assert crawler.stats.get_value("observations/duplicate_record") == 1


# -- 900 WriteObservations --------------------------------------------------------------------
def test_observations_are_appended_to_the_run_as_json_lines(tmp_path):
    crawler = crawler_for()
    crawler.provdir_run = run = create_run(tmp_path, "site")
    pipe = WriteObservations.from_crawler(crawler)
    pipe.process_item(observation(title="Contact – Harris House"))
    pipe.process_item(record(name="Harris House"))
    pipe.close_spider()
    lines = [json.loads(line) for line in (run.dir / OBSERVATIONS).read_text(encoding="utf-8").splitlines()]
    assert [line.get("title") or line.get("name") for line in lines] == ["Contact – Harris House", "Harris House"]
    assert observation_from_json(lines[0]) == observation(title="Contact – Harris House")
    assert crawler.stats.get_value("observations/written") == 2


def test_writing_without_a_run_directory_is_a_clear_error():
    pipe = WriteObservations.from_crawler(crawler_for())
    with pytest.raises(RuntimeError, match="RunRecorder extension is not enabled"):
        pipe.process_item(observation())
