"""Configuration defaults.

Overrides come, in order, from ``instance/config.py``, from environment variables prefixed
``ETHICS_CASES_`` (``ETHICS_CASES_SECRET_KEY``, ``ETHICS_CASES_DATABASE_URL``, ...), and from
the mapping given to ``create_app`` (tests). Values are plain data so that every deployment
difference is visible in one place.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPOSITORY_ROOT = PACKAGE_DIR.parent

DEFAULTS: dict[str, object] = {
    # "development" or "production". Production refuses to start without a real secret key
    # and marks cookies Secure.
    "ENV_NAME": "development",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLALCHEMY_RECORD_QUERIES": False,
    # The Code lives at the repository root: a wheel does not ship it, so deployments point
    # here (instance/config.py or ETHICS_CASES_CODE_OF_ETHICS_PATH).
    "CODE_OF_ETHICS_PATH": str(REPOSITORY_ROOT / "code_of_ethics.yaml"),
    # Flask's defaults are unsafe for confidential case data: unlimited bodies, 31-day
    # sessions, cookies without SameSite.
    "MAX_CONTENT_LENGTH": 30 * 1024 * 1024,
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    # Rate limits share a store across gunicorn workers only when this points at Redis
    # (e.g. redis://127.0.0.1:6379/0); memory is per process and fine for one process.
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    "PROXY_FIX_HOPS": 0,
    "ASSOCIATION_NAME": "International Mentoring Center",
    # Retention: days after a case is closed (closed, dismissed or withdrawn) before
    # `flask retention run` redacts its personal data and deletes its evidence files (six years).
    "RETENTION_DAYS_AFTER_CLOSURE": 6 * 365,
    # Notifications and letters. Emails give up (visibly, in the admin outbox) after this many
    # failed attempts. PUBLIC_BASE_URL (e.g. "https://ethics.example.org", required in
    # production) builds every link that leaves the site: emails, letters, certificates.
    # Letters (PDF) are kept in LETTERS_FOLDER (default: <instance>/letters, outside the web
    # root). Templates an administrator edits go in <instance>/templates/notifications and
    # <instance>/templates/letters unless these point elsewhere.
    "MAIL_MAX_ATTEMPTS": 8,
    "PUBLIC_BASE_URL": "",
    "LETTERS_FOLDER": "",
    "NOTIFICATION_TEMPLATE_DIR": "",
    "LETTER_TEMPLATE_DIR": "",
    # Public register (/register): ladder keys of the sanctions it publishes (by default only
    # suspensions and revocations), and for how many days after taking effect a published
    # sanction stays listed once no longer in force (0: only while in force). Warnings,
    # training and probation are published only if their keys are added here.
    "REGISTER_PUBLISHED_SANCTIONS": ("suspension", "revocation"),
    "REGISTER_SANCTION_HISTORY_DAYS": 0,
    # Against enumeration of the roll: shortest query, most matches shown (a search matching
    # more shows none), and the rate limit shared by the register page and its JSON API.
    "REGISTER_MIN_QUERY_LENGTH": 3,
    "REGISTER_MAX_RESULTS": 10,
    "REGISTER_RATE_LIMIT": "30 per minute;300 per hour",
    # Workspace: cases per page of the committee's queue, and the reminders `flask deadlines
    # run` sends before a deadline: days before the due date (a list, or "7,2" from the
    # environment); each lead time is reminded once per deadline. Empty: no reminders.
    "WORKSPACE_PAGE_SIZE": 50,
    "DEADLINE_REMINDER_DAYS": (7, 2),
}

MIN_SECRET_KEY_LENGTH = 32
