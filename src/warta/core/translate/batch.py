"""Translate many documents with shared engine calls (a translate worker's batch of articles),
each with exactly the text, flags, memory rows and counts it gets translated alone.

Pass one renders every document with a recorder (an identity translator) to learn every
distinct engine input the segment memory lacks; one ``translate_batch`` call decodes them all
(the engine cuts its own batches: CTranslate2's token budget). Pass two renders each document
from those outputs. What pass one cannot foresee — segments whose placeholders did not come
back (retried without protection) and short labels whose context separator was lost
(translated alone) — is not sent per document, in batches of one to five: every document is
rendered with a translator that *records* what it lacks instead of calling the engine, the
lacks of all documents go to the engine in one more shared call, and the documents that
lacked something are rendered again (at most ``RETRY_ROUNDS`` such calls: a label translated
alone may lose a placeholder in turn). Whatever is still lacking after that goes to the
engine from the document's own render, as :func:`document.translate_document_checked` alone
does it (the fallback).

A render that may be thrown away has no side effect: it reads the segment memory through
``peek`` (no hit counted) with what the documents before it wrote on top, and its writes are
held back. When a document is final its look-up is replayed on ``memory`` (counting its hits)
and its writes are made, then ``finished`` is called — once per document, in document order,
so the memory, its hit counts and the caller's statistics end exactly as if the documents had
been translated one after another. What a document writes does not depend on the outputs it
lacked (every segment touched by a retry already carries a "review" flag, and flagged inputs
are not stored); where it still differs (an input the memory lost between the passes), the
documents after it are rendered again with the real memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from warta.core.document import Document
from warta.core.errors import TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.document import DocumentTranslation, translate_document_checked
from warta.core.translate.glossary import Glossary
from warta.core.translate.memory import MemoryItem, SegmentMemory, candidates_of, provenance_of

log = logging.getLogger("warta.translate")

RETRY_ROUNDS = 3  # shared calls after the first: retries, labels alone, their retries
Peek = Callable[[Sequence[str]], Mapping[str, str]]


class _Recorder:
    """Pass one: learns the engine inputs and answers each with itself; translates nothing."""

    def __init__(self, inner: Translator) -> None:
        self.inner, self.seen = inner, dict[str, None]()
        self.name = inner.name  # for messages; provenance asks ``inner`` itself

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def candidates(self) -> list[tuple[str, str]]:
        return candidates_of(self.inner)

    def provenance(self, text: str) -> tuple[str, str]:
        return provenance_of(self.inner, text)

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        self.seen.update(dict.fromkeys(texts))
        return list(texts)


class _Outputs:
    """Every output the batch's engine calls gave, and which call (numbered from 1) gave it."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator
        self.text: dict[str, str] = {}
        self.call: dict[str, int] = {}
        self.calls = 0

    def decode(self, texts: list[str], source: str, target: str) -> None:
        """One ``translate_batch`` call for ``texts``. Raises what the engine raises, and
        TranslateError for a wrong number of outputs; nothing is kept then."""
        out = self.translator.translate_batch(texts, source, target)
        if len(out) != len(texts):
            raise TranslateError(f"engine {self.translator.name} returned {len(out)} "
                                 f"translations for {len(texts)} segments")
        self.calls += 1
        self.text.update(zip(texts, out, strict=True))
        self.call.update(dict.fromkeys(texts, self.calls))


class _Answering(_Recorder):
    """Pass two: answers from the shared ``outputs``. Held (``engine`` false), it records
    what it lacks in ``missing`` and answers that with the input itself (the render is
    thrown away); otherwise it sends that to the engine, in a call of its own. ``used``: the
    calls whose outputs the document took — its honest ``engine_calls``."""

    def __init__(self, outputs: _Outputs, engine: bool) -> None:
        super().__init__(outputs.translator)
        self.outputs, self.engine = outputs, engine
        self.used: set[int] = set()

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        lacking = [t for t in dict.fromkeys(texts) if t not in self.outputs.text]
        if lacking and self.engine:
            self.outputs.decode(lacking, source, target)
        else:
            self.seen.update(dict.fromkeys(lacking))
        self.used.update(self.outputs.call[t] for t in texts if t in self.outputs.call)
        return [self.outputs.text.get(t, t) for t in texts]

    @property
    def missing(self) -> list[str]:
        return list(self.seen)


class _HeldMemory:
    """The segment memory as one document sees it in a render that may be thrown away: the
    store read through ``peek`` (no hit counted) with what the documents before it wrote on
    top (``before``: the store keeps the first writer of a key); the document's own look-ups
    (``found``) and writes (``items``) are kept for :meth:`replay`."""

    def __init__(self, peek: Peek, before: Mapping[str, str]) -> None:
        self.peek, self.before = peek, before
        self.found: list[str] = []
        self.items: list[MemoryItem] = []

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        found = dict(self.peek(keys))
        found.update((k, self.before[k]) for k in keys if k not in found and k in self.before)
        self.found.extend(found)
        return found

    def put_many(self, items: Iterable[MemoryItem]) -> None:
        self.items.extend(items)

    def replay(self, memory: SegmentMemory) -> None:
        """What the render did to the memory, done to ``memory``: look-up (hits), writes."""
        if self.found:
            memory.get_many(self.found)
        if self.items:
            memory.put_many(self.items)


class _Watched:
    """``memory`` itself, noting what a document writes."""

    def __init__(self, memory: SegmentMemory) -> None:
        self.memory = memory
        self.items: list[MemoryItem] = []

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        return self.memory.get_many(keys)

    def put_many(self, items: Iterable[MemoryItem]) -> None:
        kept = list(items)
        self.items.extend(kept)
        self.memory.put_many(kept)


@dataclass
class _Render:
    """One render of a document in pass two: the result, its translator, its memory view."""

    result: DocumentTranslation
    answering: _Answering
    view: _HeldMemory | _Watched | None

    @property
    def writes(self) -> list[MemoryItem]:
        return self.view.items if self.view is not None else []


class _Batch:
    def __init__(self, docs: list[Document], translator: Translator, source: str,
                 target: str, max_batch: int, glossary: Glossary | None,
                 memory: SegmentMemory | None, peek: Peek | None, localise: bool) -> None:
        self.docs, self.source, self.target = docs, source, target
        self.max_batch, self.glossary, self.localise = max_batch, glossary, localise
        self.memory, self.peek = memory, peek
        self.outputs = _Outputs(translator)
        self.renders: list[_Render] = []

    def render(self, doc: Document, translator: Translator,
               memory: SegmentMemory | None) -> DocumentTranslation:
        return translate_document_checked(doc, translator, self.source, self.target,
                                          max_batch=self.max_batch, glossary=self.glossary,
                                          memory=memory, localise=self.localise)

    def held(self, doc: Document, before: Mapping[str, str]) -> _Render:
        """``doc`` rendered without side effects: nothing sent, nothing counted or stored."""
        answering = _Answering(self.outputs, engine=False)
        view = _HeldMemory(self.peek, before) if self.peek is not None else None
        return _Render(self.render(doc, answering, view), answering, view)

    def first_pass(self) -> int:
        """Learn every document's engine inputs; decode them in one call. Returns how many."""
        recorder = _Recorder(self.outputs.translator)
        for doc in self.docs:
            self.render(doc, recorder, _HeldMemory(self.peek, {}) if self.peek else None)
        todo = list(recorder.seen)
        if todo:  # one call: the engine batches by its own token budget
            self.outputs.decode(todo, self.source, self.target)
        return len(todo)

    def held_renders(self) -> int:
        """Render every document held, then (in rounds) those that lacked outputs, after
        one shared call for all they lacked. Returns the inputs those calls decoded."""
        decoded = 0
        redo = set(range(len(self.docs)))
        for round_ in range(RETRY_ROUNDS + 1):
            before: dict[str, str] = {}  # what the documents so far wrote, first writer wins
            moved = False  # a document's writes changed: those after it saw the old ones
            for i, doc in enumerate(self.docs):
                if round_ == 0:
                    self.renders.append(self.held(doc, before))
                elif i in redo or moved:
                    new = self.held(doc, before)
                    moved |= new.writes != self.renders[i].writes
                    self.renders[i] = new
                for item in self.renders[i].writes:
                    before.setdefault(item.key, item.target_text)
            lacking = list(dict.fromkeys(t for r in self.renders for t in r.answering.missing))
            if not lacking or round_ == RETRY_ROUNDS:
                break
            try:
                self.outputs.decode(lacking, self.source, self.target)
            except TranslateError as e:  # the fallback sends them per document, as alone
                log.warning("shared retry of %d segments failed: %s; retrying per document",
                            len(lacking), e)
                break
            decoded += len(lacking)
            redo = {i for i, r in enumerate(self.renders) if r.answering.missing}
        return decoded

    def finish(self, finished: Callable[[int, DocumentTranslation], None] | None) -> None:
        """In document order: a document that lacked nothing replays its memory work; any
        other is rendered with the engine behind it and the real memory (which then holds
        what the documents before it wrote, as its held render saw). Then ``finished``."""
        stale = False  # a document wrote other than its held render: re-render those after
        for i, doc in enumerate(self.docs):
            held = self.renders[i]
            if held.answering.missing or stale:
                answering = _Answering(self.outputs, engine=True)
                view = _Watched(self.memory) if self.memory is not None else None
                self.renders[i] = _Render(self.render(doc, answering, view), answering, view)
                stale |= self.renders[i].writes != held.writes
            elif isinstance(held.view, _HeldMemory) and self.memory is not None:
                held.view.replay(self.memory)
            result = self.renders[i].result
            # the engine calls that carried this document's segments: the first shared call,
            # a shared retry call, a call of its own in the fallback (each counted once)
            result.engine_calls = len(self.renders[i].answering.used)
            if finished is not None:
                finished(i, result)


def translate_documents_checked(
    docs: list[Document], translator: Translator, source: str, target: str, *,
    max_batch: int = 32, glossary: Glossary | None = None, memory: SegmentMemory | None = None,
    peek: Peek | None = None, localise: bool = False,
    finished: Callable[[int, DocumentTranslation], None] | None = None,
) -> list[DocumentTranslation]:
    """``translate_document_checked`` of each of ``docs``, with shared engine calls: one for
    every input the memory lacks, then one for all the retries of all documents (a few more
    only where a retry needs another). Each result, and what ``memory`` holds and counts
    afterwards, is what translating the documents one after another with these outputs
    gives; ``engine_calls`` counts the calls that carried the document's segments.
    ``peek`` reads ``memory`` without counting hits (needed with a memory). ``finished(i,
    result)`` is called once per document, in order, when it is final and its memory work
    done. Raises what the engine raises in the first call or in a document's own call
    (TranslateError, ModelNotInstalledError), and TranslateError for a wrong number of
    outputs; the documents before it are then finished, as if translated alone. A failed
    shared retry call is not raised: its inputs go to the engine per document."""
    if memory is not None and peek is None:
        raise ValueError("a memory needs its peek")
    batch = _Batch(docs, translator, source, target, max_batch, glossary, memory,
                   peek if memory is not None else None, localise)
    first = batch.first_pass()
    retried = batch.held_renders()
    batch.finish(finished)
    log.debug("%d documents (%s→%s): %d inputs in the first shared call, %d in %d more",
              len(docs), source, target, first, retried,
              batch.outputs.calls - (1 if first else 0))
    return [r.result for r in batch.renders]
