"""warta's one settings object: defaults < warta.toml < WARTA_* environment < CLI flags.

Every key is documented in docs/config.md (a test checks that). Values are validated when
loaded: a bad key or value raises ``ConfigError`` naming the key, never a crash later.
Secrets may come from a file: ``WARTA_SECRET_KEY_FILE`` or ``secret_key_file`` in the toml.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warta.core.errors import ConfigError

# section -> key -> (type, default). ``None`` defaults are filled from other values.
SCHEMA: dict[str, dict[str, tuple[type, Any]]] = {
    "": {
        "data_dir": (str, "warta-data"),
        "database_url": (str, None),
        "broker_url": (str, ""),
        "secret_key": (str, None),
        "secret_key_file": (str, ""),
        "debug": (bool, False),
        "allowed_hosts": (str, "127.0.0.1,localhost"),
        "https": (bool, False),
    },
    "database": {
        "conn_max_age": (int, 60),
        "pool": (bool, False),
        "pool_min_size": (int, 2),
        "pool_max_size": (int, 10),
        "pool_timeout": (float, 30.0),
        "connect_timeout": (int, 10),
    },
    "site": {
        "name": (str, "Warta"),
        "tagline": (str, "Dapatkan berita terbaru"),
        "base_url": (str, "http://127.0.0.1:8000"),
        "language": (str, "id"),
        "timezone": (str, "Asia/Jakarta"),
        "page_size": (int, 20),
        "feed_full_content": (bool, False),
        "logo_url": (str, ""),
        # speed (docs/site.md "Caching", docs/deploy.md "The web server")
        "cache_url": (str, ""),
        "cache_seconds": (int, 600),
        "cache_entries": (int, 2000),
        "cache_check_seconds": (float, 5.0),
        "fast_lane_mb": (int, 32),
        "max_age": (int, 60),
        "article_max_age": (int, 300),
        "stale_while_revalidate": (int, 600),
        "server": (str, "granian"),
        "workers": (int, 0),
        "threads": (int, 4),
    },
    "fetch": {
        "timeout": (float, 20.0),
        "max_bytes": (int, 10_000_000),
        "poll_interval": (int, 900),
        "user_agent": (str, ""),
        "contact_url": (str, ""),
        "allow_private": (str, ""),
        "per_host": (int, 2),
        "workers": (int, 1),
        "robots_ttl": (int, 3600),
    },
    "translate": {
        "source": (str, "en"),
        "target": (str, "id"),
        "engine": (str, "ctranslate2"),
        "models_dir": (str, None),
        "index_url": (str, "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json"),
        "device": (str, "cpu"),
        "compute_type": (str, "int8"),
        "beam_size": (int, 2),
        "max_batch_size": (int, 32),
        "max_batch_tokens": (int, 0),
        "inter_threads": (int, 1),
        "intra_threads": (int, 0),
        "missing_model": (str, "wait"),
        "pairs": (dict, {}),
        "pivot": (str, "en"),
        "breaker_failures": (int, 3),
        "breaker_cooldown": (float, 60.0),
        "glossary": (str, "bundled"),
        "localise_numbers": (bool, True),
        "quality_ignore": (str, ""),
    },
    "translate.libretranslate": {
        "url": (str, "http://127.0.0.1:5000"),
        "api_key": (str, ""),
        "api_key_file": (str, ""),
        "timeout": (float, 30.0),
        "retries": (int, 3),
        "rate_limit": (float, 0.0),
        "batch_size": (int, 32),
        "max_chars": (int, 10_000),
    },
    "translate.deepl": {
        "url": (str, ""),
        "api_key": (str, ""),
        "api_key_file": (str, ""),
        "timeout": (float, 20.0),
        "retries": (int, 3),
        "rate_limit": (float, 0.0),
        "batch_size": (int, 50),
        "max_chars": (int, 30_000),
    },
    "translate.openai": {
        "base_url": (str, "http://127.0.0.1:11434/v1"),
        "model": (str, ""),
        "api_key": (str, ""),
        "api_key_file": (str, ""),
        "timeout": (float, 120.0),
        "retries": (int, 2),
        "rate_limit": (float, 0.0),
        "batch_size": (int, 16),
        "max_chars": (int, 4000),
    },
    "email": {
        "host": (str, "localhost"),
        "port": (int, 25),
        "user": (str, ""),
        "password": (str, ""),
        "password_file": (str, ""),
        "from": (str, "Warta <noreply@localhost>"),
        "tls": (bool, False),
        "timeout": (float, 30.0),
    },
    "newsletter": {
        "batch_size": (int, 100),
        "rate_limit": (float, 0.0),
        "confirm_hours": (int, 72),
        "subscribe_limit": (int, 10),
        "alert_delay": (float, 60.0),
    },
    "api": {
        "page_size": (int, 20),
        "max_page_size": (int, 100),
        "max_age": (int, 60),
    },
    "websub": {
        "hub": (str, ""),
        "timeout": (float, 10.0),
        "retries": (int, 4),
        "retry_base": (float, 2.0),
    },
    "pipeline": {
        "workers": (int, 2),
        "lease_seconds": (int, 300),
        "retry_base": (int, 60),
        "retry_cap": (int, 6 * 3600),
        "max_attempts": (int, 0),
    },
}

CHOICES: dict[str, tuple[str, ...]] = {
    "translate.missing_model": ("wait", "publish_untranslated"),
    "translate.device": ("cpu", "cuda", "auto"),
}
SECRET_KEYS = {"secret_key", "database_url", "broker_url", "api_key", "password"}
TRANSLATE_ENGINES = ("ctranslate2", "libretranslate", "deepl", "openai")


def _env_name(section: str, key: str) -> str:
    return "WARTA_" + (f"{section}_{key}" if section else key).upper().replace(".", "_")


def _coerce(name: str, typ: type, value: Any) -> Any:
    if typ is dict:
        return _coerce_pairs(name, value)
    if typ is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(name, f"expected true or false, got {value!r}")
    try:
        return typ(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(name, f"expected {typ.__name__}, got {value!r}") from e


def _coerce_pairs(name: str, value: Any) -> dict[str, list[str]]:
    """``translate.pairs``: ``{"en-id": {"engines": [...]}}`` or ``{"en-id": [...]}`` from
    the toml, or ``"en-id=ctranslate2,libretranslate; ja-id=deepl"`` from the environment,
    normalised to ``{"en-id": ["ctranslate2", "libretranslate"]}``."""
    if isinstance(value, str):
        parsed: dict[str, Any] = {}
        for item in filter(None, (part.strip() for part in value.split(";"))):
            pair, sep, engines = item.partition("=")
            if not sep:
                raise ConfigError(name, f"expected PAIR=ENGINE,ENGINE;... got {item!r}")
            parsed[pair.strip()] = [e.strip() for e in engines.split(",") if e.strip()]
        value = parsed
    if not isinstance(value, dict):
        raise ConfigError(name, f"expected a table of language pairs, got {value!r}")
    pairs: dict[str, list[str]] = {}
    for pair, spec in value.items():
        key = f"{name}.{pair}"
        src, dash, tgt = str(pair).partition("-")
        if not (dash and src.isalpha() and tgt.replace("-", "").isalpha()):
            raise ConfigError(key, "a pair is written SOURCE-TARGET, e.g. en-id")
        if isinstance(spec, dict):
            unknown = set(spec) - {"engines"}
            if unknown:
                raise ConfigError(f"{key}.{sorted(unknown)[0]}", "unknown key")
            spec = spec.get("engines")
        if not isinstance(spec, list) or not spec or not all(isinstance(e, str) for e in spec):
            raise ConfigError(f"{key}.engines", "expected a non-empty list of engine names")
        for engine in spec:
            if engine not in TRANSLATE_ENGINES:
                raise ConfigError(f"{key}.engines", f"unknown engine {engine!r} (known "
                                  f"engines: {', '.join(TRANSLATE_ENGINES)})")
        pairs[str(pair)] = list(spec)
    return pairs


@dataclass(frozen=True)
class Config:
    values: dict[str, Any]
    path: Path | None

    def __getitem__(self, dotted: str) -> Any:
        return self.values[dotted]

    def get(self, dotted: str, default: Any = None) -> Any:
        return self.values.get(dotted, default)

    @property
    def data_dir(self) -> Path:
        return Path(self.values["data_dir"])

    def masked(self) -> dict[str, Any]:
        """Effective values with secrets masked, for ``warta config show``."""
        out = {}
        for k, v in self.values.items():
            out[k] = "********" if k.split(".")[-1] in SECRET_KEYS and v else v
        return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), f"not valid TOML: {e}") from e


def _flatten_toml(data: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            if key not in SCHEMA or not key:
                raise ConfigError(key, "unknown section")
            for sub, v in value.items():
                if isinstance(v, dict) and sub not in SCHEMA[key]:  # [translate.deepl]
                    flat.update(_flatten_toml({f"{key}.{sub}": v}))
                    continue
                if sub not in SCHEMA[key]:
                    raise ConfigError(f"{key}.{sub}", "unknown key")
                flat[f"{key}.{sub}"] = v
        else:
            if key not in SCHEMA[""]:
                raise ConfigError(key, "unknown key")
            flat[key] = value
    return flat


def load_config(
    path: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Config:
    """Build the effective configuration. ``path`` defaults to $WARTA_CONFIG, then
    ./warta.toml when it exists. Raises ConfigError for unknown keys or bad values."""
    env = dict(os.environ if env is None else env)
    cfg_path = Path(path or env.get("WARTA_CONFIG") or "warta.toml")
    if str(cfg_path) == os.devnull:  # WARTA_CONFIG=/dev/null: defaults and environment only
        cfg_path = Path("/nonexistent/warta.toml")
    elif (path or env.get("WARTA_CONFIG")) and not cfg_path.is_file():
        raise ConfigError("WARTA_CONFIG", f"config file {cfg_path} does not exist")
    from_file = _flatten_toml(_read_toml(cfg_path)) if cfg_path.is_file() else {}
    values: dict[str, Any] = {}
    for section, keys in SCHEMA.items():
        for key, (typ, default) in keys.items():
            dotted = f"{section}.{key}" if section else key
            value = default
            if dotted in from_file:
                value = from_file[dotted]
            if _env_name(section, key) in env:
                value = env[_env_name(section, key)]
            if overrides and overrides.get(dotted) is not None:
                value = overrides[dotted]
            values[dotted] = None if value is None else _coerce(dotted, typ, value)
            if dotted in CHOICES and values[dotted] not in CHOICES[dotted]:
                raise ConfigError(dotted, f"must be one of {', '.join(CHOICES[dotted])}")
    from warta.core.net import NetworkGuard

    NetworkGuard.from_setting(values["fetch.allow_private"])  # ConfigError now, not at a fetch
    base = cfg_path.parent if cfg_path.is_file() else Path.cwd()
    data_dir = Path(values["data_dir"]).expanduser()
    values["data_dir"] = str(data_dir if data_dir.is_absolute() else (base / data_dir).resolve())
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{Path(values['data_dir']) / 'warta.sqlite3'}"
    if not values["translate.models_dir"]:
        values["translate.models_dir"] = str(Path(values["data_dir"]) / "models")
    values["secret_key"] = _secret_key(values, env)
    _read_key_files(values)
    return Config(values, cfg_path if cfg_path.is_file() else None)


def _read_key_files(values: dict[str, Any]) -> None:
    """``x.api_key_file`` (and ``email.password_file``) fills ``x.api_key`` (and
    ``email.password``) when that is not set directly."""
    for dotted in [k for k in values if k.endswith((".api_key_file", ".password_file"))]:
        target = dotted.removesuffix("_file")
        if values[dotted] and not values.get(target):
            try:
                values[target] = Path(values[dotted]).expanduser().read_text().strip()
            except OSError as e:
                raise ConfigError(dotted, f"cannot read {values[dotted]}: {e}") from e


def _secret_key(values: dict[str, Any], env: dict[str, str]) -> str:
    """Explicit key, else a key file, else one generated once into the data dir."""
    if values["secret_key"]:
        return str(values["secret_key"])
    key_file = env.get("WARTA_SECRET_KEY_FILE") or values["secret_key_file"]
    if key_file:
        try:
            return Path(key_file).read_text().strip()
        except OSError as e:
            raise ConfigError("secret_key_file", f"cannot read {key_file}: {e}") from e
    stored = Path(values["data_dir"]) / "secret_key"
    if stored.is_file():
        return stored.read_text().strip()
    try:
        stored.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    except FileExistsError:
        pass
    except OSError as e:
        raise ConfigError("data_dir", f"cannot write {stored}: {e}") from e
    return stored.read_text().strip()


def config_template() -> str:
    """A starter warta.toml: every key, commented out at its default (``warta init``)."""
    lines = ["# warta configuration. Every key is documented in docs/config.md;",
             "# uncomment a line to change it. WARTA_* environment variables override these."]
    for section, keys in SCHEMA.items():
        lines.append("")
        if section:
            lines.append(f"[{section}]")
        for key, (typ, default) in keys.items():
            if key in SECRET_KEYS:
                lines.append(f"# {key} = ...  (secret: better set {_env_name(section, key)})")
                continue
            if default is None:
                lines.append(f"# {key} = ...  (derived from data_dir; see docs/config.md)")
                continue
            value = str(default).lower() if typ is bool else repr(default).replace("'", '"')
            lines.append(f"# {key} = {value}")
    return "\n".join(lines) + "\n"
