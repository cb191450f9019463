"""The newsletter in the admin: subscriber counts by frequency and status, and "send a test
issue" to one address (staff with the right permission, CSRF-checked, audit-logged), mailed
through a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.support.smtpserver import LocalSMTPServer
from tests.test_api import make_post
from warta.newsroom.models import AuditEvent
from warta.reader.models import Issue, Send, Subscriber

pytestmark = pytest.mark.dbmatrix
SEND_TEST = "/admin/reader/subscriber/send-test/"


def staff(*perms: str, superuser: bool = False) -> Any:
    user = get_user_model().objects.create_user(
        "redaktur", "redaktur@warta.example", "x", is_staff=True, is_superuser=superuser)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def csrf_client(user: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def token(client: Client, path: str) -> str:
    page = lxml.html.document_fromstring(client.get(path).content)
    return str(page.xpath("//input[@name='csrfmiddlewaretoken']/@value")[0])


@pytest.mark.django_db
def test_changelist_counts_subscribers_by_frequency_and_status() -> None:
    for n, (frequency, status) in enumerate([("daily", "active"), ("daily", "active"),
                                             ("daily", "pending"), ("instant", "active"),
                                             ("weekly", "unsubscribed")]):
        Subscriber.objects.create(email=f"s{n}@contoh.id", frequency=frequency, status=status)
    client = csrf_client(staff("view_subscriber"))
    page = lxml.html.document_fromstring(client.get("/admin/reader/subscriber/").content)
    (table,) = page.xpath("//table[@id='subscriber-counts']")
    rows = [[c.text_content().strip() for c in tr.xpath("./th|./td")]
            for tr in table.xpath(".//tr")]
    assert rows == [
        ["frequency", "pending", "active", "unsubscribed", "total"],
        ["as it happens", "0", "1", "0", "1"],
        ["daily digest", "1", "2", "0", "3"],
        ["weekly digest", "0", "0", "1", "1"],
        ["total", "1", "3", "1", "5"],
    ]
    (link,) = page.xpath(f"//a[@href='{SEND_TEST}']")
    assert link.text_content() == "Kirim edisi uji"  # the admin speaks the site's language


@pytest.mark.django_db
def test_send_test_issue_to_one_address_with_csrf_and_audit(smtp: LocalSMTPServer) -> None:
    make_post("Berita uji", hours_ago=2)
    reader = Subscriber.objects.create(email="pembaca@contoh.id", status="active")
    user = staff(superuser=True)
    client = csrf_client(user)
    # no CSRF token: refused, nothing sent
    assert client.post(SEND_TEST, {"email": "uji@contoh.id", "frequency": "daily"}) \
        .status_code == 403
    response = client.post(SEND_TEST, {"csrfmiddlewaretoken": token(client, SEND_TEST),
                                       "email": "Uji@Contoh.id", "frequency": "daily"})
    assert response.status_code == 302
    (mail,) = smtp.messages
    assert smtp.recipients() == ["uji@contoh.id"]
    assert mail["Subject"].startswith("[TEST] ")
    assert "Berita uji" in mail.get_body(preferencelist=("plain",)).get_content()
    issue = Issue.objects.get()
    assert issue.is_test and issue.completed_at is not None and len(issue.post_ids) == 1
    assert Send.objects.count() == 0 and reader.sends.count() == 0
    event = AuditEvent.objects.get(action="newsletter.test_issue")
    assert event.actor == user and event.after["to"] == "uji@contoh.id"


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["bukan-alamat", "a@contoh.id\r\nBcc: b@contoh.id", ""])
def test_send_test_refuses_a_bad_address(smtp: LocalSMTPServer, email: str) -> None:
    make_post("Berita uji")
    client = csrf_client(staff(superuser=True))
    response = client.post(SEND_TEST, {"csrfmiddlewaretoken": token(client, SEND_TEST),
                                       "email": email, "frequency": "daily"})
    assert response.status_code == 400
    assert smtp.messages == [] and Issue.objects.count() == 0


@pytest.mark.django_db
def test_send_test_says_why_when_nothing_can_be_sent(smtp: LocalSMTPServer) -> None:
    client = csrf_client(staff(superuser=True))
    response = client.post(SEND_TEST, {"csrfmiddlewaretoken": token(client, SEND_TEST),
                                       "email": "uji@contoh.id", "frequency": "weekly"})
    assert response.status_code == 400
    assert "nothing to put in a test issue" in response.content.decode()
    make_post("Berita uji")
    smtp.handler.refuse_after = 0  # the server refuses: said, and no test issue recorded
    response = client.post(SEND_TEST, {"csrfmiddlewaretoken": token(client, SEND_TEST),
                                       "email": "uji@contoh.id", "frequency": "daily"})
    assert response.status_code == 400 and "451" in response.content.decode()
    assert Issue.objects.count() == 0


@pytest.mark.django_db
def test_send_test_is_for_staff_with_the_permission_only(client: Client) -> None:
    assert client.get(SEND_TEST).status_code == 302  # to the login page
    viewer = csrf_client(staff("view_subscriber"))
    assert viewer.get(SEND_TEST).status_code == 403
