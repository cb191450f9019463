"""Which engine translates a language pair: per-pair fallback order and pivoting.

Configuration arrives as a plain mapping of dotted keys (``Config.values``):

* ``translate.pairs`` — ``{"en-id": ["ctranslate2", "libretranslate"], ...}``: the engines
  for a pair, in the order they are tried; a pair without an entry uses
  ``[translate.engine]``.
* ``translate.<engine>.*`` — each HTTP engine's settings; CTranslate2 reads
  ``translate.device`` and friends.
* ``translate.pivot`` — the language to pivot through (``en``) when no engine of the
  order can do the pair directly (no CTranslate2 model installed for it); ``""`` = never.

:func:`translator_for_pair` returns a :class:`FallbackTranslator` (or a
:class:`PivotTranslator` of two of them). Its ``name`` and ``model_id`` say, after a
translation, which engine(s) and model(s) actually produced the text — that is the
provenance stored with a translation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from warta.core.errors import ModelNotInstalledError, TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.models import ModelStore

log = logging.getLogger("warta.translate")

CT2_KEYS = ("device", "compute_type", "beam_size", "inter_threads", "intra_threads",
            "max_batch_size")


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


class FallbackTranslator:
    """Tries its engines in order for every batch: an engine that raises TranslateError
    (or answers with the wrong count) hands the batch to the next one, and is tried after
    the engines that have not failed for later batches. Raises TranslateError naming
    every engine's failure when none succeeds.

    ``name``/``model_id`` list the engines/models that produced text so far (in first-use
    order, normally one); before any translation they are those of the first engine.
    Thread-safe; meant to be made per document (it is cheap: the engines are shared)."""

    def __init__(self, translators: Sequence[Translator]) -> None:
        if not translators:
            raise ValueError("FallbackTranslator needs at least one translator")
        self.translators = list(translators)
        self.name = self.translators[0].name
        self._model_id = self.translators[0].model_id
        self.used: list[Translator] = []
        self._failed: set[int] = set()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    def _order(self) -> list[int]:
        with self._lock:
            healthy = [i for i in range(len(self.translators)) if i not in self._failed]
            return healthy + sorted(self._failed)

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        errors: list[str] = []
        for i in self._order():
            engine = self.translators[i]
            try:
                out = engine.translate_batch(texts, source, target)
                if len(out) != len(texts):
                    raise TranslateError(
                        f"returned {len(out)} translations for {len(texts)} segments"
                    )
            except TranslateError as e:
                errors.append(f"{engine.name}: {e}")
                log.warning("engine %s failed for %s-%s, trying the next one: %s",
                            engine.name, source, target, e)
                with self._lock:
                    self._failed.add(i)
                continue
            self._record(engine)
            return out
        raise TranslateError(f"every engine failed for {source}-{target}: " + "; ".join(errors))

    def _record(self, engine: Translator) -> None:
        with self._lock:
            if engine not in self.used:
                self.used.append(engine)
            self.name = ",".join(_unique([t.name for t in self.used]))
            self._model_id = ", ".join(_unique([t.model_id for t in self.used]))


class PivotTranslator:
    """``source``→``pivot`` with ``first``, then ``pivot``→``target`` with ``second``.
    ``name`` is e.g. ``ctranslate2+pivot:en`` (both engines named when they differ:
    ``deepl+ctranslate2+pivot:en``), ``model_id`` e.g.
    ``argos:translate-ja_en-1_1 → argos:translate-en_id-1_9``."""

    def __init__(self, first: Translator, second: Translator, pivot: str) -> None:
        self.first = first
        self.second = second
        self.pivot = pivot
        self.name = ""
        self._refresh()

    def _refresh(self) -> None:
        self.name = "+".join(_unique([self.first.name, self.second.name])) + f"+pivot:{self.pivot}"

    @property
    def model_id(self) -> str:
        return f"{self.first.model_id} → {self.second.model_id}"

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        middle = self.first.translate_batch(texts, source, self.pivot)
        if len(middle) != len(texts):
            raise TranslateError(
                f"pivot {source}-{self.pivot} returned {len(middle)} translations "
                f"for {len(texts)} segments"
            )
        out = self.second.translate_batch(middle, self.pivot, target)
        self._refresh()
        return out


def engine_order(source: str, target: str, cfg: Mapping[str, Any]) -> list[str]:
    """The engines configured for ``source``-``target``, in fallback order."""
    pairs = cfg.get("translate.pairs") or {}
    order = pairs.get(f"{source}-{target}")
    return list(order) if order else [str(cfg.get("translate.engine") or "ctranslate2")]


def engine_options(engine: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The settings ``engines.get_translator`` takes for ``engine``, read from ``cfg``
    (``api_key_file`` is already resolved into ``api_key`` by ``load_config``)."""
    if engine == "ctranslate2":
        return {k: cfg[f"translate.{k}"] for k in CT2_KEYS if f"translate.{k}" in cfg}
    prefix = f"translate.{engine}."
    return {
        key[len(prefix):]: value
        for key, value in cfg.items()
        if key.startswith(prefix) and not key.endswith("_file")
    }


def _chain(
    engines: list[str], source: str, target: str, cfg: Mapping[str, Any], store: ModelStore
) -> tuple[list[Translator], list[ModelNotInstalledError]]:
    from warta.core.translate.engines import get_translator

    available: list[Translator] = []
    missing: list[ModelNotInstalledError] = []
    for engine in engines:
        try:
            available.append(get_translator(engine, source, target, store=store,
                                            options=engine_options(engine, cfg)))
        except ModelNotInstalledError as e:
            missing.append(e)
    return available, missing


def translator_for_pair(
    source: str,
    target: str,
    cfg: Mapping[str, Any],
    *,
    store: ModelStore,
    engine: str | None = None,
) -> Translator:
    """The translator for ``source``→``target``: the pair's engines in fallback order
    (only ``engine`` when given, as ``warta translate --engine`` does). Engines that cannot
    do the pair (no model installed) are left out; when none can, and a pivot language is
    configured, two chains through it are composed. Raises ModelNotInstalledError for the
    direct pair when nothing can translate it, ConfigError for a bad engine setting,
    TranslateError for an unknown engine name."""
    engines = [engine] if engine else engine_order(source, target, cfg)
    available, missing = _chain(engines, source, target, cfg, store)
    if available:
        return FallbackTranslator(available)
    pivot = str(cfg.get("translate.pivot") or "")
    if pivot and pivot not in (source, target):
        first, _ = _chain([engine] if engine else engine_order(source, pivot, cfg),
                          source, pivot, cfg, store)
        second, _ = _chain([engine] if engine else engine_order(pivot, target, cfg),
                           pivot, target, cfg, store)
        if first and second:
            return PivotTranslator(FallbackTranslator(first), FallbackTranslator(second), pivot)
    if missing:
        raise missing[0]
    raise ModelNotInstalledError(f"{source}-{target}")  # pragma: no cover - engines == []
