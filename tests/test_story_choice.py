"""An editor's choice within a story ("use this source instead"), through the admin with the
Django test client and the real stages: two sources bring the same wire story, the
higher-priority one is published, an editor chooses the other; it is translated and
published, the old post is withdrawn (410) or kept, the choice survives re-ranking, and the
POST is permission- and CSRF-checked and audit-logged."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from warta.newsroom import stages
from warta.newsroom.models import AuditEvent, Entry, Post, Source, Story, Translation
from warta.newsroom.roles import assign_role
from warta.newsroom.stages.pages import rank_story

pytestmark = [pytest.mark.dbmatrix, pytest.mark.django_db]
S = Entry.Status
OLD = time.time() - 3600
PARAS = [f"JAKARTA: Paragraph {i} of the wire story about the flood relief effort in the "
         f"province, with {i * 7} families moved to higher ground by volunteers." for i in range(6)]


def _ninjs(uri: str, paras: list[str]) -> bytes:
    return json.dumps({
        "uri": uri, "type": "text", "version": "1", "pubstatus": "usable",
        "versioncreated": "2026-11-24T10:00:00Z", "language": "en",
        "headline": f"Flood relief {uri}",
        "body_html": "".join(f"<p>{p}</p>" for p in paras)}).encode()


def _run() -> None:
    for _ in range(40):
        claimed = stages.claim_entry()
        if claimed is None:
            return
        stages.advance_entry(*claimed)


def _published(entry: Entry) -> Entry:
    """Run the pipeline; a translation the tiny model's text gets flagged is approved the
    way an editor would (the review stage is tested elsewhere)."""
    _run()
    entry.refresh_from_db()
    if entry.status == S.IN_REVIEW:
        stages.publish_translation(entry, Translation.objects.get(article__entry=entry))
        Entry.objects.filter(pk=entry.pk).update(status=S.PUBLISHED, published_version=1)
        entry.refresh_from_db()
    return entry


@pytest.fixture
def story(tmp_path: Path, warta_cfg: dict[str, Any]) -> tuple[Entry, Entry]:
    """(low, high): one story from two sources; high (priority 5) is published."""
    made = []
    for name, priority, paras in (
            ("Low Wire", 0, PARAS),
            ("High Wire", 5, ["NEW DELHI: " + PARAS[0], *PARAS[1:5], "Also read: markets"])):
        folder = tmp_path / name.replace(" ", "")
        folder.mkdir()
        (folder / "x.json").write_bytes(_ninjs(f"urn:{priority}", paras))
        os.utime(folder / "x.json", (OLD, OLD))
        source = Source.objects.create(name=name, url=f"dir://{folder}", format="ninjs",
                                       priority=priority)
        stages.poll_source(source.pk, force=True)
        made.append(source)
    for _ in range(4):  # extract both before either is translated
        for pk, lease in stages.claim_entries(2, statuses=[S.FETCHED]):
            stages.advance_entry(pk, lease)
    low, high = (Entry.objects.get(source=s) for s in made)
    high = _published(high)
    low.refresh_from_db()
    assert high.status == S.PUBLISHED and high.story_rank == 0, high.error
    assert low.status == S.DUPLICATE and low.story_rank == 1 and low.story_id == high.story_id
    return low, high


def _client(role: str, *, csrf: bool = False) -> Client:
    user = get_user_model().objects.create_user(f"{role}@example.com", password=None)
    assign_role(user, role)
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _url(entry: Entry) -> str:
    return reverse("admin:newsroom_entry_story", args=[entry.story_id])


def test_editor_uses_another_source_and_the_old_post_is_withdrawn(
        story: tuple[Entry, Entry]) -> None:
    low, high = story
    editor = _client("editor")
    listing = editor.get(reverse("admin:newsroom_entry_changelist"))
    assert listing.status_code == 200 and _url(low) in listing.content.decode()
    page = editor.get(_url(low))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Low Wire" in html and "High Wire" in html
    # a choice form for the other entry only (the chosen one is already published)
    assert f'name="entry" value="{low.pk}"' in html
    assert f'name="entry" value="{high.pk}"' not in html

    response = editor.post(_url(low), {"entry": low.pk})
    assert response.status_code == 302
    low.refresh_from_db()
    assert low.story_rank == 0 and low.status == S.EXTRACTED and low.duplicate_of_id is None
    old_post = Post.objects.get(entry=high)
    assert old_post.status == Post.Status.KILLED
    assert old_post.kill_reason == "replaced by Low Wire"
    assert Client().get(old_post.get_absolute_url()).status_code == 410
    event = AuditEvent.objects.get(action="story.choose")
    assert event.actor is not None and event.after["chosen"] == low.pk
    assert event.after["killed_posts"] == [old_post.pk]

    low = _published(low)
    assert low.status == S.PUBLISHED, low.error
    new_post = Post.objects.get(entry=low)
    assert new_post.status == Post.Status.PUBLISHED
    assert Client().get(new_post.get_absolute_url()).status_code == 200
    # a later re-ranking (another source joining) keeps the editor's choice first
    rank_story(Story.objects.get(pk=low.story_id))
    assert Entry.objects.get(pk=low.pk).story_rank == 0


def test_editor_may_keep_the_previous_post(story: tuple[Entry, Entry]) -> None:
    low, high = story
    response = _client("editor").post(_url(low), {"entry": low.pk, "previous": "keep"})
    assert response.status_code == 302
    assert Post.objects.get(entry=high).status == Post.Status.PUBLISHED
    high.refresh_from_db()
    low.refresh_from_db()
    assert (low.story_rank, high.story_rank) == (0, 1)
    assert _published(low).status == S.PUBLISHED
    # both are published now; re-ranking would put the priority-5 source first, but the
    # editor's choice stays first
    rank_story(Story.objects.get(pk=low.story_id))
    assert Entry.objects.get(pk=low.pk).story_rank == 0


def test_choice_needs_an_editor_and_a_csrf_token(story: tuple[Entry, Entry]) -> None:
    low, high = story
    reviewer = _client("reviewer")
    assert reviewer.get(_url(low)).status_code == 200
    page = reviewer.get(_url(low)).content.decode()
    assert "Low Wire" in page and 'class="choose-entry"' not in page
    assert reviewer.post(_url(low), {"entry": low.pk}).status_code == 403
    assert _client("editor", csrf=True).post(_url(low), {"entry": low.pk}).status_code == 403
    assert Client().post(_url(low), {"entry": low.pk}).status_code == 302  # to the login
    low.refresh_from_db()
    assert low.story_rank == 1 and low.status == S.DUPLICATE
    assert Post.objects.get(entry=high).status == Post.Status.PUBLISHED
    assert not AuditEvent.objects.filter(action="story.choose").exists()


def test_bad_choices_are_refused_with_a_reason(story: tuple[Entry, Entry]) -> None:
    low, high = story
    editor = _client("admin")
    for data, reason in (({"entry": high.pk}, "already the story"),
                         ({"entry": "x"}, ""), ({"entry": 10**9}, "")):
        response = editor.post(_url(low), data)
        html = response.content.decode()
        assert response.status_code == 400 and 'class="story-error"' in html
        assert reason in html
    assert Post.objects.get(entry=high).status == Post.Status.PUBLISHED
