"""attempt_question: one index the most-missed questions are counted from (issue 12)

Revision ID: 5d2e8c41a7f3
Revises: ab5081bd1adb
Create Date: 2026-11-26 04:10:00

(attempt_id, question_id, is_correct) lets PostgreSQL count the answers of a module's questions from
the index alone (about 2.4x faster at scale 10: docs/performance.md). It replaces the single-column
index on attempt_id, whose lookups it and the unique constraint's index serve. On PostgreSQL it is
built CONCURRENTLY, so a release does not stop quiz submissions while it builds.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5d2e8c41a7f3"
down_revision = "ab5081bd1adb"
branch_labels = None
depends_on = None

COLUMNS = ["attempt_id", "question_id", "is_correct"]


def _swap(create: str, columns: list[str], drop: str) -> None:
    """Build one index of attempt_question, then drop another: on PostgreSQL concurrently, which it
    allows only outside a transaction."""
    concurrently = op.get_bind().dialect.name == "postgresql"

    def run():
        op.create_index(create, "attempt_question", columns, postgresql_concurrently=concurrently)
        op.drop_index(drop, "attempt_question", postgresql_concurrently=concurrently)

    if concurrently:
        with op.get_context().autocommit_block():
            run()
    else:
        run()


def upgrade():
    _swap("ix_attempt_question_tally", COLUMNS, "ix_attempt_question_attempt_id")


def downgrade():
    _swap("ix_attempt_question_attempt_id", ["attempt_id"], "ix_attempt_question_tally")
