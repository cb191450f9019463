from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.golden import assert_golden
from warta.core import _html
from warta.core.document import Document
from warta.core.errors import ExtractError
from warta.core.extract import extract_article

PAGES = Path(__file__).parent / "data" / "pages"

# page stem -> the URL it was "served" at
ARTICLES = {
    "ndtv_syndicated": "https://www.ndtv.com/world-news/russia-says-talks-with-ukraine-are-stalled-4607811",
    "latin1_undeclared": "https://news.example.ch/2023/11/cafe-owners-zurich",
    "hostile": "https://gazette.example.org/news/cycle-lanes-approved",
}


def extract_page(stem: str) -> Document:
    return extract_article((PAGES / f"{stem}.html").read_bytes(), ARTICLES[stem])


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_extract_matches_golden_json(stem: str) -> None:
    """Golden files: regenerate with WARTA_REGEN=1 and review the diff."""
    assert_golden(extract_page(stem).to_dict(), PAGES / f"{stem}.expected.json")


@pytest.fixture(scope="module")
def ndtv() -> Document:
    return extract_page("ndtv_syndicated")


def types(doc: Document) -> list[str]:
    return [b.type for b in doc.blocks]


def test_metadata_of_syndicated_story(ndtv: Document) -> None:
    assert ndtv.title == "Russia Says Talks With Ukraine Are Stalled"
    assert ndtv.byline == "Agence France-Presse"
    assert ndtv.published is not None and ndtv.published.utcoffset() is not None
    assert ndtv.published.isoformat() == "2023-11-25T14:05:00+05:30"
    assert ndtv.language == "en"
    assert ndtv.canonical_url.endswith("russia-says-talks-with-ukraine-are-stalled-4607811")


def test_lead_photo_keeps_file_marker_and_credit(ndtv: Document) -> None:
    assert ndtv.image is not None
    assert ndtv.image.src == "https://www.ndtv.com/images/2023-11/kremlin_650x400.jpg"
    assert ndtv.image.caption == "The Kremlin said no new round of talks had been scheduled. (File)"
    assert ndtv.image.credit == "AFP"
    assert ndtv.image.src not in [b.src for b in ndtv.blocks]  # not repeated in the body


def test_dateline_moves_out_of_first_paragraph(ndtv: Document) -> None:
    assert ndtv.dateline == "MOSCOW, Russia"
    assert ndtv.blocks[0].text.startswith("The Kremlin said on Saturday")


def test_block_structure_in_order(ndtv: Document) -> None:
    assert types(ndtv) == ["p", "p", "quote", "p", "img", "h2", "p", "li", "li", "li", "p"]
    quote = ndtv.blocks[2]
    assert quote.text.startswith("We have never closed the door")
    quoted_paragraph = ndtv.blocks[3]
    assert quoted_paragraph.type == "p" and quoted_paragraph.text.startswith("“There is no basis")


def test_inline_figure_in_place_with_credit(ndtv: Document) -> None:
    img = ndtv.blocks[4]
    assert img.src == "https://c.ndtvimg.com/2023-11/istanbul_talks.jpg"
    assert img.text == "Russian and Ukrainian delegations met in Istanbul in March 2022."
    assert img.credit == "Reuters"


def test_inline_links_have_offsets_and_safe_hrefs(ndtv: Document) -> None:
    block = ndtv.blocks[1]
    (link,) = block.links
    assert block.text[link.start : link.start + len(link.text)] == link.text
    assert link.href == "https://www.ria.ru/20231125/talks.html"
    last = ndtv.blocks[-1]
    assert "long winter" in last.text and not last.links  # javascript: href dropped


def test_junk_removed_and_syndication_note_kept(ndtv: Document) -> None:
    text = ndtv.text
    for junk in ("Also Read", "Zelensky Visits", "Follow us", "newsletter", "Share on",
                 "Photo: Reuters", "syndicated feed", "Trending"):
        assert junk not in text
    assert ndtv.syndication_note == (
        "(Except for the headline, this story has not been edited by NDTV staff "
        "and is published from a syndicated feed.)"
    )


def test_undeclared_windows_1252_is_not_mojibake() -> None:
    doc = extract_page("latin1_undeclared")
    assert doc.title == "Café owners in Zürich fear a cold winter"
    assert "“We can’t pass everything on to customers,” said François Dubois" in doc.text
    assert "Ã" not in doc.text and "\ufffd" not in doc.text


def test_explicit_encoding_wins() -> None:
    data = (PAGES / "latin1_undeclared.html").read_bytes()
    doc = extract_article(data, "https://news.example.ch/x", encoding="cp1252")
    assert "crêperie" in doc.text


def test_str_input_is_accepted() -> None:
    html = (PAGES / "ndtv_syndicated.html").read_text("utf-8")
    assert extract_article(html, ARTICLES["ndtv_syndicated"]).title.startswith("Russia")


def test_hostile_markup_yields_plain_text_and_safe_urls() -> None:
    doc = extract_page("hostile")
    blob = json.dumps(doc.to_dict())
    for bad in ("alert", "javascript:", "data:", "<script", "onerror", "evil.example"):
        assert bad not in blob
    assert doc.image is None
    assert all(b.type != "img" for b in doc.blocks)
    assert "Not bold and bold text stay plain." in doc.text  # escaped markup stripped too
    assert "<" not in doc.text
    (link,) = doc.blocks[-1].links
    assert link.href == "https://gazette.example.org/news/cycle-lanes"


def test_hostile_naive_time_read_as_utc() -> None:
    doc = extract_page("hostile")
    assert doc.published is not None
    assert doc.published.isoformat() == "2023-11-20T09:30:00+00:00"


@pytest.mark.parametrize(
    ("stem", "reason"),
    [
        ("section_front", "page looks like a list of links, not an article"),
        ("not_found", "page looks like an error page"),
    ],
)
def test_non_articles_raise_with_readable_reason(stem: str, reason: str) -> None:
    url = f"https://news.example.com/{stem}"
    with pytest.raises(ExtractError) as err:
        extract_article((PAGES / f"{stem}.html").read_bytes(), url)
    assert err.value.reason.startswith(reason)
    assert err.value.url == url


@pytest.mark.parametrize("html", ["", "   ", "<html><body><p>  </p><div>2024</div></body></html>"])
def test_empty_or_tiny_pages_raise(html: str) -> None:
    with pytest.raises(ExtractError):
        extract_article(html, "https://news.example.com/empty")


def test_a_brief_item_that_is_the_whole_page_is_an_article() -> None:
    """A one-line item (a breaking-news brief) is published, not refused as too short."""
    html = ("<html><head><title>Quake hits Lombok</title></head><body><h1>Quake hits Lombok</h1>"
            "<p>A magnitude 5.9 earthquake struck Lombok on Sunday; no tsunami warning.</p>"
            "</body></html>")
    doc = extract_article(html, "https://news.example.com/brief")
    assert doc.text == "A magnitude 5.9 earthquake struck Lombok on Sunday; no tsunami warning."


def test_a_short_reading_of_a_long_page_is_refused() -> None:
    """The same line on a page that says much more (outside anything the extractor reads
    as the article) is a fragment, not the story."""
    filler = "".join(f"<div class='teaser'>Unrelated teaser text number {i} about other news"
                     f" that is not linked and not an article either.</div>" for i in range(40))
    html = ("<html><head><title>Quake</title></head><body><nav>" + filler + "</nav>"
            "<p>A magnitude 5.9 earthquake struck Lombok on Sunday.</p></body></html>")
    with pytest.raises(ExtractError, match="no article text found"):
        extract_article(html, "https://news.example.com/hub")


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("Trump at the White House. (Photo: Reuters)", ("Trump at the White House.", "Reuters")),
        ("Rescuers at the site. Photo credit: AFP", ("Rescuers at the site.", "AFP")),
        ("Biden speaks. — AP Photo/Evan Vucci", ("Biden speaks.", "AP Photo/Evan Vucci")),
        ("Biden speaks in Delaware. File photo", ("Biden speaks in Delaware. (File)", "")),
        ("The Kremlin in Moscow. (File)", ("The Kremlin in Moscow. (File)", "")),
        ("A plain caption - with a dash", ("A plain caption - with a dash", "")),
    ],
)
def test_split_credit_patterns(caption: str, expected: tuple[str, str]) -> None:
    assert _html.split_credit(caption) == expected


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/a/b", "https://site.example/a/b"),
        ("javascript:alert(1)", ""),
        (" JavaScript:alert(1)", ""),
        ("data:text/html,x", ""),
        ("mailto:x@example.com", ""),
        ("//cdn.example/x.jpg", "https://cdn.example/x.jpg"),
        ("#top", ""),
    ],
)
def test_safe_url(href: str, expected: str) -> None:
    assert _html.safe_url(href, "https://site.example/news/1") == expected


def test_to_dict_round_trips(ndtv: Document) -> None:
    data: dict[str, Any] = ndtv.to_dict()
    assert Document.from_dict(data).to_dict() == data


@pytest.mark.parametrize("line", [
    "You need to enable JavaScript to run this app.",
    "Checking your browser before accessing news.example.com.",
    "Access denied: you don't have permission to view this page.",
])
def test_an_app_shell_or_block_page_is_not_a_brief_item(line: str) -> None:
    html = f"<html><head><title>News</title></head><body><p>{line}</p></body></html>"
    with pytest.raises(ExtractError, match="no article text found"):
        extract_article(html, "https://news.example.com/shell")
