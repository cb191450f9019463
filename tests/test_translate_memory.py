from __future__ import annotations

import pytest

from tests.support.tinymodel import TinyModel
from tests.test_translate_document import CountingTranslator
from warta.core.document import Block, Document, Link
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.document import translate_document_checked
from warta.core.translate.glossary import parse_glossary
from warta.core.translate.memory import DictMemory, MemoryItem, SegmentMemory, segment_key

BOILERPLATE = "The report said Moscow will win."


def _story(n: int) -> Document:
    return Document(url=f"u{n}", title=f"The report {n}", blocks=[
        Block("p", f"Story {n} said the report. The report said."),
        Block("p", BOILERPLATE),
        Block("p", f"We said {n} will win."),
    ])


def test_a_repeated_paragraph_is_sent_to_the_engine_once() -> None:
    memory = DictMemory()
    engine = CountingTranslator()
    first = translate_document_checked(_story(1), engine, "en", "id", memory=memory)
    assert (first.memory_hits, first.engine_inputs) == (0, 5)
    sent = len(engine.sent)
    second = translate_document_checked(_story(2), engine, "en", "id", memory=memory)
    new = engine.sent[sent:]
    assert BOILERPLATE not in new and "The report said." not in new
    assert second.memory_hits == 2 and second.engine_inputs == 3 == len(new)
    again = translate_document_checked(_story(2), engine, "en", "id", memory=memory)
    assert again.engine_calls == 0 and again.memory_hits == 5
    assert again.doc == second.doc  # the memory gives back exactly what the engine said


def test_memory_is_keyed_per_segment_with_placeholders() -> None:
    memory = DictMemory()
    engine = CountingTranslator()
    link = Link("the report", "https://x/a", 17)
    one = Document(url="a", title="", blocks=[
        Block("p", "They paid $4.5 billion for the report.", (link,))])
    two = Document(url="b", title="", blocks=[
        Block("p", "They paid $7.25 billion for the report.", (Link("the report", "h:b", 18),))])
    translate_document_checked(one, engine, "en", "id", memory=memory)
    result = translate_document_checked(two, engine, "en", "id", memory=memory)
    assert len(engine.sent) == 1 and result.memory_hits == 1  # same sentence, other slots
    block = result.doc.blocks[0]
    assert block.text == "They paid $7.25 billion for itu laporan."
    assert block.links == (Link("itu laporan", "h:b", 28),)
    assert next(iter(memory.items.values())).source_text == (
        "They paid {1} billion for <a1> the report </a1>.")


def test_key_covers_engine_model_pair_glossary_and_normalised_text() -> None:
    base = segment_key("ct2", "m1", "en", "id", "g1", "The  report\n said")
    assert base == segment_key("ct2", "m1", "en", "id", "g1", " The report said ")
    for other in [("deepl", "m1", "en", "id", "g1"), ("ct2", "m2", "en", "id", "g1"),
                  ("ct2", "m1", "en", "ms", "g1"), ("ct2", "m1", "en", "id", "g2")]:
        assert segment_key(*other, "The report said") != base


def test_another_glossary_does_not_reuse_old_outputs() -> None:
    memory = DictMemory()
    engine = CountingTranslator()
    doc = _story(1)
    translate_document_checked(doc, engine, "en", "id", memory=memory,
                               glossary=parse_glossary("Moscow\tMoskow\n"))
    sent = len(engine.sent)
    result = translate_document_checked(doc, engine, "en", "id", memory=memory,
                                        glossary=parse_glossary("Moscow\tMoskwa\n"))
    assert result.memory_hits == 0 and len(engine.sent) > sent


def test_flagged_outputs_are_not_remembered() -> None:
    memory = DictMemory()
    engine = CountingTranslator()
    engine_mangles = CountingTranslator()
    engine_mangles.translate_batch = lambda texts, s, t: [  # type: ignore[method-assign]
        x.replace("2026", "2025") for x in CountingTranslator.translate_batch(
            engine_mangles, texts, s, t)]
    doc = Document(url="u", title="", blocks=[Block("p", "In 2026 it said."),
                                               Block("p", "The report said.")])
    result = translate_document_checked(doc, engine_mangles, "en", "id", memory=memory)
    assert result.block_flags == [["number_mismatch"], []]
    assert [i.source_text for i in memory.items.values()] == ["The report said."]
    assert translate_document_checked(doc, engine, "en", "id", memory=memory).flags == []


def test_memory_with_the_real_engine(tiny: TinyModel) -> None:
    memory = DictMemory()
    engine = CTranslate2Translator(tiny.package_dir)
    doc = _story(3)
    first = translate_document_checked(doc, engine, "en", "id", memory=memory)
    second = translate_document_checked(doc, engine, "en", "id", memory=memory)
    assert second.doc == first.doc and second.engine_calls == 0
    assert isinstance(memory, SegmentMemory)


@pytest.mark.django_db
def test_database_memory_shares_segments_and_counts_hits() -> None:
    from warta.newsroom.models import TranslationMemory
    from warta.newsroom.translation import DatabaseSegmentMemory

    memory = DatabaseSegmentMemory()
    assert isinstance(memory, SegmentMemory)
    engine = CountingTranslator()
    translate_document_checked(_story(1), engine, "en", "id", memory=memory)
    assert TranslationMemory.objects.count() == 5
    sent = len(engine.sent)
    result = translate_document_checked(_story(2), engine, "en", "id",
                                        memory=DatabaseSegmentMemory())
    assert result.memory_hits == 2 and len(engine.sent) - sent == 3
    row = TranslationMemory.objects.get(source_text=BOILERPLATE)
    assert (row.hits, row.target_text, row.engine, row.model_id) == (
        1, "itu laporan kata Moskow akan menang.", "fake", "fake:1")
    assert (row.source_language, row.target_language) == ("en", "id")
    item = MemoryItem(row.key, "x", "y", "fake", "fake:1", "en", "id")
    memory.put_many([item])  # a key already stored changes nothing
    assert TranslationMemory.objects.get(key=row.key).target_text == row.target_text
