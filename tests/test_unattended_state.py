"""Damaged state files (issue 19): the registry, observations, manifests and stats.

"Fails without the fix" notes say what the code before issue 19 did with the same file.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from provdir.build import publish
from provdir.build.publish import StateDamaged
from provdir.cli import main
from provdir.runs.store import create_run, read_observations
from tests.test_unattended_publish import site, stored_run


def ids(out) -> dict[str, str]:
    df = pd.read_parquet(out / "latest" / "facilities.parquet")
    return dict(zip(df["source_key"], df["facility_id"], strict=True))


@pytest.fixture
def published(tmp_path):
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    stored_run(tmp_path, site("Harris House", "+13145550100"))
    return tmp_path


def test_a_registry_row_with_an_unbalanced_quote_stops_the_build_naming_file_and_line(published):
    """Fails without the fix: the quote swallowed the rows after it; their facilities got new
    ids silently and the old ids were carried as duplicate facilities."""
    path = published / "registry.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace("site:", '"site:', 1)
    path.write_text("".join(lines), encoding="utf-8")
    before = (published / "latest").resolve()
    with pytest.raises(StateDamaged, match=rf"{path}:2: .*unbalanced quote") as exc:
        publish(published)
    assert "no facility was given a new id" in str(exc.value)
    assert (published / "latest").resolve() == before


def test_a_deleted_registry_stops_the_build_and_restore_keeps_every_id(published):
    """Fails without the fix: every facility got a new id, the old ones were published too."""
    old = ids(published)
    (published / "registry.csv").unlink()
    with pytest.raises(StateDamaged, match=r"registry.csv is missing, but build .* is published"):
        publish(published)
    assert main(["build", "--out", str(published), "--restore-registry"]) == 0
    assert ids(published) == old
    assert len(ids(published)) == 2


def test_a_registry_truncated_at_a_line_end_is_caught_against_the_published_copy(published):
    """Fails without the fix: the lost rows' facilities were given new ids."""
    path = published / "registry.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(StateDamaged, match=r"1 source key.* missing from it"):
        publish(published)


def test_a_registry_cut_mid_row_names_the_line(published):
    """Fails without the fix: only a data-dictionary violation, not naming registry.csv."""
    path = published / "registry.csv"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    with pytest.raises(StateDamaged, match=r"registry.csv:3: the last row is torn"):
        publish(published)


def test_torn_observations_cut_inside_a_multibyte_character_keep_every_whole_line(tmp_path, caplog):
    """Fails without the fix: UnicodeDecodeError traceback, nothing published."""
    run = stored_run(tmp_path, site("Harris House"))
    whole = len(read_observations(run))
    cut = json.dumps({"site": "x", "url": "http://x/", "kind": "page", "note": "café"}, ensure_ascii=False)
    raw = cut.encode("utf-8")
    with (run.dir / "observations.jsonl").open("ab") as fh:
        fh.write(raw[: raw.index("é".encode()) + 1])  # cut between the two bytes of é
    assert len(read_observations(run)) == whole
    assert any("1 line(s) unreadable" in r.getMessage() for r in caplog.records)
    assert publish(tmp_path).facilities == 2


def test_damaged_manifests_and_stats_are_reported_not_fatal_to_status_and_report(tmp_path, capsys):
    """Fails without the fix: ``status`` and ``report`` died on a manifest whose fields had the
    wrong type ('str' object has no attribute 'get')."""
    stored_run(tmp_path, site("Harris House"))
    publish(tmp_path)
    bad = create_run(tmp_path, "site")
    bad.manifest_path.write_text(
        json.dumps({"status": "ok", "counts": "lots", "sites": [1, 2], "health": {"warnings": 3}})
    )
    (bad.dir / "stats.json").write_text('{"response_received_count": "x"')
    torn = create_run(tmp_path, "site")
    torn.manifest_path.write_text('{"status": "ok", "cou')
    assert main(["status", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{bad.run_id}: {bad.manifest_path}: damaged field(s) ignored: counts, sites" in out
    assert f"{torn.run_id}: {torn.manifest_path}: unreadable" in out
    assert main(["report", "--out", str(tmp_path), "--to", str(tmp_path / "r.html")]) == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Damaged state files" in html and torn.run_id in html
