"""Claiming entries: compare-and-set leases, SKIP LOCKED on PostgreSQL, dead workers' leases."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from warta.newsroom.models import Entry, Source
from warta.newsroom.stages._common import (
    LEASE_OWNER,
    WORKABLE,
    S,
    _lease_delta,
    log,
)


def claim_entry(entry_id: int | None = None) -> tuple[int, datetime] | None:
    """Lease one entry with work due now (oldest first), or the given one."""
    now = timezone.now()
    due = (Q(status__in=WORKABLE, next_attempt_at__lte=now)
           & (Q(lease_until__isnull=True) | Q(lease_until__lt=now)))
    if entry_id is not None:
        candidates = [entry_id]
    else:
        candidates = list(Entry.objects.filter(due).order_by("next_attempt_at", "id")
                          .values_list("pk", flat=True)[:20])
    for pk in candidates:
        lease = timezone.now() + _lease_delta()
        if Entry.objects.filter(due, pk=pk).update(lease_until=lease, lease_owner=LEASE_OWNER):
            return pk, lease
    return None


def reclaim_dead_leases() -> int:
    """Release leases held by processes of this host that no longer exist (a killed
    ``warta run``), so a restart resumes at once instead of waiting for lease expiry."""
    host = socket.gethostname()
    released = 0
    for model in (Entry, Source):
        owners = (model.objects.filter(lease_until__isnull=False)
                  .exclude(lease_owner="").values_list("lease_owner", flat=True).distinct())
        for owner in set(owners):
            owner_host, _, pid = owner.rpartition(":")
            if owner_host == host and pid.isdigit() and not _pid_alive(int(pid)):
                released += model.objects.filter(lease_owner=owner).update(
                    lease_until=None, lease_owner="")
    return released


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_entries(limit: int = 1, *, ids: Sequence[int] | None = None,
                  statuses: Sequence[str] | None = None) -> list[tuple[int, datetime]]:
    """Lease up to ``limit`` entries with work due now, oldest first: only among ``ids``
    and only in ``statuses`` (default: every workable status) when given. On PostgreSQL the
    candidates are locked with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent claimers
    neither wait for nor take the same rows; elsewhere (SQLite, one writer at a time) each
    row is taken by the compare-and-set of :func:`claim_entry`. Either way a row is leased
    to at most one worker at a time. Returns ``[(entry_id, lease), ...]``."""
    now = timezone.now()
    wanted = [s for s in (statuses or WORKABLE) if s in WORKABLE]
    due = (Q(status__in=wanted, next_attempt_at__lte=now)
           & (Q(lease_until__isnull=True) | Q(lease_until__lt=now)))
    if ids is not None:
        due &= Q(pk__in=list(ids))
    candidates = Entry.objects.filter(due).order_by("next_attempt_at", "id")
    if limit < 1:
        return []
    if connection.vendor == "postgresql":
        lease = now + _lease_delta()
        with transaction.atomic():
            rows = list(candidates.select_for_update(skip_locked=True)
                        .values_list("pk", "lease_until", "error_count")[:limit])
            pks = [pk for pk, old, count in rows if old is None or not _lost_lease(pk, old, count)]
            Entry.objects.filter(pk__in=pks).update(lease_until=lease, lease_owner=LEASE_OWNER)
        return [(pk, lease) for pk in pks]
    claimed: list[tuple[int, datetime]] = []
    rows = candidates.values_list("pk", "lease_until", "error_count")[: limit + 20]
    for pk, old, count in rows:
        if old is not None and _lost_lease(pk, old, count):
            continue
        lease = timezone.now() + _lease_delta()
        if Entry.objects.filter(due, pk=pk).update(lease_until=lease, lease_owner=LEASE_OWNER):
            claimed.append((pk, lease))
            if len(claimed) >= limit:
                break
    return claimed


LOST_LEASE_LIMIT = 5


def _lost_lease(entry_id: int, old_lease: datetime, error_count: int) -> bool:
    """The entry's lease expired: the worker on it died (killed, or crashed by the entry
    itself). Count that as a failed attempt, and after ``LOST_LEASE_LIMIT`` in a row park
    the entry as failed with the reason, so a poisoned entry cannot crash workers forever.
    Only the claimer that sees ``old_lease`` counts it. Returns True when parked."""
    count = error_count + 1
    parked = count >= LOST_LEASE_LIMIT
    message = (f"a worker stopped while working on this entry ({count} time(s) in a row)"
               + ("; parked: look at the entry before retrying it" if parked else ""))
    updated = Entry.objects.filter(pk=entry_id, lease_until=old_lease).update(
        lease_until=None, error=message, error_count=count, last_error_at=timezone.now(),
        **({"status": S.FAILED} if parked else {}))
    if updated:
        log.warning("entry %s: %s", entry_id, message)
    return parked and bool(updated)


def release_entry(entry_id: int, lease: datetime) -> None:
    """Give a claimed entry back untouched (still due now), if the lease is still ours."""
    Entry.objects.filter(pk=entry_id, lease_until=lease).update(lease_until=None)


def pending_entries() -> int:
    """How many entries have work due now (used by ``--until-idle``)."""
    return Entry.objects.filter(status__in=WORKABLE, next_attempt_at__lte=timezone.now()).count()
