"""Database connection settings: SQLite in WAL mode; PostgreSQL with persistent,
health-checked connections or a real psycopg pool per process (``database.*``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.cli import WartaEnv
from tests.test_celery import pg_warta  # noqa: F401  (fixture)
from warta.config import load_config
from warta.settings import database_settings


def _cfg(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    return load_config(os.devnull, env={"WARTA_DATA_DIR": str(tmp_path), **env})


def test_sqlite_runs_in_wal_mode_with_one_connection_per_request(tmp_path: Path) -> None:
    db = database_settings(_cfg(tmp_path))
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "warta.sqlite3")
    assert db["CONN_MAX_AGE"] == 0
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]  # type: ignore[index]
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"  # type: ignore[index]


def test_postgresql_keeps_health_checked_connections(tmp_path: Path) -> None:
    db = database_settings(_cfg(tmp_path, WARTA_DATABASE_URL="postgres://u:p@db:5432/news",
                                WARTA_DATABASE_CONN_MAX_AGE="120",
                                WARTA_DATABASE_CONNECT_TIMEOUT="3"))
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("db", 5432, "news", "u")
    assert db["CONN_MAX_AGE"] == 120 and db["CONN_HEALTH_CHECKS"] is True
    assert db["OPTIONS"] == {"connect_timeout": 3}


def test_postgresql_pool_replaces_persistent_connections(tmp_path: Path) -> None:
    db = database_settings(_cfg(tmp_path, WARTA_DATABASE_URL="postgres://u@db/news",
                                WARTA_DATABASE_POOL="true", WARTA_DATABASE_POOL_MAX_SIZE="4"))
    assert db["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert db["OPTIONS"]["pool"] == {  # type: ignore[index]
        "min_size": 2, "max_size": 4, "timeout": 30.0}


POOLED_THREADS = textwrap.dedent("""
    import threading, django
    django.setup()
    from django.db import connection, connections
    from warta.newsroom.models import Source

    errors, seen = [], set()
    def work(i):
        try:
            for _ in range(20):
                Source.objects.count()
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    seen.add(cur.fetchone()[0])
                connections.close_all()  # hands the connection back to the pool
        except Exception as e:
            errors.append(repr(e))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(len(errors), len(seen))
    print(*errors[:3], sep="\\n")
""")


def test_the_pool_caps_a_process_connections_on_real_postgresql(
        pg_warta: WartaEnv) -> None:  # noqa: F811
    """Eight threads, a pool of at most three: every query succeeds and PostgreSQL sees no
    more than three backends from the process (reused, not reopened per request)."""
    pg_warta.run("init")
    env = {**pg_warta.env, "DJANGO_SETTINGS_MODULE": "warta.settings",
           "WARTA_DATABASE_POOL": "true", "WARTA_DATABASE_POOL_MIN_SIZE": "1",
           "WARTA_DATABASE_POOL_MAX_SIZE": "3"}
    proc = subprocess.run([sys.executable, "-c", POOLED_THREADS], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    errors, backends = (int(n) for n in proc.stdout.split("\n")[0].split())
    assert errors == 0, proc.stdout
    assert 1 <= backends <= 3, proc.stdout
