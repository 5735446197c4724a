"""Login POSTs are rate-limited per IP address (Flask-Limiter), before any password check."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    return app_config | {"LOGIN_RATE_LIMIT": "3 per minute"}


def test_the_fourth_login_post_in_a_minute_is_refused(client, db_session):
    for _ in range(3):
        response = client.post("/login", data={"email": "x@example.org", "password": "y"})
        assert response.status_code == 200
    response = client.post("/login", data={"email": "x@example.org", "password": "y"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Reading the page is not limited; another address is not affected.
    assert client.get("/login").status_code == 200
    other = client.post("/login", data={"email": "x@example.org", "password": "y"},
                        environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200
