"""Glue between the stored article and the configured translation engine."""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F

from warta.core.document import Document
from warta.core.errors import ModelNotInstalledError
from warta.core.translate.base import Translator
from warta.core.translate.document import DocumentTranslation, translate_document_checked
from warta.core.translate.glossary import (
    KEEP,
    Glossary,
    GlossaryFileError,
    Term,
    glossary_for,
    glossary_from_terms,
    parse_terms,
)
from warta.core.translate.memory import MemoryItem
from warta.core.translate.models import ModelStore
from warta.core.translate.routing import translator_for_pair

log = logging.getLogger("warta.translate")


@dataclass
class TranslationResult:
    doc: Document
    engine: str
    model_id: str
    status: str  # "done" | "untranslated"
    flags: list[dict[str, str]] = field(default_factory=list)  # Flag.to_dict(), see document.py
    checked: DocumentTranslation | None = None  # per-block flags and costs, when translated

    def block_dicts(self) -> list[dict[str, Any]]:
        """The blocks to store: ``Block.to_dict()``, with ``"flags"`` where a block has any."""
        if self.checked is not None:
            return self.checked.block_dicts()
        return [b.to_dict() for b in self.doc.blocks]


@dataclass
class TranslationCounts:
    """What translating cost: ``segments`` (non-empty units), ``memory_hits`` (answered by
    the translation memory), ``engine_inputs`` (distinct inputs the engine translated) and
    ``engine_calls`` (``translate_batch`` calls that reached an engine)."""

    documents: int = 0
    segments: int = 0
    memory_hits: int = 0
    engine_inputs: int = 0
    engine_calls: int = 0

    @property
    def hit_rate(self) -> float:
        """Share of the segments answered by the memory (0..1; 0 with no segment)."""
        return self.memory_hits / self.segments if self.segments else 0.0

    def add(self, other: TranslationCounts) -> None:
        self.documents += other.documents
        self.segments += other.segments
        self.memory_hits += other.memory_hits
        self.engine_inputs += other.engine_inputs
        self.engine_calls += other.engine_calls

    def describe(self) -> str:
        return (f"{self.documents} document(s), {self.segments} segments, "
                f"{self.memory_hits} from memory ({self.hit_rate:.0%}), "
                f"{self.engine_inputs} sent to the engine in {self.engine_calls} call(s)")


class TranslationStats:
    """Per-source and total ``TranslationCounts`` of this process since the last
    ``reset`` — what ``warta process`` prints after a run. Thread-safe (stage workers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_source: dict[str, TranslationCounts] = {}

    def record(self, source: str, counts: TranslationCounts) -> None:
        with self._lock:
            self.by_source.setdefault(source, TranslationCounts()).add(counts)

    def reset(self) -> None:
        with self._lock:
            self.by_source = {}

    def snapshot(self) -> tuple[TranslationCounts, dict[str, TranslationCounts]]:
        """(the total, a copy of the per-source counts)."""
        with self._lock:
            total = TranslationCounts()
            per = {}
            for name, counts in self.by_source.items():
                total.add(counts)
                per[name] = TranslationCounts(**vars(counts))
            return total, per


STATS = TranslationStats()


def counts_of(checked: DocumentTranslation) -> TranslationCounts:
    return TranslationCounts(1, checked.segments, checked.memory_hits, checked.engine_inputs,
                             checked.engine_calls)


def model_store(cfg: Any = None) -> ModelStore:
    cfg = cfg or settings.WARTA
    return ModelStore(Path(cfg["translate.models_dir"]))


def configured_translator(source: str, target: str, engine: str | None = None,
                          cfg: Any = None) -> Translator:
    """The translator for this pair: its engines from config in fallback order (only
    ``engine`` when given), pivoting through ``translate.pivot`` when no engine can do the
    pair directly (see ``core.translate.routing``). Make one per document: its ``name`` and
    ``model_id`` tell afterwards which engine produced the text. Raises
    ModelNotInstalledError when nothing can translate the pair."""
    cfg = cfg or settings.WARTA
    return translator_for_pair(source, target, getattr(cfg, "values", cfg),
                               store=model_store(cfg), engine=engine)


def translate_article(doc: Document, source: str, target: str, *,
                      source_label: str = "") -> TranslationResult:
    """Translate with the configured engine, glossary and memory. With no model installed,
    either raise (policy ``wait``: the entry retries later) or, under the demo policy
    ``publish_untranslated``, return the source text marked as awaiting translation.
    What it cost is logged and added to ``STATS`` under ``source_label`` (the feed's name)."""
    try:
        translator = configured_translator(source, target)
    except ModelNotInstalledError:
        if settings.WARTA["translate.missing_model"] != "publish_untranslated":
            raise
        return TranslationResult(doc, engine="none", model_id="", status="untranslated")
    checked = translate_document_checked(doc, translator, source, target,
                                         glossary=configured_glossary(source, target),
                                         memory=DatabaseSegmentMemory(),
                                         localise=bool(settings.WARTA.get(
                                             "translate.localise_numbers", False)))
    counts = counts_of(checked)
    STATS.record(source_label, counts)
    log.info("translated %s (%s): %s%s", doc.url, source_label or "-", counts.describe(),
             f", flags: {checked.flag_dicts()}" if checked.flags else "")
    # provenance of the engine(s) that produced the text; sized for the stored columns
    return TranslationResult(checked.doc, engine=translator.name[:50],
                             model_id=translator.model_id[:200], status="done",
                             flags=checked.flag_dicts(), checked=checked)


def configured_glossary(source: str, target: str, cfg: Any = None) -> Glossary:
    """The glossary for the pair: the one ``translate.glossary`` names (the bundled file,
    a file or a directory; read once per process per file version) merged with the
    editors' ``GlossaryTerm`` rows, which win over the file for the same term. Raises
    ConfigError for a missing or malformed file."""
    cfg = cfg or settings.WARTA
    setting = str(cfg.get("translate.glossary", "") or "")
    path = Path(setting.replace("{pair}", f"{source}-{target}")).expanduser()
    try:
        stamp = path.stat().st_mtime_ns if path.is_file() else 0
    except OSError:
        stamp = -1
    return _glossary(setting, source, target, stamp).merged(database_glossary(source, target))


@lru_cache(maxsize=32)
def _glossary(setting: str, source: str, target: str, stamp: int) -> Glossary:
    return glossary_for(setting, source, target)


def database_glossary(source: str, target: str) -> Glossary:
    """The editors' terms for the pair, as a ``Glossary`` (one small query)."""
    return glossary_from_terms(stored_terms(source, target))


def stored_terms(source: str | None = None, target: str | None = None) -> list[Term]:
    """The ``GlossaryTerm`` rows (of one pair when given) as ``Term``s, sorted."""
    from warta.newsroom.models import GlossaryTerm

    rows = GlossaryTerm.objects.all()
    if source:
        rows = rows.filter(source_language=source)
    if target:
        rows = rows.filter(target_language=target)
    return [Term(r.source, r.target, r.note, r.case_sensitive, r.source_language,
                 r.target_language) for r in rows.order_by("source_language",
                                                           "target_language", "source")]


@dataclass
class GlossaryImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def import_glossary(path: str | Path, source: str, target: str) -> GlossaryImport:
    """Read a TOML or CSV glossary file (by its suffix) and store its terms, a term's own
    ``source_language``/``target_language`` overriding ``source``/``target``. A term already
    stored for its pair (same source, as written) is updated. All or nothing: a broken file
    raises GlossaryFileError (with the line) before anything is written, and the writes are
    one transaction."""
    from django.db import transaction

    from warta.newsroom.models import GlossaryTerm

    path = Path(path)
    fmt = {".toml": "toml", ".csv": "csv"}.get(path.suffix.lower())
    if fmt is None:
        raise GlossaryFileError(str(path), 0, "unknown file type: name it .toml or .csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise GlossaryFileError(str(path), 0, f"cannot read: {e}") from e
    terms = parse_terms(text, fmt, origin=str(path))
    result = GlossaryImport()
    with transaction.atomic():
        for t in terms:
            fields = {"target": t.target, "note": t.note, "case_sensitive": t.case_sensitive}
            row, created = GlossaryTerm.objects.get_or_create(
                source_language=t.source_language or source,
                target_language=t.target_language or target, source=t.source,
                defaults=fields)
            if created:
                result.created += 1
            elif any(getattr(row, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(row, k, v)
                row.save()
                result.updated += 1
            else:
                result.unchanged += 1
    return result


def export_glossary(terms: Sequence[Term], fmt: str) -> str:
    """``terms`` as a file ``import_glossary`` reads back ("toml" or "csv")."""
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["source", "target", "note", "case_sensitive", "source_language",
                         "target_language"])
        for t in terms:
            writer.writerow([t.source, t.target or KEEP, t.note,
                             "true" if t.case_sensitive else "false", t.source_language,
                             t.target_language])
        return buf.getvalue()
    out = []
    for t in terms:
        out.append("[[term]]")
        out.append(f"source = {_toml_str(t.source)}")
        out.append(f"target = {_toml_str(t.target)}")
        if t.note:
            out.append(f"note = {_toml_str(t.note)}")
        if t.case_sensitive:
            out.append("case_sensitive = true")
        out.append(f"source_language = {_toml_str(t.source_language)}")
        out.append(f"target_language = {_toml_str(t.target_language)}")
        out.append("")
    return "\n".join(out)


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML for these characters)."""
    return json.dumps(value, ensure_ascii=False)


class DatabaseSegmentMemory:
    """``SegmentMemory`` in the ``TranslationMemory`` table, shared by every worker.
    A lookup counts a hit on each entry found; storing a key already there changes nothing."""

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        from warta.newsroom.models import TranslationMemory

        found: dict[str, str] = {}
        for start in range(0, len(keys), 500):  # stay under SQLite's parameter limit
            chunk = list(keys[start : start + 500])
            found.update(TranslationMemory.objects.filter(key__in=chunk)
                         .values_list("key", "target_text"))
        hit = list(found)
        for start in range(0, len(hit), 500):
            TranslationMemory.objects.filter(key__in=hit[start : start + 500]).update(
                hits=F("hits") + 1)
        return found

    def put_many(self, items: Iterable[MemoryItem]) -> None:
        from warta.newsroom.models import TranslationMemory

        rows = [TranslationMemory(key=i.key, source_text=i.source_text,
                                  target_text=i.target_text, engine=i.engine[:50],
                                  model_id=i.model_id[:200], source_language=i.source[:16],
                                  target_language=i.target[:16]) for i in items]
        TranslationMemory.objects.bulk_create(rows, ignore_conflicts=True, batch_size=200)
