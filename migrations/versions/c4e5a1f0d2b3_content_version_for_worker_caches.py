"""content version: one row that changes with modules, lessons and quizzes (workers' caches)

Revision ID: c4e5a1f0d2b3
Revises: 11eb8825f907
Create Date: 2026-11-25 22:00:00.000000

"""
import secrets
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4e5a1f0d2b3'
down_revision = '11eb8825f907'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('content_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_version'))
    )
    now = datetime.now(timezone.utc)
    if op.get_bind().dialect.name == 'sqlite':  # stored naive there, like app.models.types.UTCDateTime
        now = now.replace(tzinfo=None)
    op.bulk_insert(table, [{'id': 1, 'value': secrets.token_hex(16), 'changed_at': now}])


def downgrade():
    op.drop_table('content_version')
