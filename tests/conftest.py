"""Test fixtures (flaskr style), on a real, migrated database.

* Every test gets a fresh database built by the real migrations: on SQLite a copy of a template
  file migrated once per run; on PostgreSQL (``ETHICS_CASES_TEST_DATABASE_URL``) the schema is
  migrated once per run and every table is truncated before each test.
* ``app`` is a new application per test. No application context stays pushed, so every test
  request gets its own context and its own ``db.session``, exactly as in production.
* ``db_session`` is the session factories write through: a separate session in autocommit mode,
  so it always reads what requests committed. The test client expires it after every request,
  so attributes of objects a test holds are re-read after a request changed them.
* ``client`` sends a valid CSRF token with every form POST (pass ``csrf=False`` to test refusals),
  so CSRF protection stays on in tests.
* ``app_ctx`` pushes an application context, for tests that call domain code directly. Do not
  combine it with ``client`` requests that must be isolated from the test's own session.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from ethics_cases import create_app
from ethics_cases.extensions import db

from .factories import base as factory_base
from .smtp_server import Inbox, free_port, point_mail_at

TEST_DATABASE_URL = os.environ.get("ETHICS_CASES_TEST_DATABASE_URL", "")
SCREENSHOTS = Path(__file__).parent / "screenshots"
TEST_SECRET_KEY = "test-secret-key-not-for-production-0123456789"
CHROMIUM = os.environ.get("ETHICS_CASES_CHROMIUM", "/usr/bin/chromium")


def is_postgresql() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


def base_config(database_url: str, instance_path: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(instance_path / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }


def _migrate(database_url: str, instance_path: Path) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(database_url, instance_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database migrated to head (SQLite: a template file to copy)."""
    instance = tmp_path_factory.mktemp("template-instance")
    if is_postgresql():
        engine = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        _migrate(TEST_DATABASE_URL, instance)
        return TEST_DATABASE_URL
    template = instance / "template.sqlite"
    _migrate(f"sqlite:///{template}", instance)
    return str(template)


def _fresh_database_url(migrated_database: str, tmp_path: Path) -> str:
    if is_postgresql():
        engine = create_engine(migrated_database, isolation_level="AUTOCOMMIT")
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with engine.connect() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated_database
    target = tmp_path / "test.sqlite"
    shutil.copyfile(migrated_database, target)
    return f"sqlite:///{target}"


def _autocommit_engine(url: str) -> Engine:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA busy_timeout = 15000")
            dbapi_connection.execute("PRAGMA foreign_keys = ON")

    return engine


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    return _fresh_database_url(migrated_database, tmp_path)


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, object]:
    """Override in a test module to change settings for its tests."""
    return base_config(database_url, tmp_path)


@pytest.fixture
def app(app_config: dict[str, object], tmp_path: Path) -> Iterator[Flask]:
    application = create_app(app_config)
    application.instance_path = str(tmp_path)
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def db_session(app: Flask, database_url: str) -> Iterator[Session]:
    engine = _autocommit_engine(database_url)
    session = Session(bind=engine, expire_on_commit=False)
    token = factory_base.bind_session(session)
    app.config["_TEST_SESSION"] = session
    yield session
    factory_base.unbind_session(token)
    session.close()
    engine.dispose()


class CSRFClient(FlaskClient):
    """A test client that fills in the CSRF token the way a browser form would."""

    def open(self, *args, csrf: bool = True, **kwargs):  # type: ignore[no-untyped-def]
        method = kwargs.get("method", "GET").upper()
        data = kwargs.get("data")
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"} and self.application.config.get(
            "WTF_CSRF_ENABLED", True
        ):
            if data is None:
                data = kwargs["data"] = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        response = super().open(*args, **kwargs)
        test_session = self.application.config.get("_TEST_SESSION")
        if test_session is not None:
            test_session.expire_all()
        return response

    def csrf_token(self) -> str:
        """The signed token that Flask-WTF would put into a form for this client's session."""
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
            if raw is None:
                raw = session["csrf_token"] = os.urandom(20).hex()
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return str(serializer.dumps(raw))


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    app.test_client_class = CSRFClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield


@pytest.fixture
def login_as():  # type: ignore[no-untyped-def]
    """Sign a user in on a client, as the login form would."""

    def login(client: FlaskClient, user: object) -> None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()  # type: ignore[attr-defined]
            session["_fresh"] = True

    return login


@pytest.fixture
def smtp_server():  # type: ignore[no-untyped-def]
    """A real SMTP server on loopback: yields (controller, inbox)."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def smtp(app, smtp_server):  # type: ignore[no-untyped-def]
    """The app's mail pointed at a real SMTP server: yields its inbox."""
    controller, inbox = smtp_server
    point_mail_at(app, controller.port)
    return inbox


# Browser tests -------------------------------------------------------------------------------


@pytest.fixture
def live_server(app: Flask, db_session: Session) -> Iterator[str]:
    """The app served on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def _chromium():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_chromium, live_server: str):  # type: ignore[no-untyped-def]
    context = _chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():  # type: ignore[no-untyped-def]
    """Save a full-page screenshot under tests/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if is_postgresql():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set ETHICS_CASES_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
