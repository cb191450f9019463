"""Engine choice per language pair: config, fallback order, provenance, pivoting through
English, and ``warta translate --engine`` — with the tiny real model and local API fakes."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import WartaEnv
from tests.support.tinymodel import TinyModel
from tests.support.translate_fakes import FakeDeepL, FakeLibreTranslate, fake_translate, json_reply
from warta.config import Config, load_config
from warta.core.document import Block, Document
from warta.core.errors import ConfigError, ModelNotInstalledError, TranslateError
from warta.core.translate import engines
from warta.core.translate.ct2 import CTranslate2Translator
from warta.core.translate.document import translate_document
from warta.core.translate.models import ModelStore
from warta.core.translate.routing import FallbackTranslator, PivotTranslator, translator_for_pair

EN_ID = "argos:translate-en_id-1_0"


@pytest.fixture
def store(tmp_path: Path, tiny: TinyModel) -> Iterator[ModelStore]:
    """A models dir holding the tiny en-id model."""
    root = tmp_path / "models"
    root.mkdir()
    (root / "en-id").symlink_to(tiny.package_dir)
    engines.clear_cache()
    yield ModelStore(root)
    engines.clear_cache()


def install_ja_en(store: ModelStore, tiny: TinyModel) -> None:
    """The tiny model again, labelled ja→en (a stand-in for a real ja-en package)."""
    dest = store.root / "ja-en"
    shutil.copytree(tiny.package_dir, dest)
    meta = json.loads((dest / "metadata.json").read_text())
    meta.update(from_code="ja", to_code="en", code="translate-ja_en")
    (dest / "metadata.json").write_text(json.dumps(meta))


@pytest.fixture
def libre() -> Iterator[FakeLibreTranslate]:
    server = FakeLibreTranslate()
    yield server
    server.stop()


@pytest.fixture
def deepl() -> Iterator[FakeDeepL]:
    server = FakeDeepL(auth_key="dl-key")
    yield server
    server.stop()


def closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def config(tmp_path: Path, toml: str = "", **env: str) -> dict[str, Any]:
    path = tmp_path / "warta.toml"
    path.write_text(toml)
    return load_config(env={"WARTA_CONFIG": str(path), "WARTA_DATA_DIR": str(tmp_path / "d"),
                            **env}).values


def engines_toml(libre_url: str, deepl_url: str, order: str) -> str:
    return f"""
[translate.pairs.en-id]
engines = {order}

[translate.libretranslate]
url = "{libre_url}"
retries = 0

[translate.deepl]
url = "{deepl_url}"
api_key = "dl-key"
retries = 0
"""


# -- choosing and falling back ------------------------------------------------------------

def test_a_pair_without_entry_uses_the_default_engine(tmp_path: Path, store: ModelStore,
                                                      tiny: TinyModel) -> None:
    t = translator_for_pair("en", "id", config(tmp_path), store=store)
    assert isinstance(t, FallbackTranslator)
    assert t.translate_batch(["Police in the city."], "en", "id") == ["Police di itu city."]
    assert (t.name, t.model_id) == ("ctranslate2", EN_ID)


def test_the_first_engine_that_works_is_the_only_one_asked(
    tmp_path: Path, store: ModelStore, libre: FakeLibreTranslate, deepl: FakeDeepL
) -> None:
    cfg = config(tmp_path, engines_toml(libre.url(), deepl.url(), '["libretranslate", "deepl"]'))
    t = translator_for_pair("en", "id", cfg, store=store)
    assert t.translate_batch(["Hello."], "en", "id") == [fake_translate("Hello.", "en", "id")]
    assert t.name == "libretranslate"
    assert t.model_id == f"libretranslate@127.0.0.1:{libre.port}"
    assert deepl.requests == []


def test_an_unreachable_engine_hands_the_batch_to_the_next(
    tmp_path: Path, store: ModelStore, deepl: FakeDeepL
) -> None:
    cfg = config(tmp_path, engines_toml(closed_url(), deepl.url(), '["libretranslate", "deepl"]'))
    t = translator_for_pair("en", "id", cfg, store=store)
    assert t.translate_batch(["Hello."], "en", "id") == ["[en>id] Hello."]
    assert (t.name, t.model_id) == ("deepl", "deepl:v2")
    assert deepl.requests[0].body["target_lang"] == "ID"


def test_a_pair_without_installed_model_skips_ctranslate2(
    tmp_path: Path, store: ModelStore, libre: FakeLibreTranslate
) -> None:
    cfg = config(tmp_path, f'[translate.pairs]\nen-de = ["ctranslate2", "libretranslate"]\n'
                           f'[translate.libretranslate]\nurl = "{libre.url()}"\n')
    t = translator_for_pair("en", "de", cfg, store=store)
    assert t.translate_batch(["Hello."], "en", "de") == ["[en>de] Hello."]
    assert t.name == "libretranslate"


def test_model_first_then_http_engine(tmp_path: Path, store: ModelStore,
                                      libre: FakeLibreTranslate) -> None:
    cfg = config(tmp_path, f'[translate.pairs]\nen-id = ["ctranslate2", "libretranslate"]\n'
                           f'[translate.libretranslate]\nurl = "{libre.url()}"\n')
    t = translator_for_pair("en", "id", cfg, store=store)
    assert t.translate_batch(["Police in the city."], "en", "id") == ["Police di itu city."]
    assert t.name == "ctranslate2" and libre.requests == []


def test_a_failed_engine_goes_last_and_provenance_lists_every_engine_used(
    tmp_path: Path, store: ModelStore, libre: FakeLibreTranslate, deepl: FakeDeepL
) -> None:
    libre.script = [json_reply(500, {"error": "Cannot translate text: busy"})]
    deepl.quota_chars = len("First.")  # enough for the first batch only
    cfg = config(tmp_path, engines_toml(libre.url(), deepl.url(), '["libretranslate", "deepl"]'))
    t = translator_for_pair("en", "id", cfg, store=store)
    assert t.translate_batch(["First."], "en", "id") == ["[en>id] First."]  # deepl
    assert t.name == "deepl"
    # batch 2: deepl (healthy) first; its quota is gone (456), libretranslate takes it
    assert t.translate_batch(["Second."], "en", "id") == ["[en>id] Second."]
    assert t.name == "deepl,libretranslate"
    assert t.model_id == f"deepl:v2, libretranslate@127.0.0.1:{libre.port}"
    assert [r.body["q"] for r in libre.requests] == [["First."], ["Second."]]
    assert len(deepl.requests) == 2


def test_every_engine_failing_names_each_failure(tmp_path: Path, store: ModelStore,
                                                 deepl: FakeDeepL) -> None:
    deepl.quota_chars = 0
    dead = closed_url()
    cfg = config(tmp_path, engines_toml(dead, deepl.url(), '["libretranslate", "deepl"]'))
    t = translator_for_pair("en", "id", cfg, store=store)
    with pytest.raises(TranslateError) as err:
        t.translate_batch(["Hello."], "en", "id")
    message = str(err.value)
    assert message.startswith("every engine failed for en-id: libretranslate: "
                              f"LibreTranslate at {dead}: could not connect")
    assert message.endswith("; deepl: DeepL: quota exceeded (HTTP 456)")


def test_a_whole_document_through_the_fallback(tmp_path: Path, store: ModelStore,
                                               deepl: FakeDeepL) -> None:
    cfg = config(tmp_path, engines_toml(closed_url(), deepl.url(), '["libretranslate", "deepl"]'))
    doc = Document(url="https://example.com/a", title="Rain in Jakarta.",
                   blocks=[Block("p", "Roads flooded. Schools closed."),
                           Block("quote", "“Stay home.”")])
    t = translator_for_pair("en", "id", cfg, store=store)
    out = translate_document(doc, t, "en", "id")
    assert out.title == "[en>id] Rain in Jakarta."
    assert out.blocks[0].text == "[en>id] Roads flooded. [en>id] Schools closed."
    assert out.blocks[1].text == "“[en>id] Stay home.”"
    assert t.name == "deepl"


# -- forcing an engine, bad names ---------------------------------------------------------

def test_forced_engine_ignores_the_pair_order(tmp_path: Path, store: ModelStore,
                                              deepl: FakeDeepL) -> None:
    cfg = config(tmp_path, engines_toml(closed_url(), deepl.url(), '["ctranslate2"]'))
    t = translator_for_pair("en", "id", cfg, store=store, engine="deepl")
    t.translate_batch(["Hello."], "en", "id")
    assert t.name == "deepl" and len(deepl.requests) == 1


def test_unknown_engine_lists_the_known_ones(tmp_path: Path, store: ModelStore) -> None:
    with pytest.raises(TranslateError, match=r"known engines: ctranslate2, libretranslate, "
                                             r"deepl, openai"):
        translator_for_pair("en", "id", config(tmp_path), store=store, engine="babelfish")


def test_an_engine_without_its_key_is_a_config_error(tmp_path: Path, store: ModelStore) -> None:
    cfg = config(tmp_path, '[translate.pairs]\nen-id = ["ctranslate2", "deepl"]\n')
    with pytest.raises(ConfigError) as err:
        translator_for_pair("en", "id", cfg, store=store)
    assert err.value.key == "translate.deepl.api_key"


def test_engine_settings_reach_the_engine(tmp_path: Path, store: ModelStore,
                                          libre: FakeLibreTranslate) -> None:
    cfg = config(tmp_path, f'[translate]\nengine = "libretranslate"\n'
                           f'[translate.libretranslate]\nurl = "{libre.url()}"\nbatch_size = 2\n',
                 WARTA_TRANSLATE_LIBRETRANSLATE_API_KEY="from-env")
    t = translator_for_pair("en", "id", cfg, store=store)
    t.translate_batch(["a.", "b.", "c."], "en", "id")
    assert [r.body["q"] for r in libre.requests] == [["a.", "b."], ["c."]]
    assert {r.body["api_key"] for r in libre.requests} == {"from-env"}


# -- pivoting -----------------------------------------------------------------------------

def test_pivot_through_english_with_two_models(tmp_path: Path, store: ModelStore,
                                               tiny: TinyModel) -> None:
    install_ja_en(store, tiny)
    t = translator_for_pair("ja", "id", config(tmp_path), store=store)
    assert isinstance(t, PivotTranslator)
    model = CTranslate2Translator(tiny.package_dir)
    text = "The president said the new policy on Monday."
    twice = model.translate_batch(model.translate_batch([text], "en", "id"), "en", "id")
    assert t.translate_batch([text], "ja", "id") == twice
    assert t.name == "ctranslate2+pivot:en"
    assert t.model_id == "argos:translate-ja_en-1_0 → argos:translate-en_id-1_0"


def test_pivot_with_an_http_leg_and_a_model(tmp_path: Path, store: ModelStore,
                                            libre: FakeLibreTranslate) -> None:
    libre.translate = lambda text, source, target: "Police in the city."
    cfg = config(tmp_path, f'[translate.pairs]\nja-en = ["libretranslate"]\n'
                           f'[translate.libretranslate]\nurl = "{libre.url()}"\n')
    t = translator_for_pair("ja", "id", cfg, store=store)
    assert t.translate_batch(["市内の警察。", ""], "ja", "id") == ["Police di itu city.", ""]
    assert libre.requests[0].body | {"q": None} == {
        "q": None, "source": "ja", "target": "en", "format": "text"}
    assert t.name == "libretranslate+ctranslate2+pivot:en"
    assert t.model_id == f"libretranslate@127.0.0.1:{libre.port} → {EN_ID}"


def test_no_pivot_when_disabled_or_a_leg_is_missing(tmp_path: Path, store: ModelStore,
                                                    tiny: TinyModel) -> None:
    with pytest.raises(ModelNotInstalledError) as err:
        translator_for_pair("ja", "id", config(tmp_path), store=store)  # no ja-en model
    assert err.value.pair == "ja-id" and "warta models install ja-id" in str(err.value)
    install_ja_en(store, tiny)
    with pytest.raises(ModelNotInstalledError):
        translator_for_pair("ja", "id", config(tmp_path, WARTA_TRANSLATE_PIVOT=""), store=store)


# -- configuration ------------------------------------------------------------------------

def test_pairs_in_toml_table_shorthand_and_environment(tmp_path: Path) -> None:
    cfg = config(tmp_path, '[translate.pairs.en-id]\nengines = ["ctranslate2", "deepl"]\n'
                           '[translate.pairs]\nja-id = ["openai"]\n')
    assert cfg["translate.pairs"] == {"en-id": ["ctranslate2", "deepl"], "ja-id": ["openai"]}
    env = config(tmp_path, "",
                 WARTA_TRANSLATE_PAIRS="en-id=libretranslate, ctranslate2; ja-id=deepl")
    assert env["translate.pairs"] == {"en-id": ["libretranslate", "ctranslate2"],
                                      "ja-id": ["deepl"]}


@pytest.mark.parametrize(("toml", "env", "key"), [
    ('[translate.pairs.en-id]\nengines = ["babelfish"]\n', {}, "translate.pairs.en-id.engines"),
    ('[translate.pairs.en-id]\nengine = ["deepl"]\n', {}, "translate.pairs.en-id.engine"),
    ('[translate.pairs]\nenglish = ["deepl"]\n', {}, "translate.pairs.english"),
    ('[translate.pairs]\nen-id = []\n', {}, "translate.pairs.en-id.engines"),
    ("", {"WARTA_TRANSLATE_PAIRS": "en-id"}, "translate.pairs"),
    ('[translate.deepl]\ncolour = "red"\n', {}, "translate.deepl.colour"),
    ('[translate.bing]\nurl = "x"\n', {}, "translate.bing"),
    ("", {"WARTA_TRANSLATE_OPENAI_TIMEOUT": "soon"}, "translate.openai.timeout"),
    ('[translate.deepl]\napi_key_file = "/nonexistent/key"\n', {}, "translate.deepl.api_key_file"),
])
def test_bad_engine_config_names_the_key(tmp_path: Path, toml: str, env: dict[str, str],
                                         key: str) -> None:
    with pytest.raises(ConfigError) as err:
        config(tmp_path, toml, **env)
    assert err.value.key == key


def test_api_keys_from_env_or_file_and_masked(tmp_path: Path) -> None:
    key_file = tmp_path / "deepl.key"
    key_file.write_text("from-file:fx\n")
    path = tmp_path / "warta.toml"
    path.write_text(f'[translate.deepl]\napi_key_file = "{key_file}"\n')
    cfg = load_config(env={"WARTA_CONFIG": str(path), "WARTA_DATA_DIR": str(tmp_path / "d"),
                           "WARTA_TRANSLATE_OPENAI_API_KEY": "sk-env"})
    assert cfg["translate.deepl.api_key"] == "from-file:fx"
    assert cfg["translate.openai.api_key"] == "sk-env"
    masked = cfg.masked()
    assert masked["translate.deepl.api_key"] == masked["translate.openai.api_key"] == "********"
    assert masked["translate.libretranslate.api_key"] == ""  # unset: nothing to hide


# -- the newsroom and the command line ----------------------------------------------------

@pytest.mark.django_db
def test_translate_article_stores_the_engine_that_produced_the_text(
    settings: Any, tmp_path: Path, store: ModelStore, libre: FakeLibreTranslate
) -> None:
    from warta.newsroom.translation import translate_article

    values = dict(settings.WARTA.values)
    values.update({"translate.models_dir": str(store.root),
                   "translate.pairs": {"en-de": ["ctranslate2", "libretranslate"]},
                   "translate.libretranslate.url": libre.url()})
    settings.WARTA = Config(values, None)
    doc = Document(url="https://example.com/a", title="Rain.", blocks=[Block("p", "Floods.")])
    result = translate_article(doc, "en", "de")
    assert (result.engine, result.model_id) == (
        "libretranslate", f"libretranslate@127.0.0.1:{libre.port}")
    assert result.doc.blocks[0].text == "[en>de] Floods."


@pytest.mark.slow
def test_cli_engine_flag_and_pair_fallback(warta: WartaEnv, libre: FakeLibreTranslate,
                                           deepl: FakeDeepL, tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("Rain fell. Roads flooded.\n\nSchools closed.")
    env = {"WARTA_TRANSLATE_LIBRETRANSLATE_URL": libre.url(),
           "WARTA_TRANSLATE_DEEPL_URL": deepl.url(), "WARTA_TRANSLATE_DEEPL_API_KEY": "dl-key"}
    out = json.loads(warta.run("translate", "--engine", "deepl", "--json", str(src), **env).stdout)
    assert (out["engine"], out["model_id"]) == ("deepl", "deepl:v2")
    assert out["text"] == "[en>id] Rain fell. [en>id] Roads flooded.\n\n[en>id] Schools closed."
    assert libre.requests == []
    # no model installed: the pair's order falls through to LibreTranslate
    out = json.loads(warta.run("translate", "--json", str(src), **env,
                               WARTA_TRANSLATE_PAIRS="en-id=ctranslate2,libretranslate").stdout)
    # every paragraph's sentences go to the engine in one batch, as in the pipeline
    assert out["engine"] == "libretranslate" and len(libre.requests) == 1
    bad = warta.run("translate", "--engine", "babelfish", str(src), check=False)
    assert bad.returncode == 1
    assert bad.stderr.strip() == ("warta: error: unknown translation engine 'babelfish' "
                                  "(known engines: ctranslate2, libretranslate, deepl, openai)")


def test_engine_options_from_config_reach_ctranslate2(tmp_path: Path, store: ModelStore) -> None:
    t = translator_for_pair("en", "id", config(tmp_path, WARTA_TRANSLATE_MAX_BATCH_SIZE="128",
                                               WARTA_TRANSLATE_BEAM_SIZE="1"), store=store)
    assert isinstance(t, FallbackTranslator)
    (ct2,) = t.translators
    assert isinstance(ct2, CTranslate2Translator)
    assert (ct2.max_batch_size, ct2.beam_size) == (128, 1)
