"""Bad input never crashes or hangs the extractor: it yields a Document or an ExtractError.

Oversized pages, binary served as text/html, truncated markup, wrong or missing charsets and
pathologically nested markup, each written here on purpose; then a property-based test feeds
generated HTML to ``extract_article``.
"""

from __future__ import annotations

import gzip
import random
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warta.core.document import Document
from warta.core.errors import ExtractError
from warta.core.extract import MAX_PAGE_BYTES, extract_article

URL = "https://news.example.org/2024/05/budget-approved"
PAGES = Path(__file__).parent / "data" / "pages"

PARAGRAPHS = [
    "The city council approved the new budget on Tuesday after a debate that lasted "
    "well into the evening, with eleven members voting in favour.",
    "The mayor said the plan would pay for three new schools, two clinics and the repair "
    "of the old bridge over the river, which has been closed since March.",
    "Opposition members argued that the spending was too high and that residents would "
    "face higher property taxes within two years of the vote.",
    "A final reading is scheduled for next month, when the council is also expected to "
    "discuss the long-delayed plan for a new public library.",
]


def article(body_paragraphs: list[str], *, title: str = "Council approves budget",
            head: str = "") -> str:
    paras = "".join(f"<p>{p}</p>" for p in body_paragraphs)
    return (f"<!DOCTYPE html><html lang='en'><head>{head}<title>{title}</title></head>"
            f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paras}"
            "</article><footer>(c) Example News</footer></body></html>")


def outcome(data: str | bytes, encoding: str | None = None) -> Document | ExtractError:
    try:
        return extract_article(data, URL, encoding=encoding)
    except ExtractError as e:
        return e


def test_a_well_formed_page_is_read() -> None:
    """The control for every case below: the same article, served cleanly, is read whole."""
    doc = extract_article(article(PARAGRAPHS), URL)
    assert [b.text for b in doc.blocks] == PARAGRAPHS


# --- size ---------------------------------------------------------------------------------

@pytest.mark.parametrize("as_bytes", [True, False])
def test_a_20_mb_page_is_refused_before_parsing(as_bytes: bool) -> None:
    filler = "<div class='x'>" + "padding text " * 10 + "</div>"
    page = article(PARAGRAPHS).replace("</article>",
                                       "</article>" + filler * (20_000_000 // len(filler)))
    assert len(page) > 20_000_000
    with pytest.raises(ExtractError, match="too large") as err:
        extract_article(page.encode() if as_bytes else page, URL)
    assert "20.0 MB" in err.value.reason and f"{MAX_PAGE_BYTES / 1e6:.0f} MB" in err.value.reason


def test_a_page_just_under_the_cap_is_still_read() -> None:
    page = article(PARAGRAPHS)
    page = page.replace("</footer>", "</footer><!--" + "x" * (MAX_PAGE_BYTES // 4) + "-->")
    assert len(page) < MAX_PAGE_BYTES
    assert [b.text for b in extract_article(page, URL).blocks] == PARAGRAPHS


# --- binary and empty -----------------------------------------------------------------------

def _png() -> bytes:
    rng = random.Random(4)
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(30000))


@pytest.mark.parametrize("data", [
    pytest.param(_png(), id="png"),
    pytest.param(gzip.compress(article(PARAGRAPHS).encode()), id="gzip-not-decompressed"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 40, id="pdf"),
])
def test_binary_served_as_html_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(ExtractError, match="binary data, not HTML"):
        extract_article(data, URL)


@pytest.mark.parametrize("data", [b"", b"   \n\t ", "", "<html></html>"])
def test_empty_pages_are_refused(data: str | bytes) -> None:
    with pytest.raises(ExtractError):
        extract_article(data, URL)


# --- truncated ------------------------------------------------------------------------------

def test_truncated_html_keeps_the_paragraphs_that_arrived() -> None:
    page = article(PARAGRAPHS).encode()
    cut = page.index(b"which has been closed")  # mid-sentence, inside the second paragraph
    doc = extract_article(page[:cut], URL)
    texts = [b.text for b in doc.blocks]
    assert texts[0] == PARAGRAPHS[0]
    assert texts[1].startswith("The mayor said") and texts[1].endswith("over the river,")


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.8])
def test_a_real_page_cut_anywhere_gives_a_document_or_a_reason(fraction: float) -> None:
    data = (PAGES / "ndtv_syndicated.html").read_bytes()
    result = outcome(data[: int(len(data) * fraction)])
    assert isinstance(result, Document | ExtractError)
    if isinstance(result, ExtractError):
        assert result.reason


def test_a_multibyte_character_cut_in_half_is_not_fatal() -> None:
    page = article([*PARAGRAPHS[:3], "Le maire a déclaré « c’est réglé » — fin."]).encode()
    cut = page.index("réglé".encode()) + 2  # inside the two bytes of "é"
    doc = extract_article(page[:cut], URL)
    assert [b.text for b in doc.blocks][:3] == PARAGRAPHS[:3]


# --- charsets -------------------------------------------------------------------------------

FRENCH = [
    "Le conseil municipal a approuvé mardi le nouveau budget après un débat qui s’est "
    "prolongé tard dans la soirée, avec onze voix « pour ».",
    "Selon le maire, le plan financera trois écoles, deux cliniques et la réparation du "
    "vieux pont sur la rivière, fermé depuis mars — une première à Zürich.",
    "L’opposition estime que les dépenses sont trop élevées et que les impôts fonciers "
    "augmenteront d’ici deux ans, ce qu’elle juge « inacceptable ».",
]


def test_windows_1252_without_any_declaration() -> None:
    page = article(FRENCH, title="Budget approuvé à Zürich").replace("lang='en'", "lang='fr'")
    doc = extract_article(page.encode("cp1252"), URL)
    assert doc.title == "Budget approuvé à Zürich"
    assert [b.text for b in doc.blocks] == FRENCH


def test_utf8_bytes_under_a_latin1_header_are_read_as_utf8() -> None:
    """The server says ISO-8859-1 (HTTP header, passed as ``encoding``), the page is UTF-8."""
    page = article(FRENCH, title="Budget approuvé à Zürich")
    doc = extract_article(page.encode("utf-8"), URL, encoding="iso-8859-1")
    assert doc.title == "Budget approuvé à Zürich"
    assert [b.text for b in doc.blocks] == FRENCH


def test_utf8_bytes_under_a_latin1_meta_charset_are_read_as_utf8() -> None:
    page = article(FRENCH, title="Budget approuvé à Zürich",
                   head="<meta charset='iso-8859-1'>")
    assert [b.text for b in extract_article(page.encode("utf-8"), URL).blocks] == FRENCH


def test_real_latin1_under_a_latin1_header_stays_latin1() -> None:
    page = article(FRENCH, title="Budget approuvé à Zürich")
    doc = extract_article(page.encode("cp1252"), URL, encoding="iso-8859-1")
    assert [b.text for b in doc.blocks] == FRENCH


JAPANESE = [
    "東京都議会は火曜日、長時間にわたる審議の末、新しい予算案を賛成多数で可決した。"
    "知事は三つの学校と二つの診療所を新設すると述べた。",
    "野党側は支出が多すぎると批判し、二年以内に固定資産税が引き上げられる可能性があると"
    "主張した。最終的な採決は来月に予定されている。",
    "同じ会合では、長年延期されてきた新しい公立図書館の計画についても議論される見通しだ。"
    "住民からは早期の着工を求める声が上がっている。",
]


@pytest.mark.parametrize("declared", ["<meta charset='Shift_JIS'>", ""])
def test_shift_jis_declared_or_not(declared: str) -> None:
    page = article(JAPANESE, title="都議会が予算案を可決", head=declared).replace("lang='en'",
                                                                            "lang='ja'")
    doc = extract_article(page.encode("shift_jis"), URL)
    assert doc.title == "都議会が予算案を可決"
    assert [b.text for b in doc.blocks] == JAPANESE


def test_a_wrong_declared_charset_that_cannot_decode_is_ignored() -> None:
    page = article(FRENCH, head="<meta charset='utf-8'>")
    doc = extract_article(page.encode("cp1252"), URL)  # says UTF-8, is Windows-1252
    assert [b.text for b in doc.blocks] == FRENCH


def test_an_unknown_charset_label_is_ignored() -> None:
    page = article(PARAGRAPHS, head="<meta charset='x-klingon-9'>")
    doc = extract_article(page.encode(), URL, encoding="no-such-codec")
    assert [b.text for b in doc.blocks] == PARAGRAPHS


# --- nesting --------------------------------------------------------------------------------

DEEP = 30_000


@pytest.mark.parametrize("wrap", [
    pytest.param(("<div>", "</div>"), id="div"),
    pytest.param(("<blockquote>", "</blockquote>"), id="blockquote"),
    pytest.param(("<ul><li>item", "</li></ul>"), id="list"),
    pytest.param(("<b><i>", "</i></b>"), id="inline"),
    pytest.param(("<table><tr><td>", "</td></tr></table>"), id="table"),
    pytest.param(("<div><span>", ""), id="unclosed"),
])
def test_deeply_nested_markup_gives_a_document_or_a_reason(wrap: tuple[str, str]) -> None:
    """libxml2 stops nesting at 256 levels; nothing below may recurse per level unbounded."""
    opening, closing = wrap
    paras = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    page = (f"<html><body><article>{paras}{opening * DEEP}<p>{PARAGRAPHS[0]}</p>"
            f"{closing * DEEP}{paras}</article></body></html>")
    result = outcome(page)
    assert isinstance(result, Document | ExtractError)
    if isinstance(result, Document):
        assert PARAGRAPHS[0] in result.text


def test_nesting_within_the_parser_limit_keeps_the_article() -> None:
    """200 levels of wrappers (real CMS pages reach 40) do not cost the story."""
    paras = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    page = f"<html><body>{'<div>' * 200}<article>{paras}</article>{'</div>' * 200}</body></html>"
    assert [b.text for b in extract_article(page, URL).blocks] == PARAGRAPHS


# --- generated HTML -------------------------------------------------------------------------

_TAGS = ["p", "div", "span", "a", "b", "i", "em", "strong", "ul", "ol", "li", "blockquote",
         "h1", "h2", "h3", "figure", "figcaption", "img", "table", "tr", "td", "article",
         "main", "section", "aside", "nav", "script", "style", "time", "br", "meta", "title",
         "q", "pre", "svg"]
_ATTRS = st.sampled_from([
    "", " class='caption'", " class='byline'", " href='javascript:alert(1)'",
    " href='/story/2'", " src='/i.jpg'", " datetime='2024-05-01T10:00:00+07:00'",
    " itemprop='author'", " onclick='x()'", " style='color:red'", " lang='id'",
    " property='og:title' content='A title'", " rel='canonical' href='http://e.x/a'",
    " class='related'", " charset='shift_jis'",
])
_TEXT = st.one_of(
    st.text(max_size=80),
    st.sampled_from(PARAGRAPHS + FRENCH + JAPANESE + [
        "JAKARTA, KOMPAS.com - Pemerintah mengumumkan kebijakan baru.", "Baca juga: x",
        "Also read: y", "MOSCOW (Reuters) -", "&amp;&#0;&#xD800;&bogus;", "]]><!--", "\x00",
    ]),
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    tag = st.sampled_from(_TAGS)
    return st.builds(
        lambda t, a, inner, close: f"<{t}{a}>{''.join(inner)}" + (f"</{t}>" if close else ""),
        tag, _ATTRS, st.lists(children, max_size=5), st.booleans(),
    )


_HTML = st.recursive(_TEXT, _element, max_leaves=40)
_PAGE = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(["", "<!DOCTYPE html>", "<html><head><title>T</title></head><body>",
                     "<?xml version='1.0'?>", "\ufeff", "<html lang='en'><body><article>"]),
    st.lists(_HTML, min_size=1, max_size=6).map("".join),
)


@settings(max_examples=150, deadline=timedelta(seconds=10),
          suppress_health_check=[HealthCheck.too_slow])
@given(page=_PAGE, as_bytes=st.booleans(), encoding=st.sampled_from([None, "utf-8", "latin-1",
                                                                      "shift_jis", "bogus"]))
def test_generated_html_gives_a_document_or_an_extract_error(
        page: str, as_bytes: bool, encoding: str | None) -> None:
    data: str | bytes = page.encode("utf-8", errors="surrogatepass") if as_bytes else page
    try:
        doc = extract_article(data, URL, encoding=encoding)
    except ExtractError as e:
        assert e.reason and e.url == URL
        return
    assert isinstance(doc, Document)
    assert doc.published is None or doc.published.tzinfo is not None
    assert doc.updated is None or doc.updated.tzinfo is not None
    for block in doc.blocks:
        assert "<script" not in block.text.lower() and "javascript:" not in block.src
        for link in block.links:
            assert link.href.startswith(("http://", "https://"))
        for span in block.emphasis:  # spans index the text they sit in, as links do
            assert block.text[span.start:span.start + len(span.text)] == span.text
            assert span.kind in ("em", "strong") and span.text.strip()
