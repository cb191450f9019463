from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.httpserver import LocalHTTPServer

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
