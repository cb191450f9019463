"""Run the real ``warta`` command in subprocesses against a throw-away database.

``WartaEnv`` owns a data dir and a database: SQLite in the data dir by default, or a fresh
PostgreSQL database (created here, dropped afterwards) when ``WARTA_DATABASE_URL`` points to
PostgreSQL — that is how ``make test`` runs the end-to-end tests on both backends.

A new database starts as a copy of a migrated template (a SQLite file, or a PostgreSQL
``CREATE DATABASE ... TEMPLATE``) made once per set of migrations by the real ``migrate``,
so each test does not pay for running every migration again (seconds on PostgreSQL).
``WartaEnv(tmp, migrated=False)`` gives an empty database, for tests of that first run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

import warta

_TEMPLATES = Path(os.environ.get("TMPDIR", "/tmp")) / "warta-test-templates"


def migrations_key() -> str:
    """Changes whenever a migration file (or the Django version) does."""
    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(Path(warta.__file__).parent.glob("*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _file_lock(name: str) -> Any:
    """One process at a time (pytest-xdist workers build a template once between them)."""
    _TEMPLATES.mkdir(parents=True, exist_ok=True)
    with (_TEMPLATES / f"{name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_migrate(database_url: str, data_dir: Path) -> None:
    env = {**os.environ, "WARTA_DATABASE_URL": database_url, "WARTA_DATA_DIR": str(data_dir),
           "WARTA_CONFIG": os.devnull, "DJANGO_SETTINGS_MODULE": "warta.settings"}
    subprocess.run([sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"],
                   env=env, check=True, timeout=300, capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WartaEnv:
    def __init__(self, tmp: Path, *, migrated: bool = True) -> None:
        self.data_dir = tmp / "data"
        self.data_dir.mkdir(parents=True)
        self.base_pg = os.environ.get("WARTA_DATABASE_URL", "")
        self.pg_db = ""
        if self.base_pg.startswith("postgres"):
            self.pg_db = f"warta_e2e_{uuid.uuid4().hex[:12]}"
            template = f' TEMPLATE "{self._pg_template()}"' if migrated else ""
            self._pg_admin(f'CREATE DATABASE "{self.pg_db}"{template}')
            self.database_url = self._pg_url(self.pg_db)
        else:
            self.database_url = f"sqlite:///{self.data_dir / 'warta.sqlite3'}"
            if migrated:
                shutil.copyfile(self._sqlite_template(), self.data_dir / "warta.sqlite3")
        self.env = {
            **os.environ,
            "WARTA_DATA_DIR": str(self.data_dir),
            "WARTA_DATABASE_URL": self.database_url,
            "WARTA_CONFIG": str(tmp / "warta.toml"),
            "WARTA_PIPELINE_RETRY_BASE": "1",
        }
        (tmp / "warta.toml").write_text('[site]\nname = "Warta Uji"\n')

    def _pg_url(self, db: str) -> str:
        return urlunsplit(urlsplit(self.base_pg)._replace(path=f"/{db}"))

    def _sqlite_template(self) -> Path:
        path = _TEMPLATES / f"sqlite-{migrations_key()}.sqlite3"
        with _file_lock(path.name):
            if not path.exists():
                build = _TEMPLATES / f"build-{uuid.uuid4().hex[:8]}"
                build.mkdir()
                db = build / "warta.sqlite3"
                _run_migrate(f"sqlite:///{db}", build)
                with sqlite3.connect(db) as conn:  # fold the WAL into the file to copy
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    conn.execute("PRAGMA journal_mode=DELETE")
                db.replace(path)
                shutil.rmtree(build, ignore_errors=True)
        return path

    def _pg_template(self) -> str:
        """A migrated PostgreSQL database to copy; built under a file lock and renamed into
        place only when complete. Templates of other migrations go after a day."""
        import psycopg

        name = f"warta_tpl_{migrations_key()}"
        with _file_lock(name), psycopg.connect(self.base_pg, autocommit=True) as conn:
            made = dict(conn.execute(
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname LIKE 'warta_tpl_%'").fetchall())
            if name in made:
                return name
            for old, stamp in made.items():  # other migrations' templates, after a day
                if time.time() - float(stamp or 0) > 86400:
                    with contextlib.suppress(psycopg.Error):
                        conn.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
            build = f"{name}_build"
            conn.execute(f'DROP DATABASE IF EXISTS "{build}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{build}"')
            try:
                _run_migrate(self._pg_url(build), self.data_dir)
                conn.execute(f'ALTER DATABASE "{build}" RENAME TO "{name}"')
                conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{time.time():.0f}'")
            except BaseException:
                conn.execute(f'DROP DATABASE IF EXISTS "{build}" WITH (FORCE)')
                raise
        return name

    def _pg_admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.base_pg, autocommit=True) as conn:
            conn.execute(sql)

    def close(self) -> None:
        if self.pg_db:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_db}" WITH (FORCE)')

    def run(self, *args: str, check: bool = True, timeout: float = 300,
            **env: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "warta.cli", *args], env={**self.env, **env},
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"warta {' '.join(args)} exited {proc.returncode}:\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def popen(self, *args: str, **env: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "warta.cli", *args],
                                env={**self.env, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.pg_db:
            import psycopg

            with psycopg.connect(self.database_url) as conn:  # commits on leaving
                cursor = conn.execute(sql)
                return list(cursor.fetchall()) if cursor.description else []
        with sqlite3.connect(self.data_dir / "warta.sqlite3", timeout=30) as conn:
            return list(conn.execute(sql).fetchall())

    def serve(self, port: int) -> subprocess.Popen[str]:
        proc = self.popen("serve", "--port", str(port),
                          WARTA_SITE_BASE_URL=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                output = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"warta serve died: {output}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                return proc
            except httpx.HTTPError:
                time.sleep(0.2)
        proc.kill()
        raise AssertionError("warta serve did not answer within 60 s")
