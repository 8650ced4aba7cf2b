"""The bundled sample web: small treatment-center sites for the demo and the tests."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any


def load_facts() -> dict[str, dict[str, Any]]:
    """Ground truth of every bundled site by slug: ``facts.json`` plus one file per site in
    ``facts.d/<slug>.json`` (a new site brings its own file, so sites are added without editing a
    shared one)."""
    root = Path(str(resources.files("provdir.sampleweb")))
    sites = json.loads((root / "facts.json").read_text(encoding="utf-8"))["sites"]
    for path in sorted((root / "facts.d").glob("*.json")):
        sites.append(json.loads(path.read_text(encoding="utf-8")))
    return {s["slug"]: s for s in sites}
