"""Engine registry: build (and cache) the ``Translator`` for an engine name and a pair."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from warta.core.errors import ConfigError, TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.deepl import DeepLTranslator
from warta.core.translate.http import HTTPTranslator
from warta.core.translate.libretranslate import LibreTranslateTranslator
from warta.core.translate.models import ModelStore
from warta.core.translate.openai import OpenAITranslator

ENGINES = ("ctranslate2", "libretranslate", "deepl", "openai")
_HTTP_COMMON: dict[str, type] = {
    "api_key": str,
    "timeout": float,
    "retries": int,
    "rate_limit": float,
    "batch_size": int,
    "max_chars": int,
}
# engine -> option -> type; the options are the engine's ``[translate.<engine>]`` settings
HTTP_OPTIONS: dict[str, dict[str, type]] = {
    "libretranslate": {"url": str, **_HTTP_COMMON},
    "deepl": {"url": str, **_HTTP_COMMON},
    "openai": {"base_url": str, "model": str, **_HTTP_COMMON},
}
_HTTP_CLASSES: dict[str, type[HTTPTranslator]] = {
    "libretranslate": LibreTranslateTranslator,
    "deepl": DeepLTranslator,
    "openai": OpenAITranslator,
}
CT2_OPTIONS: dict[str, type] = {
    "device": str,
    "compute_type": str,
    "inter_threads": int,
    "intra_threads": int,
    "beam_size": int,
    "max_batch_size": int,
    "max_batch_tokens": int,
    "max_decoding_length": int,
}

_cache: dict[tuple[Any, ...], Translator] = {}
_cache_lock = threading.Lock()


def _check_options(engine: str, options: dict[str, Any]) -> dict[str, Any]:
    known = CT2_OPTIONS if engine == "ctranslate2" else HTTP_OPTIONS[engine]
    prefix = "translate." if engine == "ctranslate2" else f"translate.{engine}."
    for key, value in options.items():
        expected = known.get(key)
        if expected is None:
            raise ConfigError(
                prefix + key,
                f"unknown option for engine {engine} (known: {', '.join(known)})",
            )
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = options[key] = float(value)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(prefix + key, f"must be {expected.__name__}, got {value!r}")
        if isinstance(value, int | float) and value < 0:
            raise ConfigError(prefix + key, f"must not be negative, got {value!r}")
    return options


def _model_stamp(path: Path) -> tuple[int, int]:
    """Changes when the model is reinstalled, so a new install is loaded afresh."""
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def get_translator(
    engine: str, source: str, target: str, *, store: ModelStore, options: dict[str, Any]
) -> Translator:
    """The translator for ``engine`` and ``source``→``target``.

    Loaded models are cached per (model directory, options) for the life of the process and
    shared between threads; concurrent first calls load the model once. HTTP engines
    (``libretranslate``, ``deepl``, ``openai``; ``options`` are their ``[translate.<engine>]``
    settings) are cached per (engine, options), so their connection pool and rate limit are
    shared by every caller. Raises TranslateError for an unknown engine, ConfigError for a
    bad option (or a missing API key/model name), and ModelNotInstalledError (with an
    install hint) when no CTranslate2 model is installed for the pair.
    """
    if engine not in ENGINES:
        raise TranslateError(
            f"unknown translation engine {engine!r} (known engines: {', '.join(ENGINES)})"
        )
    opts = _check_options(engine, dict(options))
    if engine != "ctranslate2":
        return _http_translator(engine, opts)
    path = store.path_for(f"{source}-{target}")
    key = (str(path), _model_stamp(path), tuple(sorted(opts.items())))
    with _cache_lock:  # held while loading: loading twice would double memory
        translator = _cache.get(key)
        if translator is None:
            for stale in [k for k in _cache if k[0] == key[0] and k[1] != key[1]]:
                del _cache[stale]
            translator = CTranslate2Translator(path, **opts)
            _cache[key] = translator
    return translator


def _http_translator(engine: str, opts: dict[str, Any]) -> Translator:
    key = (engine, tuple(sorted(opts.items())))
    with _cache_lock:
        translator = _cache.get(key)
        if translator is None:
            translator = _HTTP_CLASSES[engine](**opts)
            _cache[key] = translator
    return translator


def clear_cache() -> None:
    """Forget every loaded model (tests; after ``warta models remove``) and the engines'
    circuit breakers."""
    from warta.core.translate.routing import reset_breakers

    reset_breakers()
    with _cache_lock:
        for translator in _cache.values():
            if isinstance(translator, HTTPTranslator):
                translator.close()
        _cache.clear()
