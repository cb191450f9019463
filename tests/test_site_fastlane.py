"""The fast lane (warta/site/fastlane.py): repeated requests for cached pages answered in
front of Django, and the version store's generation token it relies on.

Requests go through the real WSGI application (``warta.wsgi``) with a counter between the
fast lane and Django, so a test can tell which requests reached Django."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import signals
from django.db import close_old_connections

from tests.test_site import make_post
from warta.newsroom.models import Post, PostView
from warta.site import cache as page_cache
from warta.site import fastlane
from warta.site.cache import VersionFileCache
from warta.wsgi import django_application

pytestmark = pytest.mark.dbmatrix


@pytest.fixture(autouse=True)
def cache_on() -> Iterator[None]:
    """The page cache as in production (the suite turns it off), the safety net off."""
    values: dict[str, Any] = settings.WARTA.values
    keys = ("site.cache_seconds", "site.cache_check_seconds", "site.fast_lane_mb")
    saved = {k: values.get(k) for k in keys}
    values.update({"site.cache_seconds": 600, "site.cache_check_seconds": 1e9,
                   "site.fast_lane_mb": 32})
    page_cache.clear_page_cache()
    page_cache._versions().clear()
    page_cache.check_fingerprint(force=True)
    # as Django's test client does: the request signals must not close the test's
    # connection (its transaction holds the test's rows)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    values.update(saved)
    page_cache.clear_page_cache()


class Counted:
    """Django's WSGI application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return django_application(environ, start_response)


@pytest.fixture
def django_app() -> Counted:
    return Counted()


@pytest.fixture
def app(django_app: Counted) -> fastlane.FastLane:
    return fastlane.FastLane(django_app)


def call(app: Any, path: str, method: str = "GET", script: str = "",
         **headers: str) -> tuple[str, dict[str, str], bytes]:
    path, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
        "SCRIPT_NAME": script, "SERVER_NAME": "testserver", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "testserver", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]],
                       exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, response_headers

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return seen["status"], dict(seen["headers"]), body


@pytest.mark.django_db
def test_a_repeated_hit_is_answered_without_django_and_byte_for_byte_the_same(
        app: fastlane.FastLane, django_app: Counted):
    url = make_post("Banjir di Jakarta").get_absolute_url()
    first = call(app, url)
    assert first[1]["X-Cache"] == "miss"
    second = call(app, url)  # Django answers from the page cache; the fast lane keeps it
    assert second[1]["X-Cache"] == "hit" and django_app.calls == 2
    for _ in range(3):
        assert call(app, url) == second
    assert django_app.calls == 2
    assert "Banjir di Jakarta" in second[2].decode()
    assert "Content-Security-Policy" in second[1] and "X-Content-Type-Options" in second[1]


@pytest.mark.django_db
def test_an_edit_and_a_kill_reach_the_next_request(app: fastlane.FastLane,
                                                    django_app: Counted):
    post = make_post("Gempa di Jepang")
    url = post.get_absolute_url()
    for _ in range(3):
        call(app, url)
    home = [call(app, "/") for _ in range(3)][-1]
    calls = django_app.calls

    tr = post.translation
    tr.title = "Gempa besar di Jepang"
    tr.save()
    edited = call(app, url)
    assert django_app.calls == calls + 1
    assert "Gempa besar di Jepang" in edited[2].decode()
    assert "Gempa besar di Jepang" in call(app, "/")[2].decode()

    post.status = Post.Status.KILLED
    post.kill_reason = "hak siar dicabut"
    post.save()
    assert call(app, url)[0].startswith("410")
    assert "Gempa" not in call(app, "/")[2].decode().split("<main", 1)[-1]
    assert home[0].startswith("200")


@pytest.mark.django_db
def test_a_change_without_signals_is_seen_through_the_safety_net(app: fastlane.FastLane):
    settings.WARTA.values["site.cache_check_seconds"] = 0  # check on every request
    post = make_post("Berita lama")
    url = post.get_absolute_url()
    for _ in range(3):
        call(app, url)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.KILLED)  # no signal
    assert call(app, url)[0].startswith("410")


@pytest.mark.django_db
def test_conditional_head_and_other_hosts_go_through_django(app: fastlane.FastLane,
                                                            django_app: Counted):
    url = make_post("Pemilu").get_absolute_url()
    for _ in range(3):
        _status, headers, _ = call(app, url)
    calls = django_app.calls
    not_modified = call(app, url, **{"If-None-Match": headers["ETag"]})
    assert not_modified[0].startswith("304") and not_modified[2] == b""
    head = call(app, url, method="HEAD")
    assert head[0].startswith("200") and head[2] == b""
    call(app, url, Host="evil.example")  # another host: a key of its own, Django decides
    with_query = call(app, url + "?utm_source=x")  # not the page cache's: rendered anew
    assert with_query[0].startswith("200") and with_query[1].get("X-Cache") is None
    assert django_app.calls == calls + 4


@pytest.mark.django_db
def test_articles_served_by_the_fast_lane_count_as_read(app: fastlane.FastLane,
                                                        django_app: Counted):
    post = make_post("Paling banyak dibaca")
    url = post.get_absolute_url()
    page_cache._views.drain()
    call(app, url)  # a render: counted by the view itself
    page_cache._views.drain()
    before = sum(PostView.objects.filter(post=post).values_list("views", flat=True))
    for _ in range(5):
        call(app, url)
    assert django_app.calls == 2  # one hit through Django, four from the fast lane
    page_cache._views.drain()
    after = sum(PostView.objects.filter(post=post).values_list("views", flat=True))
    assert after - before == 5


@pytest.mark.django_db
def test_expired_pages_and_a_zero_budget_go_through_django(app: fastlane.FastLane,
                                                           django_app: Counted):
    url = make_post("Kedaluwarsa").get_absolute_url()
    for _ in range(3):
        call(app, url)
    calls = django_app.calls
    for answer in fastlane._store.answers.values():
        object.__setattr__(answer, "expires", 0.0)
    call(app, url)
    assert django_app.calls == calls + 1

    fastlane.clear()
    settings.WARTA.values["site.fast_lane_mb"] = 0
    for _ in range(3):
        call(app, url)
    assert django_app.calls == calls + 4 and not fastlane._store.answers


@pytest.mark.django_db
def test_the_store_keeps_its_byte_budget_dropping_the_oldest():
    store = fastlane._Store()

    def answer(size: int) -> fastlane._Answer:
        return fastlane._Answer({}, 1e12, "200 OK", [], b"x" * size, None)

    for i in range(10):
        store.put((i,), answer(800), budget=8000)
    store.put((10,), answer(1000), budget=8000)
    assert store.size <= 8000 and store.size == sum(len(a.body) for a in store.answers.values())
    assert (0,) not in store.answers and (1,) not in store.answers
    assert (2,) in store.answers and (10,) in store.answers
    store.put((11,), answer(1001), budget=8000)  # over an eighth of the budget: not kept
    assert (11,) not in store.answers


SET_IN_ANOTHER_PROCESS = """
import sys
from warta.site.cache import VersionFileCache
VersionFileCache(sys.argv[1], {}).set(sys.argv[2], sys.argv[3], timeout=None)
"""


def _set_elsewhere(folder: Path, key: str, value: str) -> None:
    subprocess.run([sys.executable, "-c", SET_IN_ANOTHER_PROCESS, str(folder), key, value],
                   check=True, timeout=60)


@pytest.mark.django_db
def test_versions_read_from_memory_follow_writes_of_other_processes(tmp_path: Path):
    folder = tmp_path / "versions"
    reader = VersionFileCache(str(folder), {})
    _set_elsewhere(folder, "post:/a/", "v1")
    assert reader.current(["post:/a/", "all"]) == {"post:/a/": "v1"}
    assert reader.current(["post:/a/"]) == {"post:/a/": "v1"}  # from memory now
    _set_elsewhere(folder, "post:/a/", "v2")
    assert reader.current(["post:/a/"]) == {"post:/a/": "v2"}
    _set_elsewhere(folder, "all", "v9")
    assert reader.current(["post:/a/", "all"]) == {"post:/a/": "v2", "all": "v9"}


@pytest.mark.django_db
def test_a_deleted_version_folder_does_not_leave_a_reader_on_a_dead_token(tmp_path: Path):
    import shutil

    folder = tmp_path / "versions"
    reader = VersionFileCache(str(folder), {})
    _set_elsewhere(folder, "all", "v1")
    assert reader.current(["all"]) == {"all": "v1"}
    shutil.rmtree(folder)
    _set_elsewhere(folder, "all", "v2")
    assert reader.current(["all"]) == {"all": "v2"}


@pytest.mark.django_db
def test_a_repeated_search_page_is_answered_by_the_fast_lane_while_its_stories_stand(
        app: fastlane.FastLane, django_app: Counted):
    first = make_post("Banjir di Jakarta")
    second = make_post("Banjir bandang di Bogor")
    url = "/cari/?q=banjir"
    call(app, url)  # rendered and kept by the search page cache
    kept = call(app, url)
    assert kept[1]["X-Cache"] == "hit" and django_app.calls == 2
    assert call(app, url) == kept and django_app.calls == 2
    # killed without a signal, the safety net off: the visibility check sees it
    Post.objects.filter(pk=first.pk).update(status=Post.Status.KILLED)
    after = call(app, url)
    assert django_app.calls == 3
    assert second.get_absolute_url().encode() in after[2]
    assert first.get_absolute_url().encode() not in after[2]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/cari/?q=banjir"])
def test_a_site_mounted_under_two_prefixes_keeps_a_page_for_each(
        app: fastlane.FastLane, path: str):
    """Every link starts with the script prefix: a page kept for one prefix is never given
    for the other (the page cache and the search page cache key by it too, not only the
    fast lane)."""
    post = make_post("Banjir di Jakarta")
    link = post.get_absolute_url()
    try:
        for _ in range(3):
            _, _, mounted = call(app, path, script="/lokal")
            _, _, plain = call(app, path)
            assert f'href="/lokal{link}"'.encode() in mounted
            assert f'href="{link}"'.encode() in plain and b'href="/lokal/' not in plain
    finally:
        from django.urls import set_script_prefix

        set_script_prefix("/")
