"""``warta build``: the static export (warta/site/build.py), its files and its incremental
second run."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from django.conf import settings

from tests.test_site import make_post
from warta.newsroom.models import Category, Post
from warta.site.build import MANIFEST, build_site, url_to_path

pytestmark = pytest.mark.dbmatrix


def mtimes(root: Path) -> dict[str, int]:
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture
def small_pages():
    """Two stories a page, so a few posts make paginated lists."""
    values = settings.WARTA.values
    saved = values["site.page_size"]
    values["site.page_size"] = 2
    yield
    values["site.page_size"] = saved


def test_url_to_path():
    assert url_to_path("/") == "index.html"
    assert url_to_path("/?page=3") == "page/3/index.html"
    assert url_to_path("/berita/a-b/") == "berita/a-b/index.html"
    assert url_to_path("/kategori/dunia/?page=2") == "kategori/dunia/page/2/index.html"
    assert url_to_path("/kategori/dunia/rss.xml") == "kategori/dunia/rss.xml"
    assert url_to_path("/sitemap-berita.xml?p=2") == "sitemap-berita-2.xml"


@pytest.mark.django_db
def test_build_writes_the_whole_site(tmp_path: Path, small_pages: None):
    dunia = Category.objects.create(slug="dunia", name="Dunia")
    posts = [make_post(f"Berita nomor {i}", category=dunia if i < 3 else None) for i in range(5)]
    report = build_site(tmp_path)
    files = set(mtimes(tmp_path))
    for post in posts:
        assert f"berita/{post.slug}/index.html" in files
    for rel in (
        "index.html",
        "page/2/index.html",
        "page/3/index.html",
        "kategori/dunia/index.html",
        "kategori/dunia/page/2/index.html",
        "kategori/dunia/rss.xml",
        "rss.xml",
        "atom.xml",
        "feed.json",
        "sitemap.xml",
        "sitemap-berita.xml",
        "sitemap-news.xml",
        "robots.txt",
        "404.html",
        "410.html",
        "static/site/warta.css",
        MANIFEST,
    ):
        assert rel in files, rel
    assert any(f.startswith("static/site/warta.") and f.endswith(".css.gz") for f in files)
    assert report.rendered == report.pages and not report.removed

    # pagination links point at files, not query strings
    home = lxml.html.fromstring((tmp_path / "index.html").read_bytes())
    assert home.xpath("//a[@rel='next']/@href") == ["/page/2/"]
    page2 = lxml.html.fromstring((tmp_path / "page/2/index.html").read_bytes())
    assert page2.xpath("//a[@rel='prev']/@href") == ["/"]
    # the stylesheet the pages link exists in the export
    (css,) = home.xpath("//link[@rel='stylesheet']/@href")
    assert (tmp_path / css.lstrip("/")).is_file()
    # feeds are the site's own, with absolute links from site.base_url
    feed = feedparser.parse((tmp_path / "rss.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 5
    assert feed.entries[0].link.startswith(str(settings.WARTA["site.base_url"]))
    assert "Sitemap:" in (tmp_path / "robots.txt").read_text()


@pytest.mark.django_db
def test_second_build_rewrites_only_what_changed(tmp_path: Path, small_pages: None):
    dunia = Category.objects.create(slug="dunia", name="Dunia")
    bisnis = Category.objects.create(slug="bisnis", name="Bisnis")
    posts = [make_post(f"Cerita {i}", category=dunia if i < 4 else bisnis) for i in range(8)]
    build_site(tmp_path)
    before = mtimes(tmp_path)

    again = build_site(tmp_path)
    assert again.written == [] and again.removed == []
    assert again.rendered < again.pages / 2
    assert mtimes(tmp_path) == before

    changed = posts[5]  # in "bisnis", on home page 3
    tr = changed.translation
    tr.title = "Cerita yang diperbarui"
    tr.save()
    report = build_site(tmp_path)
    after = mtimes(tmp_path)
    rewritten = {f for f in after if after[f] != before.get(f)}
    article = f"berita/{changed.slug}/index.html"
    assert article in rewritten
    assert "Cerita yang diperbarui" in (tmp_path / article).read_text()
    assert (
        "kategori/bisnis/index.html" in rewritten
        or "kategori/bisnis/page/2/index.html" in rewritten
    )
    # other stories' pages and the other category are untouched
    for post in posts:
        if post != changed:
            assert f"berita/{post.slug}/index.html" not in rewritten
    assert not any(f.startswith("kategori/dunia/") and f.endswith(".html") for f in rewritten)
    assert not any(f.startswith("static/") for f in rewritten)
    assert len(rewritten) < len(after) / 3, sorted(rewritten)
    assert set(report.written) == rewritten - {MANIFEST}


@pytest.mark.django_db
def test_a_killed_story_leaves_the_export(tmp_path: Path):
    keep = make_post("Tetap")
    kill = make_post("Ditarik")
    build_site(tmp_path)
    article = tmp_path / f"berita/{kill.slug}/index.html"
    assert article.exists()

    Post.objects.filter(pk=kill.pk).update(status=Post.Status.KILLED)  # the wire's way
    report = build_site(tmp_path)
    assert not article.exists()
    assert f"berita/{kill.slug}/index.html" in report.removed
    assert (tmp_path / f"berita/{keep.slug}/index.html").exists()
    assert (tmp_path / "_gone.map").read_text() == f'"/berita/{kill.slug}/" 1;\n'
    for rel in ("index.html", "rss.xml", "sitemap-berita.xml"):
        assert kill.slug not in (tmp_path / rel).read_text(), rel
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert f"berita/{kill.slug}/index.html" not in manifest["files"]


@pytest.mark.django_db
def test_an_unwritable_folder_is_a_clear_error(tmp_path: Path):
    from warta.site.build import BuildError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(BuildError, match="cannot create"):
        build_site(blocker / "out")


_PARALLEL_SCRIPT = """
import json, os, sys
import django

django.setup()
from django.conf import settings
from django.core.management import call_command

call_command("migrate", verbosity=0)
from tests.test_site import make_post
from warta.newsroom.models import Category
from warta.site import build

settings.WARTA.values["site.page_size"] = 2
dunia = Category.objects.create(slug="dunia", name="Dunia")
for i in range(40):
    make_post(f"Banjir nomor {i} di Jakarta", category=dunia if i % 2 else None)

renderers = sys.argv[2]
original = build._render_jobs

def recorded(*args):  # which processes rendered, with their list memo: the real renderer
    from warta.site import views

    with open(renderers, "a") as f:
        f.write(f"{os.getpid()}:{views._memo_var.get() is not None}\\n")
    return original(*args)

build._render_jobs = recorded
out = sys.argv[1]
serial = build.build_site(os.path.join(out, "serial"), workers=1)
open(renderers, "w").close()
parallel = build.build_site(os.path.join(out, "parallel"), workers=2)
print(json.dumps({"serial": serial.rendered, "parallel": parallel.rendered,
                  "min": build.PARALLEL_MIN_PAGES, "parent": os.getpid()}))
"""


@pytest.mark.slow
def test_parallel_build_writes_the_same_files_as_serial(tmp_path: Path):
    """Worker processes (forked, each with its own database connection) render the same
    bytes as the build's own process: every file, the manifest included. Run in a
    subprocess on a database file (or a fresh PostgreSQL database): workers cannot see
    the test database's uncommitted rows."""
    import os
    import subprocess
    import sys

    from tests.support.cli import WartaEnv

    env = WartaEnv(tmp_path / "env")
    try:
        renderers = tmp_path / "renderers.txt"
        root = Path(__file__).resolve().parent.parent
        proc = subprocess.run(
            [sys.executable, "-c", _PARALLEL_SCRIPT, str(tmp_path / "out"), str(renderers)],
            env={**env.env, "DJANGO_SETTINGS_MODULE": "warta.settings", "PYTHONPATH": str(root)},
            cwd=root,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        env.close()
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["serial"] == result["parallel"] >= result["min"]
    notes = set(renderers.read_text().split())
    # every worker keeps the build's memo (navigation, list ids, cards) for its life
    assert notes and all(n.endswith(":True") for n in notes), notes
    pids = {n.split(":")[0] for n in notes}
    # rendered in worker processes, not the build's own (how the chunks spread over the
    # two workers is the pool's business)
    assert pids and str(result["parent"]) not in pids

    def tree(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    serial, parallel = tree(tmp_path / "out" / "serial"), tree(tmp_path / "out" / "parallel")
    assert len(serial) > result["min"]
    assert sorted(serial) == sorted(parallel)
    assert [k for k in serial if serial[k] != parallel[k]] == []
    assert os.path.exists(tmp_path / "out" / "parallel" / MANIFEST)


@pytest.mark.django_db
def test_build_files_are_what_the_views_serve(tmp_path: Path, small_pages: None, client):
    """The build reads the posts of its articles in batches and makes each card once per
    build: no byte may differ from what the site's views answer (links rewritten)."""
    from warta.newsroom.models import Correction, Tag
    from warta.site.build import _rewrite

    dunia = Category.objects.create(slug="dunia", name="Dunia")
    tags = [Tag.objects.create(slug=s, name=s.title()) for s in ("banjir", "cuaca", "asia")]
    posts = []
    for i in range(9):
        post = make_post(
            f"Berita nomor {i} <b>&</b>",
            [{"type": "p", "text": f"Paragraf {i} tentang banjir."}] * 3,
            category=dunia if i % 3 else None,
            image={"src": f"https://img.example.com/{i}.jpg", "caption": "Foto (arsip)"}
            if i % 2
            else None,
        )
        post.tags.set(tags[: i % 4])
        article = post.translation.article
        article.byline = f"By Reporter {i % 2}"
        article.save()
        posts.append(post)
    Correction.objects.create(post=posts[4], note="Angka diperbaiki.")
    Correction.objects.create(post=posts[4], note="Nama diperbaiki.")

    build_site(tmp_path, workers=1)
    lists = ["/", "/?page=2", "/kategori/dunia/", "/kategori/dunia/?page=2", "/tag/banjir/",
             "/tag/cuaca/?page=2", "/penulis/reporter-1/", f"/sumber/{posts[0].entry.source_id}/"]
    # lists first: an article view counts a view, and "most read" is on the home page
    for url in lists + [p.get_absolute_url() for p in posts]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert (tmp_path / url_to_path(url)).read_bytes() == _rewrite(
            response.content, url, ""
        ), url
