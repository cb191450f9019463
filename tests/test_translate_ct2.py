from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from tests.support.tinymodel import DATA, TinyModel
from warta.core.errors import ConfigError, ModelNotInstalledError, TranslateError
from warta.core.translate import engines
from warta.core.translate.base import Translator
from warta.core.translate.ct2 import CTranslate2Translator, detect_layout
from warta.core.translate.models import ModelStore


@pytest.fixture(scope="session")
def translator(tiny: TinyModel) -> CTranslate2Translator:
    return CTranslate2Translator(tiny.package_dir)


def test_loads_argos_package_layout(translator: CTranslate2Translator) -> None:
    assert isinstance(translator, Translator)
    assert translator.name == "ctranslate2"
    assert translator.model_id == "argos:translate-en_id-1_0"
    assert translator.layout.kind == "argos"
    assert translator.compute_type == "int8"  # "auto" on CPU


def test_output_is_the_exact_expected_string(translator: CTranslate2Translator) -> None:
    out = translator.translate_batch(["The president said the new policy on Monday."], "en", "id")
    # the rigged model swaps whole-word pieces from its dictionary and copies the rest
    assert out == ["The president kata itu new policy on Monday."]


def test_batched_equals_one_at_a_time_in_input_order(tiny: TinyModel) -> None:
    lines = (DATA / "en.txt").read_text().splitlines()
    # mixed lengths, shuffled so that sorting by length really reorders them
    texts = [lines[i] + (" " + lines[i + 1]) * (i % 3) for i in range(0, 60, 2)]
    small_batches = CTranslate2Translator(tiny.package_dir, max_batch_size=4, beam_size=2)
    batched = small_batches.translate_batch(texts, "en", "id")
    singles = [small_batches.translate_batch([t], "en", "id")[0] for t in texts]
    assert batched == singles
    assert batched == [tiny.reference_translate(t) for t in texts]


def test_blank_inputs_come_back_unchanged(translator: CTranslate2Translator) -> None:
    assert translator.translate_batch(["", "  ", "Police in the city."], "en", "id") == [
        "",
        "  ",
        "Police di itu city.",
    ]


def test_unknown_characters_are_copied_from_the_source(translator: CTranslate2Translator) -> None:
    # "Z" never occurs in the training text: <unk>, replaced back by its source token
    assert translator.translate_batch(["Zed said"], "en", "id") == ["Zed kata"]


def test_wrong_pair_is_refused(translator: CTranslate2Translator) -> None:
    with pytest.raises(TranslateError, match="en-id, not en-de"):
        translator.translate_batch(["Hello."], "en", "de")


def test_not_a_model_directory(tmp_path: Path) -> None:
    with pytest.raises(TranslateError, match="not a model directory"):
        CTranslate2Translator(tmp_path)


def test_corrupt_model_file_raises_translate_error(tiny: TinyModel, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(tiny.package_dir, broken)
    (broken / "model" / "model.bin").write_bytes(b"not a model")
    with pytest.raises(TranslateError, match="cannot load model"):
        CTranslate2Translator(broken)


def _opus_layout(tiny: TinyModel, dest: Path, add_source_eos: bool) -> Path:
    shutil.copytree(tiny.package_dir / "model", dest)
    for name in ("source.spm", "target.spm"):
        shutil.copy(tiny.package_dir / "sentencepiece.model", dest / name)
    meta = {"kind": "opus-mt", "from_code": "en", "to_code": "id", "name": "en-id"}
    (dest / "metadata.json").write_text(json.dumps(meta))
    config = json.loads((dest / "config.json").read_text())
    config["add_source_eos"] = add_source_eos
    (dest / "config.json").write_text(json.dumps(config))
    return dest


@pytest.mark.parametrize("add_source_eos", [True, False])
def test_loads_converted_opus_mt_layout(
    tiny: TinyModel, tmp_path: Path, add_source_eos: bool
) -> None:
    # old conversions lack add_source_eos: then the translator appends </s> itself
    model = CTranslate2Translator(_opus_layout(tiny, tmp_path / "opus", add_source_eos))
    assert model.model_id == "opus-mt:en-id"
    assert model.layout.append_eos is not add_source_eos
    assert model.translate_batch(["Police in the city."], "en", "id") == ["Police di itu city."]


def test_prefix_tokens_from_metadata(tiny: TinyModel, tmp_path: Path) -> None:
    root = _opus_layout(tiny, tmp_path / "opus", True)
    meta = json.loads((root / "metadata.json").read_text())
    meta.update(source_prefix_token=">>ind<<", target_prefix_token="<s>")
    (root / "metadata.json").write_text(json.dumps(meta))
    model = CTranslate2Translator(root)
    assert model._tokenize("Police.")[0] == ">>ind<<"
    assert model._detokenize(["<s>", "▁P", "oli", "c", "e"]) == "Police"


def test_detect_layout_ignores_stanza_dir(tiny: TinyModel, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(tiny.package_dir, pkg)
    (pkg / "stanza").mkdir()
    assert detect_layout(pkg).ct2_dir == pkg / "model"


# -- engines.get_translator ---------------------------------------------------------------


@pytest.fixture
def store(tiny: TinyModel, tmp_path: Path) -> ModelStore:
    engines.clear_cache()
    store = ModelStore(tmp_path / "models")
    store.install_from_file(tiny.argosmodel)
    return store


def test_get_translator_caches_per_model_and_options(store: ModelStore) -> None:
    first = engines.get_translator("ctranslate2", "en", "id", store=store, options={})
    assert engines.get_translator("ctranslate2", "en", "id", store=store, options={}) is first
    other = engines.get_translator("ctranslate2", "en", "id", store=store, options={"beam_size": 1})
    assert other is not first
    assert other.translate_batch(["Police in the city."], "en", "id") == ["Police di itu city."]


def test_get_translator_loads_once_across_threads(store: ModelStore) -> None:
    got: list[Translator] = []

    def load() -> None:
        got.append(engines.get_translator("ctranslate2", "en", "id", store=store, options={}))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(t is got[0] for t in got)


def test_reinstall_loads_the_new_model(store: ModelStore, tiny: TinyModel) -> None:
    first = engines.get_translator("ctranslate2", "en", "id", store=store, options={})
    store.install_from_file(tiny.argosmodel)
    assert engines.get_translator("ctranslate2", "en", "id", store=store, options={}) is not first


def test_get_translator_unknown_engine_names_known_ones(store: ModelStore) -> None:
    with pytest.raises(TranslateError, match="known engines: ctranslate2"):
        engines.get_translator("babelfish", "en", "id", store=store, options={})


def test_get_translator_without_model_hints_install(store: ModelStore) -> None:
    with pytest.raises(ModelNotInstalledError, match="run `warta models install en-de`") as e:
        engines.get_translator("ctranslate2", "en", "de", store=store, options={})
    assert e.value.pair == "en-de"


@pytest.mark.parametrize("options", [{"beams": 2}, {"beam_size": "2"}, {"device": "tpu"}])
def test_get_translator_rejects_bad_options(store: ModelStore, options: dict[str, object]) -> None:
    with pytest.raises((ConfigError, TranslateError)):
        engines.get_translator("ctranslate2", "en", "id", store=store, options=options)
