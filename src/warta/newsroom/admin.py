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

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from warta.core.errors import WartaError
from warta.newsroom import audit, dashboard, review
from warta.newsroom.models import (
    AuditEvent,
    Category,
    Correction,
    Entry,
    GlossaryTerm,
    Post,
    Source,
    Story,
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
        # the "after" state is taken in save_related, once many-to-many fields (a user's
        # groups, a group's permissions) are saved too
        request._audit_before = (  # type: ignore[attr-defined]
            audit.snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any,
                     change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit.record(request.user, f"{obj._meta.model_name}.{'change' if change else 'add'}",
                     obj, before=getattr(request, "_audit_before", None),
                     after=audit.snapshot(obj),
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

class SourceForm(forms.ModelForm):  # type: ignore[type-arg]
    """The source form refuses a category that does not exist (a typo would otherwise
    create a new section of the site at the next publication)."""

    class Meta:
        model = Source
        fields = "__all__"

    def clean_category(self) -> str:
        name = (self.cleaned_data.get("category") or "").strip()
        if not name:
            return ""
        known = Category.objects.filter(name__iexact=name).first() \
            or Category.objects.filter(slug=name.lower()).first()
        if known is None:
            raise forms.ValidationError(
                _("Unknown category %(name)s: add it under Categories first, or leave this "
                  "empty.") % {"name": name[:100]})
        return known.name


@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    form = SourceForm
    list_display = ["name", "enabled", "auto_publish", "priority", "expire_after_days",
                    "last_fetched", "last_http_status", "error_count", "short_error",
                    "n_entries"]
    list_filter = ["enabled", "auto_publish", "format", "noindex", "canonical_policy"]
    search_fields = ["name", "url"]
    actions = ["poll_now", "enable", "disable"]
    readonly_fields = ["etag", "last_modified", "last_fetched", "last_http_status",
                       "next_poll", "next_poll_reason", "lease_until", "lease_owner",
                       "error_count", "last_error", "last_error_at", "created", "folder_seen",
                       "content_digest", "item_digests"]
    fieldsets = [
        (None, {"fields": ["name", "url", "format", "language", "enabled", "extract_rules"]}),
        (gettext_lazy("Editorial policy"), {"fields": ["auto_publish", "category",
                                                       "priority"]}),
        (gettext_lazy("Licence terms"), {
            "fields": ["attribution", "credit_line", "canonical_policy", "noindex",
                       "expire_after_days"],
            "description": gettext_lazy(
                "What the licence requires: the attribution text and link and the credit "
                "line shown with every story, where rel=canonical points, whether search "
                "engines may index the stories, and after how many days stories are "
                "withdrawn (410) automatically.")}),
        (gettext_lazy("Polling"), {"fields": ["poll_interval", "min_interval",
                                              "max_interval"]}),
        (gettext_lazy("Health"), {"classes": ["collapse"], "fields": [
            "disabled_reason", "last_fetched", "last_http_status", "error_count",
            "last_error", "last_error_at", "next_poll", "next_poll_reason", "etag",
            "last_modified", "content_digest", "item_digests", "lease_until", "lease_owner",
            "folder_seen", "created"]}),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        """Fields another issue adds to Source (not named above) still appear, last."""
        fieldsets = [(name, dict(opts)) for name, opts in self.fieldsets]
        named = {f for _name, opts in fieldsets for f in opts["fields"]}
        extra = [f.name for f in Source._meta.get_fields()
                 if getattr(f, "editable", False) and not f.auto_created
                 and f.concrete and f.name not in named]
        if extra:
            fieldsets.append((gettext_lazy("More"), {"fields": extra}))
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        return super().get_queryset(request).annotate(_entries=Count("entries"))

    def get_urls(self) -> list[Any]:
        return [path("dashboard/", self.admin_site.admin_view(self.dashboard_view),
                     name="newsroom_dashboard"), *super().get_urls()]

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        """The pipeline dashboard: whoever may see sources may see it."""
        _require(request, "newsroom.view_source")
        return TemplateResponse(request, "admin/newsroom/dashboard.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": _("Pipeline dashboard"), "board": dashboard.build()})

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
    list_display = ["title", "source", "status", "published", "created", "error_count",
                    "story_link"]
    list_filter = ["status", "source"]
    search_fields = ["title", "url", "guid"]
    list_select_related = ["source"]
    exclude = ["html"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # entries are the pipeline's; editors act on translations and posts

    @admin.display(description=gettext_lazy("story"))
    def story_link(self, obj: Entry) -> str:
        if not obj.story_id:
            return ""
        return format_html('<a href="{}">#{} ({})</a>', reverse(
            "admin:newsroom_entry_story", args=[obj.story_id]), obj.story_id, obj.story_rank)

    def get_urls(self) -> list[Any]:
        return [path("story/<int:story_id>/", self.admin_site.admin_view(self.story_view),
                     name="newsroom_entry_story"), *super().get_urls()]

    def story_view(self, request: HttpRequest, story_id: int) -> HttpResponse:
        """A story's entries with their sources and ranks; an editor may choose another
        entry to publish ("use this source instead", ``stages.pages.choose_story_entry``):
        the previous choice's post is withdrawn (410, "replaced by <source>") unless the
        editor keeps it. POST needs ``change_post``, withdrawing also ``kill_post``."""
        from warta.newsroom.stages.pages import StoryChoiceError, choose_story_entry

        _require(request, "newsroom.view_entry")
        story = get_object_or_404(Story, pk=story_id)
        error, status = "", 200
        if request.method == "POST":
            _require(request, "newsroom.change_post")
            withdraw = request.POST.get("previous", "withdraw") != "keep"
            if withdraw:
                _require(request, "newsroom.kill_post")
            try:
                pk = int(request.POST.get("entry", ""))
                if not Entry.objects.filter(pk=pk, story=story).exists():
                    raise StoryChoiceError(_("That entry is not part of this story."))
                chosen = choose_story_entry(pk, request.user, withdraw_previous=withdraw)
            except ValueError:
                error, status = _("Choose an entry."), 400
            except StoryChoiceError as e:
                error, status = str(e), 400
            else:
                self.message_user(request, _("%(source)s is now the story's published "
                                             "source.") % {"source": chosen.source.name})
                return HttpResponseRedirect(request.path)
        entries = list(Entry.objects.filter(story=story).select_related("source")
                       .order_by("story_rank", "id"))
        posts = {p.entry_id: p for p in Post.objects.filter(entry__in=entries)}
        rows = [{"entry": e, "post": posts.get(e.pk), "url": _http_url(e.url)} for e in entries]
        return TemplateResponse(request, "admin/newsroom/entry/story.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "title": str(story), "story": story, "rows": rows, "error": error,
            "can_choose": request.user.has_perm("newsroom.change_post"),
            "can_kill": request.user.has_perm("newsroom.kill_post")}, status=status)


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(AuditedAdmin):
    """Editors' glossary terms (also ``warta glossary import``). Every value is rendered
    escaped: a term is text typed by a person or imported from a file, never markup."""

    list_display = ["source", "rendering", "source_language", "target_language",
                    "case_sensitive", "note", "updated"]
    list_filter = ["source_language", "target_language", "case_sensitive"]
    search_fields = ["source", "target", "note"]
    fields = ["source_language", "target_language", "source", "target", "case_sensitive",
              "note"]

    @admin.display(description=gettext_lazy("target"), ordering="target")
    def rendering(self, obj: GlossaryTerm) -> str:
        return format_html("{}", obj.target) if obj.target else _("(keep as is)")


class CorrectionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Correction
        fields = ["note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "cols": 80})}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        post = self.instance.post if self.instance.post_id else None
        if self.has_changed() and post is not None and post.status != Post.Status.PUBLISHED:
            raise forms.ValidationError(_("Only a published story can be corrected."))
        return data


class CorrectionInline(admin.StackedInline):  # type: ignore[type-arg]
    """Correction notes under the story: new ones are added (shown on the article page,
    "updated" at that time, audit-logged); existing ones are never edited or deleted."""

    model = Correction
    form = CorrectionForm
    extra = 1
    can_delete = False
    verbose_name = gettext_lazy("correction note")
    readonly_fields: list[str] = []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # existing notes are shown read-only

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("newsroom.view_correction") \
            or request.user.has_perm("newsroom.add_correction")


@admin.register(Post)
class PostAdmin(AuditedAdmin):
    list_display = ["headline", "source_name", "status", "published_at", "updated_at",
                    "category", "view"]
    list_filter = ["status", "category", "source_name"]
    search_fields = ["slug", "translation__title"]
    list_select_related = ["translation", "category"]
    actions = ["kill"]
    inlines = [CorrectionInline]
    fields = ["slug", "category", "status", "published_at", "updated_at", "source_name",
              "original_url", "attribution", "killed_at", "kill_reason"]
    readonly_fields = ["slug", "status", "published_at", "updated_at", "source_name",
                       "original_url", "attribution", "killed_at", "kill_reason"]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any,
                     change: bool) -> None:
        """A new correction note goes through review.add_correction (updated_at, audit)."""
        if formset.model is not Correction:
            super().save_formset(request, form, formset, change)
            return
        # what the admin's change message reads
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            note = (inline_form.cleaned_data or {}).get("note") if inline_form.has_changed() \
                else None
            if note and not inline_form.instance.pk:
                try:
                    correction = review.add_correction(form.instance, request.user, note)
                except WartaError as e:
                    messages.error(request, str(e))
                else:
                    formset.new_objects.append(correction)
                    messages.success(request, _("Correction note added."))

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
            publish_at_value=posted.get("publish_at", ""),
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
            if action == "schedule":
                # the time is checked before anything is stored; edit and schedule are
                # one transaction, so a refused schedule leaves no half-saved edit
                when = review.parse_publish_at(request.POST.get("publish_at", ""))
                with transaction.atomic():
                    if values:
                        _require(request, "newsroom.change_translation")
                        review.save_edit(t, values, request.user, version=version)
                    review.schedule(t, request.user, when)
                messages.success(request, _("Scheduled: the story will be published at "
                                            "%(when)s.") % {"when": date_format(
                                                timezone.localtime(when), "DATETIME_FORMAT")})
                return HttpResponseRedirect(reverse("admin:newsroom_translation_queue")), {}, 302
            if action == "unschedule":
                review.unschedule(t, request.user)
                messages.success(request, _("Schedule removed: the story is back in review."))
                return HttpResponseRedirect(here), {}, 302
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
            return None, {**values, "publish_at": request.POST.get("publish_at", "")}, 400
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


# ---------------------------------------------------------------- accounts (audited)

class AuditedUserAdmin(AuditedAdmin, UserAdmin):  # type: ignore[misc]
    """Django's user admin, with every add, change, delete and password change in the
    audit log (before/after without the password hash)."""

    def user_change_password(self, request: HttpRequest, id: str,
                             form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            audit.record(request.user, "user.password", user,
                         note="password changed in the admin")
        return response


class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):  # type: ignore[misc]
    """Django's group admin; changing a role's permissions is in the audit log."""


for _model, _admin_class in ((get_user_model(), AuditedUserAdmin), (Group, AuditedGroupAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)


# ---------------------------------------------------------------- two-factor login

class OTPLoginForm(AdminAuthenticationForm):
    """The admin login with an optional one-time code: a user with a confirmed TOTP
    device (``warta user totp USER``) must give the current code from it; others log in
    with their password alone. The device's own throttling slows guessing of codes."""

    otp_token = forms.CharField(
        required=False, label=gettext_lazy("Authentication code (if you set one up)"),
        max_length=16, widget=forms.TextInput(attrs={"autocomplete": "one-time-code",
                                                     "inputmode": "numeric"}))

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        from django_otp import devices_for_user

        devices = list(devices_for_user(user, confirmed=True))
        if not devices:
            return
        token = (self.cleaned_data.get("otp_token") or "").strip().replace(" ", "")
        if not token:
            raise forms.ValidationError(_("Enter the code from your authenticator app."),
                                        code="otp_required")
        for device in devices:
            allowed, _why = device.verify_is_allowed()
            if allowed and device.verify_token(token):
                user.otp_device = device  # django_otp keeps it in the session at login
                return
        audit.record(user, "user.otp_failed", user, note="wrong or expired code")
        raise forms.ValidationError(_("The authentication code is wrong or has expired."),
                                    code="otp_invalid")


def _has_permission(request: HttpRequest) -> bool:
    """Staff who set up a TOTP device must have passed it in this session."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    from django_otp import user_has_device

    return not user_has_device(user, confirmed=True) or bool(
        getattr(user, "is_verified", lambda: False)())


admin.site.login_form = OTPLoginForm
admin.site.login_template = "admin/newsroom/login.html"
admin.site.has_permission = _has_permission  # type: ignore[method-assign]
