"""DeepL API v2 engine.

``POST {url}/v2/translate`` with ``Authorization: DeepL-Auth-Key KEY`` and JSON
``{"text": [...], "source_lang": "EN", "target_lang": "ID"}``; the answer is
``{"translations": [{"detected_source_language": "EN", "text": "..."}, ...]}`` in input order.
Limits: at most 50 texts per request and 128 KiB per request body. Errors: 400 bad request,
403 authorisation failed (or a key used on the wrong host), 413 request too large, 429 too
many requests, 456 quota exceeded, 5xx temporary. 429 and 5xx are retried with back-off.

Free keys end in ``:fx`` and must use ``https://api-free.deepl.com``; other keys use
``https://api.deepl.com``. Language codes: source codes are the bare language (``EN``);
target ``en`` and ``pt`` need a variant (``EN-US``/``EN-GB``, ``PT-BR``/``PT-PT``): warta
sends ``EN-US`` and ``PT-PT`` unless the target is given with a variant (``pt-br``).
"""

from __future__ import annotations

import time
from typing import Any

from warta.core.errors import ConfigError, TranslateError
from warta.core.translate.http import EngineHTTP, HTTPTranslator, Sleep, error_reason

FREE_URL = "https://api-free.deepl.com"
PRO_URL = "https://api.deepl.com"
MAX_TEXTS = 50  # per request, DeepL's limit
TARGET_DEFAULT_VARIANT = {"EN": "EN-US", "PT": "PT-PT"}

_REASONS = {
    403: "authorisation failed, check translate.deepl.api_key (and that a free ':fx' key "
    "uses api-free.deepl.com)",
    404: "not found (check translate.deepl.url)",
    413: "request too large (lower translate.deepl.max_chars)",
    414: "request URL too long",
    429: "too many requests",
    456: "quota exceeded",
}


def _describe(status: int, body: Any) -> str:
    fixed = _REASONS.get(status)
    detail = error_reason(status, body)
    if fixed is None:
        return detail
    return fixed if detail == "request failed" or status == 456 else f"{fixed}: {detail}"


def deepl_url_for_key(api_key: str) -> str:
    """The API host for a key: free keys (suffix ``:fx``) use api-free.deepl.com."""
    return FREE_URL if api_key.endswith(":fx") else PRO_URL


def source_code(lang: str) -> str:
    """warta's ``en``/``en-gb``/``zh-hans`` → DeepL's source code (no variant): ``EN``."""
    return lang.replace("_", "-").split("-")[0].upper()


def target_code(lang: str) -> str:
    """warta's language code → DeepL's target code: ``id`` → ``ID``, ``en`` → ``EN-US``,
    ``pt-br`` → ``PT-BR``, ``zh-hant`` → ``ZH-HANT``."""
    code = lang.replace("_", "-").upper()
    return TARGET_DEFAULT_VARIANT.get(code, code)


class DeepLTranslator(HTTPTranslator):
    """Translates through DeepL API v2. Thread-safe; share one instance."""

    name = "deepl"

    def __init__(
        self,
        api_key: str,
        *,
        url: str = "",
        timeout: float = 20.0,
        retries: int = 3,
        rate_limit: float = 0.0,
        batch_size: int = MAX_TEXTS,
        max_chars: int = 30_000,
        sleep: Sleep = time.sleep,
    ) -> None:
        """Raises ConfigError without a key or with ``batch_size`` above DeepL's 50."""
        if not api_key:
            raise ConfigError(
                "translate.deepl.api_key",
                "DeepL needs an API key (set WARTA_TRANSLATE_DEEPL_API_KEY or api_key_file)",
            )
        if not 1 <= batch_size <= MAX_TEXTS:
            raise ConfigError(
                "translate.deepl.batch_size", f"must be 1 to {MAX_TEXTS}, got {batch_size}"
            )
        super().__init__(max_segments=batch_size, max_chars=max_chars)
        self.url = (url or deepl_url_for_key(api_key)).rstrip("/")
        self.http = EngineHTTP(
            "DeepL",
            self.url,
            timeout=timeout,
            retries=retries,
            rate_limit=rate_limit,
            headers={"Authorization": f"DeepL-Auth-Key {api_key}"},
            describe_error=_describe,
            sleep=sleep,
        )

    @property
    def model_id(self) -> str:
        return "deepl:v2"

    def _translate_chunk(self, texts: list[str], source: str, target: str) -> list[str]:
        payload = {"text": texts, "source_lang": source_code(source),
                   "target_lang": target_code(target)}
        answer = self.http.post_json("/v2/translate", payload)
        items = answer.get("translations") if isinstance(answer, dict) else None
        if not isinstance(items, list):
            raise TranslateError("DeepL: unexpected answer (no translations list)")
        out: list[str] = []
        for item in items:
            text = item.get("text") if isinstance(item, dict) else None
            if not isinstance(text, str):
                raise TranslateError("DeepL: unexpected answer (a translation without text)")
            out.append(text)
        return out
