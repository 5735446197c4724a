"""indexes found by the benchmarks and the demo data set

Revision ID: 0011_performance
Revises: 0010_case_collaboration
Create Date: 2026-11-23

Reserved in the linear chain so parallel work cannot fork the history; filled in by the
feature that owns it (a no-op until then).
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0011_performance'
down_revision = '0010_case_collaboration'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
