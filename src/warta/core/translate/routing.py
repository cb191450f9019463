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
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from warta.core.errors import ModelNotInstalledError, TranslateError
from warta.core.translate.base import Translator
from warta.core.translate.models import ModelStore

log = logging.getLogger("warta.translate")

CT2_KEYS = ("device", "compute_type", "beam_size", "inter_threads", "intra_threads",
            "max_batch_size", "max_batch_tokens")


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


class CircuitBreaker:
    """Stops calling an engine that keeps failing (a dead LibreTranslate, an exhausted DeepL
    quota): after ``failures`` consecutive failures it is *open* and the engine is skipped
    for ``cooldown`` seconds; then it is *half-open* and lets one call through — success
    closes it, failure opens it for another cool-down. ``failures`` 0 disables it.

    One breaker per engine object, shared by every ``FallbackTranslator`` in the process
    (``breaker_for``), because translators are made per document while engines live long.
    ``clock`` is injectable so tests move time instead of sleeping. Thread-safe."""

    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"

    def __init__(self, failures: int = 3, cooldown: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.failures, self.cooldown, self.clock = failures, cooldown, clock
        self.consecutive = 0
        self.opened_at = 0.0
        self._trial = False  # a half-open trial call is in flight
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self.failures <= 0 or self.consecutive < self.failures:
            return self.CLOSED
        if self.clock() - self.opened_at < self.cooldown:
            return self.OPEN
        return self.HALF_OPEN

    def allow(self) -> bool:
        """May the engine be called now? In half-open state only one caller gets True
        until that call reports back."""
        with self._lock:
            state = self._state()
            if state == self.CLOSED:
                return True
            if state == self.HALF_OPEN and not self._trial:
                self._trial = True
                return True
            return False

    def retry_in(self) -> float:
        """Seconds until an open breaker becomes half-open (0 when it is not open)."""
        with self._lock:
            if self._state() != self.OPEN:
                return 0.0
            return max(0.0, self.cooldown - (self.clock() - self.opened_at))

    def success(self) -> None:
        with self._lock:
            self.consecutive, self._trial = 0, False

    def abandon(self) -> None:
        """A call ended without a verdict on the engine: free a half-open trial slot."""
        with self._lock:
            self._trial = False

    def failure(self) -> None:
        with self._lock:
            self.consecutive += 1
            self._trial = False
            if self.failures > 0 and self.consecutive >= self.failures:
                self.opened_at = self.clock()


_breakers: dict[int, tuple[Translator, CircuitBreaker]] = {}
_breakers_lock = threading.Lock()


def breaker_for(engine: Translator, failures: int = 3, cooldown: float = 60.0) -> CircuitBreaker:
    """The process-wide breaker of ``engine`` (made on first use with these settings; later
    calls update them, so a changed config takes effect)."""
    with _breakers_lock:
        found = _breakers.get(id(engine))
        if found is None or found[0] is not engine:  # id reused after the engine was freed
            found = (engine, CircuitBreaker(failures, cooldown))
            _breakers[id(engine)] = found
        breaker = found[1]
        breaker.failures, breaker.cooldown = failures, cooldown
        return breaker


def reset_breakers() -> None:
    """Forget every breaker (tests; ``engines.clear_cache``)."""
    with _breakers_lock:
        _breakers.clear()


class FallbackTranslator:
    """Tries its engines in order for every batch: an engine that raises TranslateError
    (or answers with the wrong count) hands the batch to the next one, and is tried after
    the engines that have not failed for later batches. An engine whose circuit breaker is
    open (``CircuitBreaker``: N failures in a row, in any translator of the process) is
    skipped without a call until its cool-down ends. Raises TranslateError naming every
    engine's failure when none succeeds.

    ``name``/``model_id`` list the engines/models that produced text so far (in first-use
    order, normally one); before any translation they are those of the first engine.
    ``provenance(text)`` says which single engine produced the output of one input — under
    mixed fallback that is what each translation-memory row records — and ``candidates()``
    the (engine, model) of every engine, in order, for memory look-ups.
    Thread-safe; meant to be made per document (it is cheap: the engines are shared)."""

    def __init__(self, translators: Sequence[Translator],
                 breakers: Sequence[CircuitBreaker] | None = None) -> None:
        if not translators:
            raise ValueError("FallbackTranslator needs at least one translator")
        self.translators = list(translators)
        self.breakers = (list(breakers) if breakers is not None
                         else [breaker_for(t) for t in self.translators])
        if len(self.breakers) != len(self.translators):
            raise ValueError("one breaker per translator")
        self.name = self.translators[0].name
        self._model_id = self.translators[0].model_id
        self.used: list[Translator] = []
        self.calls: dict[str, int] = {}  # engine name -> batches it was asked to translate
        self._producers: dict[str, Translator] = {}
        self._failed: set[int] = set()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id

    def candidates(self) -> list[tuple[str, str]]:
        """``(name, model_id)`` of each engine, in fallback order."""
        return [(t.name, t.model_id) for t in self.translators]

    def provenance(self, text: str) -> tuple[str, str]:
        """``(name, model_id)`` of the engine that produced the output for input ``text``
        (this translator's own name and model when it has not translated ``text``)."""
        with self._lock:
            engine = self._producers.get(text)
        return (engine.name, engine.model_id) if engine is not None else (self.name,
                                                                           self.model_id)

    def _order(self) -> list[int]:
        with self._lock:
            healthy = [i for i in range(len(self.translators)) if i not in self._failed]
            return healthy + sorted(self._failed)

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        errors: list[str] = []
        for i in self._order():
            engine, breaker = self.translators[i], self.breakers[i]
            if not breaker.allow():
                errors.append(f"{engine.name}: skipped, failed {breaker.consecutive} times in "
                              f"a row (retried in {breaker.retry_in():.0f} s)")
                continue
            try:
                with self._lock:
                    self.calls[engine.name] = self.calls.get(engine.name, 0) + 1
                out = engine.translate_batch(texts, source, target)
                if len(out) != len(texts):
                    raise TranslateError(
                        f"returned {len(out)} translations for {len(texts)} segments"
                    )
            except TranslateError as e:
                breaker.failure()
                errors.append(f"{engine.name}: {e}")
                log.warning("engine %s failed for %s-%s, trying the next one: %s",
                            engine.name, source, target, e)
                with self._lock:
                    self._failed.add(i)
                continue
            except BaseException:
                breaker.abandon()  # a bug or an interrupt: not the engine's fault
                raise
            breaker.success()
            self._record(engine, texts)
            return out
        raise TranslateError(f"every engine failed for {source}-{target}: " + "; ".join(errors))

    def _record(self, engine: Translator, texts: list[str]) -> None:
        with self._lock:
            if engine not in self.used:
                self.used.append(engine)
            self._producers.update(dict.fromkeys(texts, engine))
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
    configured, two chains through it are composed. Each engine's circuit breaker takes
    ``translate.breaker_failures`` / ``translate.breaker_cooldown``. Raises
    ModelNotInstalledError for the direct pair when nothing can translate it, ConfigError
    for a bad engine setting, TranslateError for an unknown engine name."""
    engines = [engine] if engine else engine_order(source, target, cfg)
    available, missing = _chain(engines, source, target, cfg, store)

    def fallback(chain: list[Translator]) -> FallbackTranslator:
        failures = int(cfg.get("translate.breaker_failures", 3))
        cooldown = float(cfg.get("translate.breaker_cooldown", 60.0))
        return FallbackTranslator(chain, [breaker_for(t, failures, cooldown) for t in chain])

    if available:
        return fallback(available)
    pivot = str(cfg.get("translate.pivot") or "")
    if pivot and pivot not in (source, target):
        first, _ = _chain([engine] if engine else engine_order(source, pivot, cfg),
                          source, pivot, cfg, store)
        second, _ = _chain([engine] if engine else engine_order(pivot, target, cfg),
                           pivot, target, cfg, store)
        if first and second:
            return PivotTranslator(fallback(first), fallback(second), pivot)
    if missing:
        raise missing[0]
    raise ModelNotInstalledError(f"{source}-{target}")  # pragma: no cover - engines == []
