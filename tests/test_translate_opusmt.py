"""``ModelStore.install_opus_mt`` on a real (tiny, random-weight) Marian OPUS-MT directory.

The model's output is gibberish, so these tests check structure, determinism, and that
warta's pipeline (pair check, SentencePiece, prefix token, sorting and batching, CTranslate2
call, detokenising) gives exactly what a plain ``ctranslate2.Translator`` + SentencePiece
run on the converted directory gives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ctranslate2
import pytest
import sentencepiece as spm

from tests.support.tinymarian import (
    NPZ_NAME,
    TinyMarian,
    converted_vocabulary,
    session_tiny_marian,
)
from tests.support.tinymodel import DATA
from warta.core.errors import ModelInstallError
from warta.core.translate import engines
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.models import ModelStore

BEAM = 2
MAX_LEN = 160  # long enough for every fixture sentence to end: a cut output is an error
OPTIONS: dict[str, Any] = {"beam_size": BEAM, "max_decoding_length": MAX_LEN, "max_batch_size": 4}


@pytest.fixture(scope="session")
def marian(tmp_path_factory: pytest.TempPathFactory) -> TinyMarian:
    return session_tiny_marian(tmp_path_factory)


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    engines.clear_cache()
    return ModelStore(tmp_path / "models")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """Corpus sentences of mixed lengths, so sorting by length really reorders them."""
    lines = (DATA / "en.txt").read_text().splitlines()
    return [lines[i] + (" " + lines[i + 1]) * (i % 3) for i in range(0, 24, 2)]


def _leftovers(store: ModelStore) -> list[str]:
    if not store.root.exists():
        return []
    installed = {m.pair for m in store.list()}
    return sorted(p.name for p in store.root.iterdir() if p.name not in installed)


def _direct(
    model_dir: Path, texts: list[str], compute_type: str, prefix: str | None = None
) -> list[str]:
    """Translate with CTranslate2 + SentencePiece directly, bypassing warta."""
    source = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
    target = spm.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
    translator = ctranslate2.Translator(str(model_dir), device="cpu", compute_type=compute_type)
    batch = [([prefix] if prefix else []) + source.encode(t, out_type=str) for t in texts]
    results = translator.translate_batch(
        batch, beam_size=BEAM, max_decoding_length=MAX_LEN, replace_unknowns=True
    )
    decoded = [str(target.decode(r.hypotheses[0])) for r in results]
    # warta turns a stray "▁" (a source-only piece) into the space it stands for
    return [" ".join(d.replace("\u2581", " ").split()) if "\u2581" in d else d for d in decoded]


def test_no_stray_word_boundary_marks_in_output(store: ModelStore, marian: TinyMarian,
                                                texts: list[str]) -> None:
    store.install_opus_mt(marian.en_id)
    translator = engines.get_translator("ctranslate2", "en", "id", store=store,
                                        options={**OPTIONS, "compute_type": "float32"})
    outputs = translator.translate_batch(texts, "en", "id")
    raw = _raw(store.path_for("en-id"), texts)
    assert any("\u2581" in r for r in raw), "fixture no longer produces stray marks"
    assert not any("\u2581" in o for o in outputs)


def _raw(model_dir: Path, texts: list[str]) -> list[str]:
    source = spm.SentencePieceProcessor(model_file=str(model_dir / "source.spm"))
    target = spm.SentencePieceProcessor(model_file=str(model_dir / "target.spm"))
    translator = ctranslate2.Translator(str(model_dir), device="cpu", compute_type="float32")
    results = translator.translate_batch([source.encode(t, out_type=str) for t in texts],
                                         beam_size=BEAM, max_decoding_length=MAX_LEN)
    return [str(target.decode(r.hypotheses[0])) for r in results]


@pytest.mark.parametrize("quantization", [None, "int8"])
def test_install_converts_and_lists_as_opus_mt(
    store: ModelStore, marian: TinyMarian, quantization: str | None
) -> None:
    info = store.install_opus_mt(marian.en_id, quantization=quantization)
    assert (info.pair, info.kind, info.version) == ("en-id", "opus-mt", "")
    assert store.list() == [info]
    assert store.path_for("en-id") == info.path and info.size > 0
    assert _leftovers(store) == []
    files = {p.name for p in info.path.iterdir()}
    assert {"model.bin", "config.json", "source.spm", "target.spm", "metadata.json"} <= files
    meta = json.loads((info.path / "metadata.json").read_text())
    assert meta == {
        "kind": "opus-mt",
        "from_code": "en",
        "to_code": "id",
        "package_version": "",
        "name": "en-id",
    }
    assert json.loads((info.path / "config.json").read_text())["add_source_eos"] is True
    # the Marian vocabulary came through intact (CTranslate2 adds <s>, which Marian lacks)
    assert [t for t in converted_vocabulary(info.path) if t != "<s>"] == marian.vocab(marian.en_id)
    for name in ("source.spm", "target.spm"):
        assert (info.path / name).read_bytes() == (marian.en_id / name).read_bytes()


def test_int8_quantization_makes_a_smaller_model(marian: TinyMarian, tmp_path: Path) -> None:
    full = ModelStore(tmp_path / "f32").install_opus_mt(marian.en_id)
    small = ModelStore(tmp_path / "i8").install_opus_mt(marian.en_id, quantization="int8")
    assert (small.path / "model.bin").stat().st_size < (full.path / "model.bin").stat().st_size


@pytest.mark.parametrize(
    ("quantization", "compute_type", "loaded_as"),
    [(None, "float32", "float32"), ("int8", "auto", "int8")],
)
def test_get_translator_runs_the_converted_model(
    store: ModelStore,
    marian: TinyMarian,
    texts: list[str],
    quantization: str | None,
    compute_type: str,
    loaded_as: str,
) -> None:
    store.install_opus_mt(marian.en_id, quantization=quantization)
    options = {**OPTIONS, "compute_type": compute_type}
    translator = engines.get_translator("ctranslate2", "en", "id", store=store, options=options)
    assert isinstance(translator, CTranslate2Translator)
    assert translator.model_id == "opus-mt:en-id"
    assert translator.layout.kind == "opus-mt" and translator.layout.append_eos is False
    assert translator.compute_type == loaded_as

    out = translator.translate_batch(texts, "en", "id")
    assert len(out) == len(texts) and all(isinstance(s, str) for s in out)
    assert any(s.strip() for s in out)  # the model really produced text
    assert len(set(out)) > 1  # ... that depends on the input
    assert translator.translate_batch(texts, "en", "id") == out  # deterministic
    assert [translator.translate_batch([t], "en", "id")[0] for t in texts] == out  # batching
    assert out == _direct(translator.layout.ct2_dir, texts, loaded_as)
    # blank inputs keep their place and come back unchanged
    assert translator.translate_batch(["", texts[0], "  "], "en", "id") == ["", out[0], "  "]


def test_multi_target_model_with_source_prefix_token(
    store: ModelStore, marian: TinyMarian, texts: list[str]
) -> None:
    info = store.install_opus_mt(marian.en_mul, "en-id", source_prefix_token=">>ind<<")
    assert (info.pair, info.kind) == ("en-id", "opus-mt")
    meta = json.loads((info.path / "metadata.json").read_text())
    assert (meta["name"], meta["source_prefix_token"]) == ("en-mul", ">>ind<<")
    assert ">>ind<<" in converted_vocabulary(info.path)

    translator = engines.get_translator("ctranslate2", "en", "id", store=store, options=OPTIONS)
    assert isinstance(translator, CTranslate2Translator)
    assert translator.model_id == "opus-mt:en-mul"
    assert translator._tokenize(texts[0])[0] == ">>ind<<"
    out = translator.translate_batch(texts, "en", "id")
    assert len(out) == len(texts) and any(s.strip() for s in out)
    assert [translator.translate_batch([t], "en", "id")[0] for t in texts] == out
    ct = translator.compute_type
    assert out == _direct(info.path, texts, ct, prefix=">>ind<<")
    # the token reaches the model as itself: another language token, <unk> or no token at
    # all give different outputs
    others = [_direct(info.path, texts, ct, prefix=p) for p in (">>zsm<<", "<unk>", None)]
    assert all(other != out for other in others)


def test_default_pair_comes_from_the_directory_name(
    store: ModelStore, marian: TinyMarian, tmp_path: Path
) -> None:
    with pytest.raises(ModelInstallError, match="language pair"):
        store.install_opus_mt(marian.root)  # "tinymarian0": no xx-yy at the end
    assert store.install_opus_mt(marian.en_mul).pair == "en-mul"


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        ("special:model.yml", r"special:model\.yml is not a file in the archive"),
        ("Wemb", r"lacks weight matrices: encoder_Wemb, decoder_Wemb"),
        ("encoder_l2_self_Wq", r"lacks weight matrices: encoder_l2_self_Wq$"),
        ("decoder_l1_context_Wv", r"lacks weight matrices: decoder_l1_context_Wv$"),
        ("decoder_l2_ffn_W1", r"lacks weight matrices: decoder_l2_ffn_W1$"),
        ("decoder_l1_ffn_ffn_ln_scale", r"decoder_l1_ffn_ffn_ln_scale is not a file"),
    ],
)
def test_broken_npz_installs_nothing(
    store: ModelStore, marian: TinyMarian, tmp_path: Path, drop: str, message: str
) -> None:
    broken = marian.broken(tmp_path / "opus-mt-en-id", (drop,))
    with pytest.raises(ModelInstallError, match=message) as e:
        store.install_opus_mt(broken)
    assert str(e.value).startswith(f"cannot convert OPUS-MT model {broken}: ")
    assert store.list() == [] and _leftovers(store) == []


def test_failed_reinstall_keeps_the_installed_model(
    store: ModelStore, marian: TinyMarian, tmp_path: Path, texts: list[str]
) -> None:
    store.install_opus_mt(marian.en_id)
    before = CTranslate2Translator(store.path_for("en-id"), **OPTIONS)
    expected = before.translate_batch(texts[:3], "en", "id")
    broken = marian.broken(tmp_path / "opus-mt-en-id", ("encoder_l1_self_Wk",))
    with pytest.raises(ModelInstallError, match="encoder_l1_self_Wk"):
        store.install_opus_mt(broken)
    assert [(m.pair, m.kind) for m in store.list()] == [("en-id", "opus-mt")]
    assert _leftovers(store) == []
    after = CTranslate2Translator(store.path_for("en-id"), **OPTIONS)
    assert after.translate_batch(texts[:3], "en", "id") == expected


def test_missing_or_corrupt_npz_installs_nothing(
    store: ModelStore, marian: TinyMarian, tmp_path: Path
) -> None:
    src = marian.broken(tmp_path / "opus-mt-en-id", ())
    (src / NPZ_NAME).write_bytes(b"not a zip")
    with pytest.raises(ModelInstallError, match="cannot convert OPUS-MT model"):
        store.install_opus_mt(src)
    (src / NPZ_NAME).unlink()
    with pytest.raises(ModelInstallError, match="No such file"):
        store.install_opus_mt(src)
    assert store.list() == [] and _leftovers(store) == []
