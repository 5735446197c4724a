"""procedure depth - conduct-date Code binding, holds, referrals, objections, reopening

Revision ID: 0009_procedure_depth
Revises: 0008_register_reports_retention
Create Date: 2026-11-23

The case's workflow row gains the Code version bound by conduct date, own-motion origin,
referral, stay bookkeeping, the panel objection window and a reopening count; stays and panel
objections get their own tables.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_procedure_depth'
down_revision = '0008_register_reports_retention'
branch_labels = None
depends_on = None


FLOW_COLUMNS = (
    ("code_version_id", sa.Integer(), None),
    ("own_motion", sa.Boolean(), sa.false()),
    ("own_motion_basis", sa.Text(), ""),
    ("referred_to", sa.String(length=300), ""),
    ("referral_reasons", sa.Text(), ""),
    ("state_before_stay", sa.String(length=40), None),
    ("stayed_at", sa.DateTime(timezone=True), None),
    ("due_at_before_stay", sa.DateTime(timezone=True), None),
    ("stayed_days_total", sa.Integer(), "0"),
    ("objection_deadline", sa.DateTime(timezone=True), None),
    ("reopened_count", sa.Integer(), "0"),
)


def upgrade():
    with op.batch_alter_table('case_workflows', schema=None) as batch_op:
        for name, type_, default in FLOW_COLUMNS:
            if default is None:
                batch_op.add_column(sa.Column(name, type_, nullable=True))
            else:  # existing rows get the default; the model supplies it from then on
                batch_op.add_column(sa.Column(name, type_, nullable=False,
                                              server_default=default))
        batch_op.create_index(batch_op.f('ix_case_workflows_code_version_id'),
                              ['code_version_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_case_workflows_code_version_id_code_versions'),
                                    'code_versions', ['code_version_id'], ['id'],
                                    ondelete='RESTRICT')
    with op.batch_alter_table('case_workflows', schema=None) as batch_op:
        for name, type_, default in FLOW_COLUMNS:
            if default is not None:
                batch_op.alter_column(name, existing_type=type_, server_default=None)

    op.create_table('case_stays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('proceedings', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at_after', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_stays_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_stays'))
    )
    with op.batch_alter_table('case_stays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_stays_case_id'), ['case_id'], unique=False)

    op.create_table('panel_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('objector', sa.String(length=20), nullable=False),
    sa.Column('grounds', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ruling', sa.String(length=20), nullable=True),
    sa.Column('ruling_reasons', sa.Text(), nullable=False),
    sa.Column('ruled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ruled_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_panel_objections_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seat_id'], ['panel_seats.id'], name=op.f('fk_panel_objections_seat_id_panel_seats'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ruled_by_user_id'], ['users.id'], name=op.f('fk_panel_objections_ruled_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_objections'))
    )
    with op.batch_alter_table('panel_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_objections_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panel_objections_seat_id'), ['seat_id'], unique=False)


def downgrade():
    with op.batch_alter_table('panel_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_objections_seat_id'))
        batch_op.drop_index(batch_op.f('ix_panel_objections_case_id'))
    op.drop_table('panel_objections')
    with op.batch_alter_table('case_stays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_stays_case_id'))
    op.drop_table('case_stays')
    with op.batch_alter_table('case_workflows', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_workflows_code_version_id_code_versions'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_workflows_code_version_id'))
        for name, _type, _default in reversed(FLOW_COLUMNS):
            batch_op.drop_column(name)
