"""WebSub: the feeds announce the configured hub, and publishing, changing or killing a story
pings it (form-encoded ``hub.mode=publish``, ``hub.url=<feed>``) from a background thread,
with retries, never failing the publish. The hub is a real HTTP server on 127.0.0.1 that
records what it receives."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import lxml.etree
import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings

from tests.support.cli import free_port
from tests.test_api import make_post
from warta.config import Config
from warta.newsroom.models import Category, Post, Tag
from warta.reader import background

pytestmark = pytest.mark.dbmatrix
BASE = "http://127.0.0.1:8000"
SITE_FEEDS = [f"{BASE}/rss.xml", f"{BASE}/atom.xml", f"{BASE}/feed.json"]


class HubStub:
    """A WebSub hub that records publish pings; ``answers`` are the statuses to give, in
    order (then 204)."""

    def __init__(self) -> None:
        self.pings: list[tuple[str, dict[str, list[str]]]] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                with hub.lock:
                    hub.pings.append((self.headers.get("Content-Type", ""), form))
                    status = hub.answers.pop(0) if hub.answers else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def topics(self) -> list[str]:
        with self.lock:
            return [t for _, form in self.pings for t in form.get("hub.url", [])]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def config(**values: Any) -> Any:
    merged = {**settings.WARTA.values, **{k.replace("__", "."): v for k, v in values.items()}}
    return override_settings(WARTA=Config(merged, None))


@pytest.fixture
def hub() -> Iterator[HubStub]:
    stub = HubStub()
    try:
        with config(websub__hub=stub.url, websub__retry_base=0.01, websub__retries=2):
            yield stub
            assert background.pings.wait_idle(30)
    finally:
        stub.stop()


def settle() -> None:
    assert background.pings.wait_idle(30), "the ping worker did not finish"


@pytest.mark.django_db
def test_feeds_announce_the_hub_and_themselves(client: Client) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    make_post("Satu", category=world)
    with config(websub__hub="https://hub.example.com/"):
        rss = lxml.etree.fromstring(client.get("/kategori/dunia/rss.xml").content)
        links = {ln.get("rel"): ln.get("href")
                 for ln in rss.iterfind("channel/{http://www.w3.org/2005/Atom}link")}
        assert links == {"hub": "https://hub.example.com/",
                         "self": f"{BASE}/kategori/dunia/rss.xml"}
        response = client.get("/atom.xml")
        atom = lxml.etree.fromstring(response.content)
        links = {ln.get("rel"): ln.get("href")
                 for ln in atom.iterfind("{http://www.w3.org/2005/Atom}link")}
        assert links["hub"] == "https://hub.example.com/"
        assert links["self"] == f"{BASE}/atom.xml"
        assert response["Link"] == (f'<https://hub.example.com/>; rel="hub", '
                                    f'<{BASE}/atom.xml>; rel="self"')
        feed = json.loads(client.get("/feed.json").content)
        assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example.com/"}]
        assert feed["feed_url"] == f"{BASE}/feed.json"
    # no hub configured: nothing announced
    rss = client.get("/rss.xml")
    assert b'rel="hub"' not in rss.content and "Link" not in rss
    assert "hubs" not in json.loads(client.get("/feed.json").content)


@pytest.mark.django_db(transaction=True)
def test_publish_change_and_kill_ping_every_feed_listing_the_story(hub: HubStub) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    tag = Tag.objects.create(slug="banjir", name="Banjir")
    with transaction.atomic():
        post = make_post("Banjir di Jakarta", category=world)
        post.tags.add(tag)
    settle()
    expected = [*SITE_FEEDS,
                *(f"{BASE}/{kind}/{slug}/{name}" for kind, slug in
                  (("kategori", "dunia"), ("tag", "banjir"))
                  for name in ("rss.xml", "atom.xml", "feed.json"))]
    assert sorted(hub.topics()) == sorted(expected)
    content_type, form = hub.pings[0]
    assert content_type == "application/x-www-form-urlencoded"
    assert form["hub.mode"] == ["publish"] and len(form["hub.url"]) == 1

    hub.pings.clear()
    tr = post.translation
    tr.title = "Banjir besar di Jakarta"  # an editor's correction of a published story
    tr.save()
    settle()
    assert sorted(hub.topics()) == sorted(expected)

    hub.pings.clear()
    post.status = Post.Status.KILLED
    post.save()
    settle()
    assert sorted(hub.topics()) == sorted(expected)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_publish_pings_nothing(hub: HubStub) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        make_post("Tidak jadi")
        raise RuntimeError("the publish failed after saving")
    settle()
    assert hub.pings == [] and Post.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_hub_errors_are_retried_with_back_off_then_logged(
        hub: HubStub, caplog: pytest.LogCaptureFixture) -> None:
    hub.answers = [503, 429]  # then 204: the first topic gets through on its third try
    make_post("Satu")
    settle()
    # the first topic pinged got through on its third try, the others on their first
    topics = hub.topics()
    assert sorted(Counter(topics).values()) == [1, 1, 3]
    assert Counter(topics)[topics[0]] == 3 and set(topics) == set(SITE_FEEDS)

    hub.pings.clear()
    hub.answers = [400]  # refused: not retried, logged
    with caplog.at_level(logging.ERROR, logger="warta.reader"):
        make_post("Dua")
        settle()
    assert sorted(hub.topics()) == sorted(SITE_FEEDS)  # the refused one was not retried
    assert "refused the ping" in caplog.text and "HTTP 400" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_unreachable_hub_never_fails_the_publish(caplog: pytest.LogCaptureFixture) -> None:
    with config(websub__hub=f"http://127.0.0.1:{free_port()}/hub", websub__retries=1,
                websub__retry_base=0.01), caplog.at_level(logging.ERROR, logger="warta.reader"):
        post = make_post("Tetap terbit")
        settle()
    assert Post.objects.get(pk=post.pk).status == Post.Status.PUBLISHED
    assert "unreachable" in caplog.text and "after 2 attempt(s)" in caplog.text


SCRIPT = """
import django
django.setup()
from tests.test_api import make_post
from warta.reader.models import Subscriber
Subscriber.objects.create(email="cepat@contoh.id", frequency="instant", status="active")
make_post("Terbit lalu keluar", hours_ago=0)
print("published")
"""


@pytest.mark.slow
def test_a_process_that_publishes_and_exits_still_pings_and_alerts(
        warta: Any, hub: HubStub) -> None:
    """The background queue is drained at exit (``warta process`` publishes, then exits):
    the pings go out, and the alert waiting for ``newsletter.alert_delay`` is sent at once."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.support.smtpserver import LocalSMTPServer

    warta.run("init")
    smtp = LocalSMTPServer().start()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=Path(__file__).resolve().parent.parent,
            env={**warta.env, "DJANGO_SETTINGS_MODULE": "warta.settings",
                 "WARTA_WEBSUB_HUB": hub.url, "WARTA_EMAIL_HOST": smtp.host,
                 "WARTA_EMAIL_PORT": str(smtp.port), "WARTA_NEWSLETTER_ALERT_DELAY": "600"},
            capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "published"
        assert sorted(hub.topics()) == sorted(SITE_FEEDS)
        assert smtp.recipients() == ["cepat@contoh.id"]
    finally:
        smtp.stop()
