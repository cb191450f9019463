"""The ``warta`` command: parse arguments, call the library, print. No pipeline logic here.

Errors: ``warta: error: <message>`` on stderr and a non-zero exit; a traceback only with
``--debug``. Output meant for scripts (``--json``/``--jsonl``) keeps the keys of DESIGN.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from warta.core.errors import WartaError

log = logging.getLogger("warta")


class CommandError(WartaError):
    """A usage problem the user can fix (bad id, missing file)."""


# ---------------------------------------------------------------- set-up helpers

def _setup_django(overrides: dict[str, str] | None = None) -> None:
    """Configure Django from warta's config. ``overrides`` are WARTA_* variables."""
    for key, value in (overrides or {}).items():
        os.environ[key] = value
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "warta.settings")
    import django

    django.setup()


def _migrate(verbose: bool = False) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


# ---------------------------------------------------------------- commands

def cmd_init(args: argparse.Namespace) -> int:
    from warta.config import config_template

    path = Path(os.environ.get("WARTA_CONFIG") or "warta.toml")
    if str(path) != os.devnull and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_template(), encoding="utf-8")
        print(f"warta: wrote {path} (every key commented out at its default)")
    _setup_django()
    _migrate(verbose=True)
    _collectstatic()
    from django.conf import settings

    print(f"warta: database ready at {settings.WARTA['database_url'].split('@')[-1]}")
    return 0


def cmd_config_show(args: argparse.Namespace) -> int:
    from warta.config import load_config

    cfg = load_config()
    if args.json:
        _print_json(cfg.masked())
    else:
        for key, value in cfg.masked().items():
            print(f"{key} = {value!r}")
    return 0


def cmd_source_add(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from django.core.exceptions import ValidationError

    from warta.core.dropfolder import folder_path, is_folder_url
    from warta.newsroom.models import Source, validate_source_url

    try:
        validate_source_url(args.url)
    except ValidationError as e:
        raise CommandError(f"not a feed URL or dir:///folder: {args.url} ({e.messages[0]})") from e
    url, fmt, title = args.url, args.format, ""
    if not is_folder_url(url) and not args.no_check:
        url, fmt, title = _check_source_url(url, args.format)
    auto = not args.review
    # adding a source again re-enables it (after a 410 Gone, say)
    source, created = Source.objects.update_or_create(
        url=url,
        defaults={"name": args.name or title or url, "language": args.lang,
                  "category": args.category or "", "auto_publish": auto,
                  "attribution": args.attribution or "", "format": fmt,
                  "enabled": True, "disabled_reason": ""},
    )
    verb = "added" if created else "updated"
    print(f"source {source.pk} {verb}: {source.name} ({source.url})")
    if is_folder_url(args.url) and not folder_path(args.url).is_dir():
        print(f"warta: warning: folder {folder_path(args.url)} does not exist yet",
              file=sys.stderr)
    return 0


def _check_source_url(url: str, fmt: str) -> tuple[str, str, str]:
    """Fetch ``url`` once: a feed gives its detected format (unless ``--format`` named one)
    and title; a site's HTML page gives the first feed it links to. What cannot be checked
    now (unreachable, an HTML page without feed links, not a feed) is added anyway with a
    warning: polling records the error and retries. Returns (url, format, title)."""
    from warta.config import load_config
    from warta.core.discover import detect_format, discover_feed_links
    from warta.core.fetch import fetch_options, fetch_url

    options = fetch_options(load_config())  # type: ignore[arg-type]
    options["timeout"] = min(options["timeout"], 10.0)
    options.pop("per_host", None)
    try:
        fetched = fetch_url(url, **options)
    except WartaError as e:
        print(f"warta: warning: could not check {url} now: {e}; added anyway", file=sys.stderr)
        return url, fmt, ""
    guess = detect_format(fetched.content, fetched.url, fetched.content_type)
    if guess.format == "opml":
        raise CommandError(f"{url} is {guess.note}")
    if guess.format == "html":
        links = discover_feed_links(fetched.content, fetched.url)
        if not links:
            print(f"warta: warning: {url} is an HTML page that links no feed; added anyway "
                  "(polling will record the error)", file=sys.stderr)
            return url, fmt, ""
        print(f"warta: {url} is a web page; its feed: {links[0].url}"
              + (f" ({len(links) - 1} more: {', '.join(f.url for f in links[1:4])})"
                 if len(links) > 1 else ""))
        return _check_feed_link(links[0].url, fmt, options)
    if guess.format == "unknown":
        print(f"warta: warning: {guess.note}; added anyway", file=sys.stderr)
        return url, fmt, ""
    print(f"warta: {guess.note or guess.format} feed, {guess.entries} entries now")
    return url, (guess.format if fmt == "auto" else fmt), guess.title


def _check_feed_link(url: str, fmt: str, options: dict[str, Any]) -> tuple[str, str, str]:
    """A feed found on a page: validate it, detect its format (a failed check still adds)."""
    from django.core.exceptions import ValidationError

    from warta.core.discover import detect_format
    from warta.core.fetch import fetch_url
    from warta.newsroom.models import validate_source_url

    try:
        validate_source_url(url)
        fetched = fetch_url(url, **options)
    except (ValidationError, WartaError) as e:
        raise CommandError(f"the page links {url}, which cannot be added: {e}") from e
    guess = detect_format(fetched.content, fetched.url, fetched.content_type)
    if guess.format in ("html", "opml", "unknown"):
        raise CommandError(f"the page links {url}, which is not a feed: {guess.note}")
    print(f"warta: {guess.note} feed, {guess.entries} entries now")
    return url, (guess.format if fmt == "auto" else fmt), guess.title


def cmd_source_import(args: argparse.Namespace) -> int:
    """Add every feed of an OPML file; idempotent (a URL already present is left as is)."""
    from warta.core.errors import FeedParseError
    from warta.core.opml import parse_opml

    path = Path(args.file)
    try:
        feeds = parse_opml(path.read_bytes(), str(path))
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror}") from e
    except FeedParseError as e:
        raise CommandError(str(e)) from e
    _setup_django()
    _migrate()
    from django.core.exceptions import ValidationError

    from warta.newsroom.models import Source, validate_source_url

    added = present = 0
    invalid: list[str] = []
    for feed in feeds:
        try:
            validate_source_url(feed.xml_url)
        except ValidationError as e:
            invalid.append(f"{feed.xml_url} ({e.messages[0]})")
            continue
        _source, created = Source.objects.get_or_create(
            url=feed.xml_url,
            defaults={"name": (feed.title or feed.xml_url)[:200],
                      "category": (args.category or feed.category)[:100],
                      "language": (feed.language or args.lang)[:16],
                      "auto_publish": not args.review})
        added += created
        present += not created
    print(f"warta: {added} source(s) added, {present} already present, "
          f"{len(invalid)} skipped ({len(feeds)} feeds in {path.name})")
    for item in invalid:
        print(f"warta: warning: skipped {item}", file=sys.stderr)
    return 0


def cmd_source_export(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from warta.core.opml import OpmlFeed, build_opml
    from warta.newsroom.models import Source

    feeds = [OpmlFeed(xml_url=s.url, title=s.name, category=s.category, language=s.language)
             for s in Source.objects.order_by("id") if not s.url.startswith("dir://")]
    data = build_opml(feeds)
    if args.output and args.output != "-":
        Path(args.output).write_bytes(data)
        print(f"warta: {len(feeds)} source(s) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(data.decode("utf-8"))
    return 0


ENTRIES_PER_DAY_WINDOW = 7  # days: entries/day in `source list` is the mean over this window


def source_rows() -> list[dict[str, Any]]:
    from datetime import timedelta

    from django.db.models import Count, Q
    from django.utils import timezone

    from warta.newsroom.models import Source

    since = timezone.now() - timedelta(days=ENTRIES_PER_DAY_WINDOW)
    rows = []
    for s in Source.objects.annotate(
            n_entries=Count("entries"),
            n_recent=Count("entries", filter=Q(entries__created__gte=since))).order_by("id"):
        rows.append({
            "id": s.pk, "name": s.name, "url": s.url, "format": s.format, "enabled": s.enabled,
            "last_fetched": _iso(s.last_fetched), "last_http_status": s.last_http_status,
            "next_poll": _iso(s.next_poll), "error_count": s.error_count,
            "last_error": s.last_error or None, "entries": s.n_entries,
            "disabled_reason": s.disabled_reason or None,
            "next_poll_reason": s.next_poll_reason or None,
            "min_interval": s.min_interval, "max_interval": s.max_interval,
            "entries_per_day": round(s.n_recent / ENTRIES_PER_DAY_WINDOW, 1),
        })
    return rows


def cmd_source_list(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    rows = source_rows()
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print("no sources yet: add one with `warta source add URL`")
    for r in rows:
        state = "ok" if not r["error_count"] else f"{r['error_count']} error(s): {r['last_error']}"
        enabled = "" if r["enabled"] else f" [disabled: {r['disabled_reason'] or 'by hand'}]"
        why = f" ({r['next_poll_reason']})" if r["next_poll_reason"] else ""
        print(f"{r['id']:>4}  {r['name']}{enabled}\n      {r['url']}\n"
              f"      entries: {r['entries']} ({r['entries_per_day']:g}/day)"
              f"  last fetch: {r['last_fetched'] or 'never'}"
              f"  HTTP {r['last_http_status'] or '-'}  {state}\n"
              f"      next poll: {r['next_poll'] if r['enabled'] else '-'}{why}")
    return 0


def entry_rows(source_id: int | None, status: str | None) -> list[dict[str, Any]]:
    from django.conf import settings

    from warta.newsroom.models import Entry

    qs = Entry.objects.select_related("post").order_by("id")
    if source_id:
        qs = qs.filter(source_id=source_id)
    if status:
        qs = qs.filter(status=status)
    base = settings.WARTA["site.base_url"].rstrip("/")
    rows = []
    for e in qs:
        post = getattr(e, "post", None)
        rows.append({
            "id": e.pk, "source_id": e.source_id, "guid": e.guid, "url": e.url,
            "title": e.title, "published": _iso(e.published), "status": e.status,
            "error": e.error or None,
            "post_url": base + post.get_absolute_url() if post else None,
        })
    return rows


def cmd_entries(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    rows = entry_rows(args.source, args.status)
    if args.json:
        _print_json(rows)
        return 0
    for r in rows:
        err = f"  error: {r['error']}" if r["error"] else ""
        print(f"{r['id']:>5}  [{r['status']}]  {r['title'][:70]}{err}")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from warta.runner.inline import fetch_sources

    results = fetch_sources(args.source, force=args.once or bool(args.source))
    errors = 0
    for r in results:
        if r.error:
            errors += 1
            print(f"source {r.source_id}: error: {r.error}")
        elif r.not_modified:
            print(f"source {r.source_id}: not modified")
        else:
            print(f"source {r.source_id}: {r.new_entries} new entries")
    if not results:
        print("nothing to fetch (no enabled sources due)")
    return 0


def cmd_process(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from django.conf import settings

    from warta.newsroom.translation import STATS
    from warta.runner.inline import process

    workers = args.workers or settings.WARTA["pipeline.workers"]
    if not args.until_idle:
        print("processing until interrupted (Ctrl-C to stop)")
    stop = threading.Event()
    STATS.reset()
    try:
        stats = process(workers, until_idle=args.until_idle, stop=stop)
    except KeyboardInterrupt:
        stop.set()
        return 130
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(stats.outcomes.items())) or "nothing to do"
    print(f"processed {stats.steps} step(s) — {summary}")
    _print_translation_stats()
    return 0


def _print_translation_stats() -> None:
    """The translation memory's hit rate and the engine calls of this run, per source."""
    from warta.newsroom.translation import STATS

    total, per_source = STATS.snapshot()
    if not total.documents:
        return
    print(f"translated {total.describe()}")
    for name, counts in sorted(per_source.items()):
        print(f"  {name or '(no source)'}: {counts.describe()}")


def _collectstatic() -> None:
    """Hashed, compressed static files in STATIC_ROOT (quick when nothing changed); the
    site still works without them (warta/site/staticfiles.py)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


class QueueDepthSummary(logging.Filter):
    """waitress logs "Task queue depth is N" for every request that has to wait for a free
    thread: under load, thousands of lines a minute that say one thing. The first passes;
    after it, at most one line every ``every`` seconds, counting the waits since the last
    line and the deepest queue among them. Other records pass untouched."""

    PREFIX = "Task queue depth is"

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 threads: int = 0) -> None:
        super().__init__()
        self.every, self.clock, self.threads = every, clock, threads
        self.last: float | None = None
        self.waited = 0
        self.deepest = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not (isinstance(record.msg, str) and record.msg.startswith(self.PREFIX)):
            return True
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else 0
        self.waited += 1
        self.deepest = max(self.deepest, int(depth))
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return False
        since = f"in the last {now - self.last:.0f} s" if self.last is not None else "so far"
        record.msg = ("%d request(s) waited for one of the %d threads %s (deepest queue %d); "
                      "`warta serve` (granian, a process per core) serves more at once")
        record.args = (self.waited, self.threads, since, self.deepest)
        self.last, self.waited, self.deepest = now, 0, 0
        return True


def _serve(host: str, port: int, threads: int = 8) -> None:
    """Serve the site with waitress until Ctrl-C or SIGTERM (a clean exit, status 0).
    One process, so the in-process pipeline threads of `warta run` and `warta demo` can
    share it. waitress's queue warnings are summarised (:class:`QueueDepthSummary`)."""
    import signal

    from waitress import serve

    from warta.wsgi import application

    logging.getLogger("waitress.queue").addFilter(QueueDepthSummary(threads=threads))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"warta: serving on http://{host}:{port}/  (Ctrl-C to stop)", flush=True)
    serve(application, host=host, port=port, threads=threads, ident="warta")


def _serve_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the site with gunicorn: ``workers`` processes of ``threads`` threads each
    (gthread workers, so keep-alive connections work), until Ctrl-C or SIGTERM."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from warta.wsgi import application

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                       "worker_class": "gthread", "keepalive": 5, "backlog": 2048,
                       "timeout": 120,
                       "accesslog": None, "proc_name": "warta"}
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    connections.close_all()  # never share a database connection with forked workers
    print(f"warta: serving on http://{host}:{port}/ with gunicorn, {workers} workers x "
          f"{threads} threads  (Ctrl-C to stop)", flush=True)
    _App().run()


def _serve_granian(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the site with granian (a Rust HTTP server running the WSGI application):
    ``workers`` processes with ``threads`` Python threads each, until Ctrl-C or SIGTERM."""
    from django.db import connections
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces

    connections.close_all()  # each worker process opens its own
    print(f"warta: serving on http://{host}:{port}/ with granian, {workers} workers x "
          f"{threads} threads  (Ctrl-C to stop)", flush=True)
    server = Granian("warta.wsgi:application", address=host, port=port,
                     interface=Interfaces.WSGI, workers=workers, blocking_threads=threads,
                     http=HTTPModes.http1, websockets=False, backlog=2048,
                     respawn_failed_workers=True, log_level="warning")
    try:
        server.serve()
    except RuntimeError as e:  # e.g. the port is taken; its text carries a Rust backtrace
        raise CommandError(f"cannot serve on {host}:{port}: {str(e).splitlines()[0]}") from None


SERVERS = ("granian", "gunicorn", "waitress")


def cmd_serve(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    _collectstatic()
    from django.conf import settings

    server = args.server or settings.WARTA["site.server"]
    threads = int(settings.WARTA["site.threads"])
    if server not in SERVERS:
        raise CommandError(f"unknown server {server!r} (site.server: {', '.join(SERVERS)})")
    workers = args.workers or int(settings.WARTA["site.workers"])
    if server == "granian":
        _serve_granian(args.host, args.port, workers or os.cpu_count() or 1, threads)
    elif server == "gunicorn" and sys.platform != "win32":
        _serve_gunicorn(args.host, args.port, workers or (os.cpu_count() or 1) + 1, threads)
    else:
        _serve(args.host, args.port, threads=threads * 2)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from warta.site.build import build_site

    report = build_site(Path(args.out_dir), full=args.full, workers=args.workers,
                        progress=None if args.quiet else lambda line: print(f"warta: {line}"))
    print(f"warta: built {args.out_dir}: {report.describe()}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from django.conf import settings

    from warta.runner.inline import start_background

    stop = threading.Event()
    start_background(args.workers or settings.WARTA["pipeline.workers"], stop,
                     poll_every=args.poll_every)
    try:
        _serve(args.host, args.port)
    finally:
        stop.set()
    return 0


def _celery_runner(queues: list[str] | None = None) -> Any:
    """Django set up, the Celery app configured from warta's config, the schema current.
    Raises ConfigError without ``broker_url``; CommandError on an unmigrated database
    (workers never migrate: several starting at once must not race; `warta init` does)."""
    _setup_django()
    from django.conf import settings
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from warta.runner import celery as runner

    runner.configure(settings.WARTA)
    runner.check_queues(queues or list(runner.QUEUES))
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CommandError("the database schema is not current: run `warta init` first")
    connection.close()
    return runner


def _beat_defaults(args: argparse.Namespace) -> tuple[float, float]:
    from django.conf import settings

    every = args.beat_every
    resend = args.resend_after or float(settings.WARTA["pipeline.lease_seconds"])
    return every, resend


def cmd_worker(args: argparse.Namespace) -> int:
    import atexit
    import subprocess

    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    runner = _celery_runner(queues)
    if args.beat:
        every, resend = _beat_defaults(args)
        beat = subprocess.Popen([sys.executable, "-m", "warta.cli", "beat", "--every",
                                 str(every), "--resend-after", str(resend),
                                 "--parent", str(os.getpid())])
        atexit.register(beat.terminate)
    runner.start_worker(queues, args.concurrency or os.cpu_count() or 1)
    return 0


def cmd_beat(args: argparse.Namespace) -> int:
    runner = _celery_runner()
    every, resend = _beat_defaults(args)
    print(f"warta: beat: polling due sources and sending due entries every {every:g} s",
          flush=True)
    runner.run_beat(every=every, resend_after=resend, parent=args.parent)
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from warta.config import load_config
    from warta.core.encoding import decode_html
    from warta.core.extract import extract_article
    from warta.core.fetch import fetch_options, fetch_url

    rules = _extract_rules(args)
    failures = 0
    for target in args.inputs:
        try:
            if target.startswith(("http://", "https://")):
                page = fetch_url(target, **fetch_options(load_config()))
                html, url = decode_html(page.content, page.encoding), page.url
            else:
                path = Path(target)
                if not path.is_file():
                    raise CommandError(f"no such file: {target}")
                html, url = decode_html(path.read_bytes()), path.resolve().as_uri()
            doc = extract_article(html, url, rules=rules)
        except WartaError as e:
            failures += 1
            print(f"warta: error: {target}: {e}", file=sys.stderr)
            if args.jsonl:
                print(json.dumps({"url": target, "error": str(e)}, ensure_ascii=False))
            continue
        if args.jsonl:
            print(json.dumps(doc.to_dict(), ensure_ascii=False, default=str))
        else:
            _print_json(doc.to_dict())
    return 1 if failures else 0


def _extract_rules(args: argparse.Namespace) -> Any:
    """``--rules JSON`` (tried without saving) wins over the rules stored on ``--source``."""
    from warta.core.extract_rules import ExtractRules

    if args.rules is not None:
        try:
            data = json.loads(args.rules)
        except ValueError as e:
            raise CommandError(f"--rules is not valid JSON: {e}") from e
        if not isinstance(data, dict):
            raise CommandError("--rules must be a JSON object, e.g. '{\"body_selector\": "
                               "\"div.story\"}'")
        return ExtractRules.from_dict(data)
    if args.source is None:
        return None
    _setup_django()
    _migrate()
    from warta.newsroom.models import Source

    source = Source.objects.filter(pk=args.source).first()
    if source is None:
        raise CommandError(f"no source with id {args.source}")
    return ExtractRules.from_dict(source.extract_rules)


def cmd_translate(args: argparse.Namespace) -> int:
    """Like the pipeline: protection, the configured glossary (bundled + editors' terms)
    and the shared translation memory; plain text is translated paragraph by paragraph."""
    _setup_django()
    _migrate()
    from django.conf import settings

    from warta.core.document import Block, Document
    from warta.core.translate.document import translate_document_checked
    from warta.newsroom.translation import (
        DatabaseSegmentMemory,
        configured_glossary,
        configured_translator,
        counts_of,
    )

    cfg = settings.WARTA
    src, tgt = args.source or cfg["translate.source"], args.target or cfg["translate.target"]
    raw = sys.stdin.read() if args.file in (None, "-") else _read_file(args.file)
    translator = configured_translator(src, tgt, engine=args.engine, cfg=cfg)
    stripped = raw.strip()
    article = stripped.startswith("{")
    if article:
        try:
            doc = Document.from_dict(json.loads(stripped))
        except (ValueError, TypeError, KeyError) as e:
            raise CommandError(f"input looks like JSON but is not an article: {e}") from e
    else:
        paragraphs = raw.split("\n\n")
        doc = Document(url="", title="", blocks=[Block("p", p.strip()) for p in paragraphs])
    checked = translate_document_checked(
        doc, translator, src, tgt, max_batch=int(cfg["translate.max_batch_size"]),
        glossary=configured_glossary(src, tgt, cfg), memory=DatabaseSegmentMemory(),
        localise=bool(cfg["translate.localise_numbers"]))
    counts = counts_of(checked)
    print(f"warta: translated {counts.describe()}", file=sys.stderr)
    if article:
        _print_json(checked.doc.to_dict())
        return 0
    text = "\n\n".join(b.text for b in checked.doc.blocks)
    if args.json:
        _print_json({"source": src, "target": tgt, "engine": translator.name,
                     "model_id": translator.model_id, "text": text,
                     "flags": checked.flag_dicts(),
                     "stats": {"segments": counts.segments, "memory_hits": counts.memory_hits,
                               "hit_rate": round(counts.hit_rate, 4),
                               "engine_inputs": counts.engine_inputs,
                               "engine_calls": counts.engine_calls}})
    else:
        print(text)
    return 0


def cmd_glossary(args: argparse.Namespace) -> int:
    """``warta glossary import|export|list``: the editors' terms in the database."""
    _setup_django()
    _migrate()
    from django.conf import settings

    from warta.newsroom import translation as tr

    src = args.source or settings.WARTA["translate.source"]
    tgt = args.target or settings.WARTA["translate.target"]
    if args.glossary_cmd == "import":
        done = tr.import_glossary(args.file, src, tgt)
        print(f"imported {args.file}: {done.created} new, {done.updated} updated, "
              f"{done.unchanged} unchanged")
        return 0
    if args.glossary_cmd == "export":
        text = tr.export_glossary(tr.stored_terms(args.source, args.target), args.format)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if args.effective:  # list: what translation uses, bundled file included
        glossary = tr.configured_glossary(src, tgt)
        for term, target in sorted(glossary.entries, key=lambda e: e[0].casefold()):
            print(f"{term}\t{target}")
        return 0
    terms = tr.stored_terms(args.source, args.target)
    if args.json:
        _print_json([{"source": t.source, "target": t.target, "note": t.note,
                      "case_sensitive": t.case_sensitive, "source_language": t.source_language,
                      "target_language": t.target_language} for t in terms])
        return 0
    for t in terms:
        flag = " (case sensitive)" if t.case_sensitive else ""
        print(f"{t.source_language}-{t.target_language}\t{t.source}\t"
              f"{t.target or '= (keep)'}{flag}")
    if not terms:
        print("no glossary terms stored (warta glossary import FILE adds some)")
    return 0


def _read_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise CommandError(f"cannot read {path}: {e.strerror}") from e


def cmd_models(args: argparse.Namespace) -> int:
    from warta.config import load_config
    from warta.newsroom.translation import model_store

    cfg = load_config()
    store = model_store(cfg)
    if args.models_cmd == "list":
        models = store.list()
        if not models:
            print("no translation models installed: `warta models install en-id`")
        for m in models:
            print(f"{m.pair:<8} {m.kind:<8} {m.version:<10} {m.path}")
        return 0
    if args.models_cmd == "remove":
        from warta.core.translate.engines import clear_cache

        removed = store.remove(args.pair)
        clear_cache()
        print(f"removed {args.pair}" if removed else f"{args.pair} was not installed")
        return 0
    if args.file:
        path = Path(args.file)
        if not path.exists():
            raise CommandError(f"no such file: {args.file}")
        if path.is_dir():
            info = store.install_opus_mt(path, pair=args.pair)
        else:
            info = store.install_from_file(path)
        if info.pair != args.pair:
            store.remove(info.pair)
            raise CommandError(f"{args.file} is a {info.pair} model, not {args.pair}")
    else:
        info = store.install_from_index(args.pair, cfg["translate.index_url"], progress=True)
    print(f"installed {info.pair} ({info.kind} {info.version}) in {info.path}")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    import getpass

    from django.contrib.auth import get_user_model

    password = os.environ.get("WARTA_USER_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 10:
        raise CommandError("the password must have at least 10 characters")
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=args.email,
                                                     defaults={"email": args.email})
    user.set_password(password)
    user.save()
    from warta.newsroom.roles import assign_role

    assign_role(user, args.role)
    print(f"user {args.email} {'created' if created else 'updated'} ({args.role})")
    return 0


def cmd_user_totp(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    import base64

    from django.contrib.auth import get_user_model

    from warta.newsroom.roles import remove_totp, set_up_totp

    user = get_user_model().objects.filter(username=args.user).first()
    if user is None:
        raise CommandError(f"no user {args.user!r} (warta user add {args.user} first)")
    if args.remove:
        print(f"two-factor {'removed' if remove_totp(user) else 'was not set up'} for "
              f"{args.user}")
        return 0
    device = set_up_totp(user, reset=args.reset)
    print(f"two-factor is on for {args.user}: scan this URI (or type the secret) into an "
          "authenticator app; the admin login then asks for its code")
    print(f"uri: {device.config_url}")
    print(f"secret: {base64.b32encode(device.bin_key).decode()}")
    return 0


def cmd_audit_export(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from warta.newsroom.audit import export_events, parse_since

    try:
        since = parse_since(args.since) if args.since else None
        until = parse_since(args.until) if args.until else None
    except ValueError as e:
        raise CommandError(f"not a date (YYYY-MM-DD) or ISO 8601 time: {e}") from e
    for line in export_events(since, until):
        sys.stdout.write(line + "\n")
    return 0


def cmd_newsletter_send(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from warta.reader.newsletter import send_newsletter

    report = send_newsletter(args.frequency)
    print(f"newsletter {args.frequency}: issues {report.issues or '-'}, sent {report.sent}, "
          f"failed {report.failed}, nothing to send {report.empty}, "
          f"unsubscribed meanwhile {report.cancelled}")
    return 0


def cmd_subscribers(args: argparse.Namespace) -> int:
    _setup_django()
    _migrate()
    from warta.reader.models import Subscriber
    from warta.reader.subscriptions import delete_subscriber, export_subscriber

    if args.subscribers_cmd == "delete":
        if not delete_subscriber(args.email):
            raise CommandError(f"no subscriber {args.email}")
        print(f"deleted {args.email} and its send history")
        return 0
    subscribers = Subscriber.objects.all()
    if args.email:
        subscribers = subscribers.filter(email=args.email.strip().lower())
        if not subscribers.exists():
            raise CommandError(f"no subscriber {args.email}")
    _print_json([export_subscriber(s) for s in subscribers])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from warta.demo.run import run_demo

    return run_demo(host=args.host, port=args.port, samples_port=args.samples_port,
                    serve=not args.no_serve)


# ---------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="warta", description=__doc__.splitlines()[0])
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help: str,
            parent: Any = sub) -> argparse.ArgumentParser:
        sp = parent.add_parser(name, help=help, description=help)
        sp.set_defaults(func=func)
        return sp

    add("init", cmd_init, "create config + database (idempotent, runs migrations)")
    cfg = sub.add_parser("config", help="show the effective configuration")
    cfg_sub = cfg.add_subparsers(dest="config_cmd", required=True)
    add("show", cmd_config_show, "print effective values, secrets masked", cfg_sub) \
        .add_argument("--json", action="store_true")

    src = sub.add_parser("source", help="manage sources")
    src_sub = src.add_subparsers(dest="source_cmd", required=True)
    sa = add("add", cmd_source_add, "add (or update) a feed source", src_sub)
    sa.add_argument("url")
    sa.add_argument("--name")
    sa.add_argument("--lang", default="en")
    sa.add_argument("--category")
    sa.add_argument("--attribution", help="attribution text the licence requires")
    sa.add_argument("--format", default="auto",
                    choices=["auto", "rss", "atom", "json", "ninjs", "newsml", "sitemap"],
                    help="feed or wire format (auto: detected from the content)")
    sa.add_argument("--no-check", action="store_true",
                    help="add without fetching the URL (no format detection, no discovery)")
    mode = sa.add_mutually_exclusive_group()
    mode.add_argument("--review", action="store_true", help="hold stories for editor review")
    mode.add_argument("--auto-publish", action="store_true", help="publish when translated")
    add("list", cmd_source_list, "per source: status, last fetch, errors, entries", src_sub) \
        .add_argument("--json", action="store_true")
    si = add("import", cmd_source_import, "add the feeds of an OPML file (idempotent)", src_sub)
    si.add_argument("file", metavar="FILE.opml")
    si.add_argument("--category", help="category for every feed (default: from the OPML)")
    si.add_argument("--lang", default="en", help="language of feeds the OPML does not tag")
    si.add_argument("--review", action="store_true", help="hold stories for editor review")
    add("export", cmd_source_export, "write all sources as OPML 2.0", src_sub) \
        .add_argument("--output", "-o", metavar="FILE", help="file to write (default: stdout)")

    en = add("entries", cmd_entries, "what came in, and where each entry stands")
    en.add_argument("--source", type=int)
    en.add_argument("--status")
    en.add_argument("--json", action="store_true")

    fe = add("fetch", cmd_fetch, "poll due sources (all of them with --once)")
    fe.add_argument("--once", action="store_true")
    fe.add_argument("--source", type=int)

    pr = add("process", cmd_process, "run pending fetch/extract/translate/publish work")
    pr.add_argument("--until-idle", action="store_true")
    pr.add_argument("--workers", type=int)

    for name, func, text in (("run", cmd_run, "scheduler + workers + site in one command"),
                             ("serve", cmd_serve, "serve the site only")):
        sp = add(name, func, text)
        sp.add_argument("--host", default="127.0.0.1")
        sp.add_argument("--port", type=int, default=8000)
        if name == "run":
            sp.add_argument("--workers", type=int)
            sp.add_argument("--poll-every", type=float, default=30.0,
                            help="seconds between checks for due sources")
        else:
            sp.add_argument("--server", choices=list(SERVERS),
                            help="default: site.server (granian)")
            sp.add_argument("--workers", type=int, help="worker processes of granian or "
                            "gunicorn (default: site.workers, else one per CPU core; "
                            "gunicorn: one more)")

    bu = add("build", cmd_build, "write the whole public site as static files (incremental)")
    bu.add_argument("out_dir", metavar="OUT_DIR")
    bu.add_argument("--full", action="store_true",
                    help="ignore the previous build's manifest and render every page")
    bu.add_argument("--quiet", action="store_true", help="no progress lines")
    bu.add_argument("--workers", type=int, help="processes rendering pages (default: one "
                    "per CPU core)")

    wo = add("worker", cmd_worker, "Celery worker for the pipeline queues (needs "
             "WARTA_BROKER_URL)")
    wo.add_argument("--queues", default="fetch,extract,translate,publish",
                    help="comma-separated queues to serve (fetch, extract, translate, publish)")
    wo.add_argument("--concurrency", type=int, help="worker processes (default: CPU count)")
    wo.add_argument("--beat", action="store_true",
                    help="also run the scheduler (`warta beat`); run exactly one in a cluster")
    be = add("beat", cmd_beat, "scheduler for Celery workers: polls due sources, re-sends "
             "due entries (run exactly one)")
    be.add_argument("--parent", type=int, help=argparse.SUPPRESS)
    for sp in (wo, be):
        sp.add_argument("--every", dest="beat_every", type=float, default=10.0,
                        help="seconds between scheduler passes (default 10)")
        sp.add_argument("--resend-after", type=float,
                        help="seconds before a due entry is sent again (default: the lease)")

    ex = add("extract", cmd_extract, "article(s) as JSON, one object per line with --jsonl")
    ex.add_argument("inputs", nargs="+", metavar="PATH_OR_URL")
    ex.add_argument("--jsonl", action="store_true")
    ex.add_argument("--source", type=int, metavar="ID",
                    help="apply this source's extraction rules (CSS selector overrides)")
    ex.add_argument("--rules", metavar="JSON",
                    help='try rules without saving them, e.g. \'{"body_selector": '
                         '"div.story", "remove_selectors": [".promo"]}\'')

    tr = add("translate", cmd_translate, "translate text or article JSON")
    tr.add_argument("file", nargs="?", metavar="FILE|-")
    tr.add_argument("--from", dest="source")
    tr.add_argument("--to", dest="target")
    tr.add_argument("--engine", metavar="NAME",
                    help="use only this engine for this run: ctranslate2, libretranslate, "
                         "deepl or openai (default: the pair's engines from config, in "
                         "fallback order)")
    tr.add_argument("--json", action="store_true")

    gl = sub.add_parser("glossary", help="the editors' glossary terms (database)")
    gl_sub = gl.add_subparsers(dest="glossary_cmd", required=True)
    gi = add("import", cmd_glossary, "store the terms of a TOML or CSV file (all or nothing)",
             gl_sub)
    gi.add_argument("file", metavar="FILE")
    ge = add("export", cmd_glossary, "stored terms as TOML (or CSV) that import reads back",
             gl_sub)
    ge.add_argument("--format", choices=["toml", "csv"], default="toml")
    ge.add_argument("--output", "-o", metavar="FILE")
    gli = add("list", cmd_glossary, "stored terms", gl_sub)
    gli.add_argument("--json", action="store_true")
    gli.add_argument("--effective", action="store_true",
                     help="the glossary translation uses: bundled/file terms merged with "
                          "the stored ones")
    for sp in (gi, ge, gli):
        sp.add_argument("--from", dest="source", metavar="LANG",
                        help="source language (import: default for terms without one)")
        sp.add_argument("--to", dest="target", metavar="LANG")

    mo = sub.add_parser("models", help="translation models")
    mo_sub = mo.add_subparsers(dest="models_cmd", required=True)
    add("list", cmd_models, "installed models", mo_sub)
    mi = add("install", cmd_models, "install a model pair, e.g. en-id", mo_sub)
    mi.add_argument("pair")
    mi.add_argument("--from", dest="file", metavar="FILE",
                    help="an .argosmodel file or an OPUS-MT model folder")
    add("remove", cmd_models, "remove an installed pair", mo_sub).add_argument("pair")

    us = sub.add_parser("user", help="accounts")
    us_sub = us.add_subparsers(dest="user_cmd", required=True)
    ua = add("add", cmd_user_add, "add a reviewer, editor or admin (password from prompt "
             "or WARTA_USER_PASSWORD)", us_sub)
    ua.add_argument("email")
    ua.add_argument("--role", choices=["reviewer", "editor", "admin"], default="editor")
    ut = add("totp", cmd_user_totp, "turn on two-factor login (TOTP) for a user and print "
             "the provisioning URI and secret", us_sub)
    ut.add_argument("user")
    ut.add_argument("--reset", action="store_true", help="a new secret (the old one stops "
                    "working)")
    ut.add_argument("--remove", action="store_true", help="turn two-factor off")

    au = sub.add_parser("audit", help="the editorial audit log")
    au_sub = au.add_subparsers(dest="audit_cmd", required=True)
    ae = add("export", cmd_audit_export, "audit events as JSON lines, oldest first", au_sub)
    ae.add_argument("--since", metavar="DATE", help="from this day (site time zone) or time")
    ae.add_argument("--until", metavar="DATE", help="before this day or time")

    nl = sub.add_parser("newsletter", help="the e-mail newsletter")
    nl_sub = nl.add_subparsers(dest="newsletter_cmd", required=True)
    add("send", cmd_newsletter_send, "finish unfinished issues, then send the next one "
        "(resumable: nothing is sent twice)", nl_sub) \
        .add_argument("--frequency", choices=["instant", "daily", "weekly"], default="daily")
    sb = sub.add_parser("subscribers", help="newsletter subscribers (privacy requests)")
    sb_sub = sb.add_subparsers(dest="subscribers_cmd", required=True)
    add("export", cmd_subscribers, "everything stored about subscribers, as JSON", sb_sub) \
        .add_argument("email", nargs="?", help="only this subscriber")
    add("delete", cmd_subscribers, "delete a subscriber and its history", sb_sub) \
        .add_argument("email")

    de = add("demo", cmd_demo, "bundled sample sources, whole pipeline, site on :8000")
    de.add_argument("--host", default="127.0.0.1")
    de.add_argument("--port", type=int, default=8000)
    de.add_argument("--samples-port", type=int, default=8001)
    de.add_argument("--no-serve", action="store_true", help="stop after the pipeline run")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `warta extract ... | head`: the reader left, not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except WartaError as e:
        if args.debug:
            raise
        print(f"warta: error: {e}", file=sys.stderr)
        return 1
    except Exception as e:
        if args.debug:
            raise
        from django.core.exceptions import ImproperlyConfigured
        from django.db import DatabaseError

        if isinstance(e, DatabaseError | ImproperlyConfigured):
            print(f"warta: error: database: {e}", file=sys.stderr)
            return 1
        print(f"warta: error: unexpected {e.__class__.__name__}: {e} (run with --debug "
              "for the traceback, and please report it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
