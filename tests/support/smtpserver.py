"""A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread) that keeps what it receives.

``refuse_after``: accept that many messages, then answer every DATA with 451 (a server
that starts refusing mid-batch). ``refuse_recipients``: addresses refused for good (550).
``messages`` are ``email.message.EmailMessage`` objects parsed from what arrived, each with
the envelope recipients in ``rcpt_tos``; ``connections`` counts SMTP sessions.
"""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.cli import free_port


class RecordingHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse_after: int | None = None
        self.refuse_recipients: set[str] = set()
        self.connections = 0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.connections += 1
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse_recipients:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
                return "451 4.3.0 try again later"
            message = email.message_from_bytes(envelope.original_content or envelope.content,
                                               policy=email.policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


class LocalSMTPServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.host = "127.0.0.1"
        self.port = free_port()
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)

    def start(self) -> LocalSMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return [m for _, m in self.handler.messages]

    def recipients(self) -> list[str]:
        with self.handler.lock:
            return [r for rcpts, _ in self.handler.messages for r in rcpts]


def smtp_settings(server: LocalSMTPServer, **extra: Any) -> Any:
    """Django settings that send through ``server`` (plain SMTP, no credentials), as an
    ``override_settings`` context manager; ``extra`` overrides more settings."""
    from django.test import override_settings

    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=server.host, EMAIL_PORT=server.port, EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="", EMAIL_USE_TLS=False, EMAIL_TIMEOUT=10,
        DEFAULT_FROM_EMAIL="Warta <redaksi@warta.example>", **extra)
