"""Every feed of ../shared/corpus/feeds through the real intake: a Source per file, served by
a real local HTTP server, polled by the real poll_source into the real database.

No file may raise out of poll_source. Each one ends either with entries stored and no error
on the source, or with a readable error recorded on the source (``last_error``) and nothing
stored. Files are served with the content type a server would give them (gzip files as
plain bytes, as the node-feedparser fixture is served in the wild).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.httpserver import LocalHTTPServer
from warta.newsroom.models import Entry, Source
from warta.newsroom.stages import poll_source

pytestmark = [pytest.mark.corpus, pytest.mark.django_db]

SOURCE_EXTENSIONS = (".go", ".js", ".swift", ".md", ".txt")
CONTENT_TYPES = {".json": "application/json", ".html": "text/html", ".opml": "text/x-opml"}


def _feed_files(corpus: Path) -> list[Path]:
    root = corpus / "feeds"
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.name != "LICENSE" and not p.name.endswith(SOURCE_EXTENSIONS)
    )


def test_every_corpus_feed_is_stored_or_recorded_as_an_error(
    corpus: Path, http_server: LocalHTTPServer
) -> None:
    files = _feed_files(corpus)
    assert len(files) > 250
    for i, path in enumerate(files):
        ctype = CONTENT_TYPES.get(path.suffix, "application/xml")
        http_server.add(f"/f/{i}", path.read_bytes(), headers={"Content-Type": ctype})
        Source.objects.create(name=path.name, url=http_server.url(f"/f/{i}"))
    crashed, silent = [], []
    for source in Source.objects.order_by("pk"):
        try:
            result = poll_source(source.pk, force=True)
        except Exception as e:
            crashed.append(f"{source.name}: {type(e).__name__}: {e}")
            continue
        source.refresh_from_db()
        stored = Entry.objects.filter(source=source).count()
        if result.error:
            assert source.last_error, source.name
            assert stored == 0, source.name
        elif not stored:
            silent.append(source.name)
    assert not crashed, crashed[:10]
    # a feed that parsed but stored nothing must have had no entries at all
    assert len(silent) <= 10, silent
    with_errors = Source.objects.exclude(last_error="").count()
    assert with_errors < len(files) * 0.1
    assert Entry.objects.count() > 5000
