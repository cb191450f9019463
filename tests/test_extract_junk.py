"""Boilerplate sections after the article, non-article pages, and language identification."""

from __future__ import annotations

from pathlib import Path

import pytest

from warta.core._junk import drop_sections, drop_trailing_list
from warta.core.document import Block, Link
from warta.core.errors import ExtractError
from warta.core.extract import extract_article
from warta.core.language import identify_language

PAGES = Path(__file__).parent / "data" / "pages"

PROSE = [
    "The regional government said on Monday that the new hospital wing would open in June,"
    " two months later than planned, because parts of the roof had to be rebuilt.",
    "About 400 beds will be added, most of them for older patients who now wait days for a"
    " place, the health department said in a statement published on its website.",
    "Doctors' unions welcomed the news but warned that the wing would need at least 300 more"
    " nurses, and that recruiting them would take longer than building the rooms.",
    "The project has cost 180 million so far, about a fifth more than the budget approved by"
    " the regional parliament four years ago, according to the latest figures.",
]


def page(body: str, head: str = "", lang: str = ' lang="en"') -> str:
    return (f"<!DOCTYPE html><html{lang}><head><meta charset='utf-8'><title>Hospital wing"
            f"</title>{head}</head><body><article><h1>Hospital wing opens in June</h1>"
            f"{body}</article></body></html>")


def paragraphs(texts: list[str]) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def p(text: str, linked: bool = False) -> Block:
    return Block("p", text, (Link(text, "https://x.example/a", 0),) if linked else ())


def li(text: str, linked: bool = False) -> Block:
    return Block("li", text, (Link(text, "https://x.example/a", 0),) if linked else ())


# --- sections after the article -------------------------------------------------------------

def test_page_with_related_most_viewed_teasers_and_comments() -> None:
    doc = extract_article((PAGES / "related_after.html").read_bytes(),
                          "https://metro.example/city/night-buses")
    texts = [b.text for b in doc.blocks]
    for junk in ("Related", "Most viewed", "Council to debate", "Museum reopens", "3 Comments",
                 "Finally!", "Who is going to pay"):
        assert not any(t.startswith(junk) for t in texts), junk
    # the article's own list, introduced by a colon, stays in place
    assert [b.type for b in doc.blocks][-5:] == ["p", "li", "li", "li", "p"]
    assert texts[-1] == "A review of passenger numbers is planned after the first year."


def test_section_title_goes_with_its_run_of_links_and_article_resumes() -> None:
    blocks = [p("First paragraph."), p("Second."), Block("h2", "Trending"),
              li("Storm closes road", True), li("Bakery opens", True), p("Article goes on.")]
    assert [b.text for b in drop_sections(blocks)] == ["First paragraph.", "Second.",
                                                       "Article goes on."]


def test_ambiguous_title_without_links_stays() -> None:
    blocks = [p("One."), p("Two."), Block("h2", "Top stories"), p("A real subsection.")]
    assert drop_sections(blocks) == blocks


def test_comments_heading_cuts_the_rest_only_after_the_article_started() -> None:
    blocks = [p("One."), p("Two."), Block("h3", "12 comments"), p("Great read!")]
    assert [b.text for b in drop_sections(blocks)] == ["One.", "Two."]
    early = [Block("h2", "Comments"), p("One."), p("Two.")]
    assert drop_sections(early) == early


def test_trailing_headline_list_without_title_is_dropped() -> None:
    blocks = [p("One."), p("The end of the story."), li("Police reject actor's request"),
              li("Defense chief says reactor is near completion"), li("Funeral held for actor")]
    assert [b.text for b in drop_trailing_list(blocks)] == ["One.", "The end of the story."]


@pytest.mark.parametrize(
    "before",
    [p("The measures include:"), Block("h2", "Key facts")],
)
def test_trailing_list_introduced_by_the_article_stays(before: Block) -> None:
    blocks = [p("One."), before, li("Higher fuel taxes"), li("Free buses for children"),
              li("A new bridge over the river")]
    assert drop_trailing_list(blocks) == blocks


def test_trailing_list_of_sentences_stays() -> None:
    blocks = [p("One."), p("Two."), li("Brits searched Indian food more."),
              li("Australians searched Argentine food."), li("Nine million watched a video.")]
    assert drop_trailing_list(blocks) == blocks


# --- pages that are not articles -------------------------------------------------------------

def test_video_page_is_reported_as_such() -> None:
    html = page('<iframe src="https://www.youtube.com/embed/abc"></iframe>'
                "<p>Watch: the new hospital wing from the air.</p>")
    with pytest.raises(ExtractError) as err:
        extract_article(html, "https://news.example/video/hospital")
    assert err.value.reason == "page looks like a video page, with no article text"


def test_declared_video_page_with_a_description_is_a_video_page() -> None:
    head = '<meta property="og:type" content="video.other">'
    with pytest.raises(ExtractError, match="video page"):
        extract_article(page(paragraphs(PROSE[:2]), head), "https://news.example/v/1")


def test_article_with_an_embedded_video_is_an_article() -> None:
    html = page('<iframe src="https://www.youtube.com/embed/abc"></iframe>'
                + paragraphs(PROSE))
    assert len(extract_article(html, "https://news.example/a/1").blocks) == 4


@pytest.mark.parametrize(
    "wall",
    [
        "<p>Subscribe now to continue reading this article.</p>",
        "<p>This article is only available to subscribers. Already a subscriber? Log in</p>",
        "<p>Artikel ini khusus untuk pelanggan.</p>",
        "<p>この記事は会員限定です。電子版に登録すると続きをお読みいただけます。</p>",
    ],
)
def test_paywall_stub_is_reported(wall: str) -> None:
    html = page(paragraphs(PROSE[:2]) + wall)
    with pytest.raises(ExtractError) as err:
        extract_article(html, "https://news.example/premium/1")
    assert err.value.reason == "page looks like a paywall stub: only a teaser is readable"


def test_declared_paywall_with_short_teaser_is_a_stub() -> None:
    head = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H",'
            ' "isAccessibleForFree": false}</script>')
    with pytest.raises(ExtractError, match="paywall stub"):
        extract_article(page(paragraphs(PROSE[:2]), head), "https://news.example/premium/2")


def test_metered_page_with_full_text_is_kept_without_the_prompt() -> None:
    long_story = PROSE * 3
    html = page(paragraphs(long_story) + "<p>Subscribe to continue reading our journalism.</p>")
    doc = extract_article(html, "https://news.example/metered/1")
    assert "Subscribe" not in doc.text and len(doc.blocks) >= 4


# --- language -------------------------------------------------------------------------------

ID_TEXT = ("Pemerintah provinsi mengatakan pada hari Senin bahwa gedung baru rumah sakit akan"
           " dibuka pada bulan Juni, dua bulan lebih lambat dari rencana, karena sebagian atap"
           " harus dibangun ulang.")
ID_MORE = [
    "Sekitar 400 tempat tidur akan ditambahkan, sebagian besar untuk pasien lanjut usia yang"
    " kini harus menunggu berhari-hari, kata dinas kesehatan dalam sebuah pernyataan.",
    "Serikat dokter menyambut baik kabar itu tetapi mengingatkan bahwa gedung tersebut"
    " membutuhkan setidaknya 300 perawat tambahan.",
]
FR_TEXT = ("Le gouvernement régional a annoncé lundi que la nouvelle aile de l'hôpital ouvrira"
           " en juin, deux mois plus tard que prévu, car une partie du toit doit être refaite.")


@pytest.mark.parametrize(("text", "lang"), [(PROSE[0], "en"), (ID_TEXT, "id"), (FR_TEXT, "fr")])
def test_identify_language(text: str, lang: str) -> None:
    assert identify_language(text) == lang


@pytest.mark.parametrize("text", ["", "OK", "12:30 — 14:00", "Hi there"])
def test_too_little_text_gives_no_language(text: str) -> None:
    assert identify_language(text) == ""


def test_undeclared_page_language_is_identified_declared_one_wins() -> None:
    undeclared = page(paragraphs([ID_TEXT, *ID_MORE]), lang="")
    assert extract_article(undeclared, "https://berita.example/a").language == "id"
    declared = page(paragraphs([ID_TEXT, *ID_MORE]), lang=' lang="ms"')
    assert extract_article(declared, "https://berita.example/a").language == "ms"
