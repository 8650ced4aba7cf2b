"""Verification statuses, field by field, for one listing against one website (pure)."""

from __future__ import annotations

from provdir.build.locations import Evidence, Location
from provdir.build.verify import WebsiteView, compare, summary


def listing(**kw) -> Location:
    base = dict(
        source="samhsa",
        site="",
        location_key="frid1",
        name="Harris House",
        organization="Harris House",
        street="2706 S River Rd",
        city="St. Charles",
        state="MO",
        postal_code="63303",
        phone="+13146314299",
        phones=["+13146314299"],
        website="http://harrishouse.example",
        services=["detox", "residential"],
        accreditations=[],
        licenses=[{"agency": "State substance abuse agency", "state": "MO", "number": ""}],
    )
    base.update(kw)
    return Location(**base)


def site(**kw) -> WebsiteView:
    base = dict(
        phones=["+13146314299"],
        street="2706 S River Rd",
        city="St. Charles",
        postal_code="63303",
        services=["detox", "iop"],
        accreditations=["CARF"],
        licenses=[{"agency": "Missouri Department of Mental Health", "state": "MO", "number": ""}],
        evidence=[
            Evidence("phone", "+13146314299", "http://hh/contact/", "Call 314-631-4299"),
            Evidence("address", "2706 S. River Rd, St. Charles, MO 63303", "http://hh/", "2706 S. River Rd"),
            Evidence("service", "iop", "http://hh/iop/", "Intensive Outpatient Program"),
            Evidence("accreditation", "CARF", "http://hh/about/", "accredited by CARF"),
        ],
        source_key="site:hh:2706 S RIVER RD|63303",
    )
    base.update(kw)
    return WebsiteView(**base)


def status(rows, field, value=None):
    return {r["status"] for r in rows if r["field"] == field and (value is None or r["value"] == value)}


def test_same_phone_and_address_confirmed_with_evidence():
    rows = compare(listing(), site())
    assert status(rows, "phone") == {"confirmed"} and status(rows, "address") == {"confirmed"}
    phone = next(r for r in rows if r["field"] == "phone")
    assert phone["evidence_url"] == "http://hh/contact/" and "631-4299" in phone["evidence_snippet"]


def test_new_phone_on_the_site_is_a_conflict():
    rows = compare(listing(), site(phones=["+13145550100"]))
    (row,) = [r for r in rows if r["field"] == "phone"]
    assert (row["status"], row["directory_value"], row["website_value"]) == ("conflict", "+13146314299", "+13145550100")


def test_site_showing_another_address_is_a_conflict():
    rows = compare(listing(), site(street="100 Main St", postal_code="63301"))
    assert status(rows, "address") == {"conflict"}


def test_service_the_site_no_longer_mentions_is_only_directory():
    rows = compare(listing(), site())
    assert status(rows, "service", "residential") == {"only_directory"}
    assert status(rows, "service", "detox") == {"confirmed"}
    assert status(rows, "service", "iop") == {"only_website"}


def test_carf_only_on_the_site_is_only_website_with_evidence():
    rows = compare(listing(), site())
    (row,) = [r for r in rows if r["field"] == "accreditation"]
    assert row["status"] == "only_website" and row["evidence_url"] == "http://hh/about/"


def test_state_license_confirmed_by_a_license_in_the_same_state():
    rows = compare(listing(), site())
    assert status(rows, "license") == {"confirmed"}
    rows = compare(listing(), site(licenses=[]))
    assert status(rows, "license") == {"only_directory"}


def test_site_without_address_leaves_the_listing_address_unconfirmed():
    rows = compare(listing(), site(street=""))
    assert status(rows, "address") == {"only_directory"}


def test_summary_counts_statuses_per_field():
    counts = summary(compare(listing(), site()))
    assert counts["service"]["confirmed"] == 1 and counts["service"]["only_directory"] == 1
    assert counts["phone"]["confirmed"] == 1
