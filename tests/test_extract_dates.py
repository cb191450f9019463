"""Publication times are always timezone-aware, wherever the page states them (or not)."""

from __future__ import annotations

import pytest

from warta.core.extract import extract_article

BODY = "".join(
    f"<p>{text}</p>" for text in [
        "The city council approved the new budget on Tuesday after a debate that lasted "
        "well into the evening, with eleven members voting in favour.",
        "The mayor said the plan would pay for three new schools, two clinics and the "
        "repair of the old bridge over the river, which has been closed since March.",
        "Opposition members argued that the spending was too high and that residents would "
        "face higher property taxes within two years of the vote.",
    ]
)


def page(head: str = "", body_top: str = "") -> str:
    return (f"<html lang='en'><head><title>Council approves budget</title>{head}</head>"
            f"<body><article><h1>Council approves budget</h1>{body_top}{BODY}</article>"
            "</body></html>")


@pytest.mark.parametrize(("head", "body_top", "expected"), [
    pytest.param('<meta property="article:published_time" content="2024-05-01T10:15:00+07:00">',
                 "", "2024-05-01T10:15:00+07:00", id="meta-with-offset"),
    pytest.param('<meta property="article:published_time" content="2024-05-01T10:15:00Z">',
                 "", "2024-05-01T10:15:00+00:00", id="meta-utc"),
    pytest.param('<meta property="article:published_time" content="2024-05-01T10:15:00">',
                 "", "2024-05-01T10:15:00+00:00", id="meta-naive-is-utc"),
    pytest.param('<meta name="date" content="2024-05-01">', "", "2024-05-01T00:00:00+00:00",
                 id="meta-date-only"),
    pytest.param('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "x",'
                 ' "datePublished": "2024-05-01T08:00:00+0530"}</script>', "",
                 "2024-05-01T08:00:00+05:30", id="json-ld-compact-offset"),
    pytest.param("", '<time datetime="2024-05-01">1 May 2024</time>',
                 "2024-05-01T00:00:00+00:00", id="time-element-date-only"),
])
def test_stated_times_are_aware(head: str, body_top: str, expected: str) -> None:
    doc = extract_article(page(head, body_top), "https://news.example.org/story")
    assert doc.published is not None
    assert doc.published.isoformat() == expected


def test_a_silent_page_gets_htmldate_s_date_from_its_url() -> None:
    doc = extract_article(page(), "https://news.example.org/2024/05/01/council-budget")
    assert doc.published is not None and doc.published.utcoffset() is not None
    assert doc.published.isoformat() == "2024-05-01T00:00:00+00:00"


def test_a_silent_page_gets_htmldate_s_date_from_a_visible_date_line() -> None:
    top = '<p class="date">Published: 1 May 2024</p>'
    doc = extract_article(page(body_top=top), "https://news.example.org/story")
    assert doc.published is not None and doc.published.utcoffset() is not None
    assert doc.published.date().isoformat() == "2024-05-01"


def test_a_page_with_no_date_anywhere_has_none() -> None:
    """No guess from a copyright year in the footer."""
    html = page().replace("</body>", "<footer>© 2019 Example News</footer></body>")
    assert extract_article(html, "https://news.example.org/story").published is None


def test_a_garbage_date_is_not_fatal() -> None:
    head = '<meta property="article:published_time" content="yesterday-ish 99:99">'
    doc = extract_article(page(head), "https://news.example.org/2024/05/01/story")
    assert doc.published is not None and doc.published.date().isoformat() == "2024-05-01"
