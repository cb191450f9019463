"""``warta demo``: bundled sample sources, served locally, the whole pipeline, the site.

The demo keeps its own database under ``<data_dir>/demo`` (so it never mixes with a real
installation) but shares the installed translation models. Re-running it is idempotent:
the sample server uses a fixed port, so sources keep their URLs and nothing is duplicated.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from warta.config import load_config
from warta.core.errors import ModelInstallError, ModelNotInstalledError, WartaError


def _say(message: str) -> None:
    print(f"warta demo: {message}", flush=True)


def _prepare_environment(host: str, port: int) -> None:
    cfg = load_config()
    demo_dir = cfg.data_dir / "demo"
    os.environ["WARTA_DATA_DIR"] = str(demo_dir)
    # always its own SQLite file: the demo must never write into a real database
    os.environ["WARTA_DATABASE_URL"] = f"sqlite:///{demo_dir / 'warta.sqlite3'}"
    os.environ.setdefault("WARTA_TRANSLATE_MODELS_DIR", cfg["translate.models_dir"])
    os.environ["WARTA_TRANSLATE_MISSING_MODEL"] = "publish_untranslated"
    os.environ["WARTA_SITE_BASE_URL"] = f"http://{host}:{port}"
    os.environ.setdefault("WARTA_SITE_NAME", "Warta Demo")
    # the sample sources are served on 127.0.0.1, which the SSRF guard refuses by default
    allowed = cfg["fetch.allow_private"]
    os.environ["WARTA_FETCH_ALLOW_PRIVATE"] = f"{allowed},127.0.0.1" if allowed else "127.0.0.1"


def _ensure_model(cfg: Any) -> bool:
    """True when an en→id model is ready; otherwise one clear line, and the demo goes on."""
    from warta.newsroom.translation import configured_translator, model_store

    src, tgt = cfg["translate.source"], cfg["translate.target"]
    try:
        configured_translator(src, tgt, cfg=cfg)
        return True
    except ModelNotInstalledError:
        pass
    pair = f"{src}-{tgt}"
    _say(f"no {pair} translation model installed; trying to download one…")
    try:
        model_store(cfg).install_from_index(pair, cfg["translate.index_url"], progress=True)
        configured_translator(src, tgt, cfg=cfg)
        return True
    except (ModelInstallError, ModelNotInstalledError) as e:
        reason = str(e).split(";")[0]  # the install hint follows, said once below
        _say(f"no {pair} model could be installed ({reason}). Stories are published marked "
             f"'awaiting translation'; install a model with `warta models install {pair}` "
             f"(offline: `--from FILE`), then run `make demo` again.")
        return False


def run_demo(host: str = "127.0.0.1", port: int = 8000, samples_port: int = 8001,
             serve: bool = True) -> int:
    _prepare_environment(host, port)
    from warta.cli import _migrate, _serve, _setup_django
    from warta.demo.server import SOURCES, serve_samples

    try:
        samples = serve_samples(host="127.0.0.1", port=samples_port)
    except OSError as e:
        raise WartaError(f"cannot start the sample server on port {samples_port}: "
                         f"{e.strerror}; try `warta demo --samples-port 0`") from e
    _say(f"sample sources served at {samples.base_url}")
    _setup_django()
    _migrate()
    from django.conf import settings

    from warta.newsroom.models import Entry, Source
    from warta.runner.inline import fetch_sources, process, start_background

    translated = _ensure_model(settings.WARTA)
    for spec in SOURCES:
        Source.objects.update_or_create(
            url=samples.feed_url(spec), defaults={
                "name": spec["name"], "language": spec.get("language", "en"),
                "category": "", "auto_publish": True,  # sections from the feeds' categories
                "attribution": spec.get("attribution", ""), "poll_interval": 300})
    for result in fetch_sources(force=True):
        if result.error:
            _say(f"source {result.source_id}: {result.error}")
    stats = process(settings.WARTA["pipeline.workers"], until_idle=True)
    published = Entry.objects.filter(status=Entry.Status.PUBLISHED).count()
    _say(f"pipeline done: {stats.steps} steps, {published} stories published"
         + ("" if translated else " (awaiting translation)"))
    for entry in Entry.objects.exclude(error="").order_by("id"):
        _say(f"entry {entry.pk} [{entry.status}]: {entry.error}")
    if not serve:
        samples.stop()
        return 0
    stop = threading.Event()
    start_background(settings.WARTA["pipeline.workers"], stop, poll_every=30)
    try:
        _serve(host, port)
    except OSError as e:
        print(f"warta: error: cannot serve on {host}:{port}: {e.strerror}", file=sys.stderr)
        return 1
    finally:
        stop.set()
        samples.stop()
    return 0
