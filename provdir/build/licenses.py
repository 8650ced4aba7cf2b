"""A site's licenses, completed with the facility's state (pure).

Extraction leaves a license's state empty when the page does not tell it ("State-licensed",
"licensed by the Department of Mental Health", a "DMH" logo). Here the state comes from the
site's addresses when they are all in one state, recorded as ``state_inferred``; a name that
several states use is then resolved in the registry for that state ("Department of Mental
Health" in Missouri is the Missouri Department of Mental Health). A site that shows no address
at all gives its contact phones' area-code state instead. A logo that still names no
registry agency of the facility's state is dropped: a "DMH" badge on a Texas site is not a
license anyone can check.
"""

from __future__ import annotations

from typing import Any

from provdir.model.items import LicenseFact, PageObservation
from provdir.normalize import agency as registry
from provdir.vocab import vocabulary

FIELDS = ("agency", "state", "number", "agency_id", "kind", "as_shown", "basis", "state_inferred")


def site_state(observations: list[PageObservation]) -> str:
    """The one state of every address the site shows; when it shows none, the one state of its
    contact phones' area codes (``vocab/us_area_codes.csv``); '' when none or several."""
    states = {a.state for o in observations for a in o.addresses if a.state}
    if states:
        return states.pop() if len(states) == 1 else ""
    phones = {p.e164 for o in observations for p in o.phones if p.role in ("main", "admissions") and p.e164}
    states = {_phone_state(p) for p in phones} - {""}
    return states.pop() if len(states) == 1 else ""


def _phone_state(e164: str) -> str:
    # A table of area codes, not libphonenumber's geocoder: its data costs ~100 MiB per process.
    if not e164.startswith("+1") or len(e164) != 12:
        return ""
    return vocabulary.area_code_states().get(e164[2:5], "")


def complete(lic: LicenseFact, state: str) -> dict[str, Any] | None:
    """The license as published: every field, the state filled in when it can be told;
    None for a logo whose agency cannot be told."""
    out: dict[str, Any] = {
        "agency": lic.agency,
        "state": lic.state,
        "number": lic.number,
        "agency_id": lic.agency_id,
        "kind": lic.kind,
        "as_shown": lic.as_shown,
        "basis": lic.basis,
        "state_inferred": bool(lic.state_inferred),
    }
    if not out["state"] and state:
        out["state"], out["state_inferred"] = state, True
    if not out["agency_id"] and out["state"] and (out["as_shown"] or out["agency"]):
        m = registry.resolve(out["as_shown"] or out["agency"], out["state"])
        if m and m.agency and m.agency.state == out["state"]:
            out["agency"], out["agency_id"] = m.name, m.agency.id
    if out["basis"] in ("logo", "seal") and not out["agency_id"]:
        return None
    return out


def key(lic: dict[str, Any]) -> tuple[str, str, str]:
    """One license: the same agency (by registry id when known), state and number."""
    return ((lic.get("agency_id") or lic["agency"]).lower(), lic.get("state", ""), lic.get("number", ""))
