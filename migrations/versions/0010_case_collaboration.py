"""case officers, tags, internal notes, party-only messages, identity protection, hearing bundles

Revision ID: 0010_case_collaboration
Revises: 0009_procedure_depth
Create Date: 2026-11-23

Internal notes and party-only messages are ``case_messages`` rows (audience ``internal``,
``complainant`` or ``respondent``): no table of their own. ``cases`` gains one nullable column
(``identity_disclosed_at``), added without a table rebuild on SQLite.
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_case_collaboration'
down_revision = '0009_procedure_depth'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_case_tags_created_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_tags')),
    sa.UniqueConstraint('slug', name=op.f('uq_case_tags_slug'))
    )
    op.create_table('case_officer_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('officer_user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_user_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_user_id'], ['users.id'], name=op.f('fk_case_officer_assignments_assigned_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_officer_assignments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_user_id'], ['users.id'], name=op.f('fk_case_officer_assignments_officer_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_officer_assignments'))
    )
    op.create_index(op.f('ix_case_officer_assignments_case_id'), 'case_officer_assignments', ['case_id'], unique=False)
    op.create_index(op.f('ix_case_officer_assignments_officer_user_id'), 'case_officer_assignments', ['officer_user_id'], unique=False)
    # One current officer per case (ended assignments stay on record).
    op.create_index('uq_case_officer_assignments_current', 'case_officer_assignments', ['case_id'], unique=True, sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
    op.create_table('case_tag_links',
    sa.Column('case_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tag_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_user_id'], ['users.id'], name=op.f('fk_case_tag_links_added_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_tag_links_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['case_tags.id'], name=op.f('fk_case_tag_links_tag_id_case_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'tag_id', name=op.f('pk_case_tag_links'))
    )
    op.create_index(op.f('ix_case_tag_links_tag_id'), 'case_tag_links', ['tag_id'], unique=False)
    op.create_table('hearing_bundles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('generated_by_user_id', sa.Integer(), nullable=True),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('document_count', sa.Integer(), nullable=False),
    sa.Column('zip_sha256', sa.String(length=64), nullable=False),
    sa.Column('manifest', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_hearing_bundles_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['generated_by_user_id'], ['users.id'], name=op.f('fk_hearing_bundles_generated_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hearing_bundles'))
    )
    op.create_index(op.f('ix_hearing_bundles_case_id'), 'hearing_bundles', ['case_id'], unique=False)
    op.create_table('identity_disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_identity_disclosures_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_identity_disclosures_decided_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_disclosures'))
    )
    op.create_index(op.f('ix_identity_disclosures_case_id'), 'identity_disclosures', ['case_id'], unique=False)
    # A plain nullable column: ALTER TABLE ADD COLUMN on both databases (no SQLite rebuild of
    # ``cases``, which many tables reference).
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_disclosed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # recreate='never': a plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35). Rebuilding
    # ``cases`` on SQLite would drop the table that other tables reference ON DELETE CASCADE.
    with op.batch_alter_table('cases', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('identity_disclosed_at')
    op.drop_index(op.f('ix_identity_disclosures_case_id'), table_name='identity_disclosures')
    op.drop_table('identity_disclosures')
    op.drop_index(op.f('ix_hearing_bundles_case_id'), table_name='hearing_bundles')
    op.drop_table('hearing_bundles')
    op.drop_index(op.f('ix_case_tag_links_tag_id'), table_name='case_tag_links')
    op.drop_table('case_tag_links')
    op.drop_index('uq_case_officer_assignments_current', table_name='case_officer_assignments')
    op.drop_index(op.f('ix_case_officer_assignments_officer_user_id'), table_name='case_officer_assignments')
    op.drop_index(op.f('ix_case_officer_assignments_case_id'), table_name='case_officer_assignments')
    op.drop_table('case_officer_assignments')
    op.drop_table('case_tags')
