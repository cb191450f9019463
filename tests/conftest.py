from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import WartaEnv
from tests.support.httpserver import LocalHTTPServer
from tests.support.tinymodel import TinyModel, session_tiny_model

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
