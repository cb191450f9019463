"""Subscribers and issues in the admin: counts per status and frequency (the filters show
them), what each issue carried and how many of its mails went out. Read-mostly: people
manage their own subscription through their signed links."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from warta.reader.models import Issue, Send, Subscriber


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "created", "confirmed_at")
    list_filter = ("status", "frequency", "categories")
    search_fields = ("email", "name")
    show_facets = admin.ShowFacets.ALWAYS  # the filters show how many subscribers each
    readonly_fields = ("key", "created", "confirmed_at", "unsubscribed_at")


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ("__str__", "frequency", "stories", "sent", "pending", "completed_at")
    list_filter = ("frequency",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Issue]:
        return super().get_queryset(request).annotate(
            n_sent=Count("sends", filter=Q(sends__status=Send.Status.SENT)),
            n_pending=Count("sends", filter=Q(sends__status__in=[Send.Status.PENDING,
                                                                   Send.Status.SENDING])))

    @admin.display(description="stories")
    def stories(self, issue: Issue) -> int:
        return len(issue.post_ids or [])

    @admin.display(description="sent", ordering="n_sent")
    def sent(self, issue: Issue) -> int:
        return int(getattr(issue, "n_sent", 0))

    @admin.display(description="pending", ordering="n_pending")
    def pending(self, issue: Issue) -> int:
        return int(getattr(issue, "n_pending", 0))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
