"""Tests that try to get in: CSRF on every form of the back office, stored XSS from every
place feed or editor text reaches a page, open redirects, SSRF through a source URL, and
role boundaries (anonymous, reviewer) on admin actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.test_admin_review import client_for, in_review, review_url, user_with
from tests.test_site import parse, sel
from warta.newsroom import review
from warta.newsroom.models import (
    AuditEvent,
    Category,
    Correction,
    Entry,
    GlossaryTerm,
    Post,
    Source,
    Translation,
)

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]
PAYLOAD = '<script>alert("xss")</script><img src=x onerror="alert(2)">'


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


# ---------------------------------------------------------------- CSRF

def _csrf_targets(t: Translation, post: Post, source: Source) -> list[tuple[str, dict[str, Any]]]:
    user = get_user_model().objects.create_user("target@example.com", password=None)
    return [
        (review_url(t), {"action": "save", "version": "1", "title": "diubah"}),
        (review_url(t), {"action": "approve", "version": "1"}),
        (review_url(t), {"action": "schedule", "version": "1", "publish_at": "2099-01-01T08:00"}),
        (review_url(t), {"action": "reject", "version": "1", "reason": "x"}),
        (reverse("admin:newsroom_translation_restore", args=[t.pk, 1]), {"version": "1"}),
        (reverse("admin:newsroom_source_add"), {"name": "Evil", "url": "https://evil.example/"}),
        (reverse("admin:newsroom_source_change", args=[source.pk]), {"name": "Evil"}),
        (reverse("admin:newsroom_source_changelist"),
         {"action": "disable", "_selected_action": [source.pk]}),
        (reverse("admin:newsroom_post_change", args=[post.pk]),
         {"corrections-TOTAL_FORMS": "1", "corrections-INITIAL_FORMS": "0",
          "corrections-0-note": "palsu"}),
        (reverse("admin:newsroom_post_changelist"),
         {"action": "kill", "_selected_action": [post.pk], "confirm": "yes", "reason": "x"}),
        (reverse("admin:newsroom_category_add"), {"name": "Evil", "slug": "evil"}),
        (reverse("admin:newsroom_glossaryterm_add"),
         {"source_language": "en", "target_language": "id", "source": "Evil", "target": "x"}),
        (reverse("admin:newsroom_auditevent_changelist"),
         {"action": "export_jsonl", "_selected_action": []}),
        (reverse("admin:auth_user_add"),
         {"username": "evil@example.com", "password1": "x" * 12, "password2": "x" * 12}),
        (reverse("admin:auth_user_password_change", args=[user.pk]),
         {"password1": "y" * 12, "password2": "y" * 12}),
        (reverse("admin:auth_group_add"), {"name": "evil"}),
        (reverse("admin:logout"), {}),
    ]


def test_every_back_office_form_refuses_a_post_without_csrf_token() -> None:
    t = in_review()
    post = review.approve(in_review("Terbit"), None)
    source = t.article.entry.source
    admin_user = user_with("admin")
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    events = AuditEvent.objects.count()
    for url, data in _csrf_targets(t, post, source):
        response = client.post(url, data)
        assert response.status_code == 403, url
    # nothing changed anywhere
    assert AuditEvent.objects.count() == events
    t.refresh_from_db()
    source.refresh_from_db()
    post.refresh_from_db()
    assert t.title == "Putin menjamu Kim" and t.publish_at is None
    assert source.name == "NDTV" and source.enabled
    assert post.status == Post.Status.PUBLISHED and not Correction.objects.exists()
    assert not Source.objects.filter(name="Evil").exists()
    assert not get_user_model().objects.filter(username="evil@example.com").exists()
    assert client.get(reverse("admin:index")).status_code == 200  # still logged in

    # the same client with the form's token gets through (the 403s were the CSRF check)
    page = client.get(review_url(t))
    token = parse(page).xpath("//input[@name='csrfmiddlewaretoken']/@value")[0]
    response = client.post(review_url(t), {"action": "save", "version": "1",
                                           "title": "diubah", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.title == "diubah"


def test_the_login_form_needs_a_csrf_token() -> None:
    user_with("admin", "csrf-login@example.com")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("admin:login"), {"username": "csrf-login@example.com",
                                                    "password": "x"})
    assert response.status_code == 403


# ---------------------------------------------------------------- stored XSS

def _assert_inert(response: Any, where: str) -> None:
    """No script or event handler from the payload made it into the page as markup."""
    assert response.status_code == 200, where
    doc = parse(response)
    for script in sel(doc, "script"):
        text = script.text or ""
        if script.get("type") == "application/ld+json":  # data, never run: it must not
            assert "</" not in text and "<script" not in text, where  # close its element
        else:
            assert "alert(" not in text, where
    assert not doc.xpath("//*[@onerror]"), where
    assert not doc.xpath("//img[@src='x']"), where


def test_stored_xss_never_becomes_markup_in_the_back_office_or_the_site() -> None:
    t = in_review(PAYLOAD)
    source = t.article.entry.source
    Source.objects.filter(pk=source.pk).update(name=PAYLOAD, last_error=PAYLOAD,
                                               credit_line=PAYLOAD, attribution=PAYLOAD)
    Entry.objects.filter(pk=t.article.entry_id).update(title=PAYLOAD)
    blocks = [{"type": "p", "text": PAYLOAD},
              {"type": "img", "text": PAYLOAD, "caption": PAYLOAD, "src": "https://e.com/a.jpg",
               "credit": PAYLOAD}]
    Translation.objects.filter(pk=t.pk).update(
        blocks=blocks, dateline=PAYLOAD,
        image={"src": "https://e.com/b.jpg", "caption": PAYLOAD, "credit": PAYLOAD},
        flags=[{"flag": PAYLOAD, "where": PAYLOAD, "detail": PAYLOAD}])
    t.article.blocks = blocks
    t.article.title = PAYLOAD
    t.article.save()
    GlossaryTerm.objects.create(source="Putin", target=PAYLOAD, note=PAYLOAD)
    GlossaryTerm.objects.create(source=PAYLOAD, target="x")
    Category.objects.create(slug="xss", name=PAYLOAD)
    t.refresh_from_db()
    editor = client_for("admin")
    editor.post(review_url(t), {"action": "save", "version": str(t.version),
                                "block-0": PAYLOAD + " disunting"})
    t.refresh_from_db()
    published = review.approve(in_review("Terbit aman"), None)
    Translation.objects.filter(pk=published.translation_id).update(
        title=PAYLOAD, blocks=blocks, image={"src": "https://e.com/c.jpg", "caption": PAYLOAD})
    Post.objects.filter(pk=published.pk).update(source_name=PAYLOAD, attribution=PAYLOAD)
    review.add_correction(published, None, PAYLOAD)
    review.kill_post(review.approve(in_review("Ditarik"), None), None, PAYLOAD)

    pages = {
        "admin index": reverse("admin:index"),
        "sources": reverse("admin:newsroom_source_changelist"),
        "source": reverse("admin:newsroom_source_change", args=[source.pk]),
        "dashboard": reverse("admin:newsroom_dashboard"),
        "entries": reverse("admin:newsroom_entry_changelist"),
        "entry": reverse("admin:newsroom_entry_change", args=[t.article.entry_id]),
        "translations": reverse("admin:newsroom_translation_changelist"),
        "queue": reverse("admin:newsroom_translation_queue"),
        "review": review_url(t),
        "revisions": reverse("admin:newsroom_translation_revisions", args=[t.pk]),
        "diff": reverse("admin:newsroom_translation_revision", args=[t.pk, 1]),
        "posts": reverse("admin:newsroom_post_changelist"),
        "post": reverse("admin:newsroom_post_change", args=[published.pk]),
        "categories": reverse("admin:newsroom_category_changelist"),
        "glossary": reverse("admin:newsroom_glossaryterm_changelist"),
        "audit log": reverse("admin:newsroom_auditevent_changelist"),
        "site home": "/",
        "site article": published.get_absolute_url(),
    }
    for where, url in pages.items():
        client = Client() if where.startswith("site") else editor
        _assert_inert(client.get(url), where)
    review_page = editor.get(review_url(t)).content
    assert b"&lt;script&gt;alert(" in review_page  # shown as text, not dropped


# ---------------------------------------------------------------- open redirects

@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "https:evil.example", "/\\evil.example"])
def test_login_and_logout_never_redirect_off_site(target: str) -> None:
    get_user_model().objects.create_user("hadi@example.com", password="kata-sandi-panjang-1",
                                         is_staff=True)
    client = Client()
    response = client.post(reverse("admin:login") + f"?next={target}",
                           {"username": "hadi@example.com", "password": "kata-sandi-panjang-1",
                            "next": target})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    response = client.get(reverse("admin:login") + f"?next={target}")  # already logged in
    assert "evil.example" not in response.get("Location", "")
    response = client.post(reverse("admin:logout") + f"?next={target}", {"next": target})
    assert "evil.example" not in response.get("Location", "")


# ---------------------------------------------------------------- SSRF

def test_a_source_pointing_at_the_metadata_service_is_refused() -> None:
    editor = client_for("editor")
    url = "http://169.254.169.254/latest/meta-data/"
    response = editor.post(reverse("admin:newsroom_source_add"), {
        "name": "Metadata", "url": url, "format": "auto", "language": "en",
        "poll_interval": 900, "min_interval": 60, "max_interval": 21600,
        "extract_rules": "{}", "priority": 0, "canonical_policy": "self",
        "enabled": "on", "auto_publish": "on", "respect_robots": "on"})
    source = Source.objects.filter(url=url).first()
    if source is None:  # refused when added: fine, as long as it says why
        assert response.status_code == 200 and b"errorlist" in response.content
        return
    response = editor.post(reverse("admin:newsroom_source_changelist"),
                           {"action": "poll_now", "_selected_action": [source.pk]},
                           follow=True)
    source.refresh_from_db()
    assert "refused" in source.last_error and "169.254.169.254" in source.last_error
    assert source.last_http_status is None and not source.entries.exists()
    assert b"refused" in response.content
    assert AuditEvent.objects.get(action="source.poll").note.startswith("error: ")


# ---------------------------------------------------------------- roles

def test_a_reviewer_cannot_reach_editor_or_admin_actions() -> None:
    post = review.approve(in_review(), None)
    source = post.entry.source
    reviewer = client_for("reviewer")
    forbidden_get = [
        reverse("admin:newsroom_source_add"),
        reverse("admin:newsroom_category_add"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:newsroom_auditevent_changelist"),
        reverse("admin:newsroom_source_delete", args=[source.pk]),
        reverse("admin:newsroom_post_delete", args=[post.pk]),
    ]
    for url in forbidden_get:
        assert reviewer.get(url).status_code == 403, url
    response = reviewer.post(reverse("admin:auth_user_add"), {
        "username": "boss@example.com", "password1": "z" * 12, "password2": "z" * 12})
    assert response.status_code == 403
    assert not get_user_model().objects.filter(username="boss@example.com").exists()
    reviewer.post(reverse("admin:newsroom_post_change", args=[post.pk]), {
        "corrections-TOTAL_FORMS": "1", "corrections-INITIAL_FORMS": "0",
        "corrections-0-note": "x"})
    assert not Correction.objects.exists()
    # what a reviewer may do still works
    assert reviewer.get(reverse("admin:newsroom_translation_queue")).status_code == 200
    assert reviewer.get(reverse("admin:newsroom_dashboard")).status_code == 200


@pytest.mark.parametrize("name", ["admin:newsroom_dashboard", "admin:newsroom_source_add",
                                  "admin:auth_user_changelist", "admin:newsroom_post_changelist"])
def test_anonymous_gets_only_the_login_page(name: str) -> None:
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# ---------------------------------------------------------------- concurrent edits

def test_two_editors_saving_at_once_keep_both_texts() -> None:
    t = in_review()
    first, second = client_for("editor"), Client()
    second.force_login(user_with("reviewer", "second@example.com"))
    version = str(t.version)
    assert first.post(review_url(t), {"action": "save", "version": version,
                                      "title": "Judul A"}).status_code == 302
    response = second.post(review_url(t), {"action": "save", "version": version,
                                           "title": "Judul B"})
    assert response.status_code == 409
    assert "Judul B" in response.content.decode()  # the loser's text is shown again
    t.refresh_from_db()
    assert t.title == "Judul A"
    assert [r.title for r in t.revisions.order_by("number")] == ["Putin menjamu Kim", "Judul A"]
