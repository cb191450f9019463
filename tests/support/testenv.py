"""Loaded with ``-p tests.support.testenv`` before pytest-django reads the settings: keeps
test runs out of the developer's data dir and away from a warta.toml in the working dir.

Under pytest-xdist every worker process gets a data dir of its own (static files, models,
the SQLite files of subprocess tests): the workers inherit the controller's environment, so
a dir made by the controller would otherwise be shared and raced over."""

import os
import tempfile

_OURS = "_WARTA_TEST_DATA_DIR"  # the data dir this plugin made (not one the developer chose)

if "WARTA_DATA_DIR" not in os.environ or (
    os.environ.get("PYTEST_XDIST_WORKER")
    and os.environ.get(_OURS) == os.environ["WARTA_DATA_DIR"]
):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    os.environ["WARTA_DATA_DIR"] = tempfile.mkdtemp(prefix=f"warta-test-{worker}")
    os.environ[_OURS] = os.environ["WARTA_DATA_DIR"]
os.environ.setdefault("WARTA_CONFIG", os.devnull)
# the test servers listen on 127.0.0.1, which the SSRF guard refuses unless allowed
os.environ.setdefault("WARTA_FETCH_ALLOW_PRIVATE", "127.0.0.1")
# the tiny test model (tinymodel.py) copies most words, so its output reads as untranslated
# English; pipeline tests that expect auto-publishing must not be held by that quality flag
os.environ.setdefault("WARTA_TRANSLATE_QUALITY_IGNORE", "untranslated")
# the rendered-page cache is off for the suite (tests change rows behind its back with
# update()); tests/test_site_cache.py turns it on and tests it
os.environ.setdefault("WARTA_SITE_CACHE_SECONDS", "0")
