"""Retention: personal data of closed cases is redacted once the retention period ends.

``flask --app ethics_cases retention run [--dry-run]``; what is redacted and what is kept is
described in ``operations.py`` and in the README ("Retention").
"""
