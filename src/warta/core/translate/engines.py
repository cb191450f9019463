"""Engine registry: build (and cache) the ``Translator`` for an engine name and a pair."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from warta.core.errors import ConfigError, TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.models import ModelStore

ENGINES = ("ctranslate2",)
CT2_OPTIONS: dict[str, type] = {
    "device": str,
    "compute_type": str,
    "inter_threads": int,
    "intra_threads": int,
    "beam_size": int,
    "max_batch_size": int,
    "max_decoding_length": int,
}

_cache: dict[tuple[Any, ...], Translator] = {}
_cache_lock = threading.Lock()


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    for key, value in options.items():
        expected = CT2_OPTIONS.get(key)
        if expected is None:
            raise ConfigError(
                f"translate.{key}",
                f"unknown option for engine ctranslate2 (known: {', '.join(CT2_OPTIONS)})",
            )
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigError(f"translate.{key}", f"must be {expected.__name__}, got {value!r}")
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
    shared between threads; concurrent first calls load the model once. Raises
    TranslateError for an unknown engine, ConfigError for a bad option, and
    ModelNotInstalledError (with an install hint) when no model is installed for the pair.
    """
    if engine not in ENGINES:
        raise TranslateError(
            f"unknown translation engine {engine!r} (known engines: {', '.join(ENGINES)})"
        )
    opts = _check_options(dict(options))
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


def clear_cache() -> None:
    """Forget every loaded model (tests; after ``warta models remove``)."""
    with _cache_lock:
        _cache.clear()
