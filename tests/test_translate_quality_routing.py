"""Per-source routing by flag severity (stages/publishing.py ``_publish``): a translation with
only "info" flags is auto-published where the source allows it; any "review" flag, or a source
whose policy is review, sends it to the queue with the reasons shown."""

from __future__ import annotations

from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from warta.newsroom import review
from warta.newsroom.models import Article, Entry, Post, Source, Translation
from warta.newsroom.stages.publishing import _publish

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]

_seq = count(1)
INFO_FLAG = {"flag": "already_target", "where": "block 2", "detail": "already in id",
             "severity": "info"}
REVIEW_FLAG = {"flag": "sentence_dropped", "where": "block 1",
               "detail": "2 sentences in the source, 1 in the translation", "severity": "review"}


def _translated(flags: list[dict[str, str]], auto_publish: bool = True) -> tuple[Entry, Any]:
    """An entry leased to the publish stage, with its stored translation."""
    n = next(_seq)
    source, _ = Source.objects.get_or_create(
        url=f"https://feeds.example.com/{'auto' if auto_publish else 'review'}.xml",
        defaults={"name": "Wire", "auto_publish": auto_publish})
    lease = timezone.now() + timedelta(minutes=5)
    url = f"https://www.example.com/world/story-{n}"
    entry = Entry.objects.create(source=source, guid=f"q{n}", url=url, title=f"Story {n}",
                                 status=Entry.Status.TRANSLATED, lease_until=lease)
    article = Article.objects.create(entry=entry, url=url, title=f"Story {n}",
                                     text_hash=f"quality{n}", language="en",
                                     blocks=[{"type": "p", "text": "The talks opened."}])
    Translation.objects.create(article=article, language="id", title=f"Berita {n}",
                               blocks=[{"type": "p", "text": "Pembicaraan dimulai."}],
                               engine="test", flags=flags)
    return entry, lease


def test_info_flags_do_not_hold_an_auto_published_story() -> None:
    entry, lease = _translated([INFO_FLAG])
    assert _publish(entry, lease) == Entry.Status.PUBLISHED
    assert Post.objects.filter(entry=entry).exists()


def test_a_review_flag_holds_the_story_with_its_reason_shown() -> None:
    entry, lease = _translated([INFO_FLAG, REVIEW_FLAG])
    assert _publish(entry, lease) == Entry.Status.IN_REVIEW
    assert not Post.objects.filter(entry=entry).exists()
    item = next(i for i in review.review_queue() if i.entry.pk == entry.pk)
    assert item.flag_codes == ["already_target", "sentence_dropped"]
    assert any(r.startswith("block 1: ") and "1 in the translation" in r for r in item.reasons)
    # info flags add nothing to the urgency; the review flag does
    assert review.urgency(0, [INFO_FLAG]) == 0
    assert review.urgency(0, [REVIEW_FLAG]) > 0


def test_a_clean_story_of_a_review_source_still_goes_to_review() -> None:
    entry, lease = _translated([], auto_publish=False)
    assert _publish(entry, lease) == Entry.Status.IN_REVIEW


def test_an_ignored_check_does_not_hold(settings: Any) -> None:
    values = settings.WARTA.values
    saved = values["translate.quality_ignore"]
    values["translate.quality_ignore"] = "name_mismatch, sentence_dropped"
    try:
        entry, lease = _translated([REVIEW_FLAG])
        assert _publish(entry, lease) == Entry.Status.PUBLISHED
    finally:
        values["translate.quality_ignore"] = saved
