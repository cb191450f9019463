"""Subscribers and issues in the admin: counts per status and frequency (a table above the
list, and the filters' facets), what each issue carried and how many of its mails went out,
and "send a test issue" to one address. Read-mostly: people manage their own subscription
through their signed links."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from warta.newsroom import audit
from warta.reader.forms import _CONTROL
from warta.reader.models import Frequency, Issue, Send, Subscriber
from warta.reader.newsletter import NewsletterError, send_test_issue


class TestIssueForm(forms.Form):
    email = forms.EmailField(label=_("Send to"), max_length=254)
    frequency = forms.ChoiceField(label=_("Issue"), choices=Frequency.choices,
                                  initial=Frequency.DAILY)

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"])
        if _CONTROL.search(email):
            raise forms.ValidationError(
                _("Enter a valid e-mail address, like nama@contoh.id."))
        return email.strip().lower()


def subscriber_counts() -> dict[str, Any]:
    """Subscribers per frequency (rows) and status (columns), with totals."""
    statuses = [s.value for s in Subscriber.Status]
    cells = {(r["frequency"], r["status"]): r["n"] for r in
             Subscriber.objects.values("frequency", "status").annotate(n=Count("id"))}
    rows = [{"frequency": label,
             "counts": [cells.get((value, s), 0) for s in statuses],
             "total": sum(cells.get((value, s), 0) for s in statuses)}
            for value, label in Frequency.choices]
    totals = [sum(cells.get((f, s), 0) for f in Frequency.values) for s in statuses]
    return {"statuses": statuses, "rows": rows, "totals": totals, "total": sum(totals)}


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ("email", "status", "frequency", "created", "confirmed_at")
    list_filter = ("status", "frequency", "categories")
    search_fields = ("email", "name")
    show_facets = admin.ShowFacets.ALWAYS  # the filters show how many subscribers each
    readonly_fields = ("key", "created", "confirmed_at", "unsubscribed_at")
    change_list_template = "admin/reader/subscriber/change_list.html"

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"subscriber_counts": subscriber_counts(), **(extra_context or {})}
        return super().changelist_view(request, extra_context=extra)

    def get_urls(self) -> list[Any]:
        return [path("send-test/", self.admin_site.admin_view(self.send_test_view),
                     name="reader_subscriber_send_test"), *super().get_urls()]

    def send_test_view(self, request: HttpRequest) -> HttpResponse:
        """Staff with the right to change subscribers mail a test issue to one address;
        the admin's CSRF protection applies, and each test is in the audit log."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = TestIssueForm(request.POST or None)
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                address, frequency = form.cleaned_data["email"], form.cleaned_data["frequency"]
                try:
                    issue = send_test_issue(address, frequency)
                except NewsletterError as e:
                    messages.error(request, str(e))
                else:
                    audit.record(request.user, "newsletter.test_issue", issue,
                                 after={"to": address, "frequency": frequency,
                                        "posts": issue.post_ids})
                    messages.success(request, gettext(
                        "Test issue #%(id)s sent to %(address)s (%(n)s stories).") % {
                        "id": issue.pk, "address": address, "n": len(issue.post_ids)})
                    return HttpResponseRedirect(reverse("admin:reader_subscriber_changelist"))
        context = {**self.admin_site.each_context(request), "form": form,
                   "title": gettext("Send a test issue"), "opts": self.model._meta}
        return TemplateResponse(request, "admin/reader/subscriber/send_test.html", context,
                                status=status)


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
