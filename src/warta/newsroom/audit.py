"""The audit log: every editorial and configuration action, who did it, when, to what, and
the object's state before and after (JSON). Events are only ever added.

Action names are ``<object>.<verb>``: ``translation.edit``, ``translation.approve``,
``translation.reject``, ``translation.send_back``, ``translation.restore``, ``post.kill``,
``source.enable``, ``source.disable``, ``source.poll``, ``source.change``,
``translation.schedule``, ``post.correct``, ``post.kill`` (also by licence expiry, actor
``system``), ``user.add``/``user.change``/``user.delete``, ``user.password``,
``user.totp``, ``group.add``/``group.change``/``group.delete``, ...
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.forms.models import model_to_dict
from django.utils import timezone

from warta.newsroom.models import AuditEvent

# columns whose values are large, secret or pipeline bookkeeping rather than editorial state
# (``password`` is a hash: the log says that it changed, never what it is)
_SKIP_FIELDS = {"html", "etag", "lease_until", "lease_owner", "folder_seen", "content",
                "password"}


def snapshot(obj: models.Model | None) -> dict[str, Any] | None:
    """A JSON-safe dict of ``obj``'s editable state (for ``before``/``after``)."""
    if obj is None:
        return None
    data = {k: v for k, v in model_to_dict(obj).items() if k not in _SKIP_FIELDS}
    for key, value in data.items():  # many-to-many (groups, permissions): names, sorted
        if isinstance(value, list) and value and isinstance(value[0], models.Model):
            data[key] = sorted(str(v) for v in value)
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def record(actor: Any, action: str, obj: models.Model | None = None, *,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           note: str = "") -> AuditEvent:
    """Store one event. ``actor`` is a user (or None for the system)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_name=user.get_username()[:150] if user else "system",
        action=action[:50],
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        before=before, after=after, note=note,
    )


def event_dict(event: AuditEvent) -> dict[str, Any]:
    """One event as exported (``warta audit export``): stable keys, ISO 8601 UTC time."""
    return {
        "id": event.pk,
        "time": event.created.astimezone(UTC).isoformat(),
        "actor": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object": event.object_repr,
        "before": event.before,
        "after": event.after,
        "note": event.note,
    }


def parse_since(text: str) -> datetime:
    """``2026-11-01`` (midnight in the site's zone) or a full ISO 8601 time. Raises
    ValueError for anything else."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
    return timezone.make_aware(datetime.combine(day, time.min))


def export_events(since: datetime | None = None,
                  until: datetime | None = None) -> Iterator[str]:
    """The events in time order as JSON lines (no trailing newline on each)."""
    qs = AuditEvent.objects.order_by("created", "id")
    if since is not None:
        qs = qs.filter(created__gte=since)
    if until is not None:
        qs = qs.filter(created__lt=until)
    for event in qs.iterator(chunk_size=500):
        yield json.dumps(event_dict(event), ensure_ascii=False, cls=DjangoJSONEncoder)
