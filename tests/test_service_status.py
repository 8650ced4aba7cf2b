"""Three-valued service status in the build: offered, not_offered (the site says so), not stated."""

from __future__ import annotations

from provdir.build import longtables
from provdir.build.locations import Evidence
from provdir.build.verify import NOT_OFFERED, WebsiteView, compare
from tests.helpers import site_locations
from tests.test_build_locations import fact, page
from tests.test_verify import listing


def negative(value: str, basis: str = "negative", snippet: str = "") -> dict:
    return {"value": value, "snippet": snippet or f"We do not offer {value}.", "region": "main", "basis": basis}


def test_explicit_negative_overrides_a_positive_menu_item_anywhere_on_the_site():
    obs = [
        page("/", services=[fact("detox"), fact("outpatient"), fact("substance_use", "implied:detox")]),
        page("/faq/", services_not_offered=[negative("detox")]),
    ]
    (loc,) = site_locations(obs)
    assert loc.services == ["outpatient"]
    assert loc.services_not_offered == ["detox"]
    ev = next(e for e in loc.evidence if e.field == "service_not_offered")
    assert (ev.value, ev.url, ev.basis) == ("detox", "http://127.0.0.9:8000/faq/", "negative")


def test_value_implied_only_by_a_service_not_offered_goes_with_it():
    obs = [
        page("/", services=[fact("detox"), fact("substance_use", "implied:detox")]),
        page("/about/", services_not_offered=[negative("detox")]),
    ]
    (loc,) = site_locations(obs)
    assert loc.services == []


def test_value_implied_by_another_service_too_stays():
    obs = [
        page("/", services=[fact("detox"), fact("substance_use", "implied:detox")]),
        page("/iop/", services=[fact("iop"), fact("substance_use", "implied:iop")]),
        page("/about/", services_not_offered=[negative("detox")]),
    ]
    (loc,) = site_locations(obs)
    assert loc.services == ["iop", "substance_use"]


def test_outpatient_only_overrides_a_detox_landing_page_label_but_not_a_first_person_statement():
    implied = "negative_implied"
    obs = [
        page("/detox-tempe-az/", services=[fact("detox", "label", "main")]),
        page("/residential/", services=[fact("residential", "statement", "main")]),
        page(
            "/about/",
            services_not_offered=[
                negative("detox", implied, "We are outpatient only."),
                negative("residential", implied, "We are outpatient only."),
            ],
        ),
    ]
    (loc,) = site_locations(obs)
    assert "detox" not in loc.services and "detox" in loc.services_not_offered
    assert "residential" in loc.services and "residential" not in loc.services_not_offered


def test_site_without_negatives_is_unchanged():
    (loc,) = site_locations([page("/", services=[fact("detox")])])
    assert loc.services == ["detox"] and loc.services_not_offered == []


def test_long_table_carries_status_with_evidence():
    row = {"facility_id": "f1", "source_key": "site:x:org"}
    values = {"services": ["outpatient"], "services_not_offered": ["methadone"]}
    evidence = [
        {
            "facility_id": "f1",
            "field": "service",
            "value": "outpatient",
            "source_key": "site:x:org",
            "snippet": "Outpatient Program",
            "url": "http://x/",
            "basis": "menu",
        },
        {
            "facility_id": "f1",
            "field": "service_not_offered",
            "value": "methadone",
            "source_key": "site:x:org",
            "snippet": "We do not offer methadone.",
            "url": "http://x/faq/",
            "basis": "negative",
        },
    ]
    tables = longtables.facts("f1", values, row, longtables.by_value(evidence), [], {})
    rows = tables["facility_services"]
    by = {(r["service"], r["status"]): r for r in rows}
    assert set(by) == {("outpatient", "offered"), ("methadone", "not_offered")}
    assert by[("methadone", "not_offered")]["evidence"] == "We do not offer methadone."
    assert by[("methadone", "not_offered")]["basis"] == "negative"
    # the wide table's columns are read from the fact rows
    wide = longtables.wide_columns(tables)
    assert wide["services"] == ["outpatient"] and wide["services_not_offered"] == ["methadone"]
    assert wide["organization_services"] == [] and wide["phones"] == []


def site_view(**kw) -> WebsiteView:
    base = dict(
        phones=["+13146314299"],
        street="2706 S River Rd",
        city="St. Charles",
        postal_code="63303",
        services=["iop"],
        accreditations=[],
        licenses=[],
        evidence=[
            Evidence("service_not_offered", "detox", "http://hh/faq/", "We do not offer detox.", basis="negative")
        ],
        source_key="site:hh:org",
        services_not_offered=["detox"],
    )
    base.update(kw)
    return WebsiteView(**base)


def test_listed_service_the_site_says_it_does_not_offer_is_a_conflict():
    rows = compare(listing(services=["detox", "residential"]), site_view())
    detox = next(r for r in rows if r["field"] == "service" and r["value"] == "detox")
    assert (detox["status"], detox["website_value"]) == ("conflict", NOT_OFFERED)
    assert detox["evidence_url"] == "http://hh/faq/" and "do not offer detox" in detox["evidence_snippet"]
    residential = next(r for r in rows if r["field"] == "service" and r["value"] == "residential")
    assert residential["status"] == "only_directory"
