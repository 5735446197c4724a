"""Walk every route of the app and check that it refuses whom it should.

Each view declares its access (``@public``, ``@login_required`` or ``@roles_required``). This
walk proves the declaration is enforced for every URL, so a new route cannot slip through:
anonymous users are sent to sign in, users lacking the roles get 403, and the routes meant to be
public are exactly the ones listed here (adding a public route means adding it below, on purpose).
"""

from __future__ import annotations

import pytest
from flask import Flask

from ethics_cases.security import Access, Role

from .factories.accounts import UserFactory

INTENDED_PUBLIC = {
    "static",
    "main.home",
    "accounts.login",
    # the Code of Ethics is published: anyone may read and search it
    "code.index",
    "code.clause",
    "code.search",
    "code.stylesheet",
    # intake: anyone may file and follow a complaint (the case pages check a case grant and
    # answer 404 to anyone else; downloads likewise, see ethics_cases/cases/access.py)
    "intake.start", "intake.stylesheet", "intake.script", "intake.member_search", "intake.step",
    "intake.submit",
    "intake.receipt", "intake.receipt_done", "intake.check", "intake.request_login_link",
    "intake.login_link", "intake.case_page", "intake.reply", "intake.add_evidence",
    "intake.withdraw", "cases.download",
    # accounts: members create their account; anyone may ask for (and use) a reset link
    "accounts.register", "accounts.reset_request", "accounts.reset_password",
    # pledges: anyone may check a certificate's verification link (no confidential data)
    "pledges.verify", "pledges.stylesheet",
    # the complainant's appeal against a dismissal (case grant checked; 404 for anyone else)
    "workflow.complainant_appeal",
    # ... and their objection to a panel member (case grant checked; 404 for anyone else)
    "workflow.complainant_objection",
    # the public register: members' pledge and published sanctions, rate-limited
    "register.index", "register.api", "register.stylesheet",
    "notifications.complainant_letter",  # the complainant's case grant decides (404 otherwise)
    # the reports' stylesheet (the reports themselves are for the committee)
    "reports.stylesheet",
    # public: add intentionally public endpoints above this line
}

DUMMY_VALUES = {"int": 987654, "integer": 987654, "string": "no-such-thing", "path": "no/such",
                "default": "x"}


def _routes(app: Flask) -> list[tuple[str, str, str, Access | None]]:
    """(endpoint, url, method, access) for every rule, with placeholder arguments."""
    routes = []
    for rule in app.url_map.iter_rules():
        args = {}
        for name, converter in rule._converters.items():  # werkzeug has no public API
            kind = type(converter).__name__.removesuffix("Converter").lower()
            args[name] = DUMMY_VALUES.get(kind, DUMMY_VALUES["default"])
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **args)
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        view = app.view_functions[rule.endpoint]
        access = Access("public") if rule.endpoint == "static" else getattr(view, "access", None)
        routes.extend((rule.endpoint, url, method, access) for method in methods)
    return routes


def test_every_view_declares_its_access(app):
    undeclared = [endpoint for endpoint, _, _, access in _routes(app) if access is None]
    assert undeclared == []


def test_public_views_are_exactly_the_intended_ones(app):
    public = {endpoint for endpoint, _, _, access in _routes(app)
              if access is not None and access.kind == "public"}
    assert public == INTENDED_PUBLIC


def test_anonymous_users_are_sent_to_sign_in_everywhere_else(client):
    refused = []
    for endpoint, url, method, access in _routes(client.application):
        if access is None or access.kind == "public":
            continue
        response = client.open(url, method=method)
        if not (response.status_code == 302 and "/login" in response.headers["Location"]):
            refused.append((endpoint, method, response.status_code))
    assert refused == []


@pytest.mark.parametrize("role", [None, *Role])
def test_users_without_the_required_roles_get_403(client, db_session, login_as, role):
    user = UserFactory(roles=[role] if role else [])
    login_as(client, user)
    wrong = []
    for endpoint, url, method, access in _routes(client.application):
        if access is None or access.kind != "roles" or access.allows(user):
            continue
        response = client.open(url, method=method)
        if response.status_code != 403:
            wrong.append((endpoint, method, response.status_code))
    assert wrong == []


def test_a_view_without_a_declaration_is_refused_to_everyone(app, client, db_session, login_as):
    @app.route("/undeclared")
    def undeclared():
        return "should never be seen"

    assert client.get("/undeclared").status_code == 403
    login_as(client, UserFactory(roles=[Role.ADMIN]))
    assert client.get("/undeclared").status_code == 403
