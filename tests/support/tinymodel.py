"""A tiny, real CTranslate2 translation model built in seconds for tests and benchmarks.

The model is a genuine ``TransformerSpec`` (1 encoder + 1 decoder layer) run by the real
CTranslate2 runtime with a real SentencePiece model trained here on ``tests/data/mt``.
Its weights are rigged so that its output is known exactly:

* token dims ``[0:V)`` hold one-hot source-token embeddings; position dims ``[V:V+P)`` hold
  one-hot *learned* position encodings; all self-attention / feed-forward sublayers are zero
  (identity through the residual) and final layer norms are disabled;
* the decoder's cross-attention query reads the decoder position and the key reads the source
  position, so decoding step ``t`` attends (sharply) to source token ``t``; the value copies
  that token's one-hot into the residual stream;
* the output projection maps source piece ``i`` to target piece ``DICTIONARY.get(i, i)``, and
  ``</s>`` to ``</s>`` (the source gets ``</s>`` appended via ``add_source_eos``); a query
  bias makes the source ``</s>`` an attention sink, so a hypothesis running past the end of
  the source (beam search runners-up) ends there.

So the model is a piece-by-piece "translator": each SentencePiece piece is copied, except the
few whole-word pieces in ``DICTIONARY`` which are replaced by their Indonesian piece.
``TinyModel.reference_translate`` computes the expected output without CTranslate2.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import sentencepiece as spm
from ctranslate2.specs import common_spec, transformer_spec

DATA = Path(__file__).resolve().parent.parent / "data" / "mt"
VOCAB_SIZE = 320
MAX_POSITIONS = 256
# English piece -> Indonesian piece; pairs whose pieces are not both in the vocabulary are
# dropped (see ``TinyModel.dictionary`` for the pairs actually used).
CANDIDATES = {
    "▁said": "▁kata",
    "▁police": "▁polisi",
    "▁government": "▁pemerintah",
    "▁minister": "▁menteri",
    "▁president": "▁presiden",
    "▁city": "▁kota",
    "▁new": "▁baru",
    "▁the": "▁itu",
    "▁on": "▁pada",
    "▁in": "▁di",
}
GAIN = 20.0


def train_sentencepiece(out_dir: Path) -> Path:
    """Train a small unigram SentencePiece model on tests/data/mt/*.txt; return its path."""
    return train_unigram(
        [DATA / "en.txt", DATA / "id.txt"], out_dir / "sentencepiece", VOCAB_SIZE)


def train_unigram(inputs: list[Path], prefix: Path, vocab_size: int) -> Path:
    """Train a unigram SentencePiece model (ids: unk 0, bos 1, eos 2, no pad) quietly on one
    thread, so the same text gives the same model; returns ``prefix``.model."""
    spm.SentencePieceTrainer.train(
        input=[str(p) for p in inputs],
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        num_threads=1,
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


def _linear(weight: np.ndarray, bias: bool = True) -> common_spec.LinearSpec:
    spec = common_spec.LinearSpec()
    spec.weight = weight.astype(np.float32)
    if bias:
        spec.bias = np.zeros(weight.shape[0], dtype=np.float32)
    return spec


def _zero_layers(layer: object, d: int, ffn: int) -> None:
    """Fill every sublayer of an encoder/decoder layer so that it adds nothing."""
    for name in ("self_attention", "attention"):
        att = getattr(layer, name, None)
        if att is None:
            continue
        att.layer_norm.gamma = np.ones(d, dtype=np.float32)
        att.layer_norm.beta = np.zeros(d, dtype=np.float32)
        shapes = [(3 * d, d), (d, d)] if name == "self_attention" else [(d, d), (2 * d, d), (d, d)]
        for lin, shape in zip(att.linear, shapes, strict=True):
            lin.weight = np.zeros(shape, dtype=np.float32)
            lin.bias = np.zeros(shape[0], dtype=np.float32)
    ffn_spec = layer.ffn  # type: ignore[attr-defined]
    ffn_spec.layer_norm.gamma = np.ones(d, dtype=np.float32)
    ffn_spec.layer_norm.beta = np.zeros(d, dtype=np.float32)
    ffn_spec.linear_0 = _linear(np.zeros((ffn, d)))
    ffn_spec.linear_1 = _linear(np.zeros((d, ffn)))


def build_spec(vocab: list[str], mapping: dict[int, int]) -> transformer_spec.TransformerSpec:
    """The rigged copy/lookup Transformer described in the module docstring."""
    v, p = len(vocab), MAX_POSITIONS
    d = v + p
    spec = transformer_spec.TransformerSpec.from_config(1, 1, pre_norm=True, no_final_norm=True)
    enc, dec = spec.encoder, spec.decoder
    eos = vocab.index("</s>")
    positions = np.zeros((p, d), dtype=np.float32)
    positions[np.arange(p), v + np.arange(p)] = 1.0
    enc.embeddings[0].weight = np.eye(v, d, dtype=np.float32)
    enc.position_encodings.encodings = positions
    enc.scale_embeddings = False
    dec.embeddings.weight = np.zeros((v, d), dtype=np.float32)
    dec.position_encodings.encodings = positions
    dec.scale_embeddings = False
    _zero_layers(enc.layer[0], d, 4)
    _zero_layers(dec.layer[0], d, 4)
    att = dec.layer[0].attention
    query = np.zeros((d, d), dtype=np.float32)
    query[v:, v:] = 50.0 * np.eye(p)  # decoder position t ...
    keys_values = np.zeros((2 * d, d), dtype=np.float32)
    keys_values[v:d, v:] = np.eye(p)  # ... matches source position t
    keys_values[d : d + v, :v] = np.eye(v)  # value: the source token's one-hot
    # Sink: ``</s>`` also matches any query, at half the strength of a position match, so
    # past the end of the source (runner-up beam hypotheses) attention lands on ``</s>``.
    keys_values[0, eos] = 1.0
    att.linear[0].weight = query
    att.linear[0].bias[0] = 25.0 * np.sqrt(d)
    att.linear[1].weight = keys_values
    att.linear[2].weight = GAIN * np.eye(d, dtype=np.float32)
    projection = np.zeros((v, d), dtype=np.float32)
    for src in range(v):
        projection[mapping.get(src, src), src] = 1.0
    dec.projection = _linear(projection)
    # ``</s>`` must never be a runner-up while copying, or beam search finishes early.
    dec.projection.bias[eos] = -0.4 * GAIN
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.config.add_source_eos = True
    return spec


@dataclass
class TinyModel:
    """Paths of one built tiny model plus its exact expected behaviour."""

    root: Path
    package_dir: Path  # Argos layout: metadata.json, model/, sentencepiece.model
    argosmodel: Path  # the same package zipped, as published in an Argos index
    dictionary: dict[str, str]

    def reference_translate(self, text: str) -> str:
        """What the model must output for ``text`` (computed without CTranslate2)."""
        sp = spm.SentencePieceProcessor(model_file=str(self.package_dir / "sentencepiece.model"))
        pieces = [self.dictionary.get(piece, piece) for piece in sp.encode(text, out_type=str)]
        return str(sp.decode(pieces))


def write_package(
    pkg_dir: Path,
    sp_model: Path,
    from_code: str = "en",
    to_code: str = "id",
    version: str = "1.0",
) -> dict[str, str]:
    """Build the CT2 model + metadata.json into ``pkg_dir``; return the dictionary used."""
    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    index = {piece: i for i, piece in enumerate(vocab)}
    used = {s: t for s, t in CANDIDATES.items() if s in index and t in index}
    spec = build_spec(vocab, {index[s]: index[t] for s, t in used.items()})
    spec.validate()
    spec.optimize(quantization=None)
    (pkg_dir / "model").mkdir(parents=True)
    spec.save(str(pkg_dir / "model"))
    (pkg_dir / "sentencepiece.model").write_bytes(sp_model.read_bytes())
    metadata = {
        "package_version": version,
        "argos_version": "1.0",
        "from_code": from_code,
        "from_name": "English",
        "to_code": to_code,
        "to_name": "Indonesian",
        "code": f"translate-{from_code}_{to_code}",
        "type": "translate",
    }
    (pkg_dir / "metadata.json").write_text(json.dumps(metadata, indent=2))
    return used


def zip_package(pkg_dir: Path, zip_path: Path) -> Path:
    """Zip ``pkg_dir`` the way Argos publishes it: one top-level folder named after it."""
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(pkg_dir.rglob("*")):
            zf.write(path, f"{pkg_dir.name}/{path.relative_to(pkg_dir).as_posix()}")
    return zip_path


def build_tiny_model(root: Path, version: str = "1.0") -> TinyModel:
    """Train, build and package a tiny en->id model under ``root`` (takes a few seconds)."""
    root.mkdir(parents=True, exist_ok=True)
    sp_model = train_sentencepiece(root)
    pkg_name = f"translate-en_id-{version.replace('.', '_')}"
    pkg_dir = root / pkg_name
    used = write_package(pkg_dir, sp_model, version=version)
    argosmodel = zip_package(pkg_dir, root / f"{pkg_name}.argosmodel")
    return TinyModel(root=root, package_dir=pkg_dir, argosmodel=argosmodel, dictionary=used)


_BUILT: dict[str, TinyModel] = {}


def session_tiny_model(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """Build the tiny model once per test session (shared by every test module)."""
    if "model" not in _BUILT:
        _BUILT["model"] = build_tiny_model(tmp_path_factory.mktemp("tinymodel"))
    return _BUILT["model"]
