"""A real local SMTP server for the mail tests (aiosmtpd), and a port where nobody listens."""

from __future__ import annotations

import socket
from typing import Any

from aiosmtpd.handlers import Message


class Inbox(Message):
    """An aiosmtpd handler that keeps every message received."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list = []

    def handle_message(self, message) -> None:  # type: ignore[no-untyped-def]
        self.received.append(message)


def free_port() -> int:
    """A loopback port that was free a moment ago (for a server, or for nobody to answer)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_mail_at(app: Any, port: int) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                      MAIL_DEFAULT_SENDER="ethics@imc.example")
