"""Subscribers and what was sent to them.

A subscriber is ``pending`` until they follow the signed link in the confirmation mail,
then ``active``; unsubscribing keeps the row (``unsubscribed``) so a late mail can still be
traced, and ``warta subscribers delete`` removes it with its history.

An ``Issue`` is one newsletter edition for one frequency: the posts it carries are fixed when
it is created, and so is its audience, one ``Send`` row per subscriber created in the same
transaction. ``Send`` is unique per (issue, subscriber), and a row is claimed (``sending``)
before its mail is handed to the SMTP server and marked ``sent`` after, so a crashed or
refused run is finished by the next one without sending anything twice or skipping anyone.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from warta.newsroom.models import Category


def new_key() -> str:
    return secrets.token_urlsafe(12)


class Frequency(models.TextChoices):
    INSTANT = "instant", "as it happens"
    DAILY = "daily", "daily digest"
    WEEKLY = "weekly", "weekly digest"


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        ACTIVE = "active"
        UNSUBSCRIBED = "unsubscribed"

    email = models.EmailField(max_length=254, unique=True, help_text="stored in lower case")
    name = models.CharField(max_length=100, blank=True, default="")
    categories = models.ManyToManyField(
        Category, blank=True, related_name="subscribers",
        help_text="none chosen = every category")
    frequency = models.CharField(max_length=16, choices=Frequency.choices,
                                 default=Frequency.DAILY)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING,
                              db_index=True)
    key = models.CharField(max_length=32, default=new_key,
                           help_text="part of every signed link; a new key voids old links")
    created = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email


class Issue(models.Model):
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(db_index=True)
    post_ids = models.JSONField(default=list, help_text="the posts it carries, newest first")
    created = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True,
                                        help_text="when its last pending mail went out")
    is_test = models.BooleanField(default=False)

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [
            # two runs at once (the cron line and an instant alert) both start the next
            # issue where the last one ended: only one of them can create it
            models.UniqueConstraint(fields=["frequency", "period_start"],
                                    condition=models.Q(is_test=False),
                                    name="issue_once_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.frequency} #{self.pk} ({self.period_end:%Y-%m-%d %H:%M})"


class Send(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"  # handed to the SMTP server; ``sent`` once it said 250
        SENT = "sent"
        EMPTY = "empty"  # none of the issue's stories is in the subscriber's categories
        CANCELLED = "cancelled"  # unsubscribed before their mail went out
        FAILED = "failed"  # refused for good (5xx for this recipient)

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="sends")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="sends")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="send_once_per_issue"),
        ]
        indexes = [models.Index(fields=["issue", "status"], name="send_work_idx")]

    def __str__(self) -> str:
        return f"{self.issue_id} → {self.subscriber_id}: {self.status}"
