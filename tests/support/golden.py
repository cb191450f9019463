"""Golden files: a capture's expected output beside it, compared exactly.

``WARTA_REGEN=1`` rewrites them on purpose (review the diff before committing). A missing
golden file is a failure, not a free pass: write it with ``WARTA_REGEN=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def assert_golden(got: Any, expected_path: Path) -> None:
    if os.environ.get("WARTA_REGEN") == "1":
        text = json.dumps(got, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        expected_path.write_text(text, encoding="utf-8")
    if not expected_path.exists():
        raise AssertionError(f"{expected_path.name} is missing: run with WARTA_REGEN=1")
    assert got == json.loads(expected_path.read_text(encoding="utf-8"))
