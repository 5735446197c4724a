"""notification retries and generated letters

Revision ID: 0007_notifications_letters
Revises: 0006_workspace
Create Date: 2026-11-23

The outbox learns which case a message is about, the recipient's capacity, an HTML
alternative and when delivery was given up; generated letters (PDF) get their table.
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_notifications_letters'
down_revision = '0006_workspace'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_html', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recipient_role', sa.String(length=20), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('gave_up_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_messages_case_id_cases'), 'cases',
                                    ['case_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.alter_column('body_html', server_default=None)
        batch_op.alter_column('recipient_role', server_default=None)

    op.create_table('case_letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('recipient', sa.String(length=20), nullable=False),
    sa.Column('trigger', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('generated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'],
                            name=op.f('fk_case_letters_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_letters')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_case_letters_stored_name'))
    )
    with op.batch_alter_table('case_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_letters_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_letters_case_id'))
    op.drop_table('case_letters')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_case_id_cases'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_case_id'))
        batch_op.drop_column('gave_up_at')
        batch_op.drop_column('recipient_role')
        batch_op.drop_column('case_id')
        batch_op.drop_column('body_html')
