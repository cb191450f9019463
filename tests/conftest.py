from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import WartaEnv
from tests.support.httpserver import LocalHTTPServer
from tests.support.smtpserver import LocalSMTPServer, smtp_settings
from tests.support.tinymodel import TinyModel, session_tiny_model
from warta.demo.server import SampleServer, serve_samples

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Every test starts with empty Django caches: the test database is rolled back (and its
    ids reused) between tests, so a page or "Baca juga" choice cached by one test would
    describe another test's rows."""
    yield
    from django.conf import settings

    if settings.configured:
        from django.core.cache import caches

        for alias in settings.CACHES:
            caches[alias].clear()


@pytest.fixture
def smtp() -> Iterator[LocalSMTPServer]:
    """A real SMTP server on 127.0.0.1 that Django's mail goes to for the test."""
    server = LocalSMTPServer().start()
    try:
        with smtp_settings(server):
            yield server
    finally:
        server.stop()


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    server = LocalHTTPServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus; skips where absent (a user's clone), fails under CI=true."""
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"evaluation corpus missing at {CORPUS} (required under CI=true)")
        pytest.skip(f"evaluation corpus not found at {CORPUS}")
    return CORPUS


@pytest.fixture
def warta(tmp_path: Path) -> Iterator[WartaEnv]:
    """The real ``warta`` command against a throw-away database (SQLite, or a fresh
    PostgreSQL database when WARTA_DATABASE_URL points to PostgreSQL)."""
    env = WartaEnv(tmp_path)
    try:
        yield env
    finally:
        env.close()


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> TinyModel:
    """The tiny real en→id CTranslate2 model, built once per session."""
    return session_tiny_model(tmp_path_factory)


@pytest.fixture
def samples() -> Iterator[SampleServer]:
    """The bundled demo sources served on a free local port."""
    server = serve_samples(port=0)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def warta_cfg(tmp_path: Path, tiny: TinyModel) -> Iterator[dict[str, Any]]:
    """settings.WARTA pointed at a models dir holding the tiny model (restored afterwards)."""
    from django.conf import settings

    from warta.core.translate.engines import clear_cache

    values = settings.WARTA.values
    saved = dict(values)
    models = tmp_path / "models"
    models.mkdir()
    (models / "en-id").symlink_to(tiny.package_dir)
    values.update({"translate.models_dir": str(models), "pipeline.retry_base": 60,
                   "translate.missing_model": "wait"})
    clear_cache()
    try:
        yield values
    finally:
        values.clear()
        values.update(saved)
        clear_cache()
