"""Run the real ``warta`` command in subprocesses against a throw-away database.

``WartaEnv`` owns a data dir and a database: SQLite in the data dir by default, or a fresh
PostgreSQL database (created here, dropped afterwards) when ``WARTA_DATABASE_URL`` points to
PostgreSQL — that is how ``make test`` runs the end-to-end tests on both backends.
"""

from __future__ import annotations

import json
import os
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WartaEnv:
    def __init__(self, tmp: Path) -> None:
        self.data_dir = tmp / "data"
        self.data_dir.mkdir(parents=True)
        self.base_pg = os.environ.get("WARTA_DATABASE_URL", "")
        self.pg_db = ""
        if self.base_pg.startswith("postgres"):
            self.pg_db = f"warta_e2e_{uuid.uuid4().hex[:12]}"
            self._pg_admin(f'CREATE DATABASE "{self.pg_db}"')
            parts = urlsplit(self.base_pg)
            self.database_url = urlunsplit(parts._replace(path=f"/{self.pg_db}"))
        else:
            self.database_url = f"sqlite:///{self.data_dir / 'warta.sqlite3'}"
        self.env = {
            **os.environ,
            "WARTA_DATA_DIR": str(self.data_dir),
            "WARTA_DATABASE_URL": self.database_url,
            "WARTA_CONFIG": str(tmp / "warta.toml"),
            "WARTA_PIPELINE_RETRY_BASE": "1",
        }
        (tmp / "warta.toml").write_text('[site]\nname = "Warta Uji"\n')

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
