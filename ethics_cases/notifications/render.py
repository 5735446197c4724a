"""Rendering notification templates and queueing them (see the package docstring)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from flask import Flask, current_app

from ..extensions import db
from ..mail.models import OutboxMessage
from ..types import utcnow

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "notifications"


@dataclass(frozen=True)
class Recipient:
    """Who gets an email. ``role`` (complainant, respondent, panelist, committee, member, ...)
    is kept on the outbox row so administrators can see to whom, in what capacity, it went."""

    email: str
    name: str = ""
    role: str = "other"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body_text: str
    body_html: str


def template_dirs(app: Flask) -> list[str]:
    override = app.config.get("NOTIFICATION_TEMPLATE_DIR") or os.path.join(
        app.instance_path, "templates", "notifications")
    return [str(override), str(PACKAGE_TEMPLATES)]


def environment(app: Flask) -> jinja2.Environment:
    """One overlay of the app's Jinja environment per app (globals and filters shared), with a
    loader that looks in the administrator's folder first. Not autoescaped for ``.txt``."""
    env = app.extensions.get("notification_jinja")
    if env is None:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(d) for d in template_dirs(app)])
        env = app.jinja_env.overlay(
            loader=loader, autoescape=jinja2.select_autoescape(["html"], default=False),
            undefined=jinja2.StrictUndefined if app.config.get("TESTING") else jinja2.Undefined,
        )
        env.keep_trailing_newline = True
        app.extensions["notification_jinja"] = env
    return env


def _block(template: jinja2.Template, name: str, context: dict[str, Any]) -> str:
    if name not in template.blocks:
        return ""
    return "".join(template.blocks[name](template.new_context(context)))


def render_notification(template_name: str, context: dict[str, Any]) -> Rendered:
    """Render the subject, text and (if the template exists) HTML of one notification."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    env = environment(app)
    full = dict(context)
    app.update_template_context(full)
    text = env.get_template(f"{template_name}.txt")
    subject = " ".join(_block(text, "subject", full).split())
    body = _block(text, "body", full).strip("\n") + "\n"
    html = ""
    try:
        html_template = env.get_template(f"{template_name}.html")
    except jinja2.TemplateNotFound:
        pass
    else:
        html = _block(html_template, "body", full).strip()
    if not subject:
        raise ValueError(f"Notification template {template_name!r} has an empty subject.")
    return Rendered(subject[:300], body, html)


def _as_recipient(value: Recipient | str) -> Recipient:
    return value if isinstance(value, Recipient) else Recipient(str(value))


def notify(template_name: str, recipients: list[Recipient | str] | tuple[Recipient | str, ...],
           *, case: Any = None, **context: Any) -> list[OutboxMessage]:
    """Render ``template_name`` once per recipient and queue it in the caller's transaction.

    ``recipients``: ``Recipient`` objects (or bare addresses). Recipients without an address
    and duplicate addresses are skipped. Returns the queued rows (flushed, so they have ids).
    Never commits. Raises if the template is missing or broken: callers that must not fail
    because of an email (the workflow) catch and log.
    """
    seen: set[str] = set()
    queued: list[OutboxMessage] = []
    now = utcnow()
    for item in recipients:
        recipient = _as_recipient(item)
        address = (recipient.email or "").strip()
        if not address or address.casefold() in seen:
            continue
        seen.add(address.casefold())
        rendered = render_notification(
            template_name, {**context, "case": case, "recipient": recipient})
        message = OutboxMessage(
            to_address=address, subject=rendered.subject, body_text=rendered.body_text,
            body_html=rendered.body_html, template=template_name, created_at=now,
            next_attempt_at=now, attempts=0, last_error="",
            case_id=getattr(case, "id", None), recipient_role=recipient.role[:20],
        )
        db.session.add(message)
        queued.append(message)
    if queued:
        db.session.flush()
    return queued
