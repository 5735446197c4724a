"""The application factory, configuration and the safety defaults every page relies on."""

from __future__ import annotations

import pytest
from flask import request

from ethics_cases import ConfigurationError, create_app
from ethics_cases.security import Role, public

from .factories.accounts import PASSWORD, MemberUserFactory, UserFactory


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ETHICS_CASES_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x" * 40})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/ethics_cases.sqlite")


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("ETHICS_CASES_DATABASE_URL", "postgresql://postgres@db.example/ethics")
    monkeypatch.setenv("ETHICS_CASES_ASSOCIATION_NAME", "Test Association")
    app = create_app({"SECRET_KEY": "x" * 40})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://postgres@db.example/ethics"
    )
    assert app.config["ASSOCIATION_NAME"] == "Test Association"


PUBLIC = "https://ethics.example.org"


@pytest.mark.parametrize("key", [None, "", "too-short"])
def test_production_refuses_to_start_without_a_real_secret_key(key):
    config = {"ENV_NAME": "production", "SECRET_KEY": key, "PUBLIC_BASE_URL": PUBLIC}
    with pytest.raises(ConfigurationError, match="ETHICS_CASES_SECRET_KEY"):
        create_app(config)


@pytest.mark.parametrize("base", [None, "", "ethics.example.org", "https://", "ftp://x.org",
                                  "https://x.org/?next=1"])
def test_production_refuses_to_start_without_its_public_address(base):
    config = {"ENV_NAME": "production", "SECRET_KEY": "k" * 64, "PUBLIC_BASE_URL": base}
    with pytest.raises(ConfigurationError, match="ETHICS_CASES_PUBLIC_BASE_URL"):
        create_app(config)


def test_production_with_a_real_key_marks_cookies_secure():
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 64, "PUBLIC_BASE_URL": PUBLIC})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("ETHICS_CASES_SECRET_KEY", raising=False)
    first = create_app({"SECRET_KEY": None})
    second = create_app({"SECRET_KEY": None})
    assert len(first.secret_key) == 64
    assert first.secret_key == second.secret_key


def test_safety_limits_are_set(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 30 * 1024 * 1024
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600


def test_pages_carry_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_home_page_renders_with_navigation(client):
    html = client.get("/").get_data(as_text=True)
    assert "Skip to content" in html
    assert 'href="/login"' in html
    assert "/static/css/app.css" in html


def test_navigation_shows_each_person_only_their_own_work(client, login_as):
    anonymous = client.get("/").get_data(as_text=True)
    assert 'href="/public-register"' in anonymous and 'aria-label="Your work"' not in anonymous
    assert 'href="/workspace/"' not in anonymous

    login_as(client, MemberUserFactory())
    member = client.get("/").get_data(as_text=True)
    assert 'aria-label="Your work"' in member and "Sign the pledge" in member
    assert 'href="/workspace/"' not in member and "Audit trail" not in member

    login_as(client, UserFactory(roles=[Role.CHAIR]))
    chair = client.get("/").get_data(as_text=True)
    assert chair.count('href="/workspace/"') == 2  # the work bar and the home page card
    assert "Sign the pledge" not in chair


def test_unknown_page_gives_a_plain_words_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x"}, csrf=False)
    assert response.status_code == 400
    assert "form had expired" in response.get_data(as_text=True)


def test_login_with_right_password_signs_in(client, db_session):
    user = UserFactory(full_name="Ada Lovelace")
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Ada Lovelace" in html
    assert "Sign out" in html


def test_login_with_wrong_password_keeps_the_email_and_says_so(client, db_session):
    user = UserFactory()
    response = client.post("/login", data={"email": user.email, "password": "wrong"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "do not match an account" in html
    assert f'value="{user.email}"' in html


def test_login_refuses_an_offsite_next_url(client, db_session):
    user = UserFactory()
    response = client.post(
        "/login?next=//evil.example/phish", data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logout_needs_post_and_signs_out(client, db_session, login_as):
    user = MemberUserFactory()
    login_as(client, user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert "Sign in" in client.get("/").get_data(as_text=True)


def test_member_factory_links_roll_entry(db_session):
    user = MemberUserFactory(full_name="Grace Hopper")
    assert user.member is not None
    assert user.member.full_name == "Grace Hopper"
    assert user.has_role(user.roles.__iter__().__next__())


def test_proxy_hops_make_the_forwarded_client_address_the_remote_address():
    app = create_app({"SECRET_KEY": "x" * 40, "PROXY_FIX_HOPS": 1})

    @app.route("/whoami")
    @public
    def whoami():
        return request.remote_addr or ""

    response = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.get_data(as_text=True) == "203.0.113.9"


def test_every_domain_asset_is_served_with_its_type_and_a_versioned_url(app, client, login_as):
    """Each domain serves its stylesheet or script through ethics_cases.assets."""
    login_as(client, UserFactory(roles=[Role.ADMIN, Role.CHAIR, Role.COMMITTEE]))
    endpoints = [rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.endpoint.endswith((".stylesheet", ".script"))]
    assert len(endpoints) >= 8
    for endpoint in endpoints:
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint)
        response = client.get(url)
        assert response.status_code == 200, endpoint
        assert response.mimetype in ("text/css", "text/javascript"), endpoint
        assert response.headers["ETag"], endpoint
