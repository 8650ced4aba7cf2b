"""provdir.normalize.url.join: urljoin's answer, cached per site for links that allow it."""

from __future__ import annotations

import itertools
from urllib.parse import urljoin

import pytest

from provdir.normalize.url import join

BASES = [
    "http://127.1.0.4:8000/programs/detox/",
    "https://harrishouse.example/a/b?q=1",
    "https://user:pw@harrishouse.example:8443/x/y.html",
    "http://harrishouse.example",
]
HREFS = [
    "/about/",
    "/a/../b/./c",
    "//cdn.example/x",
    "/x?y=1#z",
    "/%2e%2e/x",
    "http://other.example/x/../y",
    "https://harrishouse.example/p/../q",
    "https://HARRISHOUSE.example/Z",
    "http:page.html",  # relative to the base's path despite the scheme
    "https:/bar",
    "?a=1",
    "../x",
    "x.html",
    "HTTP://harrishouse.example/../a",
]


@pytest.mark.parametrize(("base", "href"), list(itertools.product(BASES, HREFS)))
def test_join_answers_as_urljoin(base, href):
    assert join(base, href) == urljoin(base, href)


def test_the_same_menu_link_on_two_pages_of_a_site_is_one_join():
    first = join("https://harrishouse.example/programs/", "/contact/")
    assert join("https://harrishouse.example/about/team/", "/contact/") is first  # one cached string
    assert first == "https://harrishouse.example/contact/"


def test_a_link_that_is_no_url_raises_as_urljoin_does():
    with pytest.raises(ValueError):
        join("https://harrishouse.example/", "http://[::1")
