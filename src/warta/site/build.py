"""``warta build OUT_DIR``: the whole public site as static files, for any static host or CDN.

What it writes (every page rendered in-process by the site's own views, so the files are
byte for byte what the server would send):

- ``index.html`` and ``page/N/index.html`` (home), ``berita/<slug>/index.html`` (articles),
  ``kategori/<slug>/``, ``tag/<slug>/``, ``sumber/<id>/``, ``penulis/<slug>/`` and the date
  archives ``YYYY/``, ``YYYY/MM/``, ``YYYY/MM/DD/``, each with its ``page/N/`` pages;
- the feeds (``rss.xml``, ``atom.xml``, ``feed.json``, per category and per tag), the
  sitemaps (a section's page N is ``sitemap-<section>-N.xml``), ``robots.txt``;
- ``static/`` (hashed, compressed assets, as ``collectstatic`` makes them), ``404.html``
  and ``410.html``;
- ``_gone.map``: the paths of killed stories, for nginx (``map $uri $warta_gone { include
  …/_gone.map; }`` then ``if ($warta_gone) { return 410; }`` — docs/site.md);
- ``.warta-build.json``: the manifest that makes the next run incremental.

A static host cannot read query strings, so ``?page=N`` links are rewritten to
``page/N/``, and a sitemap index's ``?p=N`` to ``-N.xml``. Links stay root-relative
(``/berita/…``), which works at any depth; when ``site.base_url`` has a path
(``https://example.com/news``) they are prefixed with it. Search and the subscribe form
need the server and are not exported.

**Incremental.** Each article's file is stored with a fingerprint of everything it shows
(the post, its translation's text, corrections, tags, the category; plus the site's
fingerprint: navigation, sources, ``site.*`` config, templates and static files). A list
page's fingerprint is made of its posts' fingerprints and its place in the pagination;
a feed's of its items'. A second run renders only what has a new fingerprint (home page 1
and the sitemaps are always rendered: "most read" and ``lastmod`` are not in any one
post) and rewrites only files whose bytes changed; files of pages that are gone (a killed
story, an emptied tag) are deleted. The "Baca juga" link and "also reported by" list of an
article are chosen when it is rendered and kept until the article itself changes. Writes
go to a temporary file first and are renamed into place, so a server reading the folder
never sees half a page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Max, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404, HttpResponseBase
from django.test import RequestFactory
from django.urls import resolve, reverse

from warta.core.errors import WartaError

log = logging.getLogger(__name__)

MANIFEST = ".warta-build.json"
GONE_MAP = "_gone.map"
MANIFEST_VERSION = 1
_PAGE_LINK = re.compile(r'href="\?page=(\d+)"')
_SITEMAP_PAGE = re.compile(r"(/sitemap-[a-z0-9-]+)\.xml\?p=(\d+)")


class BuildError(WartaError):
    """The export could not be written (an unwritable folder, a page that failed)."""


@dataclass
class BuildReport:
    pages: int = 0  # pages the site has
    rendered: int = 0  # pages rendered this run
    written: list[str] = field(default_factory=list)  # files whose bytes changed
    removed: list[str] = field(default_factory=list)
    gone: int = 0
    seconds: float = 0.0

    def describe(self) -> str:
        return (
            f"{self.pages} pages, {self.rendered} rendered, {len(self.written)} files "
            f"written, {len(self.removed)} removed, {self.gone} gone, "
            f"{self.seconds:.1f} s"
        )


# ---------------------------------------------------------------- fingerprints


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def _tree_digest(root: Path) -> str:
    """Names, sizes and modification times of every file under ``root`` (templates)."""
    h = hashlib.blake2b(digest_size=12)
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            h.update(f"{path.relative_to(root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def site_fingerprint() -> str:
    """What every page shows besides its own posts: navigation, sources' public fields,
    the ``site.*`` configuration, the templates and the static files."""
    from warta.newsroom.models import Source
    from warta.site import views

    nav = [(c.slug, c.name) for c in views.nav_categories()]
    sources = list(
        Source.objects.order_by("id").values_list(
            "id", "name", "noindex", "canonical_policy", "credit_line", "attribution"
        )
    )
    config = sorted(
        (k, str(v))
        for k, v in settings.WARTA.values.items()
        if k.startswith("site.") or k == "websub.hub"
    )
    here = Path(__file__).parent
    return _digest(
        nav, sources, config, _tree_digest(here / "templates"), _tree_digest(here / "static")
    )


def post_fingerprints(ids: Iterable[int] | None = None) -> dict[int, str]:
    """A fingerprint per visible post of everything its page shows (three queries)."""
    from warta.newsroom.models import Correction, Post
    from warta.site.views import published_posts

    qs = published_posts()
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    rows = (
        qs.values_list(
            "id",
            "slug",
            "status",
            "published_at",
            "updated_at",
            "category_id",
            "source_name",
            "original_url",
            "attribution",
            "entry__source_id",
            "translation_id",
            "translation__version",
            "translation__status",
            "translation__title",
            "translation__dateline",
            "translation__article__byline",
            "translation__article__language",
        )
        .annotate(
            blocks=Cast("translation__blocks", TextField()),
            image=Cast("translation__image", TextField()),
        )
        .order_by()
    )
    corrections: dict[int, tuple[Any, ...]] = {
        r["post_id"]: (r["n"], r["last"])
        for r in Correction.objects.values("post_id").annotate(n=Count("id"), last=Max("id"))
    }
    tags: dict[int, list[int]] = {}
    for post_id, tag_id in Post.tags.through.objects.values_list("post_id", "tag_id"):
        tags.setdefault(post_id, []).append(tag_id)
    return {
        row[0]: _digest(row, corrections.get(row[0]), sorted(tags.get(row[0], []))) for row in rows
    }


# ---------------------------------------------------------------- what the site has


@dataclass
class Page:
    """One file of the export: the URL to render and, when known, its fingerprint (None:
    always render)."""

    url: str
    path: str
    fingerprint: str | None = None
    post_id: int | None = None  # an article: rendered from its post, not through the view


def url_to_path(url: str) -> str:
    """``/kategori/dunia/?page=2`` → ``kategori/dunia/page/2/index.html``;
    ``/sitemap-berita.xml?p=2`` → ``sitemap-berita-2.xml``."""
    parts = urlsplit(url)
    path = parts.path.lstrip("/")
    if parts.query.startswith("page="):
        path += f"page/{parts.query.removeprefix('page=')}/"
    elif parts.query.startswith("p="):
        stem, dot, ext = path.rpartition(".")
        path = f"{stem}-{parts.query.removeprefix('p=')}{dot}{ext}"
    if not path or path.endswith("/"):
        path += "index.html"
    return path


def _list_pages(
    base: str, ids: list[int], fps: dict[int, str], site_fp: str, feeds: bool = False
) -> Iterator[Page]:
    """The pages of one paginated list (and its three feeds)."""
    size = int(settings.WARTA["site.page_size"])
    count = max(1, -(-len(ids) // size))
    for number in range(1, count + 1):
        chunk = ids[(number - 1) * size : number * size]
        url = base if number == 1 else f"{base}?page={number}"
        fp = _digest(site_fp, url, count, [fps.get(i) for i in chunk])
        yield Page(url, url_to_path(url), fp)
    if feeds:
        from warta.site.feeds import FEED_ITEMS

        newest = [fps.get(i) for i in ids[:FEED_ITEMS]]
        for name in ("rss.xml", "atom.xml", "feed.json"):
            yield Page(base + name, url_to_path(base + name), _digest(site_fp, base, newest))


def _ids(qs: QuerySet[Any]) -> list[int]:
    return list(qs.values_list("id", flat=True))


def site_pages(site_fp: str, fps: dict[int, str]) -> list[Page]:
    """Every page of the public site, with fingerprints where they are known."""
    from warta.newsroom.models import Category, Source, Tag
    from warta.site import lists
    from warta.site.sitemaps import SITEMAPS
    from warta.site.views import published_posts

    visible = published_posts()
    pages: list[Page] = []
    home_ids = _ids(visible)
    home = list(_list_pages("/", home_ids, fps, site_fp))
    home[0].fingerprint = None  # "most read" is not in any post's fingerprint
    pages += home
    site_feeds = [fps.get(i) for i in home_ids[:50]]
    for name in ("rss.xml", "atom.xml", "feed.json"):
        pages.append(Page("/" + name, name, _digest(site_fp, name, site_feeds)))
    for pk, slug in visible.values_list("id", "slug").order_by():
        url = reverse("article", kwargs={"slug": slug})
        pages.append(Page(url, url_to_path(url), _digest(site_fp, fps.get(pk)), pk))

    for cat in Category.objects.filter(posts__in=visible).distinct():
        pages += _list_pages(
            cat.get_absolute_url(), _ids(visible.filter(category=cat)), fps, site_fp, feeds=True
        )
    for tag in Tag.objects.filter(posts__in=visible).distinct():
        pages += _list_pages(
            tag.get_absolute_url(), _ids(visible.filter(tags=tag)), fps, site_fp, feeds=True
        )
    for src in Source.objects.filter(entries__post__in=visible).distinct():
        url = reverse("source", kwargs={"pk": src.pk})
        pages += _list_pages(url, _ids(visible.filter(entry__source=src)), fps, site_fp)
    bylines = set(
        visible.exclude(translation__article__byline="")
        .values_list("translation__article__byline", flat=True)
        .distinct()
    )
    by_slug: dict[str, list[str]] = {}
    for byline in bylines:
        if lists.author_slug(byline):
            by_slug.setdefault(lists.author_slug(byline), []).append(byline)
    for slug, names in sorted(by_slug.items()):
        url = reverse("author", kwargs={"slug": slug})
        qs = visible.filter(translation__article__byline__in=names)
        pages += _list_pages(url, _ids(qs), fps, site_fp)
    pages += _archive_pages(visible, fps, site_fp)

    pages.append(Page("/sitemap.xml", "sitemap.xml"))
    pages.append(Page("/sitemap-news.xml", "sitemap-news.xml"))
    for section, cls in SITEMAPS.items():
        url = reverse("sitemap-section", kwargs={"section": section})
        for number in range(1, max(1, cls().paginator.num_pages) + 1):
            page_url = url if number == 1 else f"{url}?p={number}"
            pages.append(Page(page_url, url_to_path(page_url)))
    pages.append(Page("/robots.txt", "robots.txt"))
    return pages


def _archive_pages(visible: QuerySet[Any], fps: dict[int, str], site_fp: str) -> list[Page]:
    """Year, month and day archives (the site's time zone) with visible posts."""
    from zoneinfo import ZoneInfo

    from warta.site.render import site_zone

    zone = ZoneInfo(site_zone())
    groups: dict[str, list[int]] = {}
    for pk, when in visible.values_list("id", "published_at"):
        local = when.astimezone(zone)
        for url in (f"/{local:%Y}/", f"/{local:%Y}/{local:%m}/", f"/{local:%Y/%m/%d}/"):
            groups.setdefault(url, []).append(pk)
    pages: list[Page] = []
    for url, ids in sorted(groups.items()):
        pages += _list_pages(url, ids, fps, site_fp)  # ids are newest first, as the view's
    return pages


# ---------------------------------------------------------------- rendering


class _Renderer:
    """Calls the site's views in-process (no middleware: headers do not go into files)."""

    def __init__(self) -> None:
        host = urlsplit(str(settings.WARTA["site.base_url"])).hostname or "localhost"
        allowed = settings.ALLOWED_HOSTS
        self.host = host if host in allowed or "*" in allowed else (allowed or ["localhost"])[0]
        self.factory = RequestFactory()
        self._posts: dict[int, Any] = {}  # loaded by load_articles, used once each

    def load_articles(self, post_ids: Iterable[int]) -> None:
        """Read the visible posts of the articles about to be rendered, with everything
        their pages read (the translation, its article, category, entry and source,
        corrections, tags): three queries for the lot instead of three per page."""
        from warta.newsroom.models import Post
        from warta.site import views

        ids = [pk for pk in post_ids if pk not in self._posts]
        if not ids:
            return
        posts = (
            views.article_posts()
            .filter(status=Post.Status.PUBLISHED)
            .prefetch_related("corrections", "tags")
            .in_bulk(ids)
        )
        self._posts.update({pk: posts.get(pk) for pk in ids})

    def render(self, url: str, post_id: int | None = None) -> tuple[int, bytes]:
        request = self.factory.get(url, HTTP_HOST=self.host)
        if post_id is not None:
            return self._article(request, post_id)
        try:
            match = resolve(request.path_info)
            request.resolver_match = match  # as the server's request has it (the nav reads it)
            response = match.func(request, *match.args, **match.kwargs)
        except Http404:
            return 404, b""
        return self._content(response)

    def _article(self, request: Any, post_id: int) -> tuple[int, bytes]:
        """The article view's page without its side effect: an export is not a reader, so
        no view is counted for "most read"."""
        from django.shortcuts import render

        from warta.newsroom.models import Post
        from warta.site import views

        if post_id in self._posts:
            post = self._posts.pop(post_id)
        else:
            post = views.article_posts().filter(pk=post_id, status=Post.Status.PUBLISHED).first()
        if post is None:
            return 404, b""
        return self._content(render(request, "site/article.html", views.article_context(post)))

    def error_page(self, status: int) -> bytes:
        """The site's 404 page, and the 410 page a killed story answers."""
        from django.shortcuts import render
        from django.views.defaults import page_not_found

        request = self.factory.get("/404.html", HTTP_HOST=self.host)
        if status == 404:
            return self._content(page_not_found(request, Http404()))[1]
        from warta.site.views import _context

        return self._content(render(request, "site/410.html", _context(post=None), status=410))[1]

    @staticmethod
    def _content(response: HttpResponseBase) -> tuple[int, bytes]:
        render = getattr(response, "render", None)
        if callable(render) and not getattr(response, "is_rendered", True):
            render()
        return response.status_code, bytes(getattr(response, "content", b""))


def _rewrite(body: bytes, url: str, prefix: str) -> bytes:
    """Query-string links → static paths; root-relative links under ``prefix``."""
    base = urlsplit(url).path
    text = body.decode("utf-8")

    def page_link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f'href="{base}"' if n == 1 else f'href="{base}page/{n}/"'

    text = _PAGE_LINK.sub(page_link, text)
    text = _SITEMAP_PAGE.sub(lambda m: f"{m.group(1)}-{m.group(2)}.xml", text)
    if prefix:
        text = re.sub(r'(href|src|action)="/(?!/)', rf'\1="{prefix}/', text)
    return text.encode("utf-8")


# ---------------------------------------------------------------- the build


def _write(out: Path, rel: str, body: bytes) -> None:
    target = out / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    tmp.write_bytes(body)
    os.replace(tmp, target)


def _load_manifest(out: Path) -> dict[str, Any]:
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == MANIFEST_VERSION else {}


def _collect_static(
    out: Path, report: BuildReport, old_files: dict[str, Any], files: dict[str, Any]
) -> None:
    """``collectstatic`` into STATIC_ROOT, then the public assets (not the admin's) into
    ``out/static``, copying only files whose bytes changed (collectstatic rewrites its
    output on every run, so times say nothing)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    root = Path(settings.STATIC_ROOT)
    for src in root.rglob("*"):
        if not src.is_file() or src.relative_to(root).parts[0] == "admin":
            continue
        rel = "static/" + src.relative_to(root).as_posix()
        digest = hashlib.blake2b(src.read_bytes(), digest_size=16).hexdigest()
        files[rel] = {"hash": digest}
        if (old_files.get(rel) or {}).get("hash") == digest and (out / rel).exists():
            continue
        _write(out, rel, src.read_bytes())
        report.written.append(rel)


@dataclass(frozen=True)
class _Job:
    """One page to render, as a worker process gets it (plain values: it is pickled)."""

    index: int
    url: str
    path: str
    post_id: int | None
    known_hash: str | None  # the bytes the folder has now, from the manifest


@dataclass(frozen=True)
class _Done:
    index: int
    status: int
    digest: str  # of the rewritten body; "" when the page was left out
    written: bool


def _render_jobs(out: Path, prefix: str, jobs: list[_Job]) -> list[_Done]:
    """Render ``jobs`` and write the files whose bytes changed (in whichever process runs
    this: the build's own or a worker)."""
    renderer = _Renderer()
    done: list[_Done] = []
    for n, job in enumerate(jobs):
        if n % _LOAD_BATCH == 0:
            batch = jobs[n : n + _LOAD_BATCH]
            renderer.load_articles(j.post_id for j in batch if j.post_id is not None)
        status, body = renderer.render(job.url, job.post_id)
        if status != 200:
            done.append(_Done(job.index, status, "", False))
            continue
        body = _rewrite(body, job.url, prefix)
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        written = not (job.known_hash == digest and (out / job.path).exists())
        if written:
            _write(out, job.path, body)
        done.append(_Done(job.index, status, digest, written))
    return done


_LOAD_BATCH = 100  # articles whose posts are read in one go


def _worker_render(args: tuple[Path, str, list[_Job]]) -> list[_Done]:
    return _render_jobs(*args)


def _worker_start() -> None:
    """A forked worker opens its own database connections (the parent closed its own
    before forking, so none is shared)."""
    from django.db import connections

    from warta.site import views

    global _worker_memo
    for conn in connections.all(initialized_only=True):
        conn.close()
    # for the worker's life: the build's data is fixed. The context manager is kept: once
    # collected, its generator's ``finally`` would reset the memo at once (it did: the
    # workers looked up the navigation and every list's ids again for every page)
    _worker_memo = views.remember_lists()
    _worker_memo.__enter__()


_worker_memo: AbstractContextManager[None] | None = None


def default_workers() -> int:
    """Worker processes for a build: one per CPU core."""
    return os.cpu_count() or 1


PARALLEL_MIN_PAGES = 64  # fewer pages render faster in the build's own process
_CHUNK = 64  # pages per task: small enough to balance, large enough to amortise pickling
# and to read the posts of its articles together


def _can_fork_workers() -> bool:
    """Worker processes see the database only if it is a server or a file (not SQLite's
    in-memory test database) and nothing this process wrote is uncommitted; they inherit
    settings changed at run time only when forked."""
    import multiprocessing

    from django.db import connection

    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if connection.in_atomic_block:
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def _render_all(
    out: Path,
    prefix: str,
    jobs: list[_Job],
    workers: int,
    progress: Callable[[str], None] | None,
    total: int,
) -> list[_Done]:
    """Every job rendered: in ``workers`` forked processes when there are enough pages
    and the database allows it, else here. Results in job order."""
    from warta.site import views

    if workers <= 1 or len(jobs) < PARALLEL_MIN_PAGES or not _can_fork_workers():
        done: list[_Done] = []
        with views.remember_lists():
            for start in range(0, len(jobs), 1000):
                done += _render_jobs(out, prefix, jobs[start : start + 1000])
                if progress and start + 1000 < len(jobs):
                    progress(f"{start + 1000}/{len(jobs)} pages rendered ({total} in the site)")
        return done

    import multiprocessing

    from django.db import connections

    connections.close_all()  # each worker connects on its own; nothing to share across fork
    chunks = [(out, prefix, jobs[i : i + _CHUNK]) for i in range(0, len(jobs), _CHUNK)]
    results: list[_Done] = []
    context = multiprocessing.get_context("fork")
    with context.Pool(min(workers, len(chunks)), initializer=_worker_start) as pool:
        for part in pool.imap_unordered(_worker_render, chunks):
            before = len(results) // 1000
            results += part
            if progress and len(results) // 1000 > before:
                progress(f"{len(results)}/{len(jobs)} pages rendered ({total} in the site)")
    results.sort(key=lambda d: d.index)
    return results


def build_site(
    out_dir: Path | str,
    *,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> BuildReport:
    """Write (or bring up to date) the static export in ``out_dir``. Idempotent: a second
    run with nothing changed renders the few always-rendered pages and writes nothing.
    ``full`` ignores the previous manifest (renders everything; still writes only changed
    files). ``workers`` processes render the pages (default: one per CPU core; each has
    its own database connection; the build's own process when there are few pages, on
    SQLite's in-memory database or inside a transaction); the files are the same
    whatever the number. Raises BuildError when the folder cannot be written."""
    start = time.perf_counter()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildError(f"cannot create {out}: {e}") from e
    old = {} if full else _load_manifest(out)
    old_files: dict[str, Any] = old.get("files", {}) if isinstance(old.get("files"), dict) else {}
    report = BuildReport()
    files: dict[str, Any] = {}
    _collect_static(out, report, old_files, files)

    site_fp = site_fingerprint()
    fps = post_fingerprints()
    pages = site_pages(site_fp, fps)
    report.pages = len(pages)
    prefix = urlsplit(str(settings.WARTA["site.base_url"])).path.rstrip("/")
    jobs: list[_Job] = []
    for i, page in enumerate(pages):
        known = old_files.get(page.path)
        if (
            page.fingerprint is not None
            and isinstance(known, dict)
            and known.get("fp") == page.fingerprint
            and (out / page.path).exists()
        ):
            files[page.path] = known
            continue
        known_hash = known.get("hash") if isinstance(known, dict) else None
        jobs.append(_Job(i, page.url, page.path, page.post_id, known_hash))
    done = _render_all(
        out, prefix, jobs, default_workers() if workers is None else workers, progress, len(pages)
    )
    report.rendered = len(done)
    for job, result in zip(jobs, done, strict=True):
        if result.status != 200:
            log.warning("build: %s answered %s; left out", job.url, result.status)
            continue
        files[job.path] = {"hash": result.digest, "fp": pages[job.index].fingerprint}
        if result.written:
            report.written.append(job.path)

    renderer = _Renderer()
    for rel, status in (("404.html", 404), ("410.html", 410)):
        body = _rewrite(renderer.error_page(status), "/", prefix)
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        files[rel] = {"hash": digest}
        if (old_files.get(rel) or {}).get("hash") != digest or not (out / rel).exists():
            _write(out, rel, body)
            report.written.append(rel)
    report.gone = _write_gone_map(out, prefix, files, report)

    for rel in sorted(set(old_files) - set(files)):
        try:
            (out / rel).unlink()
            report.removed.append(rel)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise BuildError(f"cannot remove {out / rel}: {e}") from e
    manifest = json.dumps(
        {"version": MANIFEST_VERSION, "site": site_fp, "files": files}, sort_keys=True
    ).encode()
    if not (out / MANIFEST).exists() or (out / MANIFEST).read_bytes() != manifest:
        _write(out, MANIFEST, manifest)
    report.seconds = time.perf_counter() - start
    return report


def _write_gone_map(out: Path, prefix: str, files: dict[str, Any], report: BuildReport) -> int:
    """``_gone.map``: one ``"/berita/<slug>/" 1;`` line per killed story (nginx ``map``)."""
    from warta.newsroom.models import Post

    slugs = sorted(Post.objects.filter(status=Post.Status.KILLED).values_list("slug", flat=True))
    lines = [f'"{prefix}{reverse("article", kwargs={"slug": s})}" 1;' for s in slugs]
    body = ("\n".join(lines) + "\n").encode() if lines else b""
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    files[GONE_MAP] = {"hash": digest}
    known = out / GONE_MAP
    if (
        not known.exists()
        or hashlib.blake2b(known.read_bytes(), digest_size=16).hexdigest() != digest
    ):
        _write(out, GONE_MAP, body)
        report.written.append(GONE_MAP)
    return len(lines)
