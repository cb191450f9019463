from __future__ import annotations

import re

import pytest

from tests.support.tinymodel import TinyModel, session_tiny_model
from warta.core.document import Block, Document, Image, Link
from warta.core.errors import TranslateError
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.document import translate_document

WORDS = {
    "said": "kata",
    "the": "itu",
    "The": "itu",
    "report": "laporan",
    "photo": "foto",
    "file": "arsip",
    "Moscow": "Moskow",
    "Russia": "Rusia",
    "We": "Kami",
    "will": "akan",
    "win": "menang",
}


class CountingTranslator:
    """Word-for-word fake engine that records every call (the real engine is tested in
    test_translate_ct2.py); ``drop_quotes`` mimics engines that lose “ ”."""

    name = "fake"
    model_id = "fake:1"

    def __init__(self, drop_quotes: bool = False, short_by: int = 0) -> None:
        self.calls: list[list[str]] = []
        self.drop_quotes = drop_quotes
        self.short_by = short_by

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        assert (source, target) == ("en", "id")
        self.calls.append(list(texts))
        out = [re.sub(r"\w+", lambda m: WORDS.get(m.group(), m.group()), t) for t in texts]
        if self.drop_quotes:
            out = [t.replace("“", "").replace("”", "") for t in out]
        return out[: len(out) - self.short_by]

    @property
    def sent(self) -> list[str]:
        return [t for call in self.calls for t in call]


def _doc() -> Document:
    return Document(
        url="https://example.com/a",
        title="The report said",
        dateline="Moscow, Russia:",
        byline="The Staff",
        image=Image(
            src="https://example.com/a.jpg",
            caption="The photo (file) Reuters/Ann Lee",
            credit="Reuters/Ann Lee",
        ),
        blocks=[
            Block("p", "The report said. The photo said!  Moscow said.\n"),
            Block("quote", "“We will win. We will.”"),
            Block("h2", "The report"),
            Block(
                "img", "The photo said. AP/Bob", src="https://example.com/b.jpg", credit="AP/Bob"
            ),
            Block("li", "   "),
            Block(
                "p",
                "Read the report in Moscow.",
                links=(
                    Link("the report", "https://example.com/r", 5),
                    Link("Moscow", "https://example.com/m", 19),
                ),
            ),
        ],
    )


def test_structure_is_preserved_and_text_translated() -> None:
    doc = _doc()
    out = translate_document(doc, CountingTranslator(), "en", "id")
    assert [b.type for b in out.blocks] == [b.type for b in doc.blocks]
    assert out.title == "itu laporan kata"
    assert out.dateline == "Moskow, Rusia:"
    assert out.blocks[0].text == "itu laporan kata. itu foto kata!  Moskow kata.\n"
    assert out.blocks[2].text == "itu laporan"
    assert out.blocks[4].text == "   "
    assert out.byline == "The Staff" and out.language == "id"
    assert out.url == doc.url


def test_images_keep_src_and_credit_and_translate_caption() -> None:
    engine = CountingTranslator()
    out = translate_document(_doc(), engine, "en", "id")
    assert out.image == Image(
        src="https://example.com/a.jpg",
        caption="itu foto (arsip) Reuters/Ann Lee",
        credit="Reuters/Ann Lee",
    )
    img = out.blocks[3]
    assert (img.src, img.credit, img.text) == (
        "https://example.com/b.jpg",
        "AP/Bob",
        "itu foto kata. AP/Bob",
    )
    assert not any("Reuters" in t or "AP/Bob" in t for t in engine.sent)  # credits never sent


def test_all_segments_go_in_few_batches_without_blanks() -> None:
    blocks = [Block("p", f"Sentence {i} said. Another {i} said.  Third {i}.") for i in range(30)]
    doc = Document(url="u", title="Title", blocks=blocks)
    engine = CountingTranslator()
    out = translate_document(doc, engine, "en", "id", max_batch=32)
    assert len(engine.sent) == 91  # 90 sentences + title, each sent once
    assert [len(c) for c in engine.calls] == [32, 32, 27]
    assert all(t == t.strip() and t for t in engine.sent)
    assert out.blocks[7].text == "Sentence 7 kata. Another 7 kata.  Third 7."


def test_identical_sentences_are_translated_once() -> None:
    doc = Document(url="u", title="The report", blocks=[Block("p", "The report. The report.")])
    engine = CountingTranslator()
    out = translate_document(doc, engine, "en", "id")
    assert engine.sent == ["The report", "The report."]
    assert out.blocks[0].text == "itu laporan. itu laporan."


@pytest.mark.parametrize("drop_quotes", [False, True])
def test_quote_block_keeps_its_typographic_quotes(drop_quotes: bool) -> None:
    engine = CountingTranslator(drop_quotes=drop_quotes)
    out = translate_document(_doc(), engine, "en", "id")
    assert out.blocks[1] == Block("quote", "“Kami akan menang. Kami akan.”")
    assert "We will win." in engine.sent  # sent without the quotes around the block


def test_links_kept_when_their_text_survives_else_dropped() -> None:
    out = translate_document(_doc(), CountingTranslator(), "en", "id")
    block = out.blocks[5]
    assert block.text == "Read itu laporan in Moskow."
    # "the report" became "itu laporan": dropped; "Moscow" → "Moskow": dropped too
    assert block.links == ()
    doc = Document(
        url="u",
        title="",
        blocks=[
            Block(
                "p",
                "See Jakarta and Bali.",
                links=(Link("Jakarta", "https://x/j", 4), Link("the report", "https://x/r", 0)),
            )
        ],
    )
    kept = translate_document(doc, CountingTranslator(), "en", "id").blocks[0]
    assert kept.links == (Link("Jakarta", "https://x/j", 4),)
    assert kept.text[4:11] == "Jakarta"


def test_input_document_is_not_modified() -> None:
    doc = _doc()
    before = doc.to_dict()
    translate_document(doc, CountingTranslator(), "en", "id")
    assert doc.to_dict() == before


def test_engine_returning_too_few_outputs_is_an_error() -> None:
    with pytest.raises(TranslateError, match="returned"):
        translate_document(_doc(), CountingTranslator(short_by=1), "en", "id")


def test_with_the_real_ctranslate2_engine(tmp_path_factory: pytest.TempPathFactory) -> None:
    tiny: TinyModel = session_tiny_model(tmp_path_factory)
    doc = Document(
        url="u",
        title="Police in the city.",
        blocks=[
            Block("p", "The president said the new policy on Monday.  Police in the city."),
            Block("quote", "“We will rebuild the school,” the governor said."),
        ],
    )
    out = translate_document(doc, CTranslate2Translator(tiny.package_dir), "en", "id")
    assert out.title == "Police di itu city."
    assert out.blocks[0].text == (
        "The president kata itu new policy on Monday.  Police di itu city."
    )
    assert out.blocks[1].text == "“We will rebuild itu school,” itu governor kata."
