"""case queue indexes and deadline bookkeeping (workspace)

Revision ID: 0006_workspace
Revises: 0005_workflow
Create Date: 2026-11-23

Reserved in the linear chain so parallel work cannot fork the history; filled in by the
feature that owns it (a no-op until then).
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0006_workspace'
down_revision = '0005_workflow'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
