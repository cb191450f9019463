"""axe-core for the browser tests, from the npm registry (never vendored): ``npm pack`` of a
pinned version, unpacked once into a cache directory, its ``axe.min.js`` returned.

Needs ``npm`` and the registry (CI reaches package registries). Under ``CI=true`` a failure
fails the test that needs axe; elsewhere it skips it."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

AXE_VERSION = "4.14.1"  # MPL-2.0
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "warta-tests"


def axe_source() -> str:
    target = CACHE / f"axe-core-{AXE_VERSION}" / "axe.min.js"
    if not target.exists():
        _download(target)
    return target.read_text(encoding="utf-8")


def _download(target: Path) -> None:
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    npm = shutil.which("npm")
    try:
        if npm is None:
            raise RuntimeError("npm is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([npm, "pack", f"axe-core@{AXE_VERSION}", "--silent",
                            "--pack-destination", tmp], check=True, capture_output=True,
                           timeout=300)
            tarball = next(Path(tmp).glob("axe-core-*.tgz"))
            with tarfile.open(tarball) as tar:
                member = tar.extractfile("package/axe.min.js")
                if member is None:
                    raise RuntimeError("the axe-core package has no axe.min.js")
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".part")
                partial.write_bytes(member.read())
                partial.replace(target)
    except (OSError, RuntimeError, StopIteration, subprocess.SubprocessError,
            tarfile.TarError) as e:
        message = f"axe-core {AXE_VERSION} could not be fetched from the npm registry: {e}"
        if in_ci:
            pytest.fail(message + " (required under CI=true)")
        pytest.skip(message)
