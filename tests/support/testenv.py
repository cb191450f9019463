"""Loaded with ``-p tests.support.testenv`` before pytest-django reads the settings: keeps
test runs out of the developer's data dir and away from a warta.toml in the working dir."""

import os
import tempfile

os.environ.setdefault("WARTA_DATA_DIR", tempfile.mkdtemp(prefix="warta-test-"))
os.environ.setdefault("WARTA_CONFIG", os.devnull)
