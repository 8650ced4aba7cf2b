"""The item schema: what a spider observes on one page, with evidence for every fact.

A crawl never writes the published directory; it writes *page observations* (one per page),
and the build step turns the observations of a run into facility locations. Every fact keeps
the text it was read from (``snippet``), the page region it came from, and which extractor
found it, so any published value can be traced back to a page.

Fields are declared in the order the JSON Lines output shows them.
"""

from __future__ import annotations

import attrs


@attrs.define
class Fact:
    """A vocabulary value (service, accreditation) claimed by the page."""

    value: str
    """Controlled-vocabulary value, e.g. ``detox`` or ``CARF``."""
    snippet: str
    """The page text the value was read from (collapsed whitespace, at most ~200 chars)."""
    region: str = "main"
    """Page region: ``nav``, ``header``, ``footer``, ``sidebar``, ``main``, ``structured``."""
    basis: str = ""
    """Why this counts as a claim: ``menu``, ``heading``, ``label``, ``statement``, ``logo``,
    ``structured``, ``implied``."""
    scope: str = "organization"
    """``location`` when the page ties the fact to one of the organization's places (that place's
    card or table row, a page about that place), else ``organization`` (menus, footers, about
    pages, statements about the whole organization). See :mod:`provdir.extract.scope`."""
    location_hint: str = ""
    """For ``location`` scope: the place the fact sat with, as :func:`provdir.extract.scope.place_hint`
    writes it ("3100 Main St, Springfield, MO 65802" or, for a town-only place, "Joplin, MO")."""


@attrs.define
class PhoneFact:
    """A telephone number shown on the page."""

    raw: str
    """The number as it appears on the page (or the ``tel:`` href)."""
    e164: str = ""
    """Normalized E.164 form, filled by the extractor and checked by the phone pipeline."""
    extension: str = ""
    role: str = "main"
    """``main``, ``admissions``, ``toll_free``, ``fax``, ``crisis``, ``text`` (SMS line)."""
    snippet: str = ""
    region: str = "main"
    source: str = "text"
    """``text`` (visible), ``tel_href`` (link target only) or ``structured`` (schema.org)."""


@attrs.define
class AddressFact:
    """A postal address shown on the page, raw text beside its parsed parts."""

    raw: str
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    kind: str = "physical"
    """``physical`` (a place clients go), ``mailing`` (PO box) or ``office`` (introduced as the
    organization's corporate or administrative office: a location only when the site shows no
    other)."""
    precision: str = "street"
    """``street`` (a full street address) or ``city`` (the site names only the town and state,
    as sober homes often do: ``street`` is empty)."""
    label: str = ""
    """Name shown next to the address (a location or program name), if any."""
    phones: list[str] = attrs.Factory(list)
    """E.164 numbers shown in the same block as the address (the location's own phones)."""
    snippet: str = ""
    region: str = "main"
    source: str = "text"
    latitude: float | None = None
    longitude: float | None = None


@attrs.define
class LicenseFact:
    """A state license or certification of the facility (not a staff credential)."""

    agency: str
    """Canonical name (the registry's spelling of the name shown, current or former), the
    generic name while the state is unknown ("Department of Mental Health"), or '' when the
    page names no agency ("State-licensed")."""
    state: str = ""
    number: str = ""
    snippet: str = ""
    region: str = "main"
    agency_id: str = ""
    """Registry id of the agency that holds the license today (``MO-DMH``), '' when unknown."""
    kind: str = ""
    """Credential kind (``vocab/credential_kinds.csv``): facility_license, program_certification,
    otp, ccbhc, recovery_residence...; '' when the page does not say."""
    as_shown: str = ""
    """The words naming the agency on the page (an acronym, a division, a former name)."""
    basis: str = "statement"
    """``statement`` (a licensing sentence), ``list`` (under a licensing heading), ``logo``,
    ``seal``, ``structured`` (a directory listing)."""
    state_inferred: bool = False
    """True when the state is the facility's address, not the page's words."""
    scope: str = "organization"
    """``location`` or ``organization``, as for :class:`Fact`."""
    location_hint: str = ""


@attrs.define
class PageObservation:
    """Everything one page says about the organization that runs the site."""

    source: str
    """``site`` for provider websites."""
    site: str
    """The site's scope key: host[:port] of its seed URL."""
    seed_url: str
    url: str
    status: int = 200
    fetched_at: str = ""
    page_kind: str = "other"
    """``home``, ``contact``, ``locations``, ``program``, ``about``, ``blog``, ``other``."""
    title: str = ""
    seed_name: str = ""
    """Organization name given in the seeds file, if any."""
    org_names: list[Fact] = attrs.Factory(list)
    """Candidate organization names (schema.org, og:site_name, title segments)."""
    phones: list[PhoneFact] = attrs.Factory(list)
    addresses: list[AddressFact] = attrs.Factory(list)
    accreditations: list[Fact] = attrs.Factory(list)
    licenses: list[LicenseFact] = attrs.Factory(list)
    services: list[Fact] = attrs.Factory(list)
    rejected: list[dict[str, str]] = attrs.Factory(list)
    """Mentions that looked like claims but were not taken (field, value, reason, the cue phrase
    that fired, snippet), kept so a reviewer can see what the extractor decided not to publish.
    Phones someone else owns (an insurer's line, a web agency's credit) are kept here too."""
    services_not_offered: list[Fact] = attrs.Factory(list)
    """Services the organization says it does *not* offer ("we do not offer methadone", "we are
    outpatient only"), with the sentence; basis ``negative`` or ``negative_implied``."""
    content_hash: str = ""
    body_hash: str = ""
    """SHA-1 of the response body under this extractor version (code and vocabularies): an
    identical body reuses this extraction next run, until the extractor changes."""

    kind: str = "page"
    """Tells a page from a :class:`FacilityRecord` in observations.jsonl (a line without it is a
    page: older runs wrote none). Read and written by :mod:`provdir.model.convert`."""


@attrs.define
class FacilityRecord:
    """One facility as a structured directory lists it (SAMHSA's locator): already a location.

    Directory rows need no page-to-location aggregation; the build turns each record into one
    facility location keyed ``<source>:<source_id>``.
    """

    source: str
    """``samhsa``."""
    source_id: str
    """The directory's own id (SAMHSA ``frid``)."""
    url: str
    """The API page the record came from."""
    organization: str = ""
    name: str = ""
    street: str = ""
    """USPS-style street with the suite kept."""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phones: list[PhoneFact] = attrs.Factory(list)
    """Typed phones: ``main``, ``admissions``; crisis hotlines kept with role ``crisis``."""
    website: str = ""
    latitude: float | None = None
    longitude: float | None = None
    record_type: str = ""
    """SAMHSA ``typeFacility``: ``SA`` (substance use) or ``MH`` (mental health)."""
    services: list[Fact] = attrs.Factory(list)
    accreditations: list[Fact] = attrs.Factory(list)
    licenses: list[LicenseFact] = attrs.Factory(list)
    unmapped: list[dict[str, str]] = attrs.Factory(list)
    """Labels the vocabulary does not map yet (category code, category, label): kept, counted."""
    fetched_at: str = ""
    kind: str = "record"
