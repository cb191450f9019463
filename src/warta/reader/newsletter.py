"""Newsletter issues: which stories, to whom, and sending them over SMTP.

``send_newsletter(frequency)`` first finishes every unfinished issue of that frequency (a
run that crashed or that the SMTP server stopped), then creates the next issue if stories
were published since the last one, and sends it. Each mail is one ``Send`` row, unique per
(issue, subscriber), claimed (``sending``) before the SMTP transaction and marked ``sent``
after the server's 250, in its own transaction, so:

- a rerun never sends a ``sent`` row again and always picks up ``pending`` ones;
- a mail the server refused temporarily (4xx, dropped connection, login failure) stays
  ``pending`` with ``last_error``, and the run stops with ``NewsletterError``: the next run
  sends the rest;
- a recipient refused for good (5xx) is marked ``failed`` and the run goes on;
- a process killed between the server's 250 and the commit leaves a ``sending`` row: after
  ``SENDING_LEASE`` it is sent again with the same ``Message-ID`` (at least once, rather than
  never, and recognisable as the same mail by the receiving server).

Batches of ``newsletter.batch_size`` share one SMTP connection; ``newsletter.rate_limit``
caps messages per second.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from warta.core.errors import WartaError
from warta.newsroom.models import Post
from warta.reader.mail import digest_mail, mail_domain
from warta.reader.models import Frequency, Issue, Send, Subscriber
from warta.site.views import published_posts

log = logging.getLogger("warta.reader")

WINDOWS = {
    Frequency.INSTANT: timedelta(days=1),
    Frequency.DAILY: timedelta(days=1),
    Frequency.WEEKLY: timedelta(days=7),
}
SENDING_LEASE = timedelta(minutes=10)


class NewsletterError(WartaError):
    """A run stopped before every mail went out; running again sends the rest."""


@dataclass
class SendReport:
    issues: list[int] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    empty: int = 0
    cancelled: int = 0

    def add(self, other: SendReport) -> None:
        self.issues += other.issues
        self.sent += other.sent
        self.failed += other.failed
        self.empty += other.empty
        self.cancelled += other.cancelled


def create_issue(frequency: str, now: datetime | None = None) -> Issue | None:
    """The next issue for ``frequency``: the posts visible at ``now`` and published since
    the last issue (at most ``WINDOWS[frequency]`` back), and a ``Send`` row for every
    active subscriber of that frequency. ``None`` when there is nothing new."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            last = (Issue.objects.filter(frequency=frequency, is_test=False)
                    .order_by("-period_end").first())
            start = now - WINDOWS[Frequency(frequency)]
            if last is None:  # the very first: a start two runs at once agree on
                start = start.replace(minute=0, second=0, microsecond=0)
            elif last.period_end > start:
                start = last.period_end
            posts = list(published_posts().filter(published_at__gt=start, published_at__lte=now)
                         .values_list("id", "category_id"))
            if not posts:
                return None
            issue = Issue.objects.create(frequency=frequency, period_start=start,
                                         period_end=now, post_ids=[p for p, _ in posts])
            create_sends(issue, {c for _, c in posts})
            return issue
    except IntegrityError:  # another run created this issue at the same moment
        return None


def create_sends(issue: Issue, post_categories: set[int | None],
                 subscribers: Any = None) -> None:
    """One row per active subscriber of the issue's frequency: ``pending``, or ``empty``
    when none of the issue's stories is in a category they chose."""
    if subscribers is None:
        subscribers = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE,
                                                frequency=issue.frequency)
    rows = []
    for subscriber in subscribers.prefetch_related("categories"):
        wanted = {c.pk for c in subscriber.categories.all()}
        status = Send.Status.PENDING if not wanted or wanted & post_categories \
            else Send.Status.EMPTY
        rows.append(Send(issue=issue, subscriber=subscriber, status=status))
    Send.objects.bulk_create(rows, ignore_conflicts=True)


def _posts_for(subscriber: Subscriber, posts: list[Post]) -> list[Post]:
    wanted = {c.pk for c in subscriber.categories.all()}
    return [p for p in posts if not wanted or p.category_id in wanted]


def _is_permanent(error: Exception) -> bool:
    """A refusal that is about this one mail and will not change on a retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg.decode(errors='replace')}"
                         for code, msg in error.recipients.values())
    return f"{error.__class__.__name__}: {error}"


def _address_problem(address: str) -> str:
    """Why no mail can go to ``address`` (empty when it is a valid, one-line address)."""
    try:
        validate_email(address)
        sanitize_address(address, "utf-8")
    except (ValidationError, ValueError) as e:
        return f"invalid address {address!r}: {e}"
    return ""


def _claim(row: Send, now: datetime) -> bool:
    return Send.objects.filter(pk=row.pk, status=row.status, claimed_at=row.claimed_at).update(
        status=Send.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1) == 1


def _finish(row: Send, status: str, **fields: Any) -> None:
    Send.objects.filter(pk=row.pk).update(status=status, **fields)


def _due_rows(issue: Issue, now: datetime, limit: int) -> list[Send]:
    stale = Q(status=Send.Status.SENDING, claimed_at__lt=now - SENDING_LEASE)
    return list(issue.sends.filter(Q(status=Send.Status.PENDING) | stale)
                .select_related("subscriber").prefetch_related("subscriber__categories")
                .order_by("id")[:limit])


def send_issue(issue: Issue, *, connection_factory: Callable[[], Any] = get_connection,
               sleep: Callable[[float], None] = time.sleep) -> SendReport:
    """Send every due mail of ``issue``. Raises ``NewsletterError`` when the SMTP server
    refuses temporarily or cannot be reached; what was sent stays sent."""
    report = SendReport(issues=[issue.pk])
    posts = list(published_posts().filter(pk__in=issue.post_ids))  # killed since: left out
    batch_size = max(1, int(settings.WARTA["newsletter.batch_size"]))
    rate = float(settings.WARTA["newsletter.rate_limit"])
    while rows := _due_rows(issue, timezone.now(), batch_size):
        connection = connection_factory()
        try:
            connection.open()
            for row in rows:
                _send_row(row, issue, posts, connection, report)
                if rate > 0:
                    sleep(1.0 / rate)
        except (smtplib.SMTPException, OSError) as e:
            raise NewsletterError(
                f"the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} stopped issue "
                f"#{issue.pk}: {_describe(e)}. {report.sent} mail(s) went out in this run; "
                "run `warta newsletter send` again to send the rest (nothing is sent twice)"
            ) from e
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()
    if not issue.sends.filter(status__in=[Send.Status.PENDING, Send.Status.SENDING]).exists():
        Issue.objects.filter(pk=issue.pk, completed_at=None).update(completed_at=timezone.now())
    return report


def _send_row(row: Send, issue: Issue, posts: list[Post], connection: Any,
              report: SendReport) -> None:
    """One mail. Raises the SMTP error when the run must stop (the row is pending again)."""
    now = timezone.now()
    if not _claim(row, now):
        return  # another run has it
    subscriber = row.subscriber
    if subscriber.status != Subscriber.Status.ACTIVE:
        _finish(row, Send.Status.CANCELLED)
        report.cancelled += 1
        return
    chosen = _posts_for(subscriber, posts)
    if not chosen:
        _finish(row, Send.Status.EMPTY)
        report.empty += 1
        return
    problem = _address_problem(subscriber.email)
    if problem:  # stored without the form (admin, an import): no mail can be built for it
        _finish(row, Send.Status.FAILED, last_error=problem, last_error_at=now)
        report.failed += 1
        log.warning("newsletter: issue %s to subscriber %s not sent: %s", issue.pk,
                    subscriber.pk, problem)
        return
    try:
        connection.send_messages([digest_mail(issue, subscriber, chosen)])
    except (smtplib.SMTPException, OSError) as e:
        if _is_permanent(e):
            _finish(row, Send.Status.FAILED, last_error=_describe(e), last_error_at=now)
            report.failed += 1
            log.warning("newsletter: issue %s to subscriber %s refused: %s", issue.pk,
                        subscriber.pk, _describe(e))
            return
        _finish(row, Send.Status.PENDING, claimed_at=None, last_error=_describe(e),
                last_error_at=now)
        raise
    _finish(row, Send.Status.SENT, sent_at=timezone.now())
    report.sent += 1


def send_newsletter(frequency: str, *, now: datetime | None = None,
                    connection_factory: Callable[[], Any] = get_connection,
                    sleep: Callable[[float], None] = time.sleep) -> SendReport:
    """Finish unfinished issues of ``frequency``, then create and send the next one."""
    report = SendReport()
    unfinished = Issue.objects.filter(frequency=frequency, completed_at=None).order_by("id")
    for issue in unfinished:
        report.add(send_issue(issue, connection_factory=connection_factory, sleep=sleep))
    issue = create_issue(frequency, now)
    if issue is not None:
        report.add(send_issue(issue, connection_factory=connection_factory, sleep=sleep))
    return report



TEST_ISSUE_STORIES = 10


def send_test_issue(address: str, frequency: str = Frequency.DAILY,
                    now: datetime | None = None) -> Issue:
    """Mail the issue ``frequency`` would carry now (the newest stories of its window, at
    most ``TEST_ISSUE_STORIES``) to ``address`` only, subject marked ``[TEST]``. Recorded as
    an ``is_test`` issue with no ``Send`` rows: it changes nothing for subscribers and is
    never counted as the last real issue. The address's own subscriber record, if any, gives
    working links; otherwise the links in it lead nowhere. Raises ``NewsletterError`` when
    there is no story to show or the SMTP server refuses."""
    now = now or timezone.now()
    start = now - WINDOWS[Frequency(frequency)]
    posts = list(published_posts().filter(published_at__gt=start, published_at__lte=now)
                 [:TEST_ISSUE_STORIES])
    if not posts:
        raise NewsletterError(f"no story was published in the {frequency} window: "
                              "nothing to put in a test issue")
    subscriber = Subscriber.objects.filter(email=address).first() \
        or Subscriber(email=address, frequency=frequency)
    issue = Issue.objects.create(frequency=frequency, period_start=start, period_end=now,
                                 post_ids=[p.pk for p in posts], is_test=True)
    mail = digest_mail(issue, subscriber, posts)
    mail.subject = f"[TEST] {mail.subject}"
    mail.extra_headers["Message-ID"] = make_msgid(f"warta.test{issue.pk}",
                                                  domain=mail_domain())
    try:
        get_connection().send_messages([mail])
    except (smtplib.SMTPException, OSError) as e:
        issue.delete()  # nothing went out: no record of a test issue that was not sent
        raise NewsletterError(
            f"the SMTP server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} refused the test "
            f"issue to {address}: {_describe(e)}") from e
    Issue.objects.filter(pk=issue.pk).update(completed_at=timezone.now())
    return issue
