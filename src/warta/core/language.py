"""Identify the language of a text offline, with py3langid (its model ships in the package).

py3langid is the maintained fork of langid.py (97 languages, naive Bayes over byte n-grams):
small, fast (well under a millisecond for an article's opening) and deterministic. The model
is loaded once, on first use, and only read afterwards, so threads may share it.
"""

from __future__ import annotations

import re
import threading
from typing import Any

_MIN_LETTERS = 20  # below this, any guess is noise
_MIN_CONFIDENCE = 0.8
_SAMPLE_CHARS = 2000  # the opening of an article says as much as the whole of it
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)

_lock = threading.Lock()
_identifier: Any = None


def identify_language(text: str) -> str:
    """ISO 639-1 code ("en", "id", ...) of ``text``; "" when the text is too short or the
    identifier is not confident. Pure and deterministic."""
    sample = text[:_SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < _MIN_LETTERS:
        return ""
    lang, confidence = _get_identifier().classify(sample)
    return str(lang) if float(confidence) >= _MIN_CONFIDENCE else ""


def _get_identifier() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier
