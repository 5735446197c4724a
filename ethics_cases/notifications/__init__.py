"""Notifications: emails rendered from editable Jinja2 templates and queued in the outbox.

    from ethics_cases.notifications import notify
    notify("deadline_reminder", [Recipient("a@example.org", "A. Person", "respondent")],
           case=case, due_at=case.due_at)

``notify`` renders ``<template_name>.txt`` (and ``<template_name>.html`` when it exists) from
the notification templates and adds one ``OutboxMessage`` per recipient to the *caller's*
transaction: it never commits, so the email commits (or rolls back) with the action it reports.

Where templates live (first match wins, so administrators override without touching code):

1. ``<instance folder>/templates/notifications/`` (``NOTIFICATION_TEMPLATE_DIR`` to change it)
2. ``ethics_cases/templates/notifications/`` (the shipped defaults)

A ``.txt`` template defines ``{% block subject %}`` (one line) and ``{% block body %}`` (plain
text); an optional ``.html`` template of the same name defines ``{% block body %}`` in HTML
(autoescaped). Every template receives ``case``, ``recipient``, ``config``, ``links`` and
whatever keyword arguments the caller passed. Towards a respondent, always write
``{{ complainant_display_name }}``, never ``case.complainant_name``: it is "the complainant"
when the complainant asked that their identity be withheld.

The workflow's per-step emails (who gets which template at each step) are in ``workflow_mail.py``
(``STEP_MAIL``); letters (PDF) are in ``letters.py``.
"""

from .render import Recipient, notify, render_notification

__all__ = ["Recipient", "notify", "register", "render_notification"]


def register(app):  # type: ignore[no-untyped-def]
    """Install the blueprint (outbox admin, letter downloads), the workflow listener, and
    the template helpers that list a case's letters."""
    from . import workflow_mail  # noqa: F401  (registers the after-step listener)
    from .letters import letters_for
    from .views import bp

    app.register_blueprint(bp)

    def letter_url(letter, party):  # type: ignore[no-untyped-def]
        from flask import url_for

        endpoint = {"committee": "notifications.committee_letter",
                    "respondent": "notifications.respondent_letter",
                    "complainant": "notifications.complainant_letter"}[party]
        return url_for(endpoint, reference=letter.case.reference, letter_id=letter.id)

    app.jinja_env.globals.update(case_letters=letters_for, letter_url=letter_url)
