"""Title by agreement, updated time, robust JSON-LD, and emphasis spans in the body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from warta.core.document import Document, Emphasis
from warta.core.extract import extract_article

PROSE = [
    "The city council approved the new budget on Tuesday after a debate that lasted well "
    "into the evening, with eleven members voting in favour.",
    "The mayor said the plan would pay for three new schools, two clinics and the repair of "
    "the old bridge over the river, which has been closed since March.",
    "Opposition members argued that the spending was too high and that residents would face "
    "higher property taxes within two years of the vote.",
]
BODY = "".join(f"<p>{p}</p>" for p in PROSE)
URL = "https://www.dailygazette.example/news/2024/05/01/budget"


def page(head: str = "", h1: str = "", body: str = BODY) -> str:
    heading = f"<h1>{h1}</h1>" if h1 else ""
    return (f"<html lang='en'><head>{head}</head><body><article>{heading}{body}</article>"
            "</body></html>")


def ld(**fields: str) -> str:
    items = ", ".join(f'"{k}": "{v}"' for k, v in fields.items())
    return f'<script type="application/ld+json">{{"@type": "NewsArticle", {items}}}</script>'


# --- titles -------------------------------------------------------------------------------

@pytest.mark.parametrize(("head", "h1", "expected"), [
    pytest.param("<title>Council approves budget | Daily Gazette</title>"
                 "<meta property='og:site_name' content='Daily Gazette'>",
                 "Council approves budget", "Council approves budget", id="site-suffix"),
    pytest.param("<title>Daily Gazette | Council approves budget</title>",
                 "Council approves budget", "Council approves budget", id="site-prefix"),
    pytest.param("<title>Council approves budget -- Politics -- Daily Gazette</title>",
                 "Council approves budget", "Council approves budget", id="double-dash"),
    pytest.param("<title>市议会批准预算-新华网</title>", "市议会批准预算", "市议会批准预算",
                 id="cjk-no-spaces"),
    # A logo or section name in <h1> that nothing else states is not the headline.
    pytest.param("<title>Council approves budget</title>", "Health Center",
                 "Council approves budget", id="lone-h1-loses"),
    # The headline that two voices agree on wins over a social-media variant.
    pytest.param("<title>Council approves budget after long debate - Gazette</title>"
                 "<meta property='og:title' content='You will not believe this budget'>"
                 + ld(headline="Council approves budget after long debate"),
                 "Council approves budget after long debate",
                 "Council approves budget after long debate", id="agreement"),
    # Quotes compared alike; printed as the highest-ranked voice has it.
    pytest.param("<meta property='og:title' content=\"Mayor: 'No new taxes'\">",
                 "Mayor: ‘No new taxes’", "Mayor: 'No new taxes'", id="quotes"),
    pytest.param("<title>Hospital wing</title>", "Hospital wing opens in June",
                 "Hospital wing opens in June", id="h1-continues-short-title"),
    pytest.param("", "Council approves budget", "Council approves budget", id="only-h1"),
])
def test_title_is_chosen_by_agreement(head: str, h1: str, expected: str) -> None:
    assert extract_article(page(head, h1), URL).title == expected


def test_title_reading_of_the_host_name_is_stripped_without_site_meta() -> None:
    html = page("<title>Council approves budget - DailyGazette</title>")
    assert extract_article(html, URL).title == "Council approves budget"


# --- dates --------------------------------------------------------------------------------

def test_updated_comes_from_json_ld_date_modified() -> None:
    head = ld(headline="x", datePublished="2024-05-01T08:00:00+07:00",
              dateModified="2024-05-02T09:30:00+07:00")
    doc = extract_article(page(head, "Council approves budget"), URL)
    tz = timezone(timedelta(hours=7))
    assert doc.published == datetime(2024, 5, 1, 8, 0, tzinfo=tz)
    assert doc.updated == datetime(2024, 5, 2, 9, 30, tzinfo=tz)


def test_updated_from_modified_time_meta_and_absent_when_silent() -> None:
    head = ('<meta property="article:published_time" content="2024-05-01T08:00:00Z">'
            '<meta property="article:modified_time" content="2024-05-01T12:00:00Z">')
    doc = extract_article(page(head, "Council approves budget"), URL)
    assert doc.updated == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert extract_article(page("", "Council approves budget"), URL).updated is None


def test_updated_before_published_is_ignored() -> None:
    head = ld(headline="x", datePublished="2024-05-01T08:00:00Z",
              dateModified="2001-01-01T00:00:00Z")
    assert extract_article(page(head, "Council approves budget"), URL).updated is None


def test_json_ld_in_a_cdata_wrapper_is_read() -> None:
    """Medium and NBC wrap JSON-LD in CDATA; their article:published_time is the last edit,
    so losing the JSON-LD gave the wrong day."""
    head = ('<meta property="article:published_time" content="2015-12-11T14:28:34Z">'
            '<script type="application/ld+json">\n  <![CDATA[\n  {"@type": "NewsArticle", '
            '"headline": "x", "datePublished": "2015-10-15T02:19:15Z"}\n  ]]>\n</script>')
    doc = extract_article(page(head, "Council approves budget"), URL)
    assert doc.published == datetime(2015, 10, 15, 2, 19, 15, tzinfo=UTC)


def test_article_date_wins_over_a_video_object_listed_first() -> None:
    head = ('<script type="application/ld+json">{"@type": "VideoObject", "headline": "clip",'
            ' "datePublished": "2020-01-01T00:00:00Z"}</script>'
            + ld(headline="x", datePublished="2024-05-01T08:00:00Z"))
    doc = extract_article(page(head, "Council approves budget"), URL)
    assert doc.published == datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def test_javascript_date_strings_in_json_ld_are_read() -> None:
    head = ld(headline="x", datePublished="Sat Dec 07 2024 01:36:42 GMT+0700 (WIB)")
    doc = extract_article(page(head, "Council approves budget"), URL)
    assert doc.published == datetime(2024, 12, 7, 1, 36, 42, tzinfo=timezone(timedelta(hours=7)))


def test_updated_round_trips_through_json() -> None:
    doc = Document(url=URL, title="t", updated=datetime(2024, 5, 2, 9, 30, tzinfo=UTC))
    data = doc.to_dict()
    assert data["updated"] == "2024-05-02T09:30:00+00:00"
    assert Document.from_dict(data).updated == doc.updated
    assert Document.from_dict({"url": URL}).updated is None


# --- emphasis -----------------------------------------------------------------------------

def test_emphasis_spans_index_the_block_text() -> None:
    body = ("<p>WASHINGTON — The <em>first</em> vote was <strong>close</strong>, and "
            "<i>the mayor <a href='https://x.example/m'>said</a> so</i>; "
            "<b>the <b>nested</b> bold</b> reads once. "
            + PROSE[0] + "</p><blockquote><p>We <em>will</em> build it.</p></blockquote>"
            + BODY)
    doc = extract_article(page("", "Council approves budget", body), URL)
    assert doc.dateline == "WASHINGTON"
    first, quote = doc.blocks[0], doc.blocks[1]
    assert [(e.text, e.kind) for e in first.emphasis] == [
        ("first", "em"), ("close", "strong"), ("the mayor said so", "em"),
        ("the nested bold", "strong")]
    for e in first.emphasis:
        assert first.text[e.start:e.start + len(e.text)] == e.text
    assert quote.type == "quote"
    assert quote.emphasis == (Emphasis("will", 3, "em"),)
    assert [link.text for link in first.links] == ["said"]


def test_plain_paragraphs_carry_no_emphasis_and_the_json_omits_it() -> None:
    doc = extract_article(page("", "Council approves budget"), URL)
    assert all(not b.emphasis for b in doc.blocks)
    assert all("emphasis" not in b for b in doc.to_dict()["blocks"])


def test_site_renders_emphasis_escaped_around_links() -> None:
    from warta.site.render import render_blocks

    block = {"type": "p", "text": "The <b>vote</b> & the mayor's link were close.",
             "links": [{"text": "mayor's link", "href": "https://x.example/m", "start": 22}],
             "emphasis": [{"text": "<b>vote</b>", "start": 4, "kind": "em"},
                          {"text": "the mayor's link", "start": 18, "kind": "strong"},
                          {"text": "link were", "start": 30, "kind": "em"},  # cuts the link
                          {"text": "close", "start": 40, "kind": "<script>"}]}
    html = render_blocks([block, {"type": "h2", "text": "Head", "emphasis": [
        {"text": "Head", "start": 0, "kind": "em"}]}])
    assert html == (
        '<p>The <em>&lt;b&gt;vote&lt;/b&gt;</em> &amp; <strong>the <a href="https://x.example/m"'
        ' rel="nofollow noopener">mayor&#x27;s link</a></strong> were <em>close</em>.</p>'
        "<h2>Head</h2>")
