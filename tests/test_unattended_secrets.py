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
