"""A translation with quality flags goes to the review queue instead of being published."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_stages import _run_all, source  # noqa: F401  (fixture)
from warta.core.translate.base import Translator
from warta.newsroom import stages
from warta.newsroom import translation as tr
from warta.newsroom.models import Entry, Post, Source, Translation, TranslationMemory

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]


class ChangesNumbers:
    """Wraps the real (tiny) engine and turns every 3 into 8, as a faulty engine might."""

    def __init__(self, inner: Translator) -> None:
        self.inner = inner
        self.name = inner.name
        self.sent: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        self.sent.extend(texts)
        return [t.replace("3", "8") for t in self.inner.translate_batch(texts, src, tgt)]


@pytest.fixture
def faulty(monkeypatch: pytest.MonkeyPatch, warta_cfg: dict[str, Any]) -> ChangesNumbers:
    engine = ChangesNumbers(tr.configured_translator("en", "id"))
    monkeypatch.setattr(tr, "configured_translator", lambda *a, **k: engine)
    return engine


def test_flagged_translation_goes_to_review_not_published(
        source: Source, faulty: ChangesNumbers) -> None:  # noqa: F811
    stages.poll_source(source.pk, force=True)
    _run_all()
    assert set(Entry.objects.values_list("status", flat=True)) == {"in_review"}
    assert not Post.objects.exists()
    translation = Translation.objects.get(article__entry__guid="one")
    flags = translation.flags
    assert {f["flag"] for f in flags} == {"number_mismatch"}
    assert any("missing 3" in f["detail"] for f in flags), flags
    flagged = [b for b in translation.blocks if b.get("flags")]
    assert flagged and all(b["flags"] == ["number_mismatch"] for b in flagged)
    assert all("3" in b["text"] or "8" in b["text"] for b in flagged)


def test_clean_translation_is_published_and_segments_are_remembered(
        source: Source, warta_cfg: dict[str, Any]) -> None:  # noqa: F811
    stages.poll_source(source.pk, force=True)
    _run_all()
    assert set(Entry.objects.values_list("status", flat=True)) == {"published"}
    assert all(t.flags == [] for t in Translation.objects.all())
    assert all("flags" not in b for t in Translation.objects.all() for b in t.blocks)
    # the two stories share their quotation and "police and minister" sentences
    assert TranslationMemory.objects.filter(hits__gt=0).exists()
