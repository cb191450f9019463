"""The editorial back office: Django's admin, customised.

- Sources with their health (last fetch, HTTP status, errors, entries) and the actions
  poll now / enable / disable;
- entries by status and source; posts with "kill" (410 Gone, out of feeds and sitemaps);
- the review queue (``translation/queue/``), the side-by-side editor
  (``translation/<id>/review/``) with approve / reject / send back, and each translation's
  revisions with diffs and restore;
- the audit log, read-only, exportable as JSON lines.

The rules live in ``review.py``; this module checks permissions, reads forms and renders.
Every change made here is written to the audit log.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warta.core.errors import WartaError
from warta.newsroom import audit, review
from warta.newsroom.models import (
    AuditEvent,
    Category,
    Entry,
    Post,
    Source,
    Translation,
    TranslationRevision,
)

admin.site.site_header = format_lazy("{} — {}", settings.WARTA["site.name"],
                                      gettext_lazy("newsroom"))
admin.site.site_title = admin.site.site_header
admin.site.index_template = "admin/newsroom/index.html"


def _http_url(url: str | None) -> str:
    """Only http(s) links are rendered (never ``javascript:`` from a feed)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else ""


def _require(request: HttpRequest, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied(perm)


class AuditedAdmin(admin.ModelAdmin):
    """Records every add, change and delete made through the admin's forms."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        name = obj._meta.model_name
        audit.record(request.user, f"{name}.{'change' if change else 'add'}", obj,
                     before=before, after=audit.snapshot(obj),
                     note=", ".join(form.changed_data) if change else "")

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit.record(request.user, f"{obj._meta.model_name}.delete", obj,
                     before=audit.snapshot(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            audit.record(request.user, f"{obj._meta.model_name}.delete", obj,
                         before=audit.snapshot(obj))
        super().delete_queryset(request, queryset)


# ---------------------------------------------------------------- sources

@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    list_display = ["name", "enabled", "auto_publish", "last_fetched", "last_http_status",
                    "error_count", "short_error", "n_entries"]
    list_filter = ["enabled", "auto_publish", "format"]
    search_fields = ["name", "url"]
    actions = ["poll_now", "enable", "disable"]
    readonly_fields = ["etag", "last_modified", "last_fetched", "last_http_status",
                       "next_poll", "next_poll_reason", "lease_until", "lease_owner",
                       "error_count", "last_error", "last_error_at", "created", "folder_seen"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(_entries=Count("entries"))

    @admin.display(description=gettext_lazy("entries"), ordering="_entries")
    def n_entries(self, obj: Source) -> int:
        return getattr(obj, "_entries", 0)

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, obj: Source) -> str:
        return obj.last_error[:120]

    @admin.action(description=gettext_lazy("Poll now"), permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        for source in queryset:
            outcome = review.poll_source_now(source, request.user)
            self.message_user(request, f"{source.name}: {outcome}",
                              messages.ERROR if outcome.startswith("error") else messages.INFO)

    @admin.action(description=gettext_lazy("Enable polling"), permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        n = sum(review.set_source_enabled(s, request.user, True) for s in queryset)
        self.message_user(request, _("%(n)d source(s) enabled.") % {"n": n})

    @admin.action(description=gettext_lazy("Disable polling"), permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        n = sum(review.set_source_enabled(s, request.user, False) for s in queryset)
        self.message_user(request, _("%(n)d source(s) disabled.") % {"n": n})


# ---------------------------------------------------------------- entries, posts

@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["title", "source", "status", "published", "created", "error_count"]
    list_filter = ["status", "source"]
    search_fields = ["title", "url", "guid"]
    list_select_related = ["source"]
    exclude = ["html"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # entries are the pipeline's; editors act on translations and posts


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Post)
class PostAdmin(AuditedAdmin):
    list_display = ["headline", "source_name", "status", "published_at", "category", "view"]
    list_filter = ["status", "category", "source_name"]
    search_fields = ["slug", "translation__title"]
    list_select_related = ["translation", "category"]
    actions = ["kill"]
    fields = ["slug", "category", "status", "published_at", "source_name", "original_url",
              "attribution", "killed_at", "kill_reason"]
    readonly_fields = ["slug", "status", "published_at", "source_name", "original_url",
                       "attribution", "killed_at", "kill_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_kill_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("newsroom.kill_post")

    @admin.display(description=gettext_lazy("headline"), ordering="translation__title")
    def headline(self, obj: Post) -> str:
        return obj.translation.title

    @admin.display(description=gettext_lazy("page"))
    def view(self, obj: Post) -> str:
        return format_html('<a href="{}">{}</a>', obj.get_absolute_url(), obj.slug[:40])

    @admin.action(description=gettext_lazy("Kill (withdraw) selected posts"),
                  permissions=["kill"])
    def kill(self, request: HttpRequest, queryset: QuerySet[Post]) -> HttpResponse | None:
        reason = (request.POST.get("reason") or "").strip()
        if request.POST.get("confirm") and reason:
            n = sum(review.kill_post(p, request.user, reason) for p in queryset)
            self.message_user(request, _("%(n)d post(s) killed.") % {"n": n})
            return None
        if request.POST.get("confirm"):
            self.message_user(request, _("A kill needs a reason."), messages.ERROR)
        return TemplateResponse(request, "admin/newsroom/post/kill.html", {
            **self.admin_site.each_context(request),
            "title": _("Kill posts"), "opts": self.model._meta, "posts": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })


# ---------------------------------------------------------------- translations

@admin.register(Translation)
class TranslationAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "entry_status", "n_flags", "edited_at", "review_link"]
    list_filter = ["article__entry__status", "language", "engine"]
    search_fields = ["title", "article__title"]
    list_select_related = ["article__entry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("status"), ordering="article__entry__status")
    def entry_status(self, obj: Translation) -> str:
        return obj.article.entry.get_status_display()

    @admin.display(description=gettext_lazy("flags"))
    def n_flags(self, obj: Translation) -> int:
        return len(obj.flags or [])

    @admin.display(description=gettext_lazy("review"))
    def review_link(self, obj: Translation) -> str:
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:newsroom_translation_review", args=[obj.pk]),
                           _("side by side"))

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("queue/", wrap(self.queue_view), name="newsroom_translation_queue"),
            path("<int:pk>/review/", wrap(self.review_view), name="newsroom_translation_review"),
            path("<int:pk>/revisions/", wrap(self.revisions_view),
                 name="newsroom_translation_revisions"),
            path("<int:pk>/revisions/<int:number>/", wrap(self.revisions_view),
                 name="newsroom_translation_revision"),
            path("<int:pk>/revisions/<int:number>/restore/", wrap(self.restore_view),
                 name="newsroom_translation_restore"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        """One way to edit a translation: the side-by-side editor (revisions, audit)."""
        return HttpResponseRedirect(reverse("admin:newsroom_translation_review",
                                            args=[object_id]))

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, **extra}

    def queue_view(self, request: HttpRequest) -> HttpResponse:
        _require(request, "newsroom.view_translation")
        return TemplateResponse(request, "admin/newsroom/translation/queue.html", self._context(
            request, title=_("Review queue"), items=review.review_queue()))

    def review_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        _require(request, "newsroom.view_translation")
        t = get_object_or_404(Translation.objects.select_related("article__entry__source"),
                              pk=pk)
        status = 200
        posted: dict[str, str] = {}
        if request.method == "POST":
            response, posted, status = self._review_post(request, t)
            if response is not None:
                return response
            t.refresh_from_db()
        rows = review.aligned_rows(t)
        for row in rows:
            if row.key in posted:
                row.text = posted[row.key]
        entry = t.article.entry
        post = Post.objects.filter(entry=entry).first()
        return TemplateResponse(request, "admin/newsroom/translation/review.html", self._context(
            request, title=_("Review: %(title)s") % {"title": t.title}, translation=t,
            rows=rows, entry=entry, source=entry.source, post=post,
            original_url=_http_url(t.article.canonical_url or t.article.url or entry.url),
            flags=review.reasons(list(t.flags or []), entry.source.auto_publish),
            can_edit=request.user.has_perm("newsroom.change_translation"),
            can_decide=request.user.has_perm("newsroom.approve_translation"),
            in_review=entry.status == Entry.Status.IN_REVIEW,
            version=int(posted.get("version") or t.version) if posted else t.version,
        ), status=status)

    def _review_post(self, request: HttpRequest, t: Translation,
                     ) -> tuple[HttpResponse | None, dict[str, str], int]:
        """Save / approve / reject / send back. Returns (redirect or None, the posted
        texts to show again, HTTP status)."""
        action = request.POST.get("action", "save")
        _require(request, "newsroom.change_translation" if action == "save"
                 else "newsroom.approve_translation")
        keys = [r.key for r in review.aligned_rows(t)]
        values = {k: request.POST[k] for k in keys if k in request.POST}
        here = reverse("admin:newsroom_translation_review", args=[t.pk])
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            if action in ("save", "approve") and values:
                _require(request, "newsroom.change_translation")
                changed = review.save_edit(t, values, request.user, version=version)
                if changed and action == "save":
                    messages.success(request, _("Saved: %(n)d change(s).") % {"n": len(changed)})
            if action == "approve":
                post = review.approve(t, request.user)
                messages.success(request, format_html(
                    _("Published: <a href=\"{}\">{}</a>"), post.get_absolute_url(),
                    post.get_absolute_url()))
                return HttpResponseRedirect(reverse("admin:newsroom_translation_queue")), {}, 302
            if action == "reject":
                review.reject(t, request.user, request.POST.get("reason", "").strip())
                messages.success(request, _("Rejected: the story will not be published."))
                return HttpResponseRedirect(reverse("admin:newsroom_translation_queue")), {}, 302
            if action == "send_back":
                flags = review.send_back(t, request.user)
                messages.success(request, _("Translated again: %(n)d flag(s).")
                                 % {"n": len(flags)})
        except review.EditConflict as e:
            messages.error(request, _("Not saved: someone else changed this translation while "
                                      "you were editing. Your text is below; compare it with "
                                      "the revisions, then save again.") + f" ({e})")
            return None, {**values, "version": str(e.found)}, 409
        except WartaError as e:
            messages.error(request, str(e))
            return None, values, 400
        return HttpResponseRedirect(here), {}, 302

    def revisions_view(self, request: HttpRequest, pk: int,
                       number: int | None = None) -> HttpResponse:
        _require(request, "newsroom.view_translation")
        t = get_object_or_404(Translation, pk=pk)
        revisions = list(t.revisions.select_related("created_by").order_by("-number"))
        diff = ""
        chosen = None
        if number is not None:
            chosen = get_object_or_404(TranslationRevision, translation=t, number=number)
            diff = mark_safe(review.revision_diff(  # difflib escapes the texts
                review.version_content(chosen), review.version_content(t),
                older_label=_("revision %(n)d") % {"n": chosen.number},
                newer_label=_("current")))
        return TemplateResponse(request, "admin/newsroom/translation/revisions.html",
                                self._context(request, title=_("Revisions: %(title)s")
                                              % {"title": t.title}, translation=t,
                                              revisions=revisions, chosen=chosen, diff=diff,
                                              can_edit=request.user.has_perm(
                                                  "newsroom.change_translation")))

    def restore_view(self, request: HttpRequest, pk: int, number: int) -> HttpResponse:
        _require(request, "newsroom.change_translation")
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:newsroom_translation_revision",
                                                args=[pk, number]))
        t = get_object_or_404(Translation, pk=pk)
        revision = get_object_or_404(TranslationRevision, translation=t, number=number)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = -1
        try:
            review.restore_revision(t, revision, request.user, version=version)
            messages.success(request, _("Revision %(n)d restored.") % {"n": number})
        except WartaError as e:
            messages.error(request, str(e))
        return HttpResponseRedirect(reverse("admin:newsroom_translation_review", args=[pk]))


# ---------------------------------------------------------------- audit log

@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created", "actor_name", "action", "object_type", "object_repr", "note"]
    list_filter = ["action", "object_type", "actor_name"]
    search_fields = ["object_repr", "note", "actor_name", "object_id"]
    date_hierarchy = "created"
    actions = ["export_jsonl"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("Export selected as JSON lines"),
                  permissions=["view"])
    def export_jsonl(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> HttpResponse:
        lines = (json.dumps(audit.event_dict(e), ensure_ascii=False, default=str)
                 for e in queryset.order_by("created", "id"))
        response = HttpResponse("\n".join(lines) + "\n", content_type="application/x-ndjson")
        response["Content-Disposition"] = 'attachment; filename="warta-audit.jsonl"'
        return response
