"""Accounts and security: Argon2 hashes, login throttling, roles from ``warta user add``,
the Content-Security-Policy of public pages, and ``check --deploy`` in production mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.support.cli import WartaEnv
from tests.test_site import make_post, parse
from warta.newsroom.models import Category

pytestmark = [pytest.mark.dbmatrix]
PASSWORD = "kata-sandi-yang-panjang-7"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2() -> None:
    user = get_user_model().objects.create_user("eka@example.com", password=PASSWORD)
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


def _login(client: Client, username: str, password: str) -> int:
    client.post(reverse("admin:login"), {"username": username, "password": password,
                                         "next": "/admin/"})
    return client.get(reverse("admin:index")).status_code


@pytest.mark.django_db
def test_login_is_locked_after_repeated_failures() -> None:
    user = get_user_model().objects.create_user("fajar@example.com", password=PASSWORD,
                                                is_staff=True)
    client = Client()
    assert _login(client, user.username, PASSWORD) == 200  # the password works
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert _login(client, user.username, "salah-sekali") == 302
    # now even the right password is refused, from this address
    response = client.post(reverse("admin:login"),
                           {"username": user.username, "password": PASSWORD})
    assert response.status_code in (403, 429)
    assert client.get(reverse("admin:index")).status_code == 302
    # another address is not locked out by someone else's guessing
    other = Client(REMOTE_ADDR="10.0.0.7")
    assert _login(other, user.username, PASSWORD) == 200


@pytest.mark.django_db
def test_a_few_failures_then_success_resets_the_count() -> None:
    user = get_user_model().objects.create_user("gita@example.com", password=PASSWORD,
                                                is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, user.username, "salah")
    assert _login(client, user.username, PASSWORD) == 200
    client.logout()
    _login(client, user.username, "salah")
    assert _login(client, user.username, PASSWORD) == 200


@pytest.mark.django_db
def test_public_pages_carry_a_csp_without_unsafe_inline() -> None:
    cat = Category.objects.create(slug="dunia", name="Dunia")
    post = make_post("Putin menjamu Kim", category=cat,
                     image={"src": "https://example.com/a.jpg", "caption": "Foto"})
    client = Client()
    for url in ("/", post.get_absolute_url(), cat.get_absolute_url(), "/cari/?q=putin",
                "/berlangganan/", "/rss.xml", "/halaman-tidak-ada/"):
        response = client.get(url)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in csp and "style-src 'self'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, url
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp, url
    assert "Content-Security-Policy" not in client.get("/admin/login/").headers


@pytest.mark.django_db
def test_public_pages_have_no_inline_script_or_style() -> None:
    """What the CSP would block must not be there in the first place: no inline style
    attributes or <style>, no event handlers, and scripts only as JSON-LD data."""
    cat = Category.objects.create(slug="dunia", name="Dunia")
    post = make_post("Putin menjamu Kim", category=cat, dateline="Moskow",
                     image={"src": "https://example.com/a.jpg", "caption": "Foto"})
    client = Client()
    for url in ("/", post.get_absolute_url(), cat.get_absolute_url(), "/cari/?q=putin",
                "/berlangganan/"):
        doc = parse(client.get(url))
        assert doc.xpath("//*[@style]") == [], url
        assert doc.xpath("//style") == [], url
        assert doc.xpath("//@*[starts-with(name(), 'on')]") == [], url
        for script in doc.xpath("//script"):
            assert script.get("type") == "application/ld+json", url
            assert script.get("src") is None


def test_security_headers_and_cookie_flags() -> None:
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"
    assert settings.X_FRAME_OPTIONS == "DENY" and settings.SECURE_CONTENT_TYPE_NOSNIFF


def _deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WARTA_")}
    environ.update({
        "WARTA_CONFIG": os.devnull, "WARTA_DATA_DIR": str(tmp_path),
        "WARTA_SECRET_KEY": "k3Y-" + "x7Qp2Lz9Rm4Tv8Wb1Nc6Hd5Jf0Gs3Ky" * 2,
        "WARTA_DEBUG": "false", "WARTA_ALLOWED_HOSTS": "berita.example.com", **env})
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING",
         "--settings=warta.settings"], env=environ, capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_in_production_mode(tmp_path: Path) -> None:
    proc = _deploy_check(tmp_path, WARTA_HTTPS="true")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_deploy_fails_without_https(tmp_path: Path) -> None:
    """The check is real: without ``https`` the cookies are not Secure and it says so."""
    proc = _deploy_check(tmp_path, WARTA_HTTPS="false")
    assert proc.returncode != 0
    assert "SESSION_COOKIE_SECURE" in proc.stderr + proc.stdout


@pytest.mark.slow
def test_user_add_puts_the_user_in_the_role_group(warta: WartaEnv) -> None:
    for email, role in (("r@example.com", "reviewer"), ("e@example.com", "editor"),
                        ("a@example.com", "admin"), ("r@example.com", "editor")):
        warta.run("user", "add", email, "--role", role, WARTA_USER_PASSWORD=PASSWORD)
    rows = warta.query(
        "SELECT u.username, g.name, u.is_staff, u.is_superuser, u.password FROM auth_user u "
        "JOIN auth_user_groups ug ON ug.user_id = u.id JOIN auth_group g ON g.id = ug.group_id "
        "ORDER BY u.username")
    assert [(r[0], r[1], bool(r[2]), bool(r[3])) for r in rows] == [
        ("a@example.com", "admin", True, True),
        ("e@example.com", "editor", True, False),
        ("r@example.com", "editor", True, False),  # a new role replaces the old one
    ]
    assert all(r[4].startswith("argon2$") for r in rows)
    bad = warta.run("user", "add", "x@example.com", "--role", "boss", check=False,
                    WARTA_USER_PASSWORD=PASSWORD)
    assert bad.returncode != 0


@pytest.mark.django_db
def test_roles_hold_the_right_permissions() -> None:
    from warta.newsroom.roles import assign_role

    users = {}
    for role in ("reviewer", "editor", "admin"):
        users[role] = get_user_model().objects.create_user(f"{role}@example.com")
        assign_role(users[role], role)
        users[role] = get_user_model().objects.get(pk=users[role].pk)  # fresh perm cache
    can = {role: {p for p in ("newsroom.change_translation", "newsroom.approve_translation",
                              "newsroom.kill_post", "newsroom.change_source",
                              "newsroom.view_auditevent", "auth.change_user")
                  if u.has_perm(p)} for role, u in users.items()}
    assert can["reviewer"] == {"newsroom.change_translation", "newsroom.approve_translation"}
    assert can["editor"] == can["reviewer"] | {"newsroom.kill_post", "newsroom.change_source",
                                               "newsroom.view_auditevent"}
    assert "auth.change_user" in can["admin"]
