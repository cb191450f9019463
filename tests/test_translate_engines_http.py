"""Each HTTP engine against a local fake of its API (tests/support/translate_fakes.py):
the request it sends (path, headers, JSON body, batching), the answer it reads, and each
documented error turned into a TranslateError/ConfigError a person can act on."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.translate_fakes import (
    FakeDeepL,
    FakeLibreTranslate,
    FakeOpenAI,
    fake_translate,
    fenced_answer,
    json_reply,
)
from warta.core.errors import ConfigError, TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.deepl import (
    FREE_URL,
    PRO_URL,
    DeepLTranslator,
    source_code,
    target_code,
)
from warta.core.translate.libretranslate import LibreTranslateTranslator
from warta.core.translate.openai import OpenAITranslator, build_messages, parse_answer

MODEL = "qwen2.5:7b-instruct"


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture
def libre() -> Iterator[FakeLibreTranslate]:
    server = FakeLibreTranslate(api_key="lt-key")
    yield server
    server.stop()


@pytest.fixture
def deepl() -> Iterator[FakeDeepL]:
    server = FakeDeepL(auth_key="dl-key:fx")
    yield server
    server.stop()


@pytest.fixture
def chat() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI(api_key="sk-local")
    yield server
    server.stop()


# -- LibreTranslate -----------------------------------------------------------------------

def test_libretranslate_happy_path_request_and_answer(libre: FakeLibreTranslate) -> None:
    t = LibreTranslateTranslator(libre.url(), api_key="lt-key", sleep=no_sleep)
    assert isinstance(t, Translator)
    assert t.name == "libretranslate" and t.model_id == f"libretranslate@127.0.0.1:{libre.port}"
    out = t.translate_batch(["The minister said “no”.", "Police in Jakarta."], "en", "id")
    assert out == [fake_translate("The minister said “no”.", "en", "id"),
                   fake_translate("Police in Jakarta.", "en", "id")]
    [req] = libre.requests
    assert (req.method, req.path) == ("POST", "/translate")
    assert req.headers["content-type"] == "application/json"
    assert req.body == {"q": ["The minister said “no”.", "Police in Jakarta."],
                        "source": "en", "target": "id", "format": "text", "api_key": "lt-key"}


def test_libretranslate_without_key_sends_none() -> None:
    server = FakeLibreTranslate()
    try:
        LibreTranslateTranslator(server.url(), sleep=no_sleep).translate_batch(["Hi."], "en", "id")
        assert "api_key" not in server.requests[0].body
    finally:
        server.stop()


def test_libretranslate_invalid_key_403_is_not_retried(libre: FakeLibreTranslate) -> None:
    t = LibreTranslateTranslator(libre.url(), api_key="wrong", sleep=no_sleep)
    with pytest.raises(TranslateError) as err:
        t.translate_batch(["Hi."], "en", "id")
    assert str(err.value) == (f"LibreTranslate at {libre.url()}: access refused: Invalid API "
                              "key (check translate.libretranslate.api_key) (HTTP 403)")
    assert len(libre.requests) == 1


def test_libretranslate_unsupported_language_400(libre: FakeLibreTranslate) -> None:
    t = LibreTranslateTranslator(libre.url(), api_key="lt-key", sleep=no_sleep)
    with pytest.raises(TranslateError, match=r": sw is not supported \(HTTP 400\)$"):
        t.translate_batch(["Hi."], "en", "sw")


def test_libretranslate_server_limits_400_tell_what_to_lower() -> None:
    server = FakeLibreTranslate(batch_limit=2)
    try:
        t = LibreTranslateTranslator(server.url(), batch_size=3, sleep=no_sleep)
        with pytest.raises(TranslateError, match=r"Request \(3\) exceeds text limit \(2\)"):
            t.translate_batch(["a.", "b.", "c."], "en", "id")
        ok = LibreTranslateTranslator(server.url(), batch_size=2, sleep=no_sleep)
        assert len(ok.translate_batch(["a.", "b.", "c."], "en", "id")) == 3
    finally:
        server.stop()


def test_libretranslate_slowdown_429_is_retried(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(429, {"error": "Slowdown: 20 per 1 minute"})]
    slept: list[float] = []
    t = LibreTranslateTranslator(libre.url(), api_key="lt-key", sleep=slept.append)
    assert t.translate_batch(["Hi."], "en", "id") == ["[en>id] Hi."]
    assert len(libre.requests) == 2 and len(slept) == 1


def test_libretranslate_500_cannot_translate(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(500, {"error": "Cannot translate text: out of memory"})] * 2
    t = LibreTranslateTranslator(libre.url(), api_key="lt-key", retries=1, sleep=no_sleep)
    with pytest.raises(TranslateError, match=r"Cannot translate text: out of memory \(HTTP 500\)"
                                             r"; gave up after 2 attempts"):
        t.translate_batch(["Hi."], "en", "id")


def test_libretranslate_single_string_answer_of_an_old_server(libre: FakeLibreTranslate) -> None:
    libre.script = [json_reply(200, {"translatedText": "Halo."})]
    t = LibreTranslateTranslator(libre.url(), api_key="lt-key", sleep=no_sleep)
    assert t.translate_batch(["Hello."], "en", "id") == ["Halo."]


# -- DeepL --------------------------------------------------------------------------------

def test_deepl_happy_path_request_and_answer(deepl: FakeDeepL) -> None:
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), sleep=no_sleep)
    assert t.name == "deepl" and t.model_id == "deepl:v2"
    out = t.translate_batch(["Police said 12 people were hurt.", "", "Rain."], "en", "id")
    assert out == ["[en>id] Police said 12 people were hurt.", "", "[en>id] Rain."]
    [req] = deepl.requests
    assert req.path == "/v2/translate"
    assert req.headers["authorization"] == "DeepL-Auth-Key dl-key:fx"
    assert req.headers["content-type"] == "application/json"
    assert req.body == {"text": ["Police said 12 people were hurt.", "Rain."],
                        "source_lang": "EN", "target_lang": "ID"}


def test_deepl_sends_at_most_50_texts_per_request(deepl: FakeDeepL) -> None:
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), sleep=no_sleep)
    texts = [f"Sentence {i}." for i in range(120)]
    out = t.translate_batch(texts, "en", "id")
    assert out == [fake_translate(x, "en", "id") for x in texts]
    assert [len(r.body["text"]) for r in deepl.requests] == [50, 50, 20]
    assert [x for r in deepl.requests for x in r.body["text"]] == texts


def test_deepl_keeps_requests_under_the_size_limit(deepl: FakeDeepL) -> None:
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), sleep=no_sleep)  # max_chars 30,000
    texts = ["ü" * 20_000 + f" {i}." for i in range(4)]  # 2 bytes a character in UTF-8
    assert len(t.translate_batch(texts, "en", "id")) == 4
    assert all(r.size <= 128 * 1024 for r in deepl.requests)
    assert [len(r.body["text"]) for r in deepl.requests] == [1, 1, 1, 1]


def test_deepl_request_too_large_413(deepl: FakeDeepL) -> None:
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), max_chars=200_000, sleep=no_sleep)
    with pytest.raises(TranslateError, match=r"^DeepL: request too large \(lower "
                                             r"translate\.deepl\.max_chars\).*\(HTTP 413\)$"):
        t.translate_batch(["ü" * 40_000, "ü" * 40_000], "en", "id")


@pytest.mark.parametrize(("lang", "source", "target"), [
    ("id", "ID", "ID"), ("en", "EN", "EN-US"), ("en-gb", "EN", "EN-GB"),
    ("pt", "PT", "PT-PT"), ("pt-br", "PT", "PT-BR"), ("ja", "JA", "JA"),
])
def test_deepl_language_codes(lang: str, source: str, target: str) -> None:
    assert source_code(lang) == source
    assert target_code(lang) == target


def test_deepl_english_target_uses_a_variant(deepl: FakeDeepL) -> None:
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), sleep=no_sleep)
    t.translate_batch(["Polisi."], "id", "en")
    assert deepl.requests[0].body["target_lang"] == "EN-US"
    assert deepl.requests[0].body["source_lang"] == "ID"


def test_deepl_host_follows_the_key() -> None:
    assert DeepLTranslator("abc:fx").url == FREE_URL == "https://api-free.deepl.com"
    assert DeepLTranslator("abc").url == PRO_URL == "https://api.deepl.com"
    assert DeepLTranslator("abc", url="http://proxy:9/").url == "http://proxy:9"


def test_deepl_wrong_key_403(deepl: FakeDeepL) -> None:
    t = DeepLTranslator("other-key", url=deepl.url(), sleep=no_sleep)
    with pytest.raises(TranslateError) as err:
        t.translate_batch(["Hi."], "en", "id")
    assert str(err.value).startswith("DeepL: authorisation failed, check translate.deepl.api_key")
    assert str(err.value).endswith("Authorization failure, check auth_key (HTTP 403)")
    assert len(deepl.requests) == 1


def test_deepl_quota_exceeded_456_is_not_retried(deepl: FakeDeepL) -> None:
    deepl.quota_chars = 5
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), sleep=no_sleep)
    with pytest.raises(TranslateError, match=r"^DeepL: quota exceeded \(HTTP 456\)$"):
        t.translate_batch(["A long sentence."], "en", "id")
    assert len(deepl.requests) == 1


def test_deepl_too_many_requests_429_is_retried(deepl: FakeDeepL) -> None:
    deepl.script = [json_reply(429, {"message": "Too many requests"}, {"Retry-After": "2"})]
    slept: list[float] = []
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), sleep=slept.append)
    assert t.translate_batch(["Hi."], "en", "id") == ["[en>id] Hi."]
    assert slept == [pytest.approx(2.0)]


def test_deepl_unsupported_target_400(deepl: FakeDeepL) -> None:
    t = DeepLTranslator("dl-key:fx", url=deepl.url(), sleep=no_sleep)
    with pytest.raises(TranslateError, match=r"^DeepL: Value for 'target_lang' not supported\. "
                                             r"\(HTTP 400\)$"):
        t.translate_batch(["Hi."], "en", "xx")


def test_deepl_configuration_errors_name_the_key() -> None:
    with pytest.raises(ConfigError) as err:
        DeepLTranslator("")
    assert err.value.key == "translate.deepl.api_key"
    with pytest.raises(ConfigError) as err:
        DeepLTranslator("k", batch_size=51)
    assert err.value.key == "translate.deepl.batch_size"


# -- OpenAI-compatible --------------------------------------------------------------------

def test_openai_happy_path_request_and_answer(chat: FakeOpenAI) -> None:
    t = OpenAITranslator(MODEL, base_url=chat.url(), api_key="sk-local", sleep=no_sleep)
    assert t.name == "openai" and t.model_id == f"openai:{MODEL}"
    texts = ["“We will win,” Prabowo said.", "The rupiah fell 1.5% to 16,200."]
    assert t.translate_batch(texts, "en", "id") == [fake_translate(x, "en", "id") for x in texts]
    [req] = chat.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer sk-local"
    assert req.body["model"] == MODEL and req.body["temperature"] == 0
    system, user = req.body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert "from English into Indonesian" in system["content"]
    assert "exactly 2 strings" in system["content"]
    assert json.loads(user["content"]) == [{"n": 1, "text": texts[0]}, {"n": 2, "text": texts[1]}]


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_openai_base_url_with_or_without_v1(chat: FakeOpenAI, suffix: str) -> None:
    t = OpenAITranslator(MODEL, base_url=chat.url(suffix), api_key="sk-local", sleep=no_sleep)
    t.translate_batch(["Hi."], "en", "id")
    assert chat.requests[-1].path == "/v1/chat/completions"


def test_openai_wrong_count_is_asked_again_in_halves(chat: FakeOpenAI) -> None:
    asked: list[int] = []

    def answer(segments: list[str]) -> str:
        asked.append(len(segments))
        if len(asked) == 1:
            return json.dumps(["only", "three", "items"])
        return fenced_answer(segments)

    chat.answer = answer
    t = OpenAITranslator(MODEL, base_url=chat.url(), api_key="sk-local", sleep=no_sleep)
    texts = ["One.", "Two.", "Three.", "Four."]
    assert t.translate_batch(texts, "en", "id") == [fake_translate(x, "en", "id") for x in texts]
    assert asked == [4, 2, 2]


def test_openai_unusable_twice_raises(chat: FakeOpenAI) -> None:
    chat.answer = lambda segments: "Sorry, I cannot help with that."
    t = OpenAITranslator(MODEL, base_url=chat.url(), api_key="sk-local", sleep=no_sleep)
    with pytest.raises(TranslateError, match=r"did not answer with a JSON array of 1 strings "
                                             r"for 1 segment\(s\), also when asked again"):
        t.translate_batch(["One.", "Two."], "en", "id")
    assert len(chat.requests) == 2  # the pair, then its first half; the second is not tried


def test_openai_cut_off_answer_counts_as_unusable(chat: FakeOpenAI) -> None:
    chat.finish_reason = "length"
    t = OpenAITranslator(MODEL, base_url=chat.url(), api_key="sk-local", sleep=no_sleep)
    with pytest.raises(TranslateError, match="ran out of tokens"):
        t.translate_batch(["One."], "en", "id")
    assert len(chat.requests) == 2


def test_openai_unknown_model_404(chat: FakeOpenAI) -> None:
    t = OpenAITranslator("gpt-9", base_url=chat.url(), api_key="sk-local", sleep=no_sleep)
    with pytest.raises(TranslateError) as err:
        t.translate_batch(["Hi."], "en", "id")
    assert str(err.value) == (
        f"OpenAI-compatible server at {chat.url('/v1')}: not found (check "
        "translate.openai.base_url and translate.openai.model): The model `gpt-9` does not "
        "exist. (HTTP 404)")


def test_openai_bad_key_401(chat: FakeOpenAI) -> None:
    t = OpenAITranslator(MODEL, base_url=chat.url(), api_key="wrong", sleep=no_sleep)
    with pytest.raises(TranslateError, match=r"authentication failed \(check translate\.openai"
                                             r"\.api_key\): Incorrect API key provided\. "
                                             r"\(HTTP 401\)$"):
        t.translate_batch(["Hi."], "en", "id")


def test_openai_needs_a_model_name() -> None:
    with pytest.raises(ConfigError) as err:
        OpenAITranslator("")
    assert err.value.key == "translate.openai.model"


@pytest.mark.parametrize("content", [
    '["Satu.", "Dua."]',
    '```json\n["Satu.", "Dua."]\n```',
    'Sure! Here you go:\n["Satu.", "Dua."]\nHope this helps.',
    '<think>The user wants [1] and [2]...</think>\n["Satu.", "Dua."]',
    '{"translations": ["Satu.", "Dua."]}',
    '[{"n": 2, "text": "Dua."}, {"n": 1, "text": "Satu."}]',
    'Note [draft]:\n```\n["Satu.", "Dua."]\n```',
])
def test_parse_answer_finds_the_array(content: str) -> None:
    assert parse_answer(content, 2) == ["Satu.", "Dua."]


@pytest.mark.parametrize("content", ['["Satu."]', "Satu. Dua.", '["Satu.", 2]', "", "[[]]"])
def test_parse_answer_refuses_what_does_not_fit(content: str) -> None:
    assert parse_answer(content, 2) is None


def test_prompt_keeps_non_ascii_text_readable() -> None:
    messages = build_messages(["Café “Ubud”"], "en", "id")
    assert "Café “Ubud”" in messages[1]["content"]
