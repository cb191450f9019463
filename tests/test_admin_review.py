"""The editorial back office through Django's test client: the review queue, the
side-by-side editor, approve / reject / send back, kill, revisions, and who may do what."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import feedparser
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from tests.test_site import parse, sel, text_of
from warta.newsroom import review
from warta.newsroom import translation as tr
from warta.newsroom.models import (
    Article,
    AuditEvent,
    Entry,
    Post,
    Source,
    Translation,
    TranslationRevision,
)
from warta.newsroom.roles import assign_role

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]
_seq = itertools.count(1)

SOURCE_BLOCKS: list[dict[str, Any]] = [
    {"type": "p", "text": "Russian President Vladimir Putin on Wednesday hosted Kim Jong Un.",
     "links": [{"text": "Kim Jong Un", "href": "https://example.com/kim", "start": 53}]},
    {"type": "quote", "text": "“We will help them build satellites,” Putin said."},
    {"type": "img", "text": "Kim arrives (file photo)", "src": "https://example.com/k.jpg",
     "caption": "Kim arrives (file photo)", "credit": "AP"},
    {"type": "p", "text": "The 3 leaders met for 4 hours."},
]
TRANSLATED_BLOCKS: list[dict[str, Any]] = [
    {"type": "p", "text": "Presiden Rusia Vladimir Putin pada Rabu menjamu Kim Jong Un.",
     "links": [{"text": "Kim Jong Un", "href": "https://example.com/kim", "start": 48}]},
    {"type": "quote", "text": "“Kami akan membantu mereka membangun satelit,” kata Putin."},
    {"type": "img", "text": "Kim tiba (arsip)", "src": "https://example.com/k.jpg",
     "caption": "Kim tiba (arsip)", "credit": "AP"},
    {"type": "p", "text": "Ke-8 pemimpin itu bertemu selama 4 jam.", "flags": ["number_mismatch"]},
]
NUMBER_FLAG = {"flag": "number_mismatch", "where": "block 4", "detail": "missing 3"}


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def in_review(title: str = "Putin menjamu Kim", *, flags: list[dict[str, str]] | None = None,
              waiting: timedelta = timedelta(hours=1), auto_publish: bool = False,
              url: str | None = None) -> Translation:
    """A story held for review, translated ``waiting`` ago."""
    n = next(_seq)
    source, _ = Source.objects.get_or_create(
        url=f"https://feeds.example.com/{'auto' if auto_publish else 'review'}.xml",
        defaults={"name": "NDTV", "auto_publish": auto_publish})
    url = url or f"https://www.example.com/world/story-{n}"
    entry = Entry.objects.create(source=source, guid=f"g{n}", url=url, title=title,
                                 status=Entry.Status.IN_REVIEW)
    article = Article.objects.create(
        entry=entry, url=url, title=f"Putin hosts Kim {n}", text_hash=f"h{n}", language="en",
        dateline="Moscow, Russia", blocks=SOURCE_BLOCKS,
        image={"src": "https://example.com/lead.jpg", "caption": "Putin and Kim", "credit": ""})
    return Translation.objects.create(
        article=article, language="id", title=title, dateline="Moskow, Rusia",
        image={"src": "https://example.com/lead.jpg", "caption": "Putin dan Kim", "credit": ""},
        blocks=TRANSLATED_BLOCKS, engine="test", flags=flags if flags is not None else [],
        created=timezone.now() - waiting)


def user_with(role: str, name: str | None = None) -> Any:
    user = get_user_model().objects.create_user(name or f"{role}@example.com", password=None)
    assign_role(user, role)
    return user


def client_for(role: str) -> Client:
    client = Client()
    client.force_login(user_with(role))
    return client


def review_url(t: Translation) -> str:
    return reverse("admin:newsroom_translation_review", args=[t.pk])


def save(client: Client, t: Translation, action: str = "save", **fields: str) -> Any:
    t.refresh_from_db()
    return client.post(review_url(t), {"action": action, "version": str(t.version), **fields})


# ---------------------------------------------------------------- queue

def test_queue_is_ordered_by_urgency_and_says_why() -> None:
    calm = in_review("Tenang", waiting=timedelta(hours=3))
    numbers = in_review("Angka", flags=[NUMBER_FLAG], waiting=timedelta(minutes=30))
    worst = in_review("Terburuk", waiting=timedelta(hours=1), flags=[
        {"flag": "placeholder_lost", "where": "block 1", "detail": "lost ⟦1⟧"},
        {"flag": "link_dropped", "where": "block 1", "detail": "Kim Jong Un"}])
    published = in_review("Sudah terbit")
    Entry.objects.filter(pk=published.article.entry_id).update(status=Entry.Status.PUBLISHED)

    response = client_for("reviewer").get(reverse("admin:newsroom_translation_queue"))
    assert response.status_code == 200
    rows = sel(parse(response), "tr.queue-item")
    assert [int(r.get("data-translation")) for r in rows] == [worst.pk, numbers.pk, calm.pk]
    reasons = [[text_of(li) for li in sel(r, "li.reason")] for r in rows]
    assert any("block 1" in x and "lost ⟦1⟧" in x for x in reasons[0])
    assert any("block 4" in x and "missing 3" in x for x in reasons[1])
    assert reasons[2] == [gettext("the source's policy is review before publishing")]


def test_urgency_weighs_age_and_flags() -> None:
    assert review.urgency(2.0, []) == 2.0
    assert review.urgency(0.5, [NUMBER_FLAG]) > review.urgency(10.0, [])
    assert review.urgency(1.0, [{"flag": "unknown"}]) == 1.0 + review.DEFAULT_FLAG_WEIGHT


# ---------------------------------------------------------------- side by side

def test_side_by_side_aligns_every_unit_with_its_source() -> None:
    t = in_review(flags=[NUMBER_FLAG])
    response = client_for("reviewer").get(review_url(t))
    assert response.status_code == 200
    doc = parse(response)
    rows = {r.get("data-key"): r for r in sel(doc, "tr.unit-row")}
    assert list(rows) == ["title", "dateline", "caption", "block-0", "block-1", "block-2",
                          "block-3"]
    expected = {
        "title": (t.article.title, t.title),
        "dateline": ("Moscow, Russia", "Moskow, Rusia"),
        "caption": ("Putin and Kim", "Putin dan Kim"),
        **{f"block-{i}": (s["text"], d["text"])
           for i, (s, d) in enumerate(zip(SOURCE_BLOCKS, TRANSLATED_BLOCKS, strict=True))},
    }
    for key, (source_text, translated) in expected.items():
        assert text_of(sel(rows[key], "td.source-text")[0]).startswith(source_text)
        area = sel(rows[key], "textarea")[0]
        assert area.get("name") == key and area.text_content().strip() == translated
    assert "flagged" in rows["block-3"].get("class")
    assert "kind-quote" in rows["block-1"].get("class")
    assert "kind-img" in rows["block-2"].get("class")
    # the original page is one click away
    assert [a.get("href") for a in sel(doc, "a.original")] == [t.article.url]


def test_a_javascript_url_from_a_feed_is_never_a_link() -> None:
    t = in_review(url="https://www.example.com/ok")
    Article.objects.filter(pk=t.article_id).update(url="javascript:alert(1)")
    Entry.objects.filter(pk=t.article.entry_id).update(url="javascript:alert(1)")
    response = client_for("reviewer").get(review_url(t))
    assert b"javascript:alert" not in response.content


def test_feed_text_is_escaped_in_the_editor() -> None:
    t = in_review("<script>alert('judul')</script>")
    response = client_for("reviewer").get(review_url(t))
    assert b"<script>alert(" not in response.content
    assert b"&lt;script&gt;alert(" in response.content


# ---------------------------------------------------------------- edit, revisions

def test_edit_keeps_the_machine_version_and_marks_blocks_edited() -> None:
    t = in_review(flags=[NUMBER_FLAG])
    editor = user_with("reviewer", "ani@example.com")
    client = Client()
    client.force_login(editor)
    response = save(client, t, **{"block-3": "Ketiga pemimpin itu bertemu selama 4 jam.",
                                  "title": t.title})
    assert response.status_code == 302
    t.refresh_from_db()
    block = t.blocks[3]
    assert block["text"] == "Ketiga pemimpin itu bertemu selama 4 jam."
    assert block["edited"] is True
    assert block["machine"] == TRANSLATED_BLOCKS[3]["text"]
    assert "flags" not in block and t.flags == []  # the editor fixed what was flagged
    assert not any(b.get("edited") for b in t.blocks[:3])
    assert t.edited_by == editor and t.edited_at is not None and t.version == 2
    revisions = list(t.revisions.order_by("number"))
    assert [r.note for r in revisions] == ["machine", "edit"]
    assert revisions[0].blocks[3]["text"] == TRANSLATED_BLOCKS[3]["text"]
    assert revisions[1].created_by == editor
    event = AuditEvent.objects.get(action="translation.edit")
    assert event.actor_name == "ani@example.com" and event.object_id == str(t.pk)
    assert event.before["blocks"][3]["text"] == TRANSLATED_BLOCKS[3]["text"]
    assert event.after["blocks"][3]["text"].startswith("Ketiga")


def test_edited_link_text_keeps_its_link_where_the_words_survive() -> None:
    t = in_review()
    save(client_for("reviewer"), t, **{"block-0": "Pada Rabu, Putin menjamu Kim Jong Un."})
    t.refresh_from_db()
    assert t.blocks[0]["links"] == [{"text": "Kim Jong Un", "href": "https://example.com/kim",
                                     "start": 25}]


def test_an_edit_from_a_stale_version_is_refused_and_nothing_is_lost() -> None:
    t = in_review()
    first, second = client_for("reviewer"), Client()
    second.force_login(user_with("editor"))
    stale = str(t.version)
    assert save(first, t, **{"block-1": "Versi editor pertama."}).status_code == 302
    response = second.post(review_url(t), {"action": "save", "version": stale,
                                           "block-1": "Versi editor kedua."})
    assert response.status_code == 409
    t.refresh_from_db()
    assert t.blocks[1]["text"] == "Versi editor pertama."
    # the second editor's text is shown back to them, not thrown away
    assert "Versi editor kedua." in response.content.decode()


def test_empty_headline_is_refused() -> None:
    t = in_review()
    response = save(client_for("reviewer"), t, title="   ")
    assert response.status_code == 400
    t.refresh_from_db()
    assert t.title == "Putin menjamu Kim" and t.version == 1


def test_revision_diff_and_restore() -> None:
    t = in_review()
    client = client_for("reviewer")
    save(client, t, **{"block-1": "“Kami akan bantu mereka,” kata Putin."})
    diff_url = reverse("admin:newsroom_translation_revision", args=[t.pk, 1])
    response = client.get(diff_url)
    assert response.status_code == 200
    doc = parse(response)
    diff = text_of(sel(doc, "div.revision-diff")[0])
    assert "membangun satelit" in diff and "bantu mereka" in diff
    assert sel(doc, "div.revision-diff table.diff")
    t.refresh_from_db()
    restore = reverse("admin:newsroom_translation_restore", args=[t.pk, 1])
    assert client.post(restore, {"version": str(t.version)}).status_code == 302
    t.refresh_from_db()
    assert t.blocks == TRANSLATED_BLOCKS
    assert [r.note for r in t.revisions.order_by("number")] == ["machine", "edit",
                                                                 "restore of #1"]
    assert AuditEvent.objects.filter(action="translation.restore").count() == 1


# ---------------------------------------------------------------- decisions

def test_approve_publishes_exactly_once() -> None:
    t = in_review()
    client = client_for("reviewer")
    response = save(client, t, "approve", **{"block-1": "“Kami akan bantu,” kata Putin."})
    assert response.status_code == 302
    post = Post.objects.get(entry=t.article.entry)
    assert Entry.objects.get(pk=t.article.entry_id).status == Entry.Status.PUBLISHED
    assert post.translation.blocks[1]["text"] == "“Kami akan bantu,” kata Putin."
    # again, through the form and directly: still the one post
    save(client, t, "approve")
    assert review.approve(t, None) == post
    assert Post.objects.filter(entry=t.article.entry).count() == 1
    assert AuditEvent.objects.filter(action="translation.approve").count() == 1
    assert Client().get(post.get_absolute_url()).status_code == 200


def test_reject_ends_the_entry_without_a_post() -> None:
    t = in_review()
    response = save(client_for("reviewer"), t, "reject", reason="tidak sesuai lisensi")
    assert response.status_code == 302
    entry = Entry.objects.get(pk=t.article.entry_id)
    assert entry.status == Entry.Status.REJECTED
    assert not Post.objects.exists()
    assert AuditEvent.objects.get(action="translation.reject").note == "tidak sesuai lisensi"
    with pytest.raises(review.ReviewError):
        review.approve(t, None)  # rejected is final


def test_send_back_translates_again_but_keeps_edits(monkeypatch: pytest.MonkeyPatch) -> None:
    t = in_review(flags=[NUMBER_FLAG])
    client = client_for("reviewer")
    save(client, t, **{"block-0": "Putin menjamu Kim Jong Un pada hari Rabu."})
    fresh = [dict(b, text=b["text"] + " (baru)") for b in TRANSLATED_BLOCKS]

    def fake_translate(doc: Any, source: str, target: str) -> tr.TranslationResult:
        from warta.core.document import Block

        doc.title = "Judul baru"
        doc.blocks = [Block.from_dict(b) for b in fresh]
        return tr.TranslationResult(doc, engine="fake", model_id="m1", status="done")

    monkeypatch.setattr(tr, "translate_article", fake_translate)
    assert save(client, t, "send_back").status_code == 302
    t.refresh_from_db()
    assert t.blocks[0]["text"] == "Putin menjamu Kim Jong Un pada hari Rabu."  # kept
    assert t.blocks[0]["conflict"] == fresh[0]["text"]  # ...and the disagreement shown
    assert t.blocks[1]["text"].endswith("(baru)")
    assert t.title == "Judul baru" and t.engine == "fake"
    assert [f["flag"] for f in t.flags] == ["edit_conflict"]
    assert Entry.objects.get(pk=t.article.entry_id).status == Entry.Status.IN_REVIEW
    page = client.get(review_url(t)).content.decode()
    assert "(baru)" in page and 'class="conflict-text"' in page


def test_merge_retranslation_when_the_story_changed_shape() -> None:
    old = [{"type": "p", "text": "A", "edited": True, "machine": "a"}, {"type": "p", "text": "b"}]
    new = [{"type": "p", "text": "a"}]
    blocks, conflicts = review.merge_retranslation(old, new)
    assert blocks == new
    assert conflicts[0]["where"] == "block 1" and "A" in conflicts[0]["detail"]
    same = [{"type": "p", "text": "a2"}, {"type": "p", "text": "b2"}]
    old[0]["machine"] = "a2"
    blocks, conflicts = review.merge_retranslation(old, same)
    assert blocks[0]["text"] == "A" and blocks[1]["text"] == "b2" and conflicts == []


# ---------------------------------------------------------------- kill

def test_kill_answers_410_and_leaves_the_feed() -> None:
    t = in_review("Berita yang ditarik")
    post = review.approve(t, None)
    site = Client()
    assert site.get(post.get_absolute_url()).status_code == 200
    assert post.get_absolute_url() in site.get("/cari/?q=ditarik").content.decode()
    assert "Berita yang ditarik" in [e.title for e in feedparser.parse(
        site.get("/rss.xml").content).entries]
    editor = client_for("editor")
    changelist = reverse("admin:newsroom_post_changelist")
    confirm = editor.post(changelist, {"action": "kill", "_selected_action": [post.pk]})
    assert confirm.status_code == 200 and b'name="reason"' in confirm.content
    done = editor.post(changelist, {"action": "kill", "_selected_action": [post.pk],
                                    "confirm": "yes", "reason": "hak cipta ditarik"})
    assert done.status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.KILLED and post.kill_reason == "hak cipta ditarik"
    assert Entry.objects.get(pk=post.entry_id).status == Entry.Status.KILLED
    cache.clear()
    assert site.get(post.get_absolute_url()).status_code == 410
    assert feedparser.parse(site.get("/rss.xml").content).entries == []
    assert post.get_absolute_url() not in site.get("/sitemap-news.xml").content.decode()
    assert post.get_absolute_url() not in site.get("/").content.decode()
    assert post.get_absolute_url() not in site.get("/cari/?q=ditarik").content.decode()
    assert AuditEvent.objects.get(action="post.kill").note == "hak cipta ditarik"


def test_kill_needs_a_reason() -> None:
    post = review.approve(in_review(), None)
    editor = client_for("editor")
    editor.post(reverse("admin:newsroom_post_changelist"),
                {"action": "kill", "_selected_action": [post.pk], "confirm": "yes",
                 "reason": " "})
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED


# ---------------------------------------------------------------- who may do what

def test_a_reviewer_cannot_kill() -> None:
    post = review.approve(in_review(), None)
    reviewer = client_for("reviewer")
    changelist = reverse("admin:newsroom_post_changelist")
    page = reviewer.get(changelist)
    assert page.status_code == 200 and b'value="kill"' not in page.content
    reviewer.post(changelist, {"action": "kill", "_selected_action": [post.pk],
                               "confirm": "yes", "reason": "coba"})
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert not AuditEvent.objects.filter(action="post.kill").exists()


def test_a_reviewer_cannot_change_sources() -> None:
    source = Source.objects.create(url="https://feeds.example.com/x.xml", name="X")
    reviewer = client_for("reviewer")
    reviewer.post(reverse("admin:newsroom_source_changelist"),
                  {"action": "disable", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert source.enabled
    response = reviewer.post(reverse("admin:newsroom_source_change", args=[source.pk]),
                             {"name": "hacked"})
    assert response.status_code == 403


def test_staff_without_a_role_cannot_see_or_decide() -> None:
    t = in_review()
    user = get_user_model().objects.create_user("nobody@example.com", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("admin:newsroom_translation_queue")).status_code == 403
    assert client.post(review_url(t), {"action": "approve", "version": "1"}).status_code == 403
    assert not Post.objects.exists()


@pytest.mark.parametrize("name", ["admin:newsroom_translation_queue",
                                  "admin:newsroom_translation_review",
                                  "admin:newsroom_translation_revisions",
                                  "admin:newsroom_auditevent_changelist"])
def test_anonymous_is_sent_to_the_login_page(name: str) -> None:
    t = in_review()
    url = reverse(name, args=[t.pk] if "translation_r" in name else [])
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    response = Client().post(url, {"action": "approve", "version": "1"})
    assert response.status_code == 302 and not Post.objects.exists()


def test_forms_need_a_csrf_token() -> None:
    t = in_review()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with("reviewer"))
    response = client.post(review_url(t), {"action": "approve", "version": "1"})
    assert response.status_code == 403
    assert not Post.objects.exists()


# ---------------------------------------------------------------- sources

def test_source_actions_are_audited(tmp_path: Any) -> None:
    source = Source.objects.create(url=f"dir://{tmp_path}", name="Folder")
    editor = client_for("editor")
    changelist = reverse("admin:newsroom_source_changelist")
    editor.post(changelist, {"action": "disable", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert not source.enabled
    editor.post(changelist, {"action": "enable", "_selected_action": [source.pk]})
    editor.post(changelist, {"action": "poll_now", "_selected_action": [source.pk]})
    source.refresh_from_db()
    assert source.enabled and source.last_fetched is not None
    actions = list(AuditEvent.objects.filter(object_type="newsroom.source").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["source.disable", "source.enable", "source.poll"]
    page = editor.get(changelist)
    assert page.status_code == 200 and b"Folder" in page.content


def test_translation_change_form_leads_to_the_editor() -> None:
    t = in_review()
    response = client_for("reviewer").get(
        reverse("admin:newsroom_translation_change", args=[t.pk]))
    assert response.status_code == 302 and response["Location"] == review_url(t)


def test_revisions_belong_to_their_translation() -> None:
    a, b = in_review(), in_review()
    client = client_for("reviewer")
    save(client, a, **{"block-1": "Teks baru."})
    assert TranslationRevision.objects.filter(translation=a).count() == 2
    url = reverse("admin:newsroom_translation_revision", args=[b.pk, 1])
    assert client.get(url).status_code == 404


def test_the_newsroom_strings_are_translated_to_indonesian() -> None:
    from pathlib import Path

    import warta.newsroom
    from warta.site.compile_messages import (
        compile_catalog,
        extract_msgids,
        missing_translations,
        mo_messages,
        read_catalog,
    )

    root = Path(warta.newsroom.__file__).parent
    po = root / "locale" / "id" / "LC_MESSAGES" / "django.po"
    catalog = read_catalog(po)
    assert missing_translations(catalog, extract_msgids(root)) == []
    assert mo_messages(po.with_suffix(".mo").read_bytes()) == mo_messages(
        compile_catalog(catalog)), "run python -m warta.site.compile_messages " + str(po)
