"""procedure depth - conduct-date Code binding, holds, referrals, objections, reopening

Revision ID: 0009_procedure_depth
Revises: 0008_register_reports_retention
Create Date: 2026-11-23

Reserved in the linear chain so parallel work cannot fork the history; filled in by the
feature that owns it (a no-op until then).
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0009_procedure_depth'
down_revision = '0008_register_reports_retention'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
