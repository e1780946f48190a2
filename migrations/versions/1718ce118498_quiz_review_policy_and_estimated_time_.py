"""quiz review policy and estimated time, lesson activities, extra attempts, workbook

Revision ID: 1718ce118498
Revises: 8072d8bfcdb6
Create Date: 2026-11-25 19:18:11.833252

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '1718ce118498'
down_revision = '8072d8bfcdb6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('extra_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('after_attempts', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_extra_attempt_granted_by_id_user')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_extra_attempt_quiz_id_quiz')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_extra_attempt_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_extra_attempt')),
    sa.UniqueConstraint('user_id', 'quiz_id', 'after_attempts', name=op.f('uq_extra_attempt_user_id_quiz_id_after_attempts'))
    )
    with op.batch_alter_table('extra_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_extra_attempt_quiz_id'), ['quiz_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_extra_attempt_user_id'), ['user_id'], unique=False)

    op.create_table('workbook_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_workbook_entry_lesson_id_lesson')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_workbook_entry_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workbook_entry')),
    sa.UniqueConstraint('user_id', 'lesson_id', name=op.f('uq_workbook_entry_user_id_lesson_id'))
    )
    with op.batch_alter_table('workbook_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workbook_entry_lesson_id'), ['lesson_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_workbook_entry_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_minutes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('activity_title', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('activity_prompt_html', sa.JSON(), nullable=True))

    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('estimated_minutes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reveal_answers', sa.String(length=30), nullable=False,
                                      server_default='after_pass_or_last_attempt'))



def downgrade():
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_column('reveal_answers')
        batch_op.drop_column('estimated_minutes')

    with op.batch_alter_table('lesson', schema=None) as batch_op:
        batch_op.drop_column('activity_prompt_html')
        batch_op.drop_column('activity_title')
        batch_op.drop_column('activity_minutes')

    with op.batch_alter_table('workbook_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workbook_entry_user_id'))
        batch_op.drop_index(batch_op.f('ix_workbook_entry_lesson_id'))

    op.drop_table('workbook_entry')
    with op.batch_alter_table('extra_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extra_attempt_user_id'))
        batch_op.drop_index(batch_op.f('ix_extra_attempt_quiz_id'))

    op.drop_table('extra_attempt')
