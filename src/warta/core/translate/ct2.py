"""CTranslate2 + SentencePiece engine for installed Argos Translate and OPUS-MT models.

Two on-disk layouts are understood (see docs/models.md):

* Argos Translate package: ``metadata.json``, ``model/`` (a CTranslate2 model directory),
  ``sentencepiece.model`` (shared by both sides); an optional ``stanza/`` is ignored.
* Converted OPUS-MT: a CTranslate2 model directory (``model.bin``, vocabularies) with
  ``source.spm`` and ``target.spm``, and the ``metadata.json`` warta writes on conversion.

Library exceptions are wrapped once, here, into :class:`TranslateError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ctranslate2
import sentencepiece as spm

from warta.core.errors import TranslateError

DEVICES = ("cpu", "cuda", "auto")


@dataclass(frozen=True)
class ModelLayout:
    """Where the parts of one installed model are, and how to feed it."""

    kind: str  # "argos" | "opus-mt"
    root: Path
    ct2_dir: Path
    source_spm: Path
    target_spm: Path
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    append_eos: bool = False  # old OPUS-MT conversions lack add_source_eos in config.json

    @property
    def model_id(self) -> str:
        """Provenance string, e.g. ``argos:translate-en_id-1_9`` or ``opus-mt:en-id``."""
        meta = self.metadata
        pair = f"{meta.get('from_code', '?')}-{meta.get('to_code', '?')}"
        if self.kind == "argos":
            code = meta.get("code") or f"translate-{pair.replace('-', '_')}"
            version = str(meta.get("package_version", "0")).replace(".", "_")
            return f"argos:{code}-{version}"
        return f"opus-mt:{meta.get('name') or pair}"


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise TranslateError(f"unreadable {path.name} in {path.parent}: {e}") from e
    return data if isinstance(data, dict) else {}


def detect_layout(root: Path) -> ModelLayout:
    """Recognise an installed model directory. Raises TranslateError if it is neither an
    Argos package nor a converted OPUS-MT model."""
    meta = _read_json(root / "metadata.json")
    if (root / "model" / "model.bin").is_file() and (root / "sentencepiece.model").is_file():
        spm_path = root / "sentencepiece.model"
        return ModelLayout("argos", root, root / "model", spm_path, spm_path, meta)
    if (root / "model.bin").is_file() and (root / "source.spm").is_file():
        target = root / "target.spm" if (root / "target.spm").is_file() else root / "source.spm"
        config = _read_json(root / "config.json")
        return ModelLayout(
            "opus-mt",
            root,
            root,
            root / "source.spm",
            target,
            meta,
            append_eos=not config.get("add_source_eos", False),
        )
    raise TranslateError(
        f"{root} is not a model directory (expected an Argos package with model/ and "
        "sentencepiece.model, or a converted OPUS-MT model with model.bin and source.spm)"
    )


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when CTranslate2 sees a GPU, else ``cpu``."""
    if device not in DEVICES:
        raise TranslateError(f"unknown device {device!r} (use one of {', '.join(DEVICES)})")
    if device == "auto":
        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return device


def resolve_compute_type(compute_type: str, device: str) -> str:
    """``auto`` → ``int8`` on CPU (fast, small, near-lossless for these models) and
    ``int8_float16`` on CUDA when supported; other values are checked against what the
    device supports. Raises TranslateError for an unsupported type."""
    supported = set(ctranslate2.get_supported_compute_types(device))
    if compute_type == "auto":
        preferred = ["int8"] if device == "cpu" else ["int8_float16", "float16"]
        for ct in [*preferred, "float32"]:
            if ct in supported:
                return ct
        return "default"
    if compute_type != "default" and compute_type not in supported:
        raise TranslateError(
            f"compute_type {compute_type!r} is not supported on {device} "
            f"(supported: {', '.join(sorted(supported))})"
        )
    return compute_type


_END = "</s>"


class CTranslate2Translator:
    """A loaded model. Thread-safe: CTranslate2 queues concurrent ``translate_batch`` calls
    (``inter_threads`` of them run in parallel); loading is the expensive part, so share
    instances (see ``engines.get_translator``)."""

    name = "ctranslate2"

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cpu",
        compute_type: str = "auto",
        inter_threads: int = 1,
        intra_threads: int = 0,
        beam_size: int = 2,
        max_batch_size: int = 32,
        max_decoding_length: int = 256,
        max_batch_tokens: int = 0,
        min_decoding_length: int = 1,
    ) -> None:
        """Load the model at ``model_dir``. Batches hold at most ``max_batch_size``
        sentences, or — with ``max_batch_tokens`` > 0 — at most that many source tokens
        (a token budget: many short sentences or a few long ones per batch).
        ``min_decoding_length`` forces outputs to at least that many tokens (benchmarks
        of random-weight models fix the output length with it). Raises TranslateError if
        the model cannot be loaded."""
        self.layout = detect_layout(Path(model_dir))
        self.device = resolve_device(device)
        self.compute_type = resolve_compute_type(compute_type, self.device)
        self.beam_size = beam_size
        self.max_batch_size = max(1, max_batch_size)
        self.max_decoding_length = max_decoding_length
        self.max_batch_tokens = max(0, max_batch_tokens)
        self.min_decoding_length = max(1, min_decoding_length)  # CTranslate2's default: 1
        meta = self.layout.metadata
        self.source_prefix_token: str | None = meta.get("source_prefix_token")
        self.target_prefix_token: str | None = meta.get("target_prefix_token")
        try:
            self._source_sp = spm.SentencePieceProcessor(model_file=str(self.layout.source_spm))
            self._target_sp = spm.SentencePieceProcessor(model_file=str(self.layout.target_spm))
            self._translator = ctranslate2.Translator(
                str(self.layout.ct2_dir),
                device=self.device,
                compute_type=self.compute_type,
                inter_threads=inter_threads,
                intra_threads=intra_threads,
            )
        except (RuntimeError, OSError, ValueError) as e:
            raise TranslateError(f"cannot load model {self.layout.root}: {e}") from e

    @property
    def model_id(self) -> str:
        return self.layout.model_id

    @property
    def pair(self) -> tuple[str, str]:
        meta = self.layout.metadata
        return str(meta.get("from_code", "")), str(meta.get("to_code", ""))

    def _check_pair(self, source: str, target: str) -> None:
        src, tgt = self.pair
        if (src and src != source) or (tgt and tgt != target):
            raise TranslateError(
                f"model {self.model_id} translates {src}-{tgt}, not {source}-{target}"
            )

    def _tokenize(self, text: str) -> list[str]:
        tokens: list[str] = self._source_sp.encode(text, out_type=str)
        if self.source_prefix_token:
            tokens.insert(0, self.source_prefix_token)
        if self.layout.append_eos:
            tokens.append("</s>")
        return tokens

    def _detokenize(self, tokens: list[str]) -> str:
        if self.target_prefix_token and tokens[:1] == [self.target_prefix_token]:
            tokens = tokens[1:]
        # A piece only the source vocabulary knows (OPUS-MT shares one vocabulary between
        # both sides) is written out verbatim by the target model, "▁" included; that
        # character never belongs in published text, so it becomes the space it stands for.
        text = str(self._target_sp.decode(tokens))
        return " ".join(text.replace("\u2581", " ").split()) if "\u2581" in text else text

    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        """Translate ``texts`` (one output per input, in order). Whitespace-only inputs come
        back unchanged without reaching the model. Inputs are sorted by token length and cut
        into batches (``max_batch_size`` sentences, or ``max_batch_tokens`` padded tokens)
        so padding stays small; the batches are submitted together, so CTranslate2 runs them
        in parallel on its ``inter_threads`` workers. The cut depends only on the inputs, so
        the same inputs always give the same outputs. Raises TranslateError."""
        self._check_pair(source, target)
        out = list(texts)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        tokens = {i: self._tokenize(texts[i].strip()) for i in todo}
        todo.sort(key=lambda i: len(tokens[i]))
        chunks = self._batches([len(tokens[i]) for i in todo])
        pending = [self._submit([tokens[i] for i in todo[a:b]]) for a, b in chunks]
        cut: list[int] = []
        for (a, b), results in zip(chunks, pending, strict=True):
            for i, hyp in zip(todo[a:b], self._collect(results), strict=True):
                if hyp[-1:] == [_END]:
                    hyp = hyp[:-1]
                elif self._truncated(len(tokens[i]), len(hyp)):
                    cut.append(i)
                out[i] = self._detokenize(hyp)
        if cut:
            raise TranslateError(
                f"{self.model_id}: the translation of {len(cut)} segment(s) of up to "
                f"{max(len(tokens[i]) for i in cut)} tokens stopped at max_decoding_length "
                f"({self.max_decoding_length}) before its end; a shorter segment is needed")
        return out

    def _truncated(self, source_tokens: int, output_tokens: int) -> bool:
        """Whether an output that did not end was cut by ``max_decoding_length`` from a
        source long enough to need that many tokens (at least half as many). A short
        source running to the limit is a repetition loop, not a cut: it comes back, for
        the quality checks to flag. A fixed output length (``min_decoding_length`` equal
        to the maximum, as benchmarks set) never ends on its own and is not a cut."""
        limit = self.max_decoding_length
        return (output_tokens >= limit and self.min_decoding_length < limit
                and 2 * source_tokens >= limit)

    def _batches(self, lengths: list[int]) -> list[tuple[int, int]]:
        """``(start, end)`` of each batch over inputs sorted by ``lengths`` (ascending)."""
        cuts: list[tuple[int, int]] = []
        start = 0
        for end in range(1, len(lengths) + 1):
            size = end - start
            full = (size * lengths[end - 1] > self.max_batch_tokens > 0 and size > 1) or (
                not self.max_batch_tokens and size > self.max_batch_size)
            if full:
                cuts.append((start, end - 1))
                start = end - 1
        if start < len(lengths):
            cuts.append((start, len(lengths)))
        return cuts

    def _submit(self, batch: list[list[str]]) -> list[Any]:
        prefix = [[self.target_prefix_token] for _ in batch] if self.target_prefix_token else None
        try:
            return list(self._translator.translate_batch(
                batch,
                target_prefix=prefix,
                beam_size=self.beam_size,
                max_batch_size=len(batch),
                max_decoding_length=self.max_decoding_length,
                min_decoding_length=self.min_decoding_length,
                replace_unknowns=True,
                return_end_token=True,  # an output without it was cut (``_truncated``)
                asynchronous=True,
            ))
        except (RuntimeError, ValueError) as e:
            raise TranslateError(f"{self.model_id}: translation failed: {e}") from e

    def _collect(self, pending: list[Any]) -> list[list[str]]:
        try:
            return [list(r.result().hypotheses[0]) for r in pending]
        except (RuntimeError, ValueError) as e:
            raise TranslateError(f"{self.model_id}: translation failed: {e}") from e

    def _run(self, batch: list[list[str]]) -> list[list[str]]:
        """One batch, synchronously (tests and benchmarks); the end tokens taken off."""
        return [h[:-1] if h[-1:] == [_END] else h for h in self._collect(self._submit(batch))]
