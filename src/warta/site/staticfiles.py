"""Static files: hashed names and compressed copies, served with far-future caching.

``collectstatic`` (run by ``warta init``, ``warta serve`` and ``warta build``) writes each
file under a content-hashed name (``warta.3f9a…css``) plus ``.gz`` (and ``.br`` when the
``brotli`` package is installed) copies into ``STATIC_ROOT``; WhiteNoise serves those with
``Cache-Control: max-age=315360000, public, immutable`` and the compressed copy the browser
accepts. A hashed name changes whenever the file does, so the far-future lifetime is safe.

Before ``collectstatic`` has run (a fresh checkout, the test suite) the manifest is missing:
instead of failing every page with "Missing staticfiles manifest entry", URLs fall back to
the plain names, which WhiteNoise serves from the apps' folders (``WHITENOISE_USE_FINDERS``)
with a short lifetime.
"""

from __future__ import annotations

from typing import Any

from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class WartaStaticFilesStorage(CompressedManifestStaticFilesStorage):  # type: ignore[misc]
    """CompressedManifestStaticFilesStorage that degrades to plain names without a
    manifest entry instead of raising."""

    manifest_strict = False

    def url(self, name: Any, force: bool = False) -> str:
        try:
            return str(super().url(name, force))
        except ValueError:  # no manifest, or a file collectstatic has not seen yet
            return str(FileSystemStorage.url(self, name))
