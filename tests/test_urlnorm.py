"""URL normalisation: every spelling of one article's address gives one key."""

from __future__ import annotations

import pytest

from warta.core.urlnorm import normalise_url, url_key

SAME = [
    "https://example.com/world/story",
    "https://Example.COM:443/world/story/",
    "http://www.example.com/world/story#comments",
    "https://example.com/world/story?utm_source=rss&utm_medium=feed&fbclid=abc&gclid=x",
    "https://amp.example.com/world/story",
    "https://example.com/amp/world/story",
    "https://example.com/world/story/amp/",
    "https://example.com/world/story?amp=1",
    "https://example.com/world/story?outputType=amp&mc_cid=1&_ga=2",
]


@pytest.mark.parametrize("url", SAME)
def test_variants_of_one_article_share_a_key(url: str) -> None:
    assert url_key(url) == url_key(SAME[0])


def test_parameters_that_choose_the_article_are_kept_and_sorted() -> None:
    assert normalise_url("https://EX.com/a?id=2&utm_campaign=x&b=1") == "https://ex.com/a?b=1&id=2"
    assert url_key("https://ex.com/a?id=2") != url_key("https://ex.com/a?id=3")


def test_other_ports_paths_and_amp_html_stay_distinct() -> None:
    assert normalise_url("https://ex.com:8443/a") == "https://ex.com:8443/a"
    assert normalise_url("https://ex.com/a/story.amp.html") == "https://ex.com/a/story.html"
    assert url_key("https://ex.com/a") != url_key("https://ex.com/b")
    assert normalise_url("https://ex.com/") == "https://ex.com/"


def test_non_urls_are_their_own_key_and_empty_is_empty() -> None:
    assert normalise_url("  tag:agency,2026:123 ") == "tag:agency,2026:123"
    assert url_key("") == "" and url_key("urn:a") != url_key("urn:b")


def test_the_shortcut_for_plain_urls_agrees_with_the_general_path() -> None:
    """normalise_url answers most feed links without urlsplit/parse_qsl (_is_plain); on
    every combination of the shapes that matter it gives what the general path gives."""
    import itertools

    from warta.core.urlnorm import _is_plain, _normalise

    schemes = ["http://", "https://", "HTTPS://", "ftp://", ""]
    hosts = ["example.com", "Example.com", "www.example.com", "amp.example.com", "ex.com.",
             "ex.com:443", "ex.com:8080", "a-b.c0.id", "amp", "www", "[::1]", "u@ex.com", ""]
    paths = ["", "/", "/a", "/a/", "/a//b", "/amp/a", "/a/AMP", "/a/amp/", "/a.amp",
             "/a.AMP.html", "/a.amp.htm", "/a;p", "/a b", "/%41~!$'()*+,=:@-._", "/a?b=1",
             "/a?", "/a#f", "/a?utm_source=x", "/amplify/ramp", "/a\t", "/ä", "/a/./b"]
    seen = 0
    for scheme, host, path in itertools.product(schemes, hosts, paths):
        for url in (scheme + host + path, f" {scheme}{host}{path} "):
            assert normalise_url(url) == _normalise(url.strip()), url
            seen += _is_plain(url.strip())
    assert seen > 50  # the shortcut was taken, not only the general path
