"""case officers, tags, internal notes, party-only messages, identity protection, hearing bundles

Revision ID: 0010_case_collaboration
Revises: 0009_procedure_depth
Create Date: 2026-11-23

Reserved in the linear chain so parallel work cannot fork the history; filled in by the
feature that owns it (a no-op until then).
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0010_case_collaboration'
down_revision = '0009_procedure_depth'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
