from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from warta.config import SCHEMA, load_config
from warta.core.errors import ConfigError

DOCS = Path(__file__).resolve().parent.parent / "docs" / "config.md"


def _keys() -> list[str]:
    return [f"{s}.{k}" if s else k for s, keys in SCHEMA.items() for k in keys]


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    documented = set(re.findall(r"^\| `([a-z_.]+)` \|", text, re.M))
    assert set(_keys()) == documented


def test_precedence_defaults_toml_env_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "warta.toml"
    toml.write_text('[site]\nname = "Dari Toml"\npage_size = 5\n[translate]\nbeam_size = 3\n')
    env = {"WARTA_CONFIG": str(toml), "WARTA_SITE_PAGE_SIZE": "7"}
    cfg = load_config(env=env, overrides={"translate.beam_size": 4})
    assert cfg["site.name"] == "Dari Toml"
    assert cfg["site.page_size"] == 7
    assert cfg["translate.beam_size"] == 4
    assert cfg["site.tagline"] == "Dapatkan berita terbaru"
    assert cfg.data_dir == tmp_path / "warta-data"
    assert cfg["database_url"] == f"sqlite:///{tmp_path / 'warta-data' / 'warta.sqlite3'}"


@pytest.mark.parametrize(
    ("toml", "env", "key"),
    [
        ("[site]\ncolour = 'red'\n", {}, "site.colour"),
        ("[nonsense]\nx = 1\n", {}, "nonsense"),
        ("", {"WARTA_SITE_PAGE_SIZE": "many"}, "site.page_size"),
        ("", {"WARTA_DEBUG": "perhaps"}, "debug"),
        ("", {"WARTA_TRANSLATE_MISSING_MODEL": "guess"}, "translate.missing_model"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, toml: str, env: dict[str, str], key: str) -> None:
    path = tmp_path / "warta.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(env={"WARTA_CONFIG": str(path), **env})
    assert err.value.key == key
    assert key in str(err.value)


def test_secret_key_generated_once_and_kept(tmp_path: Path) -> None:
    env = {"WARTA_DATA_DIR": str(tmp_path)}
    first = load_config(env=env)
    second = load_config(env=env)
    assert first["secret_key"] == second["secret_key"]
    assert len(first["secret_key"]) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first.masked()["secret_key"] == "********"


def test_secret_key_from_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("s3cret-from-file\n")
    cfg = load_config(env={"WARTA_DATA_DIR": str(tmp_path), "WARTA_SECRET_KEY_FILE": str(key_file)})
    assert cfg["secret_key"] == "s3cret-from-file"


def test_missing_config_file_named_in_env_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(env={"WARTA_CONFIG": str(tmp_path / "nope.toml")})


def test_init_template_uncommented_gives_the_defaults(tmp_path: Path) -> None:
    from warta.config import config_template

    lines = []
    for line in config_template().splitlines():
        if line.startswith("# ") and " = " in line and "..." not in line:
            lines.append(line[2:])
        elif not line.startswith("#"):
            lines.append(line)
    path = tmp_path / "warta.toml"
    path.write_text("\n".join(lines))
    env = {"WARTA_DATA_DIR": str(tmp_path)}
    defaults = load_config(env={**env, "WARTA_CONFIG": os.devnull})
    assert load_config(path=path, env=env).values == defaults.values
