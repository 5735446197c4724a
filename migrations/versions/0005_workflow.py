"""adjudication workflow: per-case workflow row, panel seats and votes, findings per
allegation, sanctions (the ladder's entries imposed on members) and appeals

Revision ID: 0005_workflow
Revises: 0004_intake
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_workflow'
down_revision = '0004_intake'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_workflows',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('investigator_user_id', sa.Integer(), nullable=True),
    sa.Column('findings_report', sa.Text(), nullable=False),
    sa.Column('findings_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hearing_on', sa.Date(), nullable=True),
    sa.Column('minimum_level', sa.Integer(), nullable=False),
    sa.Column('hearing_round', sa.Integer(), nullable=False),
    sa.Column('state_before_withdrawal', sa.String(length=40), nullable=True),
    sa.Column('respondent_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reasons', sa.Text(), nullable=False),
    sa.Column('dismissal_reasons', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_workflows_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['investigator_user_id'], ['users.id'], name=op.f('fk_case_workflows_investigator_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_workflows'))
    )
    with op.batch_alter_table('case_workflows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_workflows_investigator_user_id'), ['investigator_user_id'], unique=False)

    op.create_table('panel_seats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('appointed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('conflict_declared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recusal_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_panel_seats_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_panel_seats_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_seats')),
    sa.UniqueConstraint('case_id', 'user_id', 'kind', name=op.f('uq_panel_seats_case_id'))
    )
    with op.batch_alter_table('panel_seats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_seats_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_seats_user_id'), ['user_id'], unique=False)

    op.create_table('sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('by_agreement', sa.Boolean(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_sanctions_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_sanctions_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['replaces_id'], ['sanctions.id'], name=op.f('fk_sanctions_replaces_id_sanctions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctions'))
    )
    with op.batch_alter_table('sanctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanctions_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_sanctions_member_id_status', ['member_id', 'status'], unique=False)

    op.create_table('allegation_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('allegation_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('breached', sa.Boolean(), nullable=False),
    sa.Column('votes_breached', sa.Integer(), nullable=False),
    sa.Column('votes_not_breached', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['allegation_id'], ['allegations.id'], name=op.f('fk_allegation_findings_allegation_id_allegations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_allegation_findings_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allegation_findings')),
    sa.UniqueConstraint('allegation_id', 'round', name=op.f('uq_allegation_findings_allegation_id'))
    )
    with op.batch_alter_table('allegation_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allegation_findings_case_id'), ['case_id'], unique=False)

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('appellant', sa.String(length=20), nullable=False),
    sa.Column('against', sa.String(length=20), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=True),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_appeals_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'], name=op.f('fk_appeals_sanction_id_sanctions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_case_id'), ['case_id'], unique=False)

    op.create_table('panel_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('allegation_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('breached', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('cast_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['allegation_id'], ['allegations.id'], name=op.f('fk_panel_votes_allegation_id_allegations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_panel_votes_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seat_id'], ['panel_seats.id'], name=op.f('fk_panel_votes_seat_id_panel_seats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_votes')),
    sa.UniqueConstraint('seat_id', 'allegation_id', 'round', name=op.f('uq_panel_votes_seat_id'))
    )
    with op.batch_alter_table('panel_votes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_votes_case_id'), ['case_id'], unique=False)


def downgrade():
    for table in ("panel_votes", "appeals", "allegation_findings", "sanctions", "panel_seats",
                  "case_workflows"):
        op.drop_table(table)
