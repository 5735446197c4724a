"""case queue indexes and deadline bookkeeping (workspace)

Revision ID: 0006_workspace
Revises: 0005_workflow
Create Date: 2026-11-23

The queue filters cases by clause and by sanction and sorts them by their last change: three
indexes on intake's and the workflow's tables. ``deadline_notices`` records every reminder and
missed-deadline notice, unique per case, kind, state, due date and lead time, so the scheduled
``flask deadlines run`` never sends the same one twice.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_workspace'
down_revision = '0005_workflow'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deadline_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=40), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deadline_notices_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_notices')),
    sa.UniqueConstraint('case_id', 'kind', 'state', 'due_at', 'lead_days', name='uq_deadline_notices_once')
    )
    with op.batch_alter_table('deadline_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_notices_case_id'), ['case_id'], unique=False)
    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.create_index('ix_workspace_allegations_clause_case', ['clause_id', 'case_id'], unique=False)
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.create_index('ix_workspace_sanctions_key_case', ['key', 'case_id'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_workspace_cases_state_changed_at', ['state_changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_workspace_cases_state_changed_at')
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.drop_index('ix_workspace_sanctions_key_case')
    with op.batch_alter_table('allegations', schema=None) as batch_op:
        batch_op.drop_index('ix_workspace_allegations_clause_case')
    with op.batch_alter_table('deadline_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_notices_case_id'))
    op.drop_table('deadline_notices')
