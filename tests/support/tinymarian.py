"""A tiny, real Marian OPUS-MT model directory, built in seconds for tests.

It has exactly the layout Helsinki-NLP publishes and CTranslate2's ``OpusMTConverter`` reads:

* ``decoder.yml``: ``models: [<npz>]`` and ``vocabs: [<vocab.yml>, <vocab.yml>]``;
* ``opus.spm32k-spm32k.transformer-align.model1.npz.best-perplexity.npz``: Marian weights
  under Marian's key names (``Wemb``, ``encoder_l1_self_Wq``, ``decoder_l1_context_bo``,
  ``decoder_ff_logit_out_b``, ...), linear weights stored ``[in, out]`` and biases / layer
  norms ``[1, dim]`` as Marian saves them, plus the training options as the NUL-terminated
  YAML bytes of ``special:model.yml``;
* ``opus.spm32k-spm32k.vocab.yml``: the joint vocabulary, ``token: index`` with ``</s>``
  at 0 and ``<unk>`` at 1, quoted the way Marian (yaml-cpp) quotes;
* ``source.spm`` / ``target.spm``: separate SentencePiece models, trained here on
  ``tests/data/mt/en.txt`` and ``id.txt``. Their pieces (plus any language tokens such as
  ``>>ind<<``) make up the joint vocabulary, which is how CTranslate2 maps SentencePiece
  pieces to model ids: by piece string, not by SentencePiece id.

The architecture is a standard OPUS-MT post-norm Transformer (``transformer-preprocess ''``,
``transformer-postprocess dan``, swish FFN, tied embeddings, sinusoidal positions), only
tiny. The weights are seeded random values, so its output is deterministic gibberish.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import sentencepiece as spm
import yaml

from tests.support.tinymodel import DATA, train_unigram

NPZ_NAME = "opus.spm32k-spm32k.transformer-align.model1.npz.best-perplexity.npz"
VOCAB_NAME = "opus.spm32k-spm32k.vocab.yml"
SPM_VOCAB_SIZE = 160
DIM = 32
HEADS = 4
FFN = 64
DEPTH = 2
# Added to the ``</s>`` logit so that outputs end at varied lengths instead of all running
# to ``max_decoding_length`` (random weights rarely pick ``</s>`` on their own).
EOS_BIAS = 4.5
LANGUAGE_TOKENS = (">>ind<<", ">>zsm<<")  # as in a multi-target model such as en-mul
_PLAIN = re.compile(r"[A-Za-z▁][A-Za-z0-9▁]*")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


def train_spm(text: Path, out: Path) -> Path:
    """Train a small unigram SentencePiece model on one language; write it to ``out``."""
    prefix = out.with_suffix("")
    train_unigram([text], prefix, SPM_VOCAB_SIZE).rename(out)
    prefix.with_suffix(".vocab").unlink()
    return out


def joint_vocab(source_spm: Path, target_spm: Path, extra: tuple[str, ...] = ()) -> list[str]:
    """Marian's joint vocabulary: ``</s>``, ``<unk>``, ``extra`` tokens, then the normal
    pieces of both SentencePiece models (first seen first)."""
    tokens = ["</s>", "<unk>", *extra]
    for path in (source_spm, target_spm):
        sp = spm.SentencePieceProcessor(model_file=str(path))
        for i in range(sp.get_piece_size()):
            if sp.is_control(i) or sp.is_unknown(i):
                continue
            piece = sp.id_to_piece(i)
            if piece not in tokens:
                tokens.append(piece)
    return tokens


def _yaml_key(token: str) -> str:
    if _PLAIN.fullmatch(token) and token.lower() not in _YAML_WORDS:
        return token
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_vocab_yml(tokens: list[str], path: Path) -> Path:
    """Write ``tokens`` as a Marian vocabulary file (``token: index`` per line)."""
    lines = [f"{_yaml_key(token)}: {i}" for i, token in enumerate(tokens)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def marian_config(vocab_size: int) -> dict[str, object]:
    """The training options Marian stores in ``special:model.yml`` (those the converter
    reads, plus a few more that real OPUS-MT models carry)."""
    return {
        "type": "transformer",
        "dim-vocabs": [vocab_size, vocab_size],
        "dim-emb": DIM,
        "enc-depth": DEPTH,
        "dec-depth": DEPTH,
        "tied-embeddings-all": True,
        "transformer-heads": HEADS,
        "transformer-dim-ffn": FFN,
        "transformer-ffn-activation": "swish",
        "transformer-preprocess": "",
        "transformer-postprocess": "dan",
        "transformer-postprocess-emb": "d",
        "transformer-postprocess-top": "",
        "transformer-decoder-autoreg": "self-attention",
        "transformer-no-projection": False,
        "transformer-guided-alignment-layer": "last",
        "transformer-tied-layers": [],
        "version": "v1.7.6 02f4af4 2018-12-12 18:51:10 -0800",
    }


def _config_entry(config: dict[str, object]) -> np.ndarray:
    """YAML bytes plus a trailing NUL, as an int8 array (how Marian saves its options)."""
    data = yaml.safe_dump(config, sort_keys=False).encode("utf-8") + b"\0"
    return np.frombuffer(data, dtype=np.int8).copy()


def marian_weights(vocab_size: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded random weights under Marian's npz key names (post-norm, tied embeddings)."""
    rng = np.random.default_rng(seed)

    def mat(n_in: int, n_out: int) -> np.ndarray:
        return rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_out)).astype(np.float32)

    def row(n: int, scale: float = 0.1, base: float = 0.0) -> np.ndarray:
        return (base + rng.normal(0.0, scale, (1, n))).astype(np.float32)

    weights = {"Wemb": rng.normal(0.0, 0.3, (vocab_size, DIM)).astype(np.float32)}

    def attention(scope: str) -> None:
        for name in "qkvo":
            weights[f"{scope}_W{name}"] = mat(DIM, DIM)
            weights[f"{scope}_b{name}"] = row(DIM)
        weights[f"{scope}_Wo_ln_scale"] = row(DIM, base=1.0)
        weights[f"{scope}_Wo_ln_bias"] = row(DIM)

    def ffn(scope: str) -> None:
        weights[f"{scope}_W1"] = mat(DIM, FFN)
        weights[f"{scope}_b1"] = row(FFN)
        weights[f"{scope}_W2"] = mat(FFN, DIM)
        weights[f"{scope}_b2"] = row(DIM)
        weights[f"{scope}_ffn_ln_scale"] = row(DIM, base=1.0)
        weights[f"{scope}_ffn_ln_bias"] = row(DIM)

    for layer in range(1, DEPTH + 1):
        attention(f"encoder_l{layer}_self")
        ffn(f"encoder_l{layer}_ffn")
    for layer in range(1, DEPTH + 1):
        attention(f"decoder_l{layer}_self")
        attention(f"decoder_l{layer}_context")
        ffn(f"decoder_l{layer}_ffn")
    weights["decoder_ff_logit_out_b"] = row(vocab_size)
    weights["decoder_ff_logit_out_b"][0, 0] += EOS_BIAS  # </s> is vocabulary index 0
    return weights


def write_marian_dir(
    dest: Path,
    source_spm: Path,
    target_spm: Path,
    *,
    extra_tokens: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    seed: int = 0,
) -> Path:
    """Write a complete OPUS-MT model directory into ``dest`` (which must not exist).
    ``drop`` leaves those keys out of the npz (to build a broken model)."""
    dest.mkdir(parents=True)
    vocab = joint_vocab(source_spm, target_spm, extra_tokens)
    write_vocab_yml(vocab, dest / VOCAB_NAME)
    weights = marian_weights(len(vocab), seed)
    weights["special:model.yml"] = _config_entry(marian_config(len(vocab)))
    missing = set(drop) - set(weights)
    if missing:
        raise KeyError(f"cannot drop unknown keys {sorted(missing)}")
    np.savez(dest / NPZ_NAME, **{k: v for k, v in weights.items() if k not in drop})
    decoder = {
        "models": [NPZ_NAME],
        "vocabs": [VOCAB_NAME, VOCAB_NAME],
        "beam-size": 6,
        "normalize": 0.6,
        "word-penalty": 0,
        "mini-batch": 1,
        "maxi-batch": 1,
        "maxi-batch-sort": "src",
        "relative-paths": True,
    }
    (dest / "decoder.yml").write_text(yaml.safe_dump(decoder, sort_keys=False), encoding="utf-8")
    (dest / "source.spm").write_bytes(source_spm.read_bytes())
    (dest / "target.spm").write_bytes(target_spm.read_bytes())
    (dest / "README.md").write_text("# tiny opus-mt test model (random weights)\n")
    return dest


@dataclass
class TinyMarian:
    """The spm models and the built Marian directories of one session."""

    root: Path
    source_spm: Path
    target_spm: Path
    en_id: Path  # opus-mt-en-id: a bilingual model
    en_mul: Path  # opus-mt-en-mul: multi-target, language tokens in the vocabulary

    def vocab(self, model_dir: Path) -> list[str]:
        """The vocabulary of a built directory, read back the converter's way."""
        from ctranslate2.converters.marian import load_vocab

        return list(load_vocab(str(model_dir / VOCAB_NAME)))

    def broken(self, dest: Path, drop: tuple[str, ...]) -> Path:
        """A copy of the en-id model whose npz lacks ``drop``."""
        return write_marian_dir(dest, self.source_spm, self.target_spm, drop=drop)


def build_tiny_marian(root: Path) -> TinyMarian:
    """Train both spm models and write the en-id and en-mul directories (a few seconds)."""
    root.mkdir(parents=True, exist_ok=True)
    source = train_spm(DATA / "en.txt", root / "source.spm")
    target = train_spm(DATA / "id.txt", root / "target.spm")
    en_id = write_marian_dir(root / "opus-mt-en-id", source, target)
    en_mul = write_marian_dir(
        root / "opus-mt-en-mul", source, target, extra_tokens=LANGUAGE_TOKENS, seed=1
    )
    return TinyMarian(root, source, target, en_id, en_mul)


_BUILT: dict[str, TinyMarian] = {}


def session_tiny_marian(tmp_path_factory: pytest.TempPathFactory) -> TinyMarian:
    """Build the tiny Marian models once per test session (shared by every test module)."""
    if "marian" not in _BUILT:
        _BUILT["marian"] = build_tiny_marian(tmp_path_factory.mktemp("tinymarian"))
    return _BUILT["marian"]


def converted_vocabulary(ct2_dir: Path) -> list[str]:
    """The source vocabulary CTranslate2 saved in a converted model directory."""
    for name in ("shared_vocabulary.json", "source_vocabulary.json"):
        if (ct2_dir / name).is_file():
            return list(json.loads((ct2_dir / name).read_text(encoding="utf-8")))
    raise FileNotFoundError(f"no vocabulary json in {ct2_dir}")
