"""Bad input the newsletter must survive that tests/test_newsletter.py does not already
cover: an SMTP server that drops the connection mid-batch, and addresses stored without
going through the form (admin, an import) that no mail can be built for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.smtpserver import LocalSMTPServer, RecordingHandler, smtp_settings
from tests.test_api import make_post
from warta.reader.models import Send, Subscriber
from warta.reader.newsletter import NewsletterError, send_newsletter

pytestmark = pytest.mark.dbmatrix


class DroppingHandler(RecordingHandler):
    """Accepts ``drop_after`` messages, then closes the connection instead of answering
    the next DATA (a crashed or restarted server)."""

    drop_after: int | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            drop = self.drop_after is not None and len(self.messages) >= self.drop_after
        if drop:
            server.transport.close()
            return "421 closing"  # never reaches the client: the connection is gone
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp() -> Iterator[LocalSMTPServer]:
    server = LocalSMTPServer()
    server.handler = DroppingHandler()
    server.controller.handler = server.handler
    server.start()
    try:
        with smtp_settings(server):
            yield server
    finally:
        server.stop()


def active(email: str) -> Subscriber:
    return Subscriber.objects.create(email=email, status=Subscriber.Status.ACTIVE)


@pytest.mark.django_db
def test_connection_dropped_mid_batch_stops_the_run_and_the_rerun_sends_the_rest_once(
        smtp: LocalSMTPServer) -> None:
    make_post("Berita satu")
    emails = [f"d{n}@contoh.id" for n in range(4)]
    for email in emails:
        active(email)
    assert isinstance(smtp.handler, DroppingHandler)
    smtp.handler.drop_after = 2
    with pytest.raises(NewsletterError, match="SMTPServerDisconnected") as err:
        send_newsletter("daily")
    assert "2 mail(s) went out" in str(err.value)
    assert smtp.recipients() == emails[:2]
    assert list(Send.objects.order_by("id").values_list("status", flat=True)) == [
        "sent", "sent", "pending", "pending"]
    assert "SMTPServerDisconnected" in Send.objects.get(subscriber__email=emails[2]).last_error

    smtp.handler.drop_after = None
    assert send_newsletter("daily").sent == 2
    assert sorted(smtp.recipients()) == sorted(emails)  # each exactly once


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["korban@contoh.id\r\nBcc: lain@contoh.id",
                                 "tanpa-at", "a@b@c"])
def test_a_stored_address_no_mail_can_go_to_fails_alone(smtp: LocalSMTPServer,
                                                        bad: str) -> None:
    make_post("Berita satu")
    active("a@contoh.id")
    Subscriber.objects.create(email=bad, status=Subscriber.Status.ACTIVE)  # not via the form
    active("z@contoh.id")
    report = send_newsletter("daily")
    assert (report.sent, report.failed) == (2, 1)
    assert sorted(smtp.recipients()) == ["a@contoh.id", "z@contoh.id"]
    failed = Send.objects.get(status="failed")
    assert failed.subscriber.email == bad and "address" in failed.last_error


@pytest.mark.django_db
def test_two_runs_creating_the_same_issue_at_once_make_one(smtp: LocalSMTPServer) -> None:
    from warta.reader.models import Issue
    from warta.reader.newsletter import create_issue

    make_post("Berita satu", hours_ago=3)
    active("a@contoh.id")
    first = create_issue("daily")
    assert first is not None
    make_post("Berita dua", hours_ago=0)
    # another run read the same last issue a moment before and created the next one
    other = Issue.objects.create(frequency="daily", period_start=first.period_end,
                                 period_end=first.period_end, post_ids=[])
    assert create_issue("daily") is None  # this run's would start at the same point
    assert Issue.objects.filter(is_test=False).count() == 2 and other.sends.count() == 0
