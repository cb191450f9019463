"""Account and configuration changes made in the admin are in the audit log with
before/after (never a password hash), viewable in the admin and exportable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from tests.test_admin_review import client_for
from warta.newsroom.models import AuditEvent

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]
PASSWORD = "kata-sandi-yang-panjang-9"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _user_form(user: Any, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "username": user.username, "first_name": "", "last_name": "",
        "email": user.email, "is_active": "on", "is_staff": "on",
        "date_joined_0": "2026-11-01", "date_joined_1": "08:00:00",
        "groups": [], "user_permissions": [], "_save": "Simpan"}
    data.update(changes)
    return data


def test_user_admin_changes_are_audited_without_the_hash() -> None:
    admin = client_for("admin")
    response = admin.post(reverse("admin:auth_user_add"), {
        "username": "indah@example.com", "password1": PASSWORD, "password2": PASSWORD,
        "usable_password": "true", "_save": "Simpan"})
    assert response.status_code == 302, response.content[:2000]
    user = get_user_model().objects.get(username="indah@example.com")
    added = AuditEvent.objects.get(action="user.add")
    assert added.after["username"] == "indah@example.com" and "password" not in added.after

    editor_group = Group.objects.get(name="editor")
    response = admin.post(reverse("admin:auth_user_change", args=[user.pk]),
                          _user_form(user, groups=[editor_group.pk]))
    assert response.status_code == 302, response.content[:2000]
    changed = AuditEvent.objects.get(action="user.change")
    assert changed.before["groups"] == [] and changed.after["groups"] == ["editor"]
    assert changed.before["is_staff"] is False and changed.after["is_staff"] is True
    assert "password" not in changed.before and "password" not in changed.after

    response = admin.post(reverse("admin:auth_user_password_change", args=[user.pk]), {
        "password1": PASSWORD + "x", "password2": PASSWORD + "x",
        "usable_password": "true"})
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(action="user.password")
    assert event.object_repr == "indah@example.com" and event.before is None

    response = admin.post(reverse("admin:auth_group_add"), {"name": "tamu", "permissions": []})
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="group.add").after["name"] == "tamu"

    response = admin.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditEvent.objects.get(action="user.delete")
    assert deleted.before["username"] == "indah@example.com"

    # every one is in the admin's log and in the export, and no hash anywhere
    log = admin.get(reverse("admin:newsroom_auditevent_changelist")).content.decode()
    for action in ("user.add", "user.change", "user.password", "group.add", "user.delete"):
        assert action in log
    export = admin.post(reverse("admin:newsroom_auditevent_changelist"), {
        "action": "export_jsonl",
        "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True))})
    lines = [json.loads(x) for x in export.content.decode().splitlines()]
    assert {"user.add", "user.change", "user.password", "group.add", "user.delete"} <= {
        x["action"] for x in lines}
    assert "argon2" not in export.content.decode()


def test_an_editor_cannot_manage_accounts() -> None:
    editor = client_for("editor")
    assert editor.get(reverse("admin:auth_user_changelist")).status_code == 403
    response = editor.post(reverse("admin:auth_group_add"), {"name": "x", "permissions": []})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="group.").exists()
