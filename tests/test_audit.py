"""The audit log: every editorial and configuration action is recorded, shown read-only in
the admin and exported as JSON lines (``warta audit export``)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.support.cli import WartaEnv
from tests.test_admin_review import client_for, in_review, user_with
from warta.newsroom import audit, review
from warta.newsroom.models import AuditEvent, Source

pytestmark = [pytest.mark.dbmatrix]


@pytest.mark.django_db
def test_record_keeps_who_what_when_and_the_states() -> None:
    user = get_user_model().objects.create_user("budi@example.com")
    source = Source.objects.create(url="https://feeds.example.com/a.xml", name="A")
    event = audit.record(user, "source.disable", source, before={"enabled": True},
                         after={"enabled": False}, note="too many errors")
    data = audit.event_dict(event)
    assert data["actor"] == "budi@example.com"
    assert (data["action"], data["object_type"], data["object_id"], data["object"]) == (
        "source.disable", "newsroom.source", str(source.pk), "A")
    assert data["before"] == {"enabled": True} and data["after"] == {"enabled": False}
    assert data["time"].endswith("+00:00")
    # the actor's name survives the account
    user.delete()
    event.refresh_from_db()
    assert event.actor is None and event.actor_name == "budi@example.com"


@pytest.mark.django_db
def test_export_is_time_ordered_json_lines_from_a_date() -> None:
    old = audit.record(None, "post.kill", note="lama")
    AuditEvent.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=10))
    audit.record(None, "translation.approve", note="baru")
    audit.record(None, "translation.reject", note="terbaru")
    rows = [json.loads(line) for line in audit.export_events()]
    assert [r["note"] for r in rows] == ["lama", "baru", "terbaru"]
    since = audit.parse_since((timezone.localdate() - timedelta(days=2)).isoformat())
    assert [json.loads(x)["note"] for x in audit.export_events(since)] == ["baru", "terbaru"]
    assert rows[0]["actor"] == "system"


def test_parse_since_accepts_dates_and_times() -> None:
    assert audit.parse_since("2026-11-01T08:00:00+00:00").hour == 8
    assert timezone.is_aware(audit.parse_since("2026-11-01"))
    with pytest.raises(ValueError):
        audit.parse_since("last week")


@pytest.mark.django_db
def test_every_editorial_action_is_recorded() -> None:
    t = in_review()
    user = user_with("editor", "citra@example.com")
    review.save_edit(t, {"block-1": "Teks baru."}, user, version=1)
    post = review.approve(t, user)
    review.kill_post(post, user, "permintaan sumber")
    source = t.article.entry.source
    review.set_source_enabled(source, user, False)
    review.set_source_enabled(source, user, True)
    rows = list(AuditEvent.objects.order_by("id").values_list("action", "actor_name"))
    assert rows == [("user.role", "system")] + [
        (a, "citra@example.com") for a in ("translation.edit", "translation.approve",
                                           "post.kill", "source.disable", "source.enable")]
    kill = AuditEvent.objects.get(action="post.kill")
    assert kill.before["status"] == "published" and kill.after["status"] == "killed"


@pytest.mark.django_db
def test_a_change_through_an_admin_form_is_recorded() -> None:
    source = Source.objects.create(url="https://feeds.example.com/b.xml", name="Lama")
    editor = client_for("editor")
    url = reverse("admin:newsroom_source_change", args=[source.pk])
    form = editor.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(name="Baru", url=source.url)
    response = editor.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(action="source.change")
    assert (event.before["name"], event.after["name"]) == ("Lama", "Baru")
    assert "name" in event.note


@pytest.mark.django_db
def test_audit_log_is_read_only_and_exportable_in_the_admin() -> None:
    audit.record(None, "post.kill", note="satu")
    event = AuditEvent.objects.get()
    editor = client_for("editor")
    changelist = reverse("admin:newsroom_auditevent_changelist")
    assert editor.get(changelist).status_code == 200
    response = editor.post(changelist, {"action": "export_jsonl",
                                        "_selected_action": [event.pk]})
    assert response["Content-Type"] == "application/x-ndjson"
    assert json.loads(response.content.decode().strip())["note"] == "satu"
    change = editor.post(reverse("admin:newsroom_auditevent_change", args=[event.pk]),
                         {"note": "diubah"})
    assert change.status_code == 403
    delete = editor.post(reverse("admin:newsroom_auditevent_delete", args=[event.pk]),
                         {"post": "yes"})
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.note == "satu"
    # reviewers do not read the log
    assert client_for("reviewer").get(changelist).status_code == 403
    assert Client().get(changelist).status_code == 302


@pytest.mark.slow
def test_cli_exports_the_log_since_a_date(warta: WartaEnv) -> None:
    warta.run("user", "add", "dewi@example.com", "--role", "reviewer",
              WARTA_USER_PASSWORD="kata-sandi-panjang-1")
    out = warta.run("audit", "export", "--since", "2000-01-01").stdout.splitlines()
    rows = [json.loads(line) for line in out]
    assert [(r["action"], r["object"]) for r in rows] == [("user.role", "dewi@example.com")]
    assert rows[0]["after"]["roles"] == ["reviewer"]
    assert warta.run("audit", "export", "--since", "2999-01-01").stdout == ""
    bad = warta.run("audit", "export", "--since", "kemarin", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("warta: error:")
