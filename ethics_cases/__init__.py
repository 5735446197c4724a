"""ethics_cases: the Code of Ethics, members' signed pledges and ethics complaints of a
mentoring professional body, with a tamper-evident audit trail."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

import click
from flask import Flask

from .config import DEFAULTS, MIN_SECRET_KEY_LENGTH
from .urls import public_base_problem

__all__ = ["create_app"]


class ConfigurationError(RuntimeError):
    """The app refuses to start with a configuration that would be unsafe or broken."""


def create_app(config: Mapping[str, object] | None = None) -> Flask:
    """Build the app; refuse to build it with an unsafe configuration or an invalid Code.

    Under a ``flask`` command the refusal is one line ("Error: Refusing to start: <file>:<line>:
    <problem>") and exit status 1 rather than a traceback; elsewhere (gunicorn, tests) the
    error itself is raised."""
    from .code import CodeFileError

    try:
        return _build_app(config)
    except (ConfigurationError, CodeFileError) as error:
        if click.get_current_context(silent=True) is None:
            raise
        raise click.ClickException(f"Refusing to start: {error}") from error


def _build_app(config: Mapping[str, object] | None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ETHICS_CASES")
    if config:
        app.config.from_mapping(config)
    _finish_config(app)

    from . import code, database, errors, security
    from .extensions import csrf, limiter, login_manager, migrate

    database.init_app(app)
    migrate.init_app(app, database.db, directory=str(Path(app.root_path).parent / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    code.init_app(app)  # an invalid Code of Ethics stops the app here, saying why
    _register_models()
    _register_blueprints(app)
    _register_cli(app)
    _register_headers(app)
    _trust_proxy(app)
    # Templates link to a domain's pages only once that domain is installed.
    app.jinja_env.globals["has_endpoint"] = lambda endpoint: endpoint in app.view_functions
    return app


def _finish_config(app: Flask) -> None:
    """Derive settings from the layered config, and refuse unsafe production settings."""
    os.makedirs(app.instance_path, exist_ok=True)
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        url = "sqlite:///" + os.path.join(app.instance_path, "ethics_cases.sqlite")
    if isinstance(url, str) and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault("UPLOAD_FOLDER", os.path.join(app.instance_path, "uploads"))

    production = app.config["ENV_NAME"] == "production"
    key = app.config.get("SECRET_KEY")
    if production:
        if not key or len(str(key)) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                "Refusing to start in production without a real secret key: set "
                f"ETHICS_CASES_SECRET_KEY to a random value of at least {MIN_SECRET_KEY_LENGTH} "
                "characters, e.g. from: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
        base = str(app.config.get("PUBLIC_BASE_URL") or "")
        problem = public_base_problem(base) if base else "it is not set"
        if problem:
            raise ConfigurationError(
                f"Refusing to start in production: ETHICS_CASES_PUBLIC_BASE_URL, the site's "
                f"public address used in every emailed link, is wrong: {problem}.")
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    elif not key:
        app.config["SECRET_KEY"] = _development_secret_key(app)


def _development_secret_key(app: Flask) -> str:
    """A random key kept in the instance folder, so a newcomer needs no setup and no secret is
    ever committed; sessions survive restarts."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _register_models() -> None:
    # Import every models module so that Alembic and the mappers see all tables.
    from .accounts import models as _accounts  # noqa: F401
    from .audit import models as _audit  # noqa: F401
    from .cases import models as _cases  # noqa: F401
    from .casework import models as _casework  # noqa: F401
    from .mail import models as _mail  # noqa: F401
    from .notifications import models as _notifications  # noqa: F401
    from .retention import models as _retention  # noqa: F401
    from .workflow import models as _workflow  # noqa: F401
    from .workspace import models as _workspace  # noqa: F401
    # models: add your domain's models import above this line


def _register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .main.views import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    from .code.views import bp as code_bp

    app.register_blueprint(code_bp)
    from . import cases

    cases.register(app)
    from .audit.views import bp as audit_bp

    app.register_blueprint(audit_bp)
    from .pledges.views import bp as pledges_bp

    app.register_blueprint(pledges_bp)
    from . import workflow

    workflow.register(app)
    from . import notifications

    notifications.register(app)
    from . import casework

    casework.register(app)
    from . import register

    register.register(app)
    from .reports.views import bp as reports_bp

    app.register_blueprint(reports_bp)
    from . import workspace

    workspace.register(app)
    # blueprints: register your domain's blueprint above this line


def _register_cli(app: Flask) -> None:
    from .code.cli import code_cli

    app.cli.add_command(code_cli)
    from .mail.cli import mail_cli

    app.cli.add_command(mail_cli)
    from .audit.cli import audit_cli

    app.cli.add_command(audit_cli)
    from .cases.cli import intake_cli

    app.cli.add_command(intake_cli)
    from .accounts.cli import members_cli, users_cli
    from .pledges.cli import pledges_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(members_cli)
    app.cli.add_command(pledges_cli)
    from .workflow.cli import workflow_cli

    app.cli.add_command(workflow_cli)
    from .demo.cli import demo_cli

    app.cli.add_command(demo_cli)
    from .workspace.cli import deadlines_cli

    app.cli.add_command(deadlines_cli)
    from .retention.cli import retention_cli

    app.cli.add_command(retention_cli)
    # cli: register your domain's command group above this line


def _trust_proxy(app: Flask) -> None:
    """Behind a reverse proxy every client would share the proxy's address (one rate limit
    for everybody, wrong IPs in the audit trail); PROXY_FIX_HOPS says how many proxies to trust."""
    hops = int(app.config.get("PROXY_FIX_HOPS") or 0)
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def _register_headers(app: Flask) -> None:
    csp = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    )
    production = app.config["ENV_NAME"] == "production"

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", csp)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
