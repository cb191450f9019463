"""The HTTP plumbing of the translation engines: retries, back-off, Retry-After, rate limit,
batching and error messages — against real local servers, with sleeping recorded, not done."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.support.translate_fakes import FakeDeepL, FakeLibreTranslate, FakeServer, json_reply
from warta.core.errors import TranslateError
from warta.core.translate.deepl import DeepLTranslator
from warta.core.translate.http import EngineHTTP, RateLimiter, plan_batches
from warta.core.translate.libretranslate import LibreTranslateTranslator


class Sleeps(list[float]):
    """An injectable ``sleep`` that records instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def libre() -> Iterator[FakeLibreTranslate]:
    server = FakeLibreTranslate()
    yield server
    server.stop()


@pytest.fixture
def deepl() -> Iterator[FakeDeepL]:
    server = FakeDeepL()
    yield server
    server.stop()


def _http(server: FakeServer, sleeps: Sleeps, **kw: object) -> EngineHTTP:
    # rng 0.5 makes the jitter factor exactly 1: delays are base * 2**(n-1)
    return EngineHTTP("LibreTranslate", server.url(), sleep=sleeps, rng=lambda: 0.5,
                      **kw)  # type: ignore[arg-type]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- retries and back-off -----------------------------------------------------------------

def test_5xx_is_retried_with_exponential_backoff(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(503, {"error": "busy"}), json_reply(502, {"error": "gateway"}),
                    json_reply(500, {"error": "Cannot translate text: boom"})]
    sleeps = Sleeps()
    answer = _http(libre, sleeps, retries=3, backoff_base=1.0).post_json(
        "/translate", {"q": ["Hi."], "source": "en", "target": "id", "format": "text"})
    assert answer == {"translatedText": ["[en>id] Hi."]}
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(libre.requests) == 4
    assert all(r.body["q"] == ["Hi."] for r in libre.requests)  # the same request, resent


def test_retry_after_seconds_is_honoured(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(429, {"error": "Slowdown: 20 per 1 minute"},
                               {"Retry-After": "7"})]
    sleeps = Sleeps()
    _http(libre, sleeps).post_json("/translate", {"q": ["a"], "source": "en", "target": "id"})
    assert sleeps == [7.0]  # more than the 1 s back-off: the server's wish wins


def test_retry_after_beyond_max_wait_fails_at_once(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(429, {"error": "Slowdown: 20 per 1 minute"},
                               {"Retry-After": "3600"})]
    sleeps = Sleeps()
    with pytest.raises(TranslateError) as err:
        _http(libre, sleeps, max_wait=60).post_json("/translate", {"q": ["a"]})
    assert str(err.value) == ("LibreTranslate: Slowdown: 20 per 1 minute (HTTP 429) "
                              "(the server asks to wait 3600 s)")
    assert sleeps == [] and len(libre.requests) == 1


def test_gives_up_after_the_configured_retries(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(500, {"error": "Cannot translate text: model crashed"})] * 5
    sleeps = Sleeps()
    with pytest.raises(TranslateError) as err:
        _http(libre, sleeps, retries=2).post_json("/translate", {"q": ["a"]})
    assert str(err.value) == ("LibreTranslate: Cannot translate text: model crashed (HTTP 500)"
                              "; gave up after 3 attempts")
    assert len(libre.requests) == 3 and len(sleeps) == 2


def test_client_errors_are_not_retried(libre: FakeLibreTranslate) -> None:
    sleeps = Sleeps()
    with pytest.raises(TranslateError, match=r"^LibreTranslate: xx is not supported \(HTTP 400\)$"):
        _http(libre, sleeps).post_json("/translate", {"q": ["a"], "source": "xx", "target": "id"})
    assert len(libre.requests) == 1 and sleeps == []


def test_connection_refused_is_retried_then_named(libre: FakeLibreTranslate) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    sleeps = Sleeps()
    translator = LibreTranslateTranslator(url, retries=2, sleep=sleeps)
    with pytest.raises(TranslateError) as err:
        translator.translate_batch(["Hello."], "en", "id")
    message = str(err.value)
    assert message.startswith(f"LibreTranslate at {url}: could not connect")
    assert message.endswith("; gave up after 3 attempts")
    assert len(sleeps) == 2


def test_timeout_is_reported_in_seconds() -> None:
    release = threading.Event()

    class Stuck(FakeServer):
        def handle(self, req):  # type: ignore[no-untyped-def]
            release.wait(10)
            return json_reply(200, {})

    server = Stuck()
    try:
        http = EngineHTTP("DeepL", server.url(), timeout=0.2, retries=0, sleep=Sleeps())
        with pytest.raises(TranslateError, match=r"^DeepL at http://127\.0\.0\.1:\d+: "
                                                 r"no answer within 0\.2 s$"):
            http.post_json("/v2/translate", {"text": ["a"]})
    finally:
        release.set()
        server.stop()


def test_an_answer_that_is_not_json_is_an_error(libre: FakeLibreTranslate) -> None:
    libre.script = [(200, {"Content-Type": "text/html"}, b"<html>captive portal</html>")]
    with pytest.raises(TranslateError, match=r"^LibreTranslate: the answer is not JSON"):
        _http(libre, Sleeps()).post_json("/translate", {"q": ["a"]})


def test_error_messages_name_the_engine_and_status(deepl: FakeDeepL) -> None:
    deepl.quota_chars = 3
    translator = DeepLTranslator("test-key", url=deepl.url(), sleep=Sleeps())
    with pytest.raises(TranslateError) as err:
        translator.translate_batch(["Hello world."], "en", "id")
    assert str(err.value) == "DeepL: quota exceeded (HTTP 456)"
    assert len(deepl.requests) == 1  # a quota is not retried


# -- rate limit ---------------------------------------------------------------------------

def test_rate_limiter_spaces_requests_evenly() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock=clock, sleep=clock.sleep)
    for _ in range(4):
        limiter.wait()
    assert clock.sleeps == [0.5, 0.5, 0.5]
    clock.now += 10  # idle for a while: the next request goes at once
    assert limiter.wait() == 0.0


def test_rate_limiter_gives_concurrent_callers_distinct_slots() -> None:
    clock = FakeClock()  # never advances here: every caller arrives "at once"
    sleeps = Sleeps()
    limiter = RateLimiter(4.0, clock=clock, sleep=sleeps)
    threads = [threading.Thread(target=limiter.wait) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sleeps) == [0.25 * k for k in range(1, 8)]


def test_engine_requests_go_through_the_rate_limit(libre: FakeLibreTranslate) -> None:
    clock = FakeClock()
    translator = LibreTranslateTranslator(libre.url(), rate_limit=5.0, batch_size=1,
                                          sleep=clock.sleep)
    translator.http.limiter = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    translator.translate_batch(["One.", "Two.", "Three."], "en", "id")
    assert len(libre.requests) == 3
    assert clock.sleeps == [pytest.approx(0.2), pytest.approx(0.2)]


def test_no_rate_limit_never_sleeps() -> None:
    sleeps = Sleeps()
    limiter = RateLimiter(0, sleep=sleeps)
    assert [limiter.wait() for _ in range(5)] == [0.0] * 5 and sleeps == []


# -- batching -----------------------------------------------------------------------------

def test_plan_batches_respects_segment_and_character_limits() -> None:
    texts = ["a" * 10, "b" * 10, "c" * 10, "d" * 25, "e" * 5, "f"]
    assert plan_batches(texts, max_segments=2, max_chars=100) == [[0, 1], [2, 3], [4, 5]]
    assert plan_batches(texts, max_segments=10, max_chars=30) == [[0, 1, 2], [3, 4], [5]]


def test_plan_batches_sends_an_oversized_segment_alone_and_uncut() -> None:
    texts = ["short", "x" * 500, "tail"]
    assert plan_batches(texts, max_segments=10, max_chars=100) == [[0], [1], [2]]
    assert plan_batches([], 5, 5) == []


def test_translator_batches_by_limits_and_skips_blanks(libre: FakeLibreTranslate) -> None:
    translator = LibreTranslateTranslator(libre.url(), batch_size=2, max_chars=1000,
                                          sleep=Sleeps())
    texts = ["One.", "", "Two.", "   ", "Three.", "Four.", "Five."]
    out = translator.translate_batch(texts, "en", "id")
    assert out == ["[en>id] One.", "", "[en>id] Two.", "   ", "[en>id] Three.",
                   "[en>id] Four.", "[en>id] Five."]
    assert [r.body["q"] for r in libre.requests] == [
        ["One.", "Two."], ["Three.", "Four."], ["Five."]]


def test_translator_batches_by_characters(libre: FakeLibreTranslate) -> None:
    translator = LibreTranslateTranslator(libre.url(), batch_size=50, max_chars=12,
                                          sleep=Sleeps())
    translator.translate_batch(["Hello.", "World.", "Again."], "en", "id")
    assert [r.body["q"] for r in libre.requests] == [["Hello.", "World."], ["Again."]]


def test_all_blank_input_sends_nothing(libre: FakeLibreTranslate) -> None:
    translator = LibreTranslateTranslator(libre.url(), sleep=Sleeps())
    assert translator.translate_batch(["", " \n"], "en", "id") == ["", " \n"]
    assert translator.translate_batch([], "en", "id") == []
    assert libre.requests == []


def test_a_wrong_number_of_translations_is_an_error(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(200, {"translatedText": ["only one"]})]
    translator = LibreTranslateTranslator(libre.url(), sleep=Sleeps())
    with pytest.raises(TranslateError, match=r"returned 1 translations for 2 segments"):
        translator.translate_batch(["One.", "Two."], "en", "id")
