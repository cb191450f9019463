"""Optional TOTP two-factor for the admin (django-otp): a user with a confirmed device must
give the current code at login; a wrong or missing code keeps them out; users without a
device log in with their password alone. ``warta user totp`` sets it up."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

from tests.support.cli import WartaEnv
from warta.newsroom.models import AuditEvent
from warta.newsroom.roles import assign_role, remove_totp, set_up_totp

pytestmark = [pytest.mark.dbmatrix]
PASSWORD = "kata-sandi-yang-panjang-7"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _admin_user(name: str) -> Any:
    user = get_user_model().objects.create_user(name, password=PASSWORD)
    assign_role(user, "admin")
    return user


def _login(client: Client, username: str, code: str | None = None) -> Any:
    data = {"username": username, "password": PASSWORD, "next": "/admin/"}
    if code is not None:
        data["otp_token"] = code
    return client.post(reverse("admin:login"), data)


def _code(key: bytes, offset: int = 0) -> str:
    return f"{totp(key, step=30, t0=0, digits=6, drift=offset):06d}"


def _wrong_code(key: bytes) -> str:
    near = {_code(key, d) for d in (-1, 0, 1)}  # codes the device's tolerance accepts
    return next(c for c in (f"{n:06d}" for n in range(1, 100)) if c not in near)


@pytest.mark.django_db
def test_the_right_code_logs_in_a_wrong_or_missing_one_does_not() -> None:
    user = _admin_user("dewi@example.com")
    device = set_up_totp(user)
    assert device.confirmed

    client = Client()
    page = client.get(reverse("admin:login"))
    assert b'name="otp_token"' in page.content

    response = _login(client, user.username)  # the password alone is not enough
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302

    response = _login(client, user.username, _code(device.bin_key))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200

    client.logout()
    device.refresh_from_db()
    response = _login(client, user.username, _wrong_code(device.bin_key))
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302
    assert AuditEvent.objects.filter(action="user.otp_failed").count() == 1


@pytest.mark.django_db
def test_without_a_device_the_password_is_enough() -> None:
    user = _admin_user("eko@example.com")
    client = Client()
    assert _login(client, user.username).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    # turning it on later locks the session that never gave a code out of the admin
    set_up_totp(user)
    assert client.get(reverse("admin:index")).status_code == 302
    assert remove_totp(user)
    assert client.get(reverse("admin:index")).status_code == 200
    actions = list(AuditEvent.objects.filter(action="user.totp").order_by("id")
                   .values_list("note", flat=True))
    assert actions == ["new TOTP device", "TOTP removed"]


@pytest.mark.django_db
def test_force_login_without_the_second_factor_is_not_enough() -> None:
    user = _admin_user("fitri@example.com")
    set_up_totp(user)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 302
    assert client.get(reverse("admin:newsroom_source_changelist")).status_code == 302


def test_user_totp_prints_a_working_provisioning_uri(warta: WartaEnv) -> None:
    warta.run("user", "add", "gita@example.com", "--role", "admin",
              WARTA_USER_PASSWORD=PASSWORD)
    out = warta.run("user", "totp", "gita@example.com").stdout
    uri = re.search(r"^uri: (otpauth://totp/\S+)$", out, re.M)
    secret = re.search(r"^secret: ([A-Z2-7=]+)$", out, re.M)
    assert uri and secret, out
    query = parse_qs(urlparse(uri.group(1)).query)
    assert query["secret"][0] == secret.group(1).rstrip("=")
    key = base64.b32decode(secret.group(1))
    rows = warta.query("SELECT d.key, d.confirmed FROM otp_totp_totpdevice d JOIN auth_user u "
                       "ON u.id = d.user_id WHERE u.username = 'gita@example.com'")
    assert [(bytes.fromhex(r[0]), bool(r[1])) for r in rows] == [(key, True)]
    # running it again keeps the device; --reset makes a new secret
    again = warta.run("user", "totp", "gita@example.com").stdout
    assert secret.group(1) in again
    reset = warta.run("user", "totp", "gita@example.com", "--reset").stdout
    assert secret.group(1) not in reset
    assert warta.run("user", "totp", "nobody@example.com", check=False).returncode != 0
    removed = warta.run("user", "totp", "gita@example.com", "--remove").stdout
    assert "removed" in removed
    assert warta.query("SELECT count(*) FROM otp_totp_totpdevice")[0][0] == 0
