"""public register, reports and retention of closed cases

Revision ID: 0008_register_reports_retention
Revises: 0007_notifications_letters
Create Date: 2026-11-23

Reserved in the linear chain so parallel work cannot fork the history; filled in by the
feature that owns it (a no-op until then).
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0008_register_reports_retention'
down_revision = '0007_notifications_letters'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
