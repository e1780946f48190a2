"""certificates and revocation status lists

Revision ID: 8072d8bfcdb6
Revises: 305249f40e48
Create Date: 2026-11-25 19:09:23.945420

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8072d8bfcdb6'
down_revision = '305249f40e48'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('status_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('credential', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_status_list')),
    sa.UniqueConstraint('key', name=op.f('uq_status_list_key'))
    )
    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('claims', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('credential', sa.JSON(), nullable=False),
    sa.Column('status_list', sa.String(length=40), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['user.id'], name=op.f('fk_certificate_holder_id_user')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_certificate_issued_by_id_user')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_certificate_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_certificate_revoked_by_id_user')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['certificate.id'], name=op.f('fk_certificate_superseded_by_id_certificate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code')),
    sa.UniqueConstraint('status_list', 'status_index', name=op.f('uq_certificate_status_list_status_index'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_municipality_id'), ['municipality_id'], unique=False)



def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_kind'))
        batch_op.drop_index(batch_op.f('ix_certificate_holder_id'))

    op.drop_table('certificate')
    op.drop_table('status_list')
