"""Instant alerts: publishing a story mails the "as it happens" subscribers whose categories
it is in, from a background thread once the publish commits, through a real SMTP server on
127.0.0.1 (aiosmtpd) — batched, resumable after a refusal, never twice."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import transaction

from tests.support.smtpserver import LocalSMTPServer, smtp_settings
from tests.test_api import make_post
from warta.config import Config
from warta.newsroom.models import Category
from warta.reader import background
from warta.reader.models import Issue, Send, Subscriber
from warta.reader.newsletter import send_newsletter

pytestmark = pytest.mark.dbmatrix


@pytest.fixture
def smtp() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer().start()
    merged = {**settings.WARTA.values, "newsletter.alert_delay": 0.0}
    try:
        with smtp_settings(server, WARTA=Config(merged, None)):
            yield server
            settle()
    finally:
        server.stop()


def settle() -> None:
    assert background.alerts.wait_idle(60), "the alert worker did not finish"


def subscriber(email: str, frequency: str = "instant", *categories: Category,
               status: str = Subscriber.Status.ACTIVE) -> Subscriber:
    sub = Subscriber.objects.create(email=email, frequency=frequency, status=status)
    sub.categories.set(categories)
    return sub


@pytest.mark.django_db(transaction=True)
def test_publishing_alerts_instant_subscribers_of_its_category_once(
        smtp: LocalSMTPServer) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    money = Category.objects.create(slug="ekonomi", name="Ekonomi")
    subscriber("semua@contoh.id")
    subscriber("dunia@contoh.id", "instant", world)
    subscriber("ekonomi@contoh.id", "instant", money)
    subscriber("harian@contoh.id", "daily")
    subscriber("belum@contoh.id", status=Subscriber.Status.PENDING)

    make_post("Gempa di Chile", category=world, hours_ago=0)
    settle()
    assert sorted(smtp.recipients()) == ["dunia@contoh.id", "semua@contoh.id"]
    alert = smtp.messages[0]
    assert alert["Subject"] == "Warta: Gempa di Chile"
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Gempa di Chile" in alert.get_body(preferencelist=("plain",)).get_content()
    assert Send.objects.filter(status="empty").count() == 1  # ekonomi: not their category

    # the cron run finds nothing new; another publish alerts only about the new story
    assert send_newsletter("instant").sent == 0
    make_post("Harga beras naik", category=money, hours_ago=0)
    settle()
    assert sorted(smtp.recipients()) == ["dunia@contoh.id", "ekonomi@contoh.id",
                                         "semua@contoh.id", "semua@contoh.id"]
    assert Issue.objects.filter(frequency="instant").count() == 2


@pytest.mark.django_db(transaction=True)
def test_stories_published_together_share_one_alert(smtp: LocalSMTPServer) -> None:
    subscriber("a@contoh.id")
    with transaction.atomic():
        make_post("Berita satu", hours_ago=0)
        make_post("Berita dua", hours_ago=0)
    settle()
    (mail,) = smtp.messages
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Berita satu" in text and "Berita dua" in text


@pytest.mark.django_db(transaction=True)
def test_a_refusing_server_is_logged_and_the_next_run_sends_the_rest_once(
        smtp: LocalSMTPServer, caplog: pytest.LogCaptureFixture) -> None:
    emails = [f"r{n}@contoh.id" for n in range(3)]
    for email in emails:
        subscriber(email)
    smtp.handler.refuse_after = 1
    with caplog.at_level(logging.WARNING, logger="warta.reader"):
        make_post("Berita pertama", hours_ago=0)
        settle()
    assert "451" in caplog.text and "send the rest" in caplog.text
    assert smtp.recipients() == emails[:1]
    smtp.handler.refuse_after = None
    make_post("Berita kedua", hours_ago=0)  # the next alert run finishes the first issue
    settle()
    received: dict[str, list[str]] = {}
    for message in smtp.messages:
        received.setdefault(str(message["To"]), []).append(str(message["Subject"]))
    assert received == {e: ["Warta: Berita pertama", "Warta: Berita kedua"] for e in emails}


@pytest.mark.django_db(transaction=True)
def test_no_instant_subscribers_means_no_alert_work(smtp: LocalSMTPServer) -> None:
    subscriber("harian@contoh.id", "daily")
    make_post("Berita", hours_ago=0)
    settle()
    assert smtp.messages == [] and Issue.objects.count() == 0
