"""Secrets (issue 19): credentials never reach a message or a log line."""

from __future__ import annotations

import logging

from provdir.cli import main
from provdir.redact import RedactingFilter, redact_text, redacted_url


def test_a_seed_password_is_not_echoed_in_the_bad_seeds_messages(tmp_path, capsys):
    """Fails without the fix: the refused private seed was printed with its password."""
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("https://admin:s3cret-pw@10.1.2.3/\n")
    assert main(["crawl", str(seeds), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "s3cret-pw" not in err
    assert "https://admin:***@10.1.2.3/" in err


def test_a_password_in_an_unusable_seed_line_is_not_echoed(tmp_path, capsys):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("url,name\nhttp://ops:hunter2-long-secret@bad host.example/,X\n")
    main(["crawl", str(seeds), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert "hunter2" not in err and "bad seeds file" in err


def test_log_records_are_redacted_arguments_included(caplog):
    log = logging.getLogger("provdir.test.redact")
    caplog.handler.addFilter(RedactingFilter())
    log.warning("page failed: %s (%s)", "http://u:pa55word@example.org/x?token=abc123&y=1", "HTTP 500")
    assert "pa55word" not in caplog.text and "abc123" not in caplog.text
    assert "http://u:***@example.org/x?token=***&y=1" in caplog.text


def test_urls_without_credentials_are_left_alone():
    assert redacted_url("https://example.org/a?b=c") == "https://example.org/a?b=c"
    assert redacted_url("redis://:pw@127.0.0.1:6379/3") == "redis://:***@127.0.0.1:6379/3"
    assert redact_text("mail me at someone@example.org") == "mail me at someone@example.org"


def test_published_tables_never_carry_a_seed_password(tmp_path):
    """Fails without the fix: the website and evidence URLs were published with user:password@."""
    import json

    import pandas as pd

    from provdir.build import publish
    from provdir.runs.store import create_run
    from tests.test_build_locations import FOOTER, name, page, phone

    run = create_run(tmp_path, "site")
    obs = page("/", addresses=FOOTER, org_names=[name("Harris House")], phones=[phone("+13146314299")])
    obs = json.loads(json.dumps(obs).replace("http://127.0.0.9:8000", "http://ops:s3cret@127.0.0.9:8000"))
    (run.dir / "observations.jsonl").write_text(json.dumps(obs) + "\n")
    run.write_manifest({"run_id": run.run_id, "source": "site", "status": "ok"})
    publish(tmp_path)
    published = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "latest").glob("*.csv"))
    assert "127.0.0.9:8000" in published
    assert "s3cret" not in published and "ops:" not in published
    assert set(pd.read_parquet(tmp_path / "latest" / "facilities.parquet")["website"]) == {"http://127.0.0.9:8000/"}
