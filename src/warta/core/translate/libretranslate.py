"""LibreTranslate HTTP API engine (a self-hosted server or libretranslate.com).

``POST {url}/translate`` with JSON ``{"q": [...], "source", "target", "format": "text",
"api_key"?}``; a list ``q`` is answered with a list ``{"translatedText": [...]}`` in the same
order. Errors are ``{"error": "..."}`` with 400 (bad request, unsupported language, a batch
or character limit of the server exceeded), 403 (banned or invalid API key), 429 (slow down)
and 500 (the server could not translate). 429 and 5xx are retried with back-off.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from warta.core.errors import TranslateError
from warta.core.translate.http import EngineHTTP, HTTPTranslator, Sleep, error_reason

DEFAULT_URL = "http://127.0.0.1:5000"


def _describe(status: int, body: Any) -> str:
    reason = error_reason(status, body)
    if status == 403:
        return f"access refused: {reason} (check translate.libretranslate.api_key)"
    if status == 429:
        return f"too many requests: {reason}"
    return reason


class LibreTranslateTranslator(HTTPTranslator):
    """Translates through a LibreTranslate server. Thread-safe; share one instance."""

    name = "libretranslate"

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str = "",
        timeout: float = 30.0,
        retries: int = 3,
        rate_limit: float = 0.0,
        batch_size: int = 32,
        max_chars: int = 10_000,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(max_segments=batch_size, max_chars=max_chars)
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.http = EngineHTTP(
            f"LibreTranslate at {self.url}",
            self.url,
            timeout=timeout,
            retries=retries,
            rate_limit=rate_limit,
            describe_error=_describe,
            sleep=sleep,
        )

    @property
    def model_id(self) -> str:
        """``libretranslate@host:port``: the server decides which model it runs."""
        return f"libretranslate@{urlsplit(self.url).netloc or self.url}"

    def _translate_chunk(self, texts: list[str], source: str, target: str) -> list[str]:
        payload: dict[str, Any] = {"q": texts, "source": source, "target": target,
                                   "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        answer = self.http.post_json("/translate", payload)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(translated, str) and len(texts) == 1:  # an older server, one text
            translated = [translated]
        if not isinstance(translated, list) or not all(isinstance(t, str) for t in translated):
            raise TranslateError(
                f"{self.http.label}: unexpected answer (no list of translatedText)"
            )
        return translated
