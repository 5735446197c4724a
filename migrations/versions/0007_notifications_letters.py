"""notification retries and generated letters

Revision ID: 0007_notifications_letters
Revises: 0006_workspace
Create Date: 2026-11-23

Reserved in the linear chain so parallel work cannot fork the history; filled in by the
feature that owns it (a no-op until then).
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0007_notifications_letters'
down_revision = '0006_workspace'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
