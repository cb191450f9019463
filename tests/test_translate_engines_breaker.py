"""The circuit breaker of a dead engine, and the translation memory under mixed fallback —
against the real local API fakes (tests/support/translate_fakes.py), time moved by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.translate_fakes import (
    FakeDeepL,
    FakeLibreTranslate,
    fake_translate,
    json_reply,
)
from warta.core.document import Block, Document
from warta.core.errors import TranslateError
from warta.core.translate.deepl import DeepLTranslator
from warta.core.translate.document import translate_document_checked
from warta.core.translate.libretranslate import LibreTranslateTranslator
from warta.core.translate.memory import DictMemory
from warta.core.translate.routing import CircuitBreaker, FallbackTranslator


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def libre() -> Iterator[FakeLibreTranslate]:
    server = FakeLibreTranslate()
    yield server
    server.stop()


@pytest.fixture
def deepl() -> Iterator[FakeDeepL]:
    server = FakeDeepL(auth_key="dl-key")
    yield server
    server.stop()


def engines(libre: FakeLibreTranslate,
            deepl: FakeDeepL) -> tuple[LibreTranslateTranslator, DeepLTranslator]:
    return (LibreTranslateTranslator(libre.url(), retries=0, sleep=no_sleep),
            DeepLTranslator("dl-key", url=deepl.url(), retries=0, sleep=no_sleep))


def fail(server: FakeLibreTranslate, times: int) -> None:
    server.script.extend([json_reply(500, {"error": "Cannot translate text: down"})] * times)


def test_a_dead_engine_is_skipped_after_n_failures_then_tried_half_open(
    libre: FakeLibreTranslate, deepl: FakeDeepL
) -> None:
    clock = Clock()
    lt, dl = engines(libre, deepl)
    breaker = CircuitBreaker(failures=2, cooldown=30, clock=clock)
    fallback = [breaker, CircuitBreaker(2, 30, clock=clock)]
    fail(libre, 2)
    for text in ("One.", "Two."):  # each document makes its own translator
        t = FallbackTranslator([lt, dl], fallback)
        assert t.translate_batch([text], "en", "id") == [fake_translate(text, "en", "id")]
        assert t.name == "deepl"
    assert len(libre.requests) == 2 and breaker.state == "open"
    t = FallbackTranslator([lt, dl], fallback)
    t.translate_batch(["Three."], "en", "id")
    assert len(libre.requests) == 2  # skipped: no request reached the dead engine
    assert t.calls == {"deepl": 1}
    clock.now += 29
    FallbackTranslator([lt, dl], fallback).translate_batch(["Four."], "en", "id")
    assert len(libre.requests) == 2 and breaker.state == "open"
    clock.now += 1
    assert breaker.state == "half-open"
    fail(libre, 1)  # the trial fails: open for another cool-down
    FallbackTranslator([lt, dl], fallback).translate_batch(["Five."], "en", "id")
    assert len(libre.requests) == 3 and breaker.state == "open"
    clock.now += 30  # the next trial succeeds: closed, LibreTranslate is first again
    t = FallbackTranslator([lt, dl], fallback)
    assert t.translate_batch(["Six."], "en", "id") == [fake_translate("Six.", "en", "id")]
    assert t.name == "libretranslate" and breaker.state == "closed"
    assert breaker.consecutive == 0


def test_half_open_lets_exactly_one_call_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    breaker.failure()
    assert not breaker.allow() and breaker.retry_in() == 10
    clock.now += 10
    assert breaker.allow()
    assert not breaker.allow()  # a second caller waits for the trial's verdict
    breaker.success()
    assert breaker.allow() and breaker.allow()


def test_zero_failures_disables_the_breaker() -> None:
    breaker = CircuitBreaker(failures=0, cooldown=10)
    for _ in range(5):
        breaker.failure()
    assert breaker.state == "closed" and breaker.allow()


def test_every_engine_open_is_a_translate_error_naming_the_wait(
    libre: FakeLibreTranslate, deepl: FakeDeepL
) -> None:
    clock = Clock()
    lt, dl = engines(libre, deepl)
    breakers = [CircuitBreaker(1, 60, clock=clock), CircuitBreaker(1, 60, clock=clock)]
    fail(libre, 1)
    deepl.script.append(json_reply(456, {"message": "Quota exceeded"}))
    with pytest.raises(TranslateError):
        FallbackTranslator([lt, dl], breakers).translate_batch(["A."], "en", "id")
    with pytest.raises(TranslateError, match=r"libretranslate: skipped.*retried in 60 s"):
        FallbackTranslator([lt, dl], breakers).translate_batch(["A."], "en", "id")
    assert (len(libre.requests), len(deepl.requests)) == (1, 1)


def test_breakers_are_shared_per_engine_across_translators(
    libre: FakeLibreTranslate, deepl: FakeDeepL
) -> None:
    lt, dl = engines(libre, deepl)
    fail(libre, 3)
    for text in ("A.", "B.", "C.", "D."):  # default breakers: 3 failures, 60 s
        FallbackTranslator([lt, dl]).translate_batch([text], "en", "id")
    assert len(libre.requests) == 3  # the fourth translator skipped it


def test_memory_rows_record_the_engine_that_really_produced_each_segment(
    libre: FakeLibreTranslate, deepl: FakeDeepL
) -> None:
    lt, dl = engines(libre, deepl)
    memory = DictMemory()
    doc = Document(url="a", title="", blocks=[Block("p", "Rain fell. Roads flooded.")])
    libre.script.append(json_reply(500, {"error": "Cannot translate text: down"}))
    breakers = [CircuitBreaker(5, 60), CircuitBreaker(5, 60)]
    # the whole batch fails over to DeepL: both rows are DeepL's
    t = FallbackTranslator([lt, dl], breakers)
    out = translate_document_checked(doc, t, "en", "id", memory=memory)
    assert out.doc.blocks[0].text == "[en>id] Rain fell. [en>id] Roads flooded."
    assert {i.engine for i in memory.items.values()} == {"deepl"}
    assert {i.model_id for i in memory.items.values()} == {"deepl:v2"}
    # a second document mixes: its old sentence comes from DeepL's row, its new one
    # from LibreTranslate (up again), and that row is LibreTranslate's
    doc2 = Document(url="b", title="", blocks=[Block("p", "Rain fell. Schools closed.")])
    t2 = FallbackTranslator([lt, dl], breakers)
    sent = len(libre.requests)
    out2 = translate_document_checked(doc2, t2, "en", "id", memory=memory)
    assert out2.memory_hits == 1 and out2.engine_inputs == 1
    assert [r.body["q"] for r in libre.requests[sent:]] == [["Schools closed."]]
    rows = {i.source_text: i.engine for i in memory.items.values()}
    assert rows == {"Rain fell.": "deepl", "Roads flooded.": "deepl",
                    "Schools closed.": "libretranslate"}
    # the preferred engine's own row wins once it exists
    lt_only = FallbackTranslator([lt], [CircuitBreaker(5, 60)])
    again = translate_document_checked(doc2, lt_only, "en", "id", memory=memory)
    assert again.memory_hits == 1  # "Schools closed." (LibreTranslate's), not DeepL's rows
    assert [r.body["q"] for r in libre.requests[sent + 1:]] == [["Rain fell."]]
