from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.support.tinymodel import TinyModel, session_tiny_model
from warta.core.document import Block, Document, Image, Link
from warta.core.errors import TranslateError
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.document import translate_document, translate_document_checked
from warta.core.translate.glossary import parse_glossary

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


def test_links_are_carried_through_markers_with_new_offsets() -> None:
    engine = CountingTranslator()
    out = translate_document(_doc(), engine, "en", "id")
    block = out.blocks[5]
    assert block.text == "Read itu laporan in Moskow."
    assert block.links == (Link("itu laporan", "https://example.com/r", 5),
                           Link("Moskow", "https://example.com/m", 20))
    assert "Read <a1> the report </a1> in <a2> Moscow </a2>." in engine.sent  # href never sent
    assert not any("example.com" in t for t in engine.sent)


def _linked(text: str, *spans: tuple[str, str]) -> Block:
    return Block("p", text, links=tuple(Link(t, h, text.index(t)) for t, h in spans))


def test_a_link_across_two_sentences_keeps_them_together() -> None:
    block = _linked("See the U.S. report. Then more. The end.", ("report. Then", "https://x/r"))
    engine = CountingTranslator()
    out = translate_document(Document(url="u", title="", blocks=[block]), engine, "en", "id")
    assert engine.sent == ["See the U.S. <a1> report. Then </a1> more.", "The end."]
    link = out.blocks[0].links[0]
    assert out.blocks[0].text[link.start:].startswith(link.text) and link.text == "laporan. Then"


def test_links_in_a_quotation_keep_their_offsets() -> None:
    block = Block("quote", "“We will win the report.”", links=(Link("the report", "h:r", 13),))
    out = translate_document(Document(url="u", title="", blocks=[block]), CountingTranslator(),
                             "en", "id")
    assert out.blocks[0].text == "“Kami akan menang itu laporan.”"
    assert out.blocks[0].links == (Link("itu laporan", "h:r", 18),)


class ManglingTranslator(CountingTranslator):
    """Fake engine with a post-processing step applied to every output."""

    def __init__(self, mangle: Callable[[str], str]) -> None:
        super().__init__()
        self.mangle = mangle

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        return [self.mangle(t) for t in super().translate_batch(texts, source, target)]


def test_lost_placeholder_is_retried_without_protection_and_flagged() -> None:
    doc = Document(url="u", title="The report", blocks=[
        _linked("Moscow said the report on https://x.org/a.", ("the report", "https://x/r")),
        Block("p", "The report said."),
    ])
    engine = ManglingTranslator(lambda t: re.sub(r"\{\d+\}", "", t))  # drops every {n}
    result = translate_document_checked(doc, engine, "en", "id")
    assert engine.calls[-1] == ["Moscow said the report on https://x.org/a."]  # retry, plain
    block = result.doc.blocks[0]
    assert block.text == "Moskow kata itu laporan on https://x.org/a."  # nothing broken
    assert block.links == ()  # "the report" is not in the translation: dropped, not broken
    assert result.block_flags == [["placeholder_lost", "link_dropped"], []]
    # the short title's context separator {0} was dropped too: translated alone, flagged
    assert [(f.flag, f.where) for f in result.flags] == [
        ("short_unchecked", "title"), ("placeholder_lost", "block 1"),
        ("link_dropped", "block 1")]
    assert "lost url 'https://x.org/a'" in result.flags[1].detail
    assert result.retried == 1
    assert result.block_dicts()[0]["flags"] == ["placeholder_lost", "link_dropped"]
    assert "flags" not in result.block_dicts()[1]


def test_changed_number_is_flagged() -> None:
    doc = Document(url="u", title="12 people said", blocks=[Block("p", "In 2026 it said.")])
    engine = ManglingTranslator(lambda t: t.replace("2026", "2025"))
    result = translate_document_checked(doc, engine, "en", "id")
    assert result.doc.blocks[0].text == "In 2025 it kata."
    assert [(f.flag, f.where, f.detail) for f in result.flags if f.severity == "review"] == [
        ("number_mismatch", "block 1", "missing 2026")]
    assert result.block_flags == [["number_mismatch"]]


def test_protected_amounts_and_dates_are_written_the_indonesian_way() -> None:
    doc = Document(url="u", title="", blocks=[
        Block("p", "The report said $4.5 billion on November 25, 2026.")])
    out = translate_document(doc, CountingTranslator(), "en", "id", localise=True)
    assert out.blocks[0].text == "itu laporan kata $4,5 miliar on 25 November 2026."
    kept = translate_document(doc, CountingTranslator(), "en", "id")
    assert kept.blocks[0].text == "itu laporan kata $4.5 billion on November 25, 2026."


def test_glossary_terms_are_enforced_and_placeholder_only_units_not_sent() -> None:
    glossary = parse_glossary("Moscow\tMoskwa\nRussia\tRusia\nReuters\t=\n")
    doc = Document(url="u", title="Moscow said", dateline="MOSCOW, Russia:",
                   blocks=[Block("p", "Reuters said the report.")])
    engine = CountingTranslator()
    out = translate_document(doc, engine, "en", "id", glossary=glossary)
    assert (out.title, out.dateline) == ("Moskwa kata", "Moskwa, Rusia:")
    assert out.blocks[0].text == "Reuters kata itu laporan."
    # the dateline never sent; the short title goes with the lead sentence as its context
    assert engine.sent == ["{1} said {0} Reuters said the report.", "{1} said the report."]


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


def test_links_numbers_and_urls_survive_the_real_engine(tiny: TinyModel) -> None:
    text = "The police said the new report on https://x.org/p?id=7 is 4.5 per cent longer."
    link = Link("the new report", "https://example.com/r", text.index("the new report"))
    doc = Document(url="u", title="Police in the city.", blocks=[Block("p", text, (link,))])
    engine = CTranslate2Translator(tiny.package_dir)
    result = translate_document_checked(doc, engine, "en", "id", localise=True)
    block = result.doc.blocks[0]
    assert result.flags == []
    assert block.text == (
        "The police kata itu new report on https://x.org/p?id=7 is 4,5 persen longer.")
    (out_link,) = block.links
    assert out_link.href == "https://example.com/r"
    assert out_link.text == "itu new report"
    assert block.text[out_link.start: out_link.start + len(out_link.text)] == out_link.text
