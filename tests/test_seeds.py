"""Seeds files: text and CSV, comments, names, and clear errors naming file and line."""

from __future__ import annotations

import pytest

from provdir.sources.seeds import SeedsError, load_seeds, normalize_seed_url, site_key


def write(tmp_path, name: str, content: str):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    return p


def test_text_file_with_comments_and_blank_lines(tmp_path):
    p = write(
        tmp_path, "seeds.txt", "# providers\n\nhttps://a.example.org/\nhttp://b.example.org/contact  # inline note\n"
    )
    seeds = load_seeds(p)
    assert [s.url for s in seeds] == ["https://a.example.org/", "http://b.example.org/contact"]
    assert [s.line for s in seeds] == [3, 4]


def test_bare_host_becomes_https(tmp_path):
    (seed,) = load_seeds(write(tmp_path, "seeds.txt", "www.example.org\n"))
    assert seed.url == "https://www.example.org/"


def test_csv_with_url_and_name_columns(tmp_path):
    p = write(tmp_path, "seeds.csv", "name,url\nHarris House,https://harrishouse.example.org\n")
    (seed,) = load_seeds(p)
    assert (seed.url, seed.name, seed.line) == ("https://harrishouse.example.org/", "Harris House", 2)


def test_csv_detected_by_header_even_without_csv_suffix(tmp_path):
    (seed,) = load_seeds(write(tmp_path, "seeds.txt", "url,name\nhttps://x.example.org/,X\n"))
    assert seed.name == "X"


def test_csv_error_names_the_file_line(tmp_path):
    p = write(tmp_path, "seeds.csv", "url,name\nhttps://ok.example.org/,A\n# skipped\nnot a url,B\n")
    with pytest.raises(SeedsError, match=r"seeds\.csv:4: not a valid"):
        load_seeds(p)


def test_one_seed_per_site_first_wins(tmp_path):
    p = write(tmp_path, "seeds.txt", "https://a.example.org/\nhttps://A.example.org/about\nhttps://b.example.org/\n")
    assert [s.url for s in load_seeds(p)] == ["https://a.example.org/", "https://b.example.org/"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "no seed URLs"),
        ("#\n# nothing\n", "no seed URLs"),
        ("https://ok.example.org/\nmailto:someone@example.org\n", ":2: not a valid"),
        ("http://exa mple.org/\n", ":1: not a valid"),
        ("http://example.org:99999/\n", ":1: not a valid"),
        ("file:///etc/passwd\n", ":1: not a valid"),
        ("localhost\n", ":1: not a valid"),
    ],
)
def test_bad_files_name_the_line(tmp_path, content, message):
    with pytest.raises(SeedsError, match=message):
        load_seeds(write(tmp_path, "seeds.txt", content))


def test_binary_file_rejected(tmp_path):
    p = tmp_path / "seeds.txt"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(SeedsError):
        load_seeds(p)


def test_missing_file(tmp_path):
    with pytest.raises(SeedsError, match="not found"):
        load_seeds(tmp_path / "nope.txt")


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://127.0.0.11:8061/", "127.0.0.11:8061"),
        ("https://Example.org/", "example.org"),
        ("https://example.org:443/x", "example.org"),
        ("http://example.org:80/", "example.org"),
        ("http://example.org:8080/", "example.org:8080"),
    ],
)
def test_site_key_is_host_and_non_default_port(url, key):
    assert site_key(url) == key


def test_normalize_keeps_path_and_query_drops_fragment():
    assert normalize_seed_url("HTTPS://Example.ORG/a/b?x=1#top") == "https://example.org/a/b?x=1"
