"""Any OpenAI-compatible chat endpoint as a translation engine: a local vLLM, Ollama or
llama.cpp server, or a hosted one.

``POST {base_url}/v1/chat/completions`` (``/v1`` is not doubled when ``base_url`` already
ends with it) with ``Authorization: Bearer KEY`` when a key is set, JSON ``{"model",
"messages", "temperature": 0}``; the answer is ``{"choices": [{"message": {"content": ...},
"finish_reason": ...}]}``. Errors are ``{"error": {"message": ...}}`` (OpenAI, llama.cpp),
``{"message": ...}`` (vLLM) or ``{"error": "..."}`` (Ollama).

The model gets a numbered JSON array of segments and must answer with a JSON array of the
same length. Answers are parsed robustly (code fences, prose around the array, ``<think>``
blocks, objects instead of strings). A batch whose answer is unusable (wrong count,
unparsable, cut off) is asked again once, split in halves; if a half fails again the batch
raises TranslateError (so a fallback engine can take it).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from warta.core.errors import ConfigError, TranslateError
from warta.core.translate.http import EngineHTTP, HTTPTranslator, Sleep, error_reason

DEFAULT_BASE_URL = "http://127.0.0.1:11434/v1"  # Ollama; vLLM :8000, llama.cpp :8080

_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.S)
_THINK = re.compile(r"<think>.*?</think>", re.S)
_REASONS = {
    401: "authentication failed (check translate.openai.api_key)",
    403: "access refused (check translate.openai.api_key)",
    404: "not found (check translate.openai.base_url and translate.openai.model)",
    429: "too many requests",
}


def _describe(status: int, body: Any) -> str:
    detail = error_reason(status, body)
    fixed = _REASONS.get(status)
    if fixed is None:
        return detail
    return fixed if detail == "request failed" else f"{fixed}: {detail}"


def language_name(code: str) -> str:
    """English name of a language code for the prompt (``id`` → ``Indonesian``)."""
    try:
        from babel import Locale

        name = Locale.parse(code.replace("-", "_")).get_display_name("en")
    except (ValueError, TypeError, LookupError, ImportError):
        return code
    return str(name) if name else code


def build_messages(texts: list[str], source: str, target: str) -> list[dict[str, str]]:
    """The chat messages asking for ``texts`` translated, one JSON string per segment."""
    src, tgt, n = language_name(source), language_name(target), len(texts)
    system = (
        f"You are a professional news translator from {src} into {tgt}. "
        f"You receive a JSON array of {n} numbered segments of one news article. "
        f"Translate each segment faithfully and completely into {tgt}. Keep names of "
        "people, places and organisations, numbers, dates, amounts, URLs and quotation "
        "marks exactly as they are. Do not add, drop, merge or split segments and do not "
        f"explain. Answer with only a JSON array of exactly {n} strings: the translation of "
        "segment 1 first, then segment 2, and so on."
    )
    numbered = [{"n": i + 1, "text": text} for i, text in enumerate(texts)]
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": json.dumps(numbered, ensure_ascii=False)},
    ]


def _as_strings(value: Any, expected: int) -> list[str] | None:
    if isinstance(value, dict):  # {"translations": [...]} and the like
        lists = [v for v in value.values() if isinstance(v, list)]
        value = lists[0] if len(lists) == 1 else None
    if not isinstance(value, list) or len(value) != expected:
        return None
    if all(isinstance(v, str) for v in value):
        return list(value)
    if all(isinstance(v, dict) for v in value):
        if all(isinstance(v.get("n"), int) for v in value):
            value = sorted(value, key=lambda v: v["n"])
        texts = [v.get("text", v.get("translation")) for v in value]
        if all(isinstance(t, str) for t in texts):
            return texts
    return None


def parse_answer(content: str, expected: int) -> list[str] | None:
    """The ``expected`` translations in a model's answer, or None when it holds no JSON
    array of that many strings (looked for inside code fences first, then anywhere)."""
    text = _THINK.sub("", content).strip()
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        candidate = candidate.strip()
        try:
            found = _as_strings(json.loads(candidate), expected)
        except ValueError:
            found = None
        if found is not None:
            return found
        for m in re.finditer(r"[\[{]", candidate):
            try:
                value, _ = decoder.raw_decode(candidate, m.start())
            except ValueError:
                continue
            found = _as_strings(value, expected)
            if found is not None:
                return found
    return None


class _BadAnswer(Exception):
    pass


class OpenAITranslator(HTTPTranslator):
    """Translates with a chat model behind an OpenAI-compatible API. Thread-safe."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        timeout: float = 120.0,
        retries: int = 2,
        rate_limit: float = 0.0,
        batch_size: int = 16,
        max_chars: int = 4000,
        sleep: Sleep = time.sleep,
    ) -> None:
        """Raises ConfigError without a model name."""
        if not model:
            raise ConfigError("translate.openai.model", "name the model the server runs")
        super().__init__(max_segments=batch_size, max_chars=max_chars)
        self.model = model
        base = base_url.rstrip("/")
        self.base_url = base if base.endswith("/v1") else base + "/v1"
        self.http = EngineHTTP(
            f"OpenAI-compatible server at {self.base_url}",
            self.base_url,
            timeout=timeout,
            retries=retries,
            rate_limit=rate_limit,
            headers={"Authorization": f"Bearer {api_key}"} if api_key else None,
            describe_error=_describe,
            sleep=sleep,
        )

    @property
    def model_id(self) -> str:
        return f"openai:{self.model}"

    def _translate_chunk(self, texts: list[str], source: str, target: str) -> list[str]:
        return self._ask(texts, source, target, retry=True)

    def _ask(self, texts: list[str], source: str, target: str, *, retry: bool) -> list[str]:
        try:
            return self._request(texts, source, target)
        except _BadAnswer as e:
            if not retry:
                raise TranslateError(
                    f"{self.http.label}: model {self.model} {e} for {len(texts)} segment(s), "
                    "also when asked again"
                ) from e
        mid = (len(texts) + 1) // 2
        halves = [texts[:mid], texts[mid:]] if len(texts) > 1 else [texts]
        return [t for half in halves for t in self._ask(half, source, target, retry=False)]

    def _request(self, texts: list[str], source: str, target: str) -> list[str]:
        payload = {"model": self.model, "temperature": 0,
                   "messages": build_messages(texts, source, target)}
        answer = self.http.post_json("/chat/completions", payload)
        try:
            choice = answer["choices"][0]
            content = choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as e:
            raise TranslateError(f"{self.http.label}: unexpected answer (no choices)") from e
        if choice.get("finish_reason") == "length":
            raise _BadAnswer("ran out of tokens")
        found = parse_answer(content if isinstance(content, str) else "", len(texts))
        if found is None:
            raise _BadAnswer(f"did not answer with a JSON array of {len(texts)} strings")
        return found
