"""Newsroom policies through the admin and the periodic step: scheduled publication,
licence expiry, correction notes, per-source licence fields and the queue's priority."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.test_admin_review import client_for, in_review, review_url, save, user_with
from tests.test_site import make_post
from warta.newsroom import policies, review
from warta.newsroom.models import (
    AuditEvent,
    Category,
    Correction,
    Entry,
    Post,
    Source,
    Translation,
)

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _local(moment: Any) -> str:
    """A time as a browser's datetime-local input sends it (site time zone, no offset)."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- scheduling

def test_schedule_keeps_the_story_off_the_site_until_due() -> None:
    t = in_review("Berita terjadwal")
    client = client_for("reviewer")
    when = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = save(client, t, "schedule", publish_at=_local(when), title="Judul disunting")
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.publish_at == when and t.title == "Judul disunting"
    assert t.article.entry.status == Entry.Status.IN_REVIEW
    assert not Post.objects.exists()  # nothing public before it is due

    queue = client.get(reverse("admin:newsroom_translation_queue"))
    assert b"Judul disunting" in queue.content
    assert b'class="scheduled"' in queue.content and b"Dijadwalkan pada" in queue.content

    assert policies.publish_due(now=when - timedelta(minutes=1)) == 0
    assert policies.publish_due() == 0
    assert not Post.objects.exists()
    # the time comes (moved rather than waited for)
    due = (timezone.now() - timedelta(minutes=1)).replace(microsecond=0)
    Translation.objects.filter(pk=t.pk).update(publish_at=due)
    assert policies.publish_due() == 1
    post = Post.objects.get()
    assert post.published_at == due and post.status == Post.Status.PUBLISHED
    t.refresh_from_db()
    assert t.publish_at is None and t.article.entry.status == Entry.Status.PUBLISHED
    assert Client().get(post.get_absolute_url()).status_code == 200
    assert policies.publish_due() == 0  # never twice
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert "translation.schedule" in actions and actions[-1] == "translation.approve"


@pytest.mark.parametrize("publish_at", ["kemarin", "", "2020-01-01T08:00", "2026-13-40T99:00"])
def test_invalid_or_past_schedule_is_refused_and_nothing_is_saved(publish_at: str) -> None:
    t = in_review()
    client = client_for("reviewer")
    response = save(client, t, "schedule", publish_at=publish_at, title="Judul yang tak jadi")
    assert response.status_code == 400
    assert b"errornote" in response.content or b"error" in response.content
    t.refresh_from_db()
    assert t.publish_at is None
    assert t.title == "Putin menjamu Kim" and t.version == 1  # the edit was not saved either
    assert not AuditEvent.objects.filter(action__startswith="translation.").exists()


def test_schedule_in_the_past_via_the_function_is_refused() -> None:
    t = in_review()
    with pytest.raises(review.ReviewError, match="passed"):
        review.schedule(t, None, timezone.now() - timedelta(minutes=5))
    t.refresh_from_db()
    assert t.publish_at is None


def test_unschedule_and_reject_drop_the_schedule() -> None:
    t = in_review()
    client = client_for("reviewer")
    when = timezone.now() + timedelta(days=1)
    assert save(client, t, "schedule", publish_at=_local(when)).status_code == 302
    assert save(client, t, "unschedule").status_code == 302
    t.refresh_from_db()
    assert t.publish_at is None
    review.schedule(t, None, when)
    review.reject(t, None, "tidak relevan")
    t.refresh_from_db()
    assert t.publish_at is None
    assert policies.publish_due(now=when + timedelta(hours=1)) == 0
    assert not Post.objects.exists()


def test_a_reviewer_without_approval_rights_cannot_schedule() -> None:
    t = in_review()
    user = user_with("reviewer")
    user.groups.clear()
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    response = save(client, t, "schedule",
                    publish_at=_local(timezone.now() + timedelta(hours=1)))
    assert response.status_code == 403
    t.refresh_from_db()
    assert t.publish_at is None


# ---------------------------------------------------------------- licence expiry

def test_expiry_kills_posts_older_than_the_licence_allows() -> None:
    old = make_post("Berita lama", published_at=timezone.now() - timedelta(days=10))
    fresh = make_post("Berita baru", published_at=timezone.now() - timedelta(days=1))
    Source.objects.filter(pk=old.entry.source_id).update(expire_after_days=7)
    other_source = Source.objects.create(name="Tanpa batas", url="https://x.example.com/f.xml")
    forever = make_post("Berita abadi", published_at=timezone.now() - timedelta(days=400))
    Entry.objects.filter(pk=forever.entry_id).update(source=other_source)

    assert policies.expire_posts() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    forever.refresh_from_db()
    assert old.status == Post.Status.KILLED and old.kill_reason == policies.EXPIRY_REASON
    assert fresh.status == forever.status == Post.Status.PUBLISHED
    assert Client().get(old.get_absolute_url()).status_code == 410
    feed = Client().get(reverse("feed")).content
    assert old.slug.encode() not in feed and fresh.slug.encode() in feed
    event = AuditEvent.objects.get(action="post.kill")
    assert event.actor_name == "system" and event.note == policies.EXPIRY_REASON
    assert policies.expire_posts() == 0  # a killed post is not killed again


class _OnePass(threading.Event):
    """A stop event whose first wait ends the loop: one scheduler pass, no sleeping."""

    def wait(self, timeout: float | None = None) -> bool:
        self.set()
        return True


@pytest.mark.django_db(transaction=True)
def test_the_inline_scheduler_runs_the_periodic_step() -> None:
    from warta.runner import inline

    t = in_review()
    review.schedule(t, None, timezone.now() + timedelta(seconds=1))
    Translation.objects.filter(pk=t.pk).update(publish_at=timezone.now() - timedelta(seconds=1))
    old = make_post("Kedaluwarsa", published_at=timezone.now() - timedelta(days=3))
    Source.objects.filter(pk=old.entry.source_id).update(expire_after_days=2)
    inline.schedule(_OnePass())
    assert Post.objects.filter(entry=t.article.entry, status=Post.Status.PUBLISHED).exists()
    assert Post.objects.get(pk=old.pk).status == Post.Status.KILLED


@pytest.mark.django_db(transaction=True)
def test_the_celery_sweeper_runs_the_periodic_step() -> None:
    pytest.importorskip("celery")
    from warta.runner.celery import Sweeper

    old = make_post("Kedaluwarsa juga", published_at=timezone.now() - timedelta(days=3))
    Source.objects.filter(pk=old.entry.source_id).update(expire_after_days=1)
    Sweeper(every=1.0, resend_after=60.0).run(_OnePass())
    assert Post.objects.get(pk=old.pk).status == Post.Status.KILLED


# ---------------------------------------------------------------- corrections

def _correction_form(post: Post, note: str) -> dict[str, str]:
    return {
        "category": str(post.category_id or ""),
        "corrections-TOTAL_FORMS": "1", "corrections-INITIAL_FORMS": "0",
        "corrections-MIN_NUM_FORMS": "0", "corrections-MAX_NUM_FORMS": "1000",
        "corrections-0-id": "", "corrections-0-post": str(post.pk),
        "corrections-0-note": note, "_save": "Simpan",
    }


def test_an_editor_adds_a_correction_note() -> None:
    post = make_post("Gempa di Jawa")
    client = client_for("editor")
    url = reverse("admin:newsroom_post_change", args=[post.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"corrections-0-note" in page.content
    response = client.post(url, _correction_form(
        post, "Versi sebelumnya menyebut magnitudo 6,1; yang benar 5,9."))
    assert response.status_code == 302, response.content[:2000]
    correction = Correction.objects.get()
    assert correction.post == post and "5,9" in correction.note
    assert correction.created_by is not None
    post.refresh_from_db()
    assert post.updated_at == correction.created
    assert list(post.corrections.all()) == [correction]
    event = AuditEvent.objects.get(action="post.correct")
    assert "5,9" in event.note and event.after["updated_at"]
    # the note shows on the post's admin page afterwards, read-only
    assert b"magnitudo 6,1" in client.get(url).content


def test_a_correction_needs_a_note_and_a_published_post() -> None:
    post = make_post("Berita")
    with pytest.raises(review.ReviewError):
        review.add_correction(post, None, "   ")
    review.kill_post(post, None, "salah total")
    with pytest.raises(review.ReviewError):
        review.add_correction(post, None, "koreksi")
    client = client_for("editor")
    response = client.post(reverse("admin:newsroom_post_change", args=[post.pk]),
                           _correction_form(post, "koreksi untuk berita yang ditarik"))
    assert response.status_code == 200  # the form is shown again with the error
    assert not Correction.objects.exists()
    post.refresh_from_db()
    assert post.updated_at is None


def test_a_reviewer_cannot_add_a_correction() -> None:
    post = make_post("Berita")
    client = client_for("reviewer")
    response = client.post(reverse("admin:newsroom_post_change", args=[post.pk]),
                           _correction_form(post, "koreksi"))
    assert response.status_code == 403
    assert not Correction.objects.exists()


# ---------------------------------------------------------------- source policies

def _source_form(source: Source, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": source.name, "url": source.url, "format": source.format,
        "language": source.language, "category": source.category,
        "attribution": source.attribution, "poll_interval": source.poll_interval,
        "min_interval": source.min_interval, "max_interval": source.max_interval,
        "disabled_reason": source.disabled_reason, "extract_rules": "{}",
        "priority": source.priority, "canonical_policy": source.canonical_policy,
        "expire_after_days": source.expire_after_days or "", "credit_line": source.credit_line,
        "enabled": "on", "auto_publish": "on", "respect_robots": "on", "_save": "Simpan",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_licence_policy_fields_are_editable_and_audited() -> None:
    source = Source.objects.create(name="Reuters", url="https://feeds.example.com/r.xml")
    client = client_for("editor")
    url = reverse("admin:newsroom_source_change", args=[source.pk])
    page = client.get(url)
    for name in ("priority", "canonical_policy", "noindex", "expire_after_days",
                 "credit_line"):
        assert f'name="{name}"'.encode() in page.content, name
    assert b"licence" in page.content.lower() or b"lisensi" in page.content.lower()
    response = client.post(url, _source_form(
        source, priority=5, canonical_policy="original", noindex="on", expire_after_days=30,
        credit_line="© Reuters, dipakai dengan lisensi"))
    assert response.status_code == 302, response.content[:3000]
    source.refresh_from_db()
    assert (source.priority, source.canonical_policy, source.noindex,
            source.expire_after_days) == (5, "original", True, 30)
    assert source.credit_line.startswith("© Reuters")
    event = AuditEvent.objects.get(action="source.change")
    assert event.before["priority"] == 0 and event.after["priority"] == 5
    assert event.before["noindex"] is False and event.after["noindex"] is True
    assert "expire_after_days" in event.note


def test_an_unknown_category_is_refused_and_nothing_is_saved() -> None:
    Category.objects.create(slug="dunia", name="Dunia")
    source = Source.objects.create(name="NDTV", url="https://feeds.example.com/n.xml")
    client = client_for("editor")
    url = reverse("admin:newsroom_source_change", args=[source.pk])
    response = client.post(url, _source_form(source, category="Duniaa", priority=3))
    assert response.status_code == 200
    assert b"Duniaa" in response.content
    source.refresh_from_db()
    assert source.category == "" and source.priority == 0
    assert not AuditEvent.objects.filter(action="source.change").exists()
    ok = client.post(url, _source_form(source, category="dunia"))
    assert ok.status_code == 302
    source.refresh_from_db()
    assert source.category == "Dunia"


def test_source_priority_raises_its_stories_in_the_queue() -> None:
    plain = in_review("Biasa", waiting=timedelta(hours=3))
    urgent = in_review("Prioritas", waiting=timedelta(hours=1), auto_publish=True)
    Source.objects.filter(pk=urgent.article.entry.source_id).update(priority=10)
    items = review.review_queue()
    assert [i.translation.pk for i in items[:2]] == [urgent.pk, plain.pk]


def test_scheduled_stories_come_last_in_the_queue() -> None:
    flagged = in_review("Bertanda", flags=[{"flag": "number_mismatch", "where": "block 4"}])
    clean = in_review("Bersih")
    review.schedule(flagged, None, timezone.now() + timedelta(hours=1))
    items = review.review_queue()
    assert [i.translation.pk for i in items] == [clean.pk, flagged.pk]
    assert items[1].publish_at is not None
    page = client_for("reviewer").get(review_url(flagged))
    assert b'name="publish_at"' in page.content


def test_editing_a_published_story_marks_it_updated() -> None:
    t = in_review()
    post = review.approve(t, None)
    assert post.updated_at is None
    review.save_edit(t, {"title": "Judul yang diperbaiki"}, None, version=1)
    post.refresh_from_db()
    t.refresh_from_db()
    assert post.updated_at == t.edited_at is not None
    unpublished = in_review("Belum terbit")
    review.save_edit(unpublished, {"title": "Masih ditinjau"}, None, version=1)
    assert not Post.objects.filter(translation=unpublished).exists()
