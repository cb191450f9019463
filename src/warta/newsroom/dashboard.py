"""The pipeline dashboard (admin): per-source health, queue depth per stage, translation
throughput and translation-memory hit rate, with small bar charts of the last 7 days.

Charts are SVG written on the server (no JavaScript, no chart library, no inline style:
they pass any Content-Security-Policy). Everything is counted in a few grouped queries,
so the page stays cheap with many sources.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from warta.newsroom.models import Entry, Post, Source, Translation, TranslationMemory

DAYS = 7

# the order an entry moves through the pipeline, then its end states
STAGES = [Entry.Status.NEW, Entry.Status.FETCHED, Entry.Status.EXTRACTED,
          Entry.Status.TRANSLATED, Entry.Status.IN_REVIEW, Entry.Status.PUBLISHED,
          Entry.Status.DUPLICATE, Entry.Status.REJECTED, Entry.Status.KILLED,
          Entry.Status.FAILED]


@dataclass
class Series:
    """One count per day, oldest first, and the chart of it."""

    days: list[date]
    values: list[int]
    label: str = ""

    @property
    def total(self) -> int:
        return sum(self.values)

    @property
    def per_day(self) -> float:
        return self.total / len(self.values) if self.values else 0.0

    @property
    def svg(self) -> SafeString:
        return bar_chart(self.days, self.values, self.label)


@dataclass
class SourceHealth:
    source: Source
    entries: Series
    errors: Series
    pending: int = 0


@dataclass
class Dashboard:
    days: list[date]
    sources: list[SourceHealth]
    queue: list[tuple[str, str, int]]  # (status, label, entries)
    translations: Series
    published: Series
    memory_segments: int
    memory_hits: int
    scheduled: int
    flags: dict[str, int] = field(default_factory=dict)

    @property
    def memory_hit_rate(self) -> float | None:
        """Hits over lookups: every segment was looked up once in vain (then stored),
        and each hit is a lookup that found it."""
        lookups = self.memory_hits + self.memory_segments
        return self.memory_hits / lookups if lookups else None


def last_days(today: date, n: int = DAYS) -> list[date]:
    return [today - timedelta(days=n - 1 - i) for i in range(n)]


def _per_day(qs: QuerySet[Any], field_name: str, days: list[date],
             by: str | None = None) -> dict[Any, list[int]]:
    """Counts of ``qs`` per local day of ``field_name`` (grouped by ``by`` when given)."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(days[0], datetime.min.time()))
    index = {d: i for i, d in enumerate(days)}
    rows = (qs.filter(**{f"{field_name}__gte": start})
            .annotate(_day=TruncDate(field_name, tzinfo=tz))
            .values(*(["_day", by] if by else ["_day"])).annotate(n=Count("pk")))
    out: dict[Any, list[int]] = {}
    for row in rows:
        i = index.get(row["_day"])
        if i is not None:
            out.setdefault(row[by] if by else None, [0] * len(days))[i] += row["n"]
    return out


def build(now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    days = last_days(timezone.localtime(now).date())
    zeros = [0] * len(days)
    entries = _per_day(Entry.objects.all(), "created", days, by="source_id")
    errors = _per_day(Entry.objects.filter(last_error_at__isnull=False), "last_error_at",
                      days, by="source_id")
    pending = dict(Entry.objects.exclude(status__in=[
        Entry.Status.PUBLISHED, Entry.Status.DUPLICATE, Entry.Status.REJECTED,
        Entry.Status.KILLED, Entry.Status.FAILED]).values_list("source_id")
        .annotate(n=Count("pk")).values_list("source_id", "n"))
    sources = [SourceHealth(s, Series(days, entries.get(s.pk, list(zeros)),
                                      gettext("%(source)s: entries per day") % {"source": s}),
                            Series(days, errors.get(s.pk, list(zeros)),
                                   gettext("%(source)s: errors per day") % {"source": s}),
                            pending.get(s.pk, 0))
               for s in Source.objects.order_by("-priority", "name")]
    counts = dict(Entry.objects.values_list("status").annotate(n=Count("pk"))
                  .values_list("status", "n"))
    queue = [(str(s), str(Entry.Status(s).label), counts.get(s, 0)) for s in STAGES]
    memory = TranslationMemory.objects.aggregate(n=Count("pk"), hits=Sum("hits"))
    flags: dict[str, int] = {}
    for t_flags in (Translation.objects.filter(article__entry__status=Entry.Status.IN_REVIEW)
                    .values_list("flags", flat=True)):
        for f in t_flags or []:
            code = str(f.get("flag")) if isinstance(f, dict) else str(f)
            flags[code] = flags.get(code, 0) + 1
    return Dashboard(
        days=days, sources=sources, queue=queue,
        translations=Series(days, _per_day(Translation.objects.all(), "created", days)
                            .get(None, list(zeros)), gettext("Translations per day")),
        published=Series(days, _per_day(Post.objects.all(), "published_at", days)
                         .get(None, list(zeros)), gettext("Published per day")),
        memory_segments=memory["n"] or 0, memory_hits=memory["hits"] or 0,
        scheduled=Translation.objects.filter(
            publish_at__isnull=False, article__entry__status=Entry.Status.IN_REVIEW).count(),
        flags=dict(sorted(flags.items())),
    )


def bar_chart(days: list[date], values: list[int], label: str, *, width: int = 168,
              height: int = 48) -> SafeString:
    """A small bar chart as inline SVG: one bar per day, its count in a <title> (the
    browser's tooltip) and the accessible name ``label``. Pure; all text is escaped."""
    n = max(len(values), 1)
    step = width / n
    top = max(values, default=0) or 1
    bars = []
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        h = round((height - 12) * value / top, 1)
        bars.append((f"{i * step + 1:.1f}", f"{height - 12 - h:.1f}", f"{step - 2:.1f}",
                     f"{max(h, 0.0):.1f}", f"{day:%d %b}: {value}"))
    body = format_html_join(
        "", '<rect class="bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars)
    axis = format_html(
        '<text class="axis" x="0" y="{}">{}</text>'
        '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
        height - 1, f"{days[0]:%d/%m}" if days else "", width, height - 1,
        f"{days[-1]:%d/%m}" if days else "")
    return format_html(
        '<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
        'viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>{}{}</svg>',
        width, height, width, height, label, label, body, axis)
