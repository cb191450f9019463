"""Many documents in shared engine calls (``core.translate.batch``): the retries of all of
them in one call, and every result, memory row and hit exactly as one at a time gives them.
The engine is the tiny real model with faults injected into its outputs (placeholders and the
context separator lost), as an engine with random weights loses them."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from tests.support.tinymodel import TinyModel
from warta.core.document import Block, Document
from warta.core.errors import TranslateError
from warta.core.translate import batch
from warta.core.translate.batch import translate_documents_checked
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.document import DocumentTranslation, translate_document_checked
from warta.core.translate.memory import DictMemory

BOILERPLATE = "The minister said the new plan is on the site."
STORM = "Farmers said the storm hit #Bogor on Monday."  # placeholders lost: retried
LEAD = "The government said the city will rebuild the bridge."


class FaultyEngine:
    """The tiny model, losing placeholders where the input says "storm" and every
    placeholder and the ``{0}`` separator where it says "Flood" (so the short title "Flood
    hits #Jakarta" is translated alone, loses its hashtag again and is retried). Records each
    call; ``fail_calls`` are call numbers (from 1) that raise; ``on_call`` runs before a
    call (the test's hook into the timeline)."""

    def __init__(self, tiny: TinyModel) -> None:
        self.engine = CTranslate2Translator(tiny.package_dir)
        self.name, self.model_id = self.engine.name, self.engine.model_id
        self.calls: list[list[str]] = []
        self.fail_calls: set[int] = set()
        self.on_call: dict[int, object] = {}

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        self.calls.append(list(texts))
        hook = self.on_call.get(len(self.calls))
        if callable(hook):
            hook()
        if len(self.calls) in self.fail_calls:
            raise TranslateError("engine unavailable")
        out = self.engine.translate_batch(texts, source, target)
        return [re.sub(r"\{[1-9]\d*\}", "", o) if "storm" in t
                else re.sub(r"\{\d+\}", "", o) if "Flood" in t else o
                for t, o in zip(texts, out, strict=True)]


def _docs() -> list[Document]:
    return [
        Document(url="a", title="The government rebuilds the bridge in the city",
                 blocks=[Block("p", LEAD), Block("p", BOILERPLATE)]),
        Document(url="b", title="Farmers count the damage after the storm",
                 blocks=[Block("p", "The police said the road was closed."),
                         Block("p", STORM)]),
        Document(url="c", title="Flood hits #Jakarta",
                 blocks=[Block("p", "The police said the river rose in the night."),
                         Block("p", "Officials warned the bridge was closed.")]),
        Document(url="d", title="The storm hits the port on the coast",
                 blocks=[Block("p", STORM), Block("p", BOILERPLATE)]),
        Document(url="e", title="The court closes the port", blocks=[Block("p", BOILERPLATE)]),
    ]


def _one_at_a_time(tiny: TinyModel, memory: DictMemory) -> tuple[list[DocumentTranslation],
                                                                 FaultyEngine]:
    engine = FaultyEngine(tiny)
    return [translate_document_checked(doc, engine, "en", "id", memory=memory, localise=True)
            for doc in _docs()], engine


def _same(batched: list[DocumentTranslation], alone: list[DocumentTranslation]) -> None:
    """Every output, flag and count but ``engine_calls`` (what batching changes) equal."""
    for one, other in zip(batched, alone, strict=True):
        for f in fields(DocumentTranslation):
            if f.name != "engine_calls":
                assert getattr(one, f.name) == getattr(other, f.name), f.name


def _batched(tiny: TinyModel, memory: DictMemory,
             engine: FaultyEngine | None = None) -> tuple[list[DocumentTranslation],
                                                          FaultyEngine, list[int]]:
    engine = engine or FaultyEngine(tiny)
    order: list[int] = []
    results = translate_documents_checked(_docs(), engine, "en", "id", memory=memory,
                                          peek=memory.peek_many, localise=True,
                                          finished=lambda i, _: order.append(i))
    return results, engine, order


def test_the_retries_of_all_documents_go_to_the_engine_together(tiny: TinyModel) -> None:
    alone_memory = DictMemory()
    alone, alone_engine = _one_at_a_time(tiny, alone_memory)
    assert [r.retried for r in alone] == [0, 1, 1, 1, 0]  # the faults do bite
    assert any(f.flag == "short_unchecked" for f in alone[2].flags)
    memory = DictMemory()
    results, engine, order = _batched(tiny, memory)
    _same(results, alone)
    assert memory.items == alone_memory.items and memory.hits == alone_memory.hits > 0
    assert order == [0, 1, 2, 3, 4]
    # one call for every document's inputs, one for all the retries and the title translated
    # alone, one for that title's own retry; one at a time: 1 + 2 + 3 + 2 + 1 calls
    assert len(engine.calls) == 3 and len(alone_engine.calls) == 9
    assert engine.calls[1] == [STORM, "Flood hits {1}"] and engine.calls[2] == [
        "Flood hits #Jakarta"]
    assert [r.engine_calls for r in results] == [1, 2, 3, 2, 1]  # the calls that carried each


@pytest.mark.parametrize("rounds", [0, 1])
def test_what_the_shared_rounds_leave_goes_to_the_engine_per_document(
        tiny: TinyModel, monkeypatch: pytest.MonkeyPatch, rounds: int) -> None:
    alone_memory = DictMemory()
    alone, _ = _one_at_a_time(tiny, alone_memory)
    monkeypatch.setattr(batch, "RETRY_ROUNDS", rounds)
    memory = DictMemory()
    results, engine, _ = _batched(tiny, memory)
    _same(results, alone)
    assert memory.items == alone_memory.items and memory.hits == alone_memory.hits
    # no shared round: 1 + each document's own calls (as before; the last document finds its
    # retry done by the second); one round: the title's retry goes alone
    assert len(engine.calls) == (1 + 1 + 2 + 0 if rounds == 0 else 3)


def test_a_failed_shared_retry_is_sent_again_per_document(tiny: TinyModel) -> None:
    alone_memory = DictMemory()
    alone, _ = _one_at_a_time(tiny, alone_memory)
    memory = DictMemory()
    engine = FaultyEngine(tiny)
    engine.fail_calls = {2}  # the shared retry call
    results, engine, _ = _batched(tiny, memory, engine)
    _same(results, alone)
    assert memory.items == alone_memory.items and memory.hits == alone_memory.hits
    assert engine.calls[2:] == [[STORM], ["Flood hits {1}"], ["Flood hits #Jakarta"]]


def test_an_engine_down_for_the_retries_fails_where_one_at_a_time_fails(
        tiny: TinyModel) -> None:
    engine = FaultyEngine(tiny)
    engine.fail_calls = set(range(2, 10))
    memory = DictMemory()
    finished: list[int] = []
    with pytest.raises(TranslateError, match="unavailable"):
        translate_documents_checked(_docs(), engine, "en", "id", memory=memory,
                                    peek=memory.peek_many, localise=True,
                                    finished=lambda i, _: finished.append(i))
    assert finished == [0]  # the document before the first retry, counted and remembered
    alone = DictMemory()
    translate_document_checked(_docs()[0], FaultyEngine(tiny), "en", "id", memory=alone,
                               localise=True)
    assert memory.items == alone.items


@pytest.mark.parametrize("rounds", [0, 3])
def test_a_memory_row_lost_between_the_passes_is_decoded_with_the_retries(
        tiny: TinyModel, monkeypatch: pytest.MonkeyPatch, rounds: int) -> None:
    """The boilerplate is in the memory when pass one looks, and gone (a cache may drop rows)
    when the documents are rendered: it goes to the engine with the retries (or, with no
    shared round, from the first document's own render), and the documents after the first
    that writes it again are rendered with that row."""
    monkeypatch.setattr(batch, "RETRY_ROUNDS", rounds)
    seeded = DictMemory()
    translate_document_checked(Document(url="s", title="", blocks=[Block("p", BOILERPLATE)]),
                               FaultyEngine(tiny), "en", "id", memory=seeded, localise=True)
    (key,) = seeded.items
    alone_memory = DictMemory()
    alone, _ = _one_at_a_time(tiny, alone_memory)  # without the row from the start
    memory = DictMemory()
    memory.items = dict(seeded.items)
    engine = FaultyEngine(tiny)
    engine.on_call[1] = lambda: memory.items.pop(key)
    results, engine, _ = _batched(tiny, memory, engine)
    _same(results, alone)
    assert memory.items == alone_memory.items and memory.hits == alone_memory.hits
    assert len(engine.calls) == (3 if rounds else 5)
    assert results[0].doc.blocks[1].text == tiny.reference_translate(BOILERPLATE).strip()


def test_no_documents_no_call_and_a_memory_needs_its_peek(tiny: TinyModel) -> None:
    engine = FaultyEngine(tiny)
    assert translate_documents_checked([], engine, "en", "id") == [] and engine.calls == []
    with pytest.raises(ValueError, match="peek"):
        translate_documents_checked([], engine, "en", "id", memory=DictMemory())
