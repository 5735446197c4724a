"""public register, reports and retention of closed cases

Revision ID: 0008_register_reports_retention
Revises: 0007_notifications_letters
Create Date: 2026-11-23

The register and the reports need no schema (they read existing tables). Retention records
each redacted case (``case_redactions``, which also marks it as redacted) and each evidence
file it deleted (``evidence_disposals``).
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_register_reports_retention'
down_revision = '0007_notifications_letters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'case_redactions',
        sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('redacted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retention_days', sa.Integer(), nullable=False),
        sa.Column('messages_redacted', sa.Integer(), nullable=False),
        sa.Column('evidence_deleted', sa.Integer(), nullable=False),
        sa.Column('audit_seq', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_case_redactions_case_id_cases'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_redactions')),
    )
    op.create_table(
        'evidence_disposals',
        sa.Column('evidence_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('file_found', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                                name=op.f('fk_evidence_disposals_case_id_cases'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'],
                                name=op.f('fk_evidence_disposals_evidence_id_evidence'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('evidence_id', name=op.f('pk_evidence_disposals')),
    )
    with op.batch_alter_table('evidence_disposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_disposals_case_id'), ['case_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('evidence_disposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_disposals_case_id'))
    op.drop_table('evidence_disposals')
    op.drop_table('case_redactions')
