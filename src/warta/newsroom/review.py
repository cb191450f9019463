"""Editorial review: the queue, the block-by-block editor's data, and the actions
(edit, approve, reject, send back, restore, kill). The admin calls these; they hold the
rules, store the result, keep a revision of every saved version and write the audit log.

Editing rules:
- a block the editor changed gets ``"edited": true`` and ``"machine"`` (the engine's text it
  replaced); title, dateline and caption edits are listed in ``Translation.edited_fields``;
- a re-translation (send back) never overwrites an edited unit silently: the edit is kept,
  and where the engine now says something else the unit is flagged ``edit_conflict`` with
  the new machine text, so the entry stays in review until an editor decides;
- every save compares ``Translation.version`` (optimistic locking): a save based on an older
  version is refused with :class:`EditConflict`, and nothing is stored half-way.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from warta.core.document import Link
from warta.core.errors import WartaError
from warta.core.translate.document import map_links
from warta.newsroom import audit
from warta.newsroom.models import (
    Correction,
    Entry,
    Post,
    Source,
    Translation,
    TranslationRevision,
)

S = Entry.Status

# how many hours of waiting one flag of each kind is worth in the queue's order
FLAG_WEIGHTS = {"placeholder_lost": 12.0, "number_mismatch": 12.0, "edit_conflict": 24.0,
                "link_dropped": 3.0, "untranslated": 12.0, "sentence_dropped": 12.0,
                "name_mismatch": 12.0, "repetition": 9.0, "engine_error": 12.0,
                # "info" flags (core.translate.quality.SEVERITY) never hold a story back
                "already_target": 0.0, "mixed_language": 0.0, "long_sentence_split": 0.0,
                "control_chars": 0.0, "rtl_text": 0.0, "empty_unit": 0.0}
DEFAULT_FLAG_WEIGHT = 6.0

FLAG_LABELS = {
    "placeholder_lost": gettext_lazy("a protected name, number or link was lost"),
    "number_mismatch": gettext_lazy("numbers differ from the source"),
    "link_dropped": gettext_lazy("a link could not be placed"),
    "edit_conflict": gettext_lazy("re-translation differs from an edited text"),
    # quality estimation (core/translate/quality.py; docs/translation.md)
    "untranslated": gettext_lazy("a sentence was left in the source language"),
    "sentence_dropped": gettext_lazy("a sentence seems to be missing"),
    "length_ratio": gettext_lazy("much shorter or longer than the source"),
    "repetition": gettext_lazy("words repeated in a loop"),
    "quote_lost": gettext_lazy("quotation marks were lost"),
    "placeholder_leftover": gettext_lazy("a placeholder was left in the text"),
    "glossary_violation": gettext_lazy("a glossary term is not rendered as the glossary says"),
    "name_mismatch": gettext_lazy("a name differs from the source"),
    "engine_error": gettext_lazy("the engine returned nothing"),
    "foreign_script": gettext_lazy("right-to-left text kept untranslated"),
    "short_unchecked": gettext_lazy("a short label was translated without context"),
    "already_target": gettext_lazy("already in the target language, kept as it is"),
    "mixed_language": gettext_lazy("some sentences were already in the target language"),
    "long_sentence_split": gettext_lazy("a very long sentence was cut for the engine"),
    "control_chars": gettext_lazy("control characters were removed"),
    "rtl_text": gettext_lazy("contains right-to-left text"),
    "empty_unit": gettext_lazy("an empty block"),
}


UNIT_LABELS = {
    "headline": gettext_lazy("headline"), "dateline": gettext_lazy("dateline"),
    "caption": gettext_lazy("photo caption"), "p": gettext_lazy("paragraph"),
    "quote": gettext_lazy("quotation"), "h2": gettext_lazy("subheading"),
    "h3": gettext_lazy("subheading"), "li": gettext_lazy("list item"),
    "img": gettext_lazy("photo caption"),
}


class ReviewError(WartaError):
    """An editorial action that cannot be done in the object's present state."""


class EditConflict(ReviewError):
    """The translation was saved by someone else since this edit started."""

    def __init__(self, translation_id: int, expected: int, found: int) -> None:
        self.translation_id = translation_id
        self.expected = expected
        self.found = found
        super().__init__(f"translation {translation_id} was changed by someone else while you "
                         f"were editing (version {found}, your edit started from {expected})")


# ---------------------------------------------------------------- queue

def urgency(waiting_hours: float, flags: list[dict[str, Any]]) -> float:
    """Higher is more urgent: hours waiting, plus each flag's weight (pure)."""
    return waiting_hours + sum(FLAG_WEIGHTS.get(str(f.get("flag")), DEFAULT_FLAG_WEIGHT)
                               for f in flags)


def reasons(flags: list[dict[str, Any]], auto_publish: bool) -> list[str]:
    """Why a translation is in review, for a person, in the active language."""
    out = []
    for f in flags:
        code = str(f.get("flag", ""))
        label = str(FLAG_LABELS.get(code, code))
        where = f.get("where") or ""
        detail = f.get("detail") or ""
        out.append(f"{where}: {label}" + (f" ({detail})" if detail else ""))
    if not auto_publish:
        out.append(gettext("the source's policy is review before publishing"))
    return out or [gettext("held for review")]


@dataclass
class QueueItem:
    translation: Translation
    entry: Entry
    waiting_since: datetime
    urgency: float
    reasons: list[str]
    flag_codes: list[str] = field(default_factory=list)
    publish_at: datetime | None = None  # approved, going out at this time


def review_queue(now: datetime | None = None, limit: int = 500) -> list[QueueItem]:
    """Translations whose entry is in review, most urgent first; the source's ``priority``
    counts as that many hours of waiting. Stories already scheduled (approved for a later
    time) come last, soonest first: they need no decision, only a glance."""
    now = now or timezone.now()
    rows = (Translation.objects.filter(article__entry__status=S.IN_REVIEW)
            .select_related("article__entry__source").order_by("id")[:limit])
    items = []
    for t in rows:
        entry = t.article.entry
        since = t.created
        hours = max((now - since).total_seconds() / 3600, 0.0)
        flags = list(t.flags or [])
        items.append(QueueItem(t, entry, since,
                               urgency(hours, flags) + entry.source.priority,
                               reasons(flags, entry.source.auto_publish),
                               list(dict.fromkeys(str(f.get("flag")) for f in flags)),
                               t.publish_at))
    items.sort(key=lambda i: (i.publish_at is not None, i.publish_at or now, -i.urgency,
                              i.translation.pk))
    return items


# ---------------------------------------------------------------- side by side

@dataclass
class Row:
    """One aligned unit: the source text beside the translated text the editor may change."""

    key: str  # form field name: title, dateline, caption, block-3
    kind: str  # headline, dateline, caption, p, quote, h2, h3, li, img
    source: str
    text: str
    flags: list[str] = field(default_factory=list)
    edited: bool = False
    conflict: str = ""  # the newer machine text that differs from the edit
    hints: list[str] = field(default_factory=list)  # glossary: "Moscow → Moskow"

    @property
    def label(self) -> str:
        return str(UNIT_LABELS.get(self.kind, self.kind))


def _caption(image: Any) -> str:
    return str(image.get("caption") or "") if isinstance(image, dict) else ""


def _unit_flags(flags: list[dict[str, Any]], where: str) -> list[str]:
    return [str(f.get("flag")) for f in flags if f.get("where") == where]


def aligned_rows(translation: Translation) -> list[Row]:
    """Headline, dateline, lead caption and each block of the source beside its translation
    (blocks are translated one for one, so they align by position)."""
    article = translation.article
    flags = list(translation.flags or [])
    edited = set(translation.edited_fields or [])
    rows = [
        Row("title", "headline", article.title, translation.title,
            _unit_flags(flags, "title"), "title" in edited),
        Row("dateline", "dateline", article.dateline, translation.dateline,
            _unit_flags(flags, "dateline"), "dateline" in edited),
    ]
    if article.image or translation.image:
        rows.append(Row("caption", "caption", _caption(article.image),
                        _caption(translation.image), _unit_flags(flags, "caption"),
                        "caption" in edited))
    src_blocks = list(article.blocks or [])
    tr_blocks = list(translation.blocks or [])
    for i in range(max(len(src_blocks), len(tr_blocks))):
        src = src_blocks[i] if i < len(src_blocks) else {}
        blk = tr_blocks[i] if i < len(tr_blocks) else {}
        kind = str(blk.get("type") or src.get("type") or "p")
        rows.append(Row(f"block-{i}", kind, str(src.get("text") or ""),
                        str(blk.get("text") or ""),
                        list(blk.get("flags") or []) or _unit_flags(flags, f"block {i + 1}"),
                        bool(blk.get("edited")), str(blk.get("conflict") or "")))
    _add_glossary_hints(rows, article.language, translation.language)
    return rows


def _add_glossary_hints(rows: list[Row], source: str, target: str) -> None:
    from warta.newsroom.translation import configured_glossary

    try:
        glossary = configured_glossary(source, target)
    except WartaError:
        return  # a broken glossary file is reported where translation uses it
    for row in rows:
        for start, end, rendered in glossary.find(row.source):
            hint = f"{row.source[start:end]} → {rendered}"
            if hint not in row.hints:
                row.hints.append(hint)


# ---------------------------------------------------------------- revisions

def version_content(t: Translation | TranslationRevision) -> dict[str, Any]:
    return {"title": t.title, "dateline": t.dateline, "image": t.image,
            "blocks": list(t.blocks or [])}


def _add_revision(t: Translation, user: Any, note: str,
                  content: dict[str, Any] | None = None) -> TranslationRevision:
    last = t.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return TranslationRevision.objects.create(translation=t, number=last + 1,
                                              created_by=_user(user), note=note,
                                              **(content or version_content(t)))


def ensure_machine_revision(t: Translation, content: dict[str, Any] | None = None) -> None:
    """Before the first edit, keep the machine's version as revision 1 (``content``: the
    version as it was before the caller changed ``t`` in memory)."""
    if not t.revisions.exists():
        _add_revision(t, None, "machine", content)


def _user(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


def revision_lines(content: dict[str, Any]) -> list[str]:
    """A version as lines for a diff: headline, dateline, caption, one line per block."""
    lines = [f"# {content.get('title') or ''}", f"[{content.get('dateline') or ''}]"]
    caption = _caption(content.get("image"))
    if caption:
        lines.append(f"(foto) {caption}")
    lines += [f"{b.get('type', 'p')}: {b.get('text', '')}" for b in content.get("blocks") or []]
    return lines


def revision_diff(older: dict[str, Any], newer: dict[str, Any], *,
                  older_label: str, newer_label: str) -> str:
    """A side-by-side HTML diff table (difflib) of two versions' lines."""
    return difflib.HtmlDiff(wrapcolumn=70).make_table(
        revision_lines(older), revision_lines(newer),
        html.escape(older_label), html.escape(newer_label), context=False)


# ---------------------------------------------------------------- actions

def _locked(translation: Translation) -> Translation:
    return Translation.objects.select_for_update().select_related(
        "article__entry__source").get(pk=translation.pk)


def _edit_block(old: dict[str, Any], text: str) -> dict[str, Any]:
    new = dict(old)
    if not old.get("edited"):
        new["machine"] = str(old.get("text") or "")
    new["edited"] = True
    new["text"] = text
    if new.get("type") == "img":
        new["caption"] = text
    links = tuple(Link.from_dict(x) for x in old.get("links") or ())
    kept = map_links(links, text)
    if kept:
        new["links"] = [k.to_dict() for k in kept]
    else:
        new.pop("links", None)
    new.pop("flags", None)
    new.pop("conflict", None)
    return new


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def save_edit(translation: Translation, values: dict[str, str], user: Any, *,
              version: int) -> list[str]:
    """Store the editor's text for the units in ``values`` (keys of :func:`aligned_rows`).
    Returns the keys that changed (nothing stored when none did). Raises EditConflict when
    the translation's version is no longer ``version``; ReviewError for an empty headline."""
    if "title" in values and not _clean(values["title"]):
        raise ReviewError("the headline cannot be empty")
    with transaction.atomic():
        t = _locked(translation)
        if t.version != version:
            raise EditConflict(t.pk, version, t.version)
        before = version_content(t)
        changed: list[str] = []
        edited = list(t.edited_fields or [])
        for key, attr in (("title", "title"), ("dateline", "dateline")):
            if key in values and _clean(values[key]) != getattr(t, attr):
                setattr(t, attr, _clean(values[key])[:1000 if key == "title" else 200])
                changed.append(key)
        if "caption" in values and isinstance(t.image, dict) \
                and _clean(values["caption"]) != _caption(t.image):
            t.image = {**t.image, "caption": _clean(values["caption"])}
            changed.append("caption")
        blocks = list(t.blocks or [])
        for i, blk in enumerate(blocks):
            key = f"block-{i}"
            if key in values and _clean(values[key]) != str(blk.get("text") or ""):
                blocks[i] = _edit_block(blk, _clean(values[key]))
                changed.append(key)
        if not changed:
            return []
        ensure_machine_revision(t, before)
        t.blocks = blocks
        t.edited_fields = sorted(set(edited) | {k for k in changed if not k.startswith("block-")})
        t.flags = _remaining_flags(t.flags or [], changed)
        t.edited_by, t.edited_at = _user(user), timezone.now()
        t.version += 1
        t.save()
        _add_revision(t, user, "edit")
        _mark_post_updated(t)
        audit.record(user, "translation.edit", t, before=before, after=version_content(t),
                     note=", ".join(changed))
        return changed


def _mark_post_updated(t: Translation) -> None:
    """An edit to a story already published is a revision readers see: the post shows
    "Diperbarui" at this time (``Post.updated_at``)."""
    Post.objects.filter(translation=t, status=Post.Status.PUBLISHED).update(
        updated_at=t.edited_at or timezone.now())


def _where(key: str) -> str:
    return f"block {int(key.split('-')[1]) + 1}" if key.startswith("block-") else key


def _remaining_flags(flags: list[dict[str, Any]], changed: list[str]) -> list[dict[str, Any]]:
    """A unit the editor rewrote no longer carries the engine's flags."""
    fixed = {_where(k) for k in changed}
    return [f for f in flags if f.get("where") not in fixed]


def approve(translation: Translation, user: Any, *, note: str = "") -> Post:
    """Publish now (a schedule the story had is dropped). Idempotent: approving again
    returns the one Post the entry has."""
    with transaction.atomic():
        t = _locked(translation)
        entry = Entry.objects.select_for_update().get(pk=t.article.entry_id)
        existing = Post.objects.filter(entry=entry).first()
        if existing is not None:
            if entry.status != S.PUBLISHED and existing.status == Post.Status.PUBLISHED:
                Entry.objects.filter(pk=entry.pk).update(status=S.PUBLISHED)
            return existing
        if entry.status not in (S.IN_REVIEW, S.TRANSLATED):
            raise ReviewError(f"entry {entry.pk} is {entry.status}: only a story in review "
                              "can be approved")
        from warta.newsroom.stages import publish_translation

        before = audit.snapshot(entry)
        try:
            with transaction.atomic():
                post = publish_translation(entry, t)
        except IntegrityError:  # approved at the same moment elsewhere
            return Post.objects.get(entry=entry)
        Entry.objects.filter(pk=entry.pk).update(status=S.PUBLISHED, lease_until=None,
                                                 error="")
        if t.publish_at is not None:
            Translation.objects.filter(pk=t.pk).update(publish_at=None)
        entry.refresh_from_db()
        audit.record(user, "translation.approve", t, before=before, after=audit.snapshot(entry),
                     note=f"published as {post.get_absolute_url()}" + (f" ({note})" if note
                                                                       else ""))
        return post


def reject(translation: Translation, user: Any, reason: str = "") -> None:
    """Do not publish: the entry ends as ``rejected`` (terminal)."""
    with transaction.atomic():
        t = _locked(translation)
        entry = Entry.objects.select_for_update().get(pk=t.article.entry_id)
        if entry.status != S.IN_REVIEW:
            raise ReviewError(f"entry {entry.pk} is {entry.status}: only a story in review "
                              "can be rejected")
        before = audit.snapshot(entry)
        Entry.objects.filter(pk=entry.pk).update(status=S.REJECTED, lease_until=None,
                                                 error=f"rejected: {reason}"[:2000])
        Translation.objects.filter(pk=t.pk).update(publish_at=None)
        entry.refresh_from_db()
        audit.record(user, "translation.reject", t, before=before,
                     after=audit.snapshot(entry), note=reason)


def merge_retranslation(old_blocks: list[dict[str, Any]], new_blocks: list[dict[str, Any]],
                        ) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The new machine blocks, except where an editor edited the old one: the edit is kept
    (pure). Returns the blocks and ``edit_conflict`` flags for edits the new machine text
    disagrees with (or that no longer have a place, when the story's blocks changed)."""
    conflicts: list[dict[str, str]] = []
    if len(old_blocks) != len(new_blocks):
        for i, old in enumerate(old_blocks):
            if old.get("edited"):
                conflicts.append({"flag": "edit_conflict", "where": f"block {i + 1}",
                                  "detail": "the story changed; the edited text was: "
                                            + str(old.get("text") or "")[:500]})
        return [dict(b) for b in new_blocks], conflicts
    merged = []
    for i, (old, new) in enumerate(zip(old_blocks, new_blocks, strict=True)):
        if not old.get("edited"):
            merged.append(dict(new))
            continue
        kept = dict(old)
        kept.pop("conflict", None)
        new_text = str(new.get("text") or "")
        if new_text != str(old.get("machine") or ""):
            kept["conflict"] = new_text
            kept["machine"] = new_text
            conflicts.append({"flag": "edit_conflict", "where": f"block {i + 1}",
                              "detail": "the new machine translation differs from the edit"})
        merged.append(kept)
    return merged, conflicts


def send_back(translation: Translation, user: Any) -> list[dict[str, str]]:
    """Translate the story again now. Edited units are kept (see :func:`merge_retranslation`);
    the entry stays in review. Returns the new flags. Raises TranslateError (nothing stored)
    when no engine can translate it."""
    from warta.newsroom import translation as tr
    from warta.newsroom.stages import _translation_fields, article_document

    t = Translation.objects.select_related("article__entry").get(pk=translation.pk)
    if t.article.entry.status != S.IN_REVIEW:
        raise ReviewError(f"entry {t.article.entry_id} is {t.article.entry.status}: only a "
                          "story in review can be sent back")
    result = tr.translate_article(article_document(t.article), t.article.language, t.language)
    fields = _translation_fields(result)
    with transaction.atomic():
        t = _locked(translation)
        before = version_content(t)
        ensure_machine_revision(t)
        blocks, conflicts = merge_retranslation(list(t.blocks or []), list(fields["blocks"]))
        for key in ("title", "dateline"):
            if key not in (t.edited_fields or []):
                setattr(t, key, fields[key])
        if "caption" not in (t.edited_fields or []):
            t.image = fields["image"]
        t.blocks = blocks
        t.flags = list(fields["flags"]) + conflicts
        t.engine, t.model_id, t.status = fields["engine"], fields["model_id"], fields["status"]
        t.version += 1
        t.save()
        _add_revision(t, user, "re-translation")
        audit.record(user, "translation.send_back", t, before=before, after=version_content(t),
                     note=f"{len(conflicts)} edit conflict(s)" if conflicts else "")
        return t.flags


def restore_revision(translation: Translation, revision: TranslationRevision, user: Any, *,
                     version: int) -> TranslationRevision:
    """Make ``revision``'s text the current one (as a new revision). EditConflict as for
    :func:`save_edit`."""
    if revision.translation_id != translation.pk:
        raise ReviewError("that revision belongs to another translation")
    with transaction.atomic():
        t = _locked(translation)
        if t.version != version:
            raise EditConflict(t.pk, version, t.version)
        before = version_content(t)
        ensure_machine_revision(t)
        for key, value in version_content(revision).items():
            setattr(t, key, value)
        t.edited_by, t.edited_at = _user(user), timezone.now()
        t.version += 1
        t.save()
        new = _add_revision(t, user, f"restore of #{revision.number}")
        _mark_post_updated(t)
        audit.record(user, "translation.restore", t, before=before, after=version_content(t),
                     note=f"restored revision {revision.number}")
        return new


def kill_post(post: Post, user: Any, reason: str) -> bool:
    """Withdraw a post: its page answers 410 Gone and it leaves every list, feed, sitemap
    and the search index; the entry ends as killed. Returns False when it already was."""
    reason = reason.strip()
    if not reason:
        raise ReviewError("a kill needs a reason")
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.status == Post.Status.KILLED:
            return False
        before = audit.snapshot(post)
        post.status = Post.Status.KILLED
        post.killed_at = timezone.now()
        post.kill_reason = reason
        post.save()  # signals: search index and "Baca juga" cache forget it
        Entry.objects.filter(pk=post.entry_id).update(status=S.KILLED, lease_until=None,
                                                      error=f"killed: {reason}"[:2000])
        audit.record(user, "post.kill", post, before=before, after=audit.snapshot(post),
                     note=reason)
        return True


def set_source_enabled(source: Source, user: Any, enabled: bool) -> bool:
    """Enable or disable polling of a source. Returns False when nothing changed."""
    with transaction.atomic():
        source = Source.objects.select_for_update().get(pk=source.pk)
        if source.enabled == enabled:
            return False
        before = audit.snapshot(source)
        source.enabled = enabled
        source.disabled_reason = "" if enabled else "disabled by an editor"
        if enabled:
            source.next_poll = timezone.now()
        source.save(update_fields=["enabled", "disabled_reason", "next_poll"])
        audit.record(user, "source.enable" if enabled else "source.disable", source,
                     before=before, after=audit.snapshot(source))
        return True


def poll_source_now(source: Source, user: Any) -> str:
    """Poll one source now (whatever its schedule); the outcome as a sentence."""
    from warta.newsroom.stages import poll_source

    if not Source.objects.filter(pk=source.pk, enabled=True).exists():
        outcome = "disabled: not polled"
    else:
        result = poll_source(source.pk, force=True)
        if result.error:
            outcome = f"error: {result.error}"
        elif result.not_modified:
            outcome = "not modified"
        else:
            outcome = f"{result.new_entries} new entries"
    audit.record(user, "source.poll", source, note=outcome)
    return outcome


# ---------------------------------------------------------------- schedule, correct

def parse_publish_at(text: str) -> datetime:
    """An editor's "publish at": ISO 8601 (``2026-11-27T06:00``, ``2026-11-27 06:00``, with or
    without an offset; without, the site's time zone). Raises ReviewError for anything else."""
    text = (text or "").strip()
    if not text:
        raise ReviewError("give a time to publish at")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReviewError(f"not a time: {text[:40]!r} (use YYYY-MM-DD HH:MM)") from None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def schedule(translation: Translation, user: Any, when: datetime, *,
             now: datetime | None = None) -> Translation:
    """Approve the story for publication at ``when``. Nothing is published now: the entry
    stays in review (no Post) until :func:`warta.newsroom.policies.publish_due` publishes it.
    Raises ReviewError (nothing stored) for a time that is not in the future or a story that
    is not in review."""
    now = now or timezone.now()
    if timezone.is_naive(when):
        raise ReviewError("a publication time needs a time zone")
    if when <= now:
        raise ReviewError("the publication time has passed: choose a later time, or publish "
                          "now")
    with transaction.atomic():
        t = _locked(translation)
        entry = t.article.entry
        if entry.status != S.IN_REVIEW:
            raise ReviewError(f"entry {entry.pk} is {entry.status}: only a story in review "
                              "can be scheduled")
        before = {"publish_at": t.publish_at.isoformat() if t.publish_at else None}
        t.publish_at, t.scheduled_by = when, _user(user)
        t.save(update_fields=["publish_at", "scheduled_by"])
        audit.record(user, "translation.schedule", t, before=before,
                     after={"publish_at": when.isoformat()},
                     note=f"publish at {when.isoformat()}")
        return t


def unschedule(translation: Translation, user: Any) -> bool:
    """Take a scheduled story back into the queue undecided. False when it had no schedule."""
    with transaction.atomic():
        t = _locked(translation)
        if t.publish_at is None:
            return False
        before = {"publish_at": t.publish_at.isoformat()}
        t.publish_at, t.scheduled_by = None, None
        t.save(update_fields=["publish_at", "scheduled_by"])
        audit.record(user, "translation.unschedule", t, before=before,
                     after={"publish_at": None})
        return True


def add_correction(post: Post, user: Any, note: str) -> Correction:
    """Add a correction note under a published story; the story shows "updated" at this
    time. Raises ReviewError for an empty note or a killed post."""
    note = _clean(note or "")
    if not note:
        raise ReviewError("a correction needs a note saying what was corrected")
    with transaction.atomic():
        post = Post.objects.select_for_update().get(pk=post.pk)
        if post.status != Post.Status.PUBLISHED:
            raise ReviewError("only a published story can be corrected")
        before = audit.snapshot(post)
        now = timezone.now()
        correction = Correction.objects.create(post=post, note=note, created=now,
                                               created_by=_user(user))
        post.updated_at = now
        post.save(update_fields=["updated_at"])
        audit.record(user, "post.correct", post, before=before, after=audit.snapshot(post),
                     note=note)
        return correction
