"""The app under gunicorn (real worker processes, real sockets) and small HTTP clients for the
load and crash tests. Standard library only: ``http.client`` with a cookie per client."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from itsdangerous import URLSafeTimedSerializer

from .conftest import TEST_SECRET_KEY


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Gunicorn:
    """``gunicorn --workers N 'ethics_cases:create_app()'`` on a loopback port, in its own
    process group so that a crash test can ``kill -9`` master and workers at once."""

    database_url: str
    upload_folder: str
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    _log_file: Any = None

    def start(self) -> Gunicorn:
        env = {**os.environ,
               "ETHICS_CASES_DATABASE_URL": self.database_url,
               "ETHICS_CASES_SECRET_KEY": TEST_SECRET_KEY,
               "ETHICS_CASES_UPLOAD_FOLDER": self.upload_folder,
               # one client address for everybody here: the per-address limits would
               # measure the limiter, not the app
               "ETHICS_CASES_RATELIMIT_ENABLED": "false"}
        self.log = Path(self.upload_folder).parent / f"gunicorn-{self.port}.log"
        if self._log_file is not None:
            self._log_file.close()
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
             "ethics_cases:create_app()"],
            env=env, stdout=self._log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _, _ = Client(self).request("GET", "/code")
                if status == 200:
                    return self
            except OSError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited: " + self.log.read_text()[-2000:])
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start: " + self.log.read_text()[-2000:])

    def kill_hard(self) -> None:
        """SIGKILL to master and workers: no cleanup, no graceful shutdown (a crash)."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def _multipart(fields: dict[str, Any]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, tuple):  # (filename, bytes)
                filename, content = item
                head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n')
                parts.append(head.encode() + content + b"\r\n")
            else:
                parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                              f"\r\n\r\n{item}\r\n").encode())
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Client:
    """One browser: a session cookie, a CSRF token, optionally signed in as ``user_id``."""

    def __init__(self, server: Gunicorn, app: Flask | None = None, user: Any = None) -> None:
        self.server = server
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        if app is not None:
            raw = os.urandom(20).hex()
            data: dict[str, Any] = {"csrf_token": raw}
            if user is not None:  # as the login form would (see conftest.login_as)
                data.update({"_user_id": user.get_id(), "_fresh": True})
            serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
            self.cookies[app.config.get("SESSION_COOKIE_NAME", "session")] = \
                serializer.dumps(data)
            self.csrf = str(URLSafeTimedSerializer(TEST_SECRET_KEY, salt="wtf-csrf-token")
                            .dumps(raw))

    def request(self, method: str, path: str, fields: dict[str, Any] | None = None,
                *, multipart: bool = False, timeout: float = 60) -> tuple[int, str, str]:
        """(status, Location header, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port,
                                                timeout=timeout)
        headers = {"User-Agent": "ethics-cases load test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if method == "POST":
            data = {"csrf_token": self.csrf, **(fields or {})}
            if multipart:
                body, headers["Content-Type"] = _multipart(data)
            else:
                body = urlencode(data, doseq=True).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()
