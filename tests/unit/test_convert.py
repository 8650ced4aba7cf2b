"""observations.jsonl <-> items through the one converter (provdir.model.convert)."""

from __future__ import annotations

import json

import pytest

from provdir.model.convert import observation_from_json, observation_from_line, to_json, to_json_line
from provdir.model.items import AddressFact, FacilityRecord, Fact, LicenseFact, PageObservation, PhoneFact


def page() -> PageObservation:
    return PageObservation(
        source="site",
        site="127.0.0.9:8000",
        seed_url="http://127.0.0.9:8000/",
        url="http://127.0.0.9:8000/contact/",
        status=200,
        fetched_at="2026-01-02T03:04:05Z",
        page_kind="contact",
        title="Contact – Harris House",
        seed_name="Harris House",
        org_names=[Fact("Harris House", "Harris House", "header", "logo")],
        phones=[
            PhoneFact("(314) 555-0100 x12", "+13145550100", "12", "main", "Call (314) 555-0100 x12", "footer"),
            PhoneFact("tel:+13145550199", "+13145550199", role="fax", source="tel_href"),
        ],
        addresses=[
            AddressFact(
                raw="2706 S River Rd, St. Charles, MO 63303",
                street="2706 S River Rd",
                city="St. Charles",
                state="MO",
                postal_code="63303",
                label="Main Campus",
                phones=["+13145550100"],
                snippet="Main Campus 2706 S River Rd",
                region="footer",
                latitude=38.78,
                longitude=-90.48,
            ),
            AddressFact("PO Box 12, St. Louis, MO 63111", kind="mailing", city="St. Louis", precision="city"),
        ],
        accreditations=[Fact("CARF", "CARF accredited", "main", "logo", "location", "St. Charles, MO")],
        licenses=[
            LicenseFact(
                agency="Missouri Department of Mental Health",
                state="MO",
                number="4471",
                snippet="Licensed by DMH #4471",
                agency_id="MO-DMH",
                kind="facility_license",
                as_shown="DMH",
                state_inferred=True,
            )
        ],
        services=[Fact("detox", "Medical detox", "nav", "menu")],
        rejected=[{"field": "phone", "value": "+18005550000", "reason": "insurer", "snippet": "Call BCBS"}],
        services_not_offered=[Fact("methadone", "We do not offer methadone.", "main", "negative")],
        content_hash="abc",
        body_hash="def",
    )


def record() -> FacilityRecord:
    return FacilityRecord(
        source="samhsa",
        source_id="frid-1",
        url="http://127.0.0.10:8061/locator/exportsAsJson/v2?page=1",
        organization="Harris House",
        name="Harris House Treatment Center",
        street="2706 S River Rd",
        city="St. Charles",
        state="MO",
        postal_code="63303",
        phones=[PhoneFact("314-555-0100", "+13145550100", region="structured", source="structured")],
        website="https://harrishouse.example/",
        latitude=38.78,
        longitude=None,
        record_type="SA",
        services=[Fact("detox", "Detoxification", "structured", "samhsa:TC")],
        accreditations=[Fact("CARF", "CARF", "structured", "samhsa:FOP")],
        licenses=[LicenseFact("", "MO", basis="structured", region="structured")],
        unmapped=[{"category_code": "XX", "category": "Other", "label": "Something new"}],
        fetched_at="2026-01-02T03:04:05Z",
    )


def through_a_file(item: PageObservation | FacilityRecord) -> PageObservation | FacilityRecord:
    line = to_json_line(item)  # what the crawl writes
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    return observation_from_line(line)


def test_a_value_orjson_refuses_is_still_written_and_read_back():
    obs = page()
    obs.status = 2**70  # beyond 64 bits
    obs.seed_name = "Harris House \ud800"  # a lone surrogate is no UTF-8
    back = through_a_file(obs)
    assert back == obs


def test_a_page_with_every_fact_type_round_trips():
    obs = page()
    data = to_json(obs)
    assert data["kind"] == "page"
    assert list(data) == [a.name for a in PageObservation.__attrs_attrs__]  # the declared order
    back = through_a_file(obs)
    assert isinstance(back, PageObservation)
    assert back == obs


def test_a_facility_record_round_trips():
    rec = record()
    assert to_json(rec)["kind"] == "record"
    back = through_a_file(rec)
    assert isinstance(back, FacilityRecord)
    assert back == rec


def test_an_old_line_without_kind_is_a_page():
    data = to_json(page())
    del data["kind"]
    obs = observation_from_json(json.loads(json.dumps(data)))
    assert isinstance(obs, PageObservation)
    assert obs == page()


def test_unknown_keys_are_ignored_at_every_level():
    data = to_json(page())
    data["retired_field"] = "from an older extractor"
    data["phones"][0]["carrier"] = "x"
    data["addresses"][0]["county"] = "St. Charles"
    assert observation_from_json(data) == page()
    rec = to_json(record())
    rec["legacy"] = 1
    assert observation_from_json(rec) == record()


def test_missing_optional_keys_take_their_defaults():
    obs = observation_from_json(
        {
            "source": "site",
            "site": "127.0.0.9:8000",
            "seed_url": "http://127.0.0.9:8000/",
            "url": "http://127.0.0.9:8000/",
            "phones": [{"raw": "314-555-0100", "e164": "+13145550100"}],
            "addresses": [{"raw": "Joplin, MO", "city": "Joplin", "state": "MO"}],
        }
    )
    assert obs == PageObservation(
        "site",
        "127.0.0.9:8000",
        "http://127.0.0.9:8000/",
        "http://127.0.0.9:8000/",
        phones=[PhoneFact("314-555-0100", "+13145550100")],
        addresses=[AddressFact("Joplin, MO", city="Joplin", state="MO")],
    )
    assert (obs.status, obs.body_hash, obs.services_not_offered, obs.kind) == (200, "", [], "page")
    assert obs.addresses[0].latitude is None and obs.addresses[0].precision == "street"


@pytest.mark.parametrize(
    "line",
    [
        b'{"site": "127.0.0.9:8000", "url": "http://',  # torn by a kill
        b'{"kind": "page", "note": "caf\xc3',  # cut inside a multi-byte character
        b"[1, 2]",  # JSON, but no object
        b'{"kind": "page", "site": "127.0.0.9:8000"}',  # an object, but no observation
        b'{"kind": "review", "source": "site"}',  # a kind no reader knows
    ],
)
def test_a_line_that_is_no_observation_is_a_value_error(line):
    with pytest.raises(ValueError):
        observation_from_line(line)
