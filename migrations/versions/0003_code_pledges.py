"""code versions and pledges (immutable: triggers refuse UPDATE and DELETE on pledges)

Revision ID: 0003_code_pledges
Revises: 0002_audit
Create Date: 2026-11-23

The login throttle / lockout columns (users.failed_login_count, users.locked_until) already
came with 0001_foundation.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_code_pledges'
down_revision = '0002_audit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('code_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('canonical_json', sa.Text(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_versions')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_code_versions_fingerprint'))
    )
    op.create_table('pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_version_id', sa.Integer(), nullable=False),
    sa.Column('code_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('pledge_text_sha256', sa.String(length=64), nullable=False),
    sa.Column('typed_name', sa.String(length=200), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('verification_code', sa.String(length=43), nullable=False),
    sa.ForeignKeyConstraint(['code_version_id'], ['code_versions.id'], name=op.f('fk_pledges_code_version_id_code_versions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_pledges_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pledges_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_pledges_verification_code'))
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index('ix_pledges_member_id_signed_at', ['member_id', 'signed_at'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION pledge_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'a signed pledge is immutable: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
        """)
        op.execute(
            "CREATE TRIGGER pledges_immutable BEFORE UPDATE OR DELETE ON pledges "
            "FOR EACH ROW EXECUTE FUNCTION pledge_refuse_change()"
        )
    else:
        for operation in ('UPDATE', 'DELETE'):
            op.execute(
                f"CREATE TRIGGER pledges_no_{operation.lower()} BEFORE {operation} ON pledges "
                f"BEGIN SELECT RAISE(ABORT, 'a signed pledge is immutable: {operation} refused'); END"
            )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS pledges_immutable ON pledges")
        op.execute("DROP FUNCTION IF EXISTS pledge_refuse_change()")
    else:
        for operation in ('update', 'delete'):
            op.execute(f"DROP TRIGGER IF EXISTS pledges_no_{operation}")
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_member_id_signed_at')
    op.drop_table('pledges')
    op.drop_table('code_versions')
