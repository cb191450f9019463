"""The pipeline dashboard: per-source health, queue depths, translation throughput and
memory hit rate, with server-rendered SVG charts of the last 7 days."""

from __future__ import annotations

from datetime import date, timedelta

import lxml.etree
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.test_admin_review import client_for, in_review
from tests.test_site import parse, sel, text_of
from warta.newsroom.dashboard import bar_chart, build, last_days
from warta.newsroom.models import Entry, Source, Translation, TranslationMemory

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]
URL = "admin:newsroom_dashboard"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _entries(source: Source, n: int, days_ago: int, status: str = Entry.Status.NEW,
             error: bool = False) -> None:
    when = timezone.now() - timedelta(days=days_ago)
    for i in range(n):
        Entry.objects.create(source=source, guid=f"{source.pk}-{days_ago}-{i}-{status}",
                             url=f"https://example.com/{source.pk}/{days_ago}/{i}/{status}",
                             status=status, created=when,
                             last_error_at=when if error else None)


def test_dashboard_counts_per_source_stage_and_day() -> None:
    busy = Source.objects.create(name="Busy wire", url="https://a.example.com/f.xml",
                                 last_fetched=timezone.now(), last_http_status=200)
    broken = Source.objects.create(name="Broken feed", url="https://b.example.com/f.xml",
                                   error_count=4, last_error="HTTP 503 from the server",
                                   last_http_status=503)
    _entries(busy, 3, 0)
    _entries(busy, 4, 2, Entry.Status.PUBLISHED)
    _entries(busy, 5, 20)  # older than the chart: counted in stages, not per day
    _entries(broken, 2, 1, Entry.Status.FAILED, error=True)
    in_review()  # one more source, one entry in review with its translation
    TranslationMemory.objects.create(key="k1", source_language="en", target_language="id",
                                     source_text="a", target_text="b", engine="t", hits=3)
    TranslationMemory.objects.create(key="k2", source_language="en", target_language="id",
                                     source_text="c", target_text="d", engine="t", hits=0)

    board = build()
    assert board.days == last_days(timezone.localtime().date())
    health = {h.source.name: h for h in board.sources}
    assert health["Busy wire"].entries.values == [0, 0, 0, 0, 4, 0, 3]
    assert health["Busy wire"].entries.total == 7
    assert health["Busy wire"].pending == 8  # 3 today + 5 old, still new
    assert health["Broken feed"].errors.values == [0, 0, 0, 0, 0, 2, 0]
    queue = {status: n for status, _label, n in board.queue}
    assert queue["new"] == 8 and queue["published"] == 4 and queue["failed"] == 2
    assert queue["in_review"] == 1
    assert board.translations.total == Translation.objects.count() == 1
    assert board.memory_hits == 3 and board.memory_segments == 2
    assert board.memory_hit_rate == pytest.approx(3 / 5)

    response = client_for("reviewer").get(reverse(URL))
    assert response.status_code == 200
    doc = parse(response)
    rows = {text_of(sel(r, "td a")[0]): r for r in sel(doc, "tr.source-row")}
    assert set(rows) >= {"Busy wire", "Broken feed"}
    assert "failing" in rows["Broken feed"].get("class")
    assert "HTTP 503" in text_of(rows["Broken feed"])
    assert text_of(sel(rows["Busy wire"], "td.per-day")[0]) in ("1.0", "1,0")
    charts = response.content.decode().count('<svg class="spark"')
    assert charts == 2 * len(rows) + 2  # entries and errors per source, two overall
    assert "60%" in text_of(sel(doc, "span.hit-rate")[0])
    depths = {td.get("data-status"): text_of(td) for td in sel(doc, "td.depth")}
    assert depths["new"] == "8" and depths["published"] == "4" and depths["failed"] == "2"


def test_the_charts_are_svg_with_one_bar_per_day_and_escaped_text() -> None:
    days = [date(2026, 11, 20) + timedelta(days=i) for i in range(7)]
    svg = str(bar_chart(days, [0, 1, 2, 3, 4, 5, 10], 'entries <script>"x"</script>'))
    tree = lxml.etree.fromstring(svg.encode())
    ns = "{http://www.w3.org/2000/svg}"
    bars = tree.findall(f"{ns}rect")
    assert len(bars) == 7
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == 0 and heights[-1] == max(heights) and heights == sorted(heights)
    assert bars[-1].find(f"{ns}title").text == "26 Nov: 10"
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg  # nothing a CSP without unsafe-inline would block
    empty = str(bar_chart(days, [0] * 7, "none"))  # no division by zero on an empty week
    assert len(lxml.etree.fromstring(empty.encode()).findall(f"{ns}rect")) == 7


def test_only_staff_with_a_role_see_the_dashboard() -> None:
    assert Client().get(reverse(URL)).status_code == 302
    assert client_for("editor").get(reverse(URL)).status_code == 200
    index = client_for("reviewer").get(reverse("admin:index"))
    assert reverse(URL).encode() in index.content
