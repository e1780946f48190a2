"""progress summaries: per learner and module, and per learner; what the monitoring pages read (issue 12)

Revision ID: ab5081bd1adb
Revises: c4e5a1f0d2b3
Create Date: 2026-11-25 22:10:00

The rows are derived data, filled here from the lesson progress and the attempts with the same
definition as app.services.summaries (written out in SQL: a migration must not depend on app code
that changes later). `flask progress check` compares them with a recomputation at any time.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ab5081bd1adb"
down_revision = "c4e5a1f0d2b3"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO progress_summary (user_id, module_id, lessons_opened, lessons_done, attempts, best_score, passed)
SELECT parts.user_id, parts.module_id,
       COALESCE(SUM(parts.opened), 0), COALESCE(SUM(parts.done), 0), COALESCE(SUM(parts.attempts), 0),
       MAX(parts.best), COALESCE(MAX(parts.passed), 0) = 1
FROM (
    SELECT lp.user_id AS user_id, l.module_id AS module_id, COUNT(lp.id) AS opened,
           COUNT(lp.completed_at) AS done, 0 AS attempts, CAST(NULL AS FLOAT) AS best, 0 AS passed
    FROM lesson_progress lp JOIN lesson l ON l.id = lp.lesson_id
    WHERE l.active
    GROUP BY lp.user_id, l.module_id
    UNION ALL
    SELECT a.user_id, q.module_id, 0, 0, COUNT(a.id), MAX(a.score),
           MAX(CASE WHEN a.score IS NOT NULL AND a.score >= a.pass_mark THEN 1 ELSE 0 END)
    FROM quiz_attempt a JOIN quiz q ON q.id = a.quiz_id
    GROUP BY a.user_id, q.module_id
) AS parts
GROUP BY parts.user_id, parts.module_id
"""


TOTALS = """
SELECT l.module_id AS module_id, COUNT(l.id) AS total, COUNT(DISTINCT q.id) AS quizzes
FROM lesson l JOIN module m ON m.id = l.module_id LEFT JOIN quiz q ON q.module_id = m.id
WHERE l.active AND m.active
GROUP BY l.module_id
"""

ROLLUP = f"""
INSERT INTO training_summary (user_id, modules_started, modules_lessons_done, modules_passed, modules_completed,
                              best_sum, best_n, attempts)
SELECT s.user_id,
       SUM(CASE WHEN s.lessons_opened > 0 OR s.attempts > 0 THEN 1 ELSE 0 END),
       SUM(CASE WHEN s.lessons_done >= t.total THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.quizzes > 0 AND s.passed THEN 1 ELSE 0 END),
       SUM(CASE WHEN t.total > 0 AND s.lessons_done >= t.total AND ((t.quizzes > 0 AND s.passed) OR NOT t.quizzes > 0)
                THEN 1 ELSE 0 END),
       COALESCE(SUM(s.best_score), 0.0), COUNT(s.best_score), COALESCE(SUM(s.attempts), 0)
FROM progress_summary s JOIN ({TOTALS}) AS t ON t.module_id = s.module_id
GROUP BY s.user_id
"""


def upgrade():
    op.create_table(
        "progress_summary",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("lessons_opened", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lessons_done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("best_score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["module_id"], ["module.id"], name=op.f("fk_progress_summary_module_id_module")),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_progress_summary_user_id_user")),
        sa.PrimaryKeyConstraint("user_id", "module_id", name=op.f("pk_progress_summary")),
    )
    with op.batch_alter_table("progress_summary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_progress_summary_module_id"), ["module_id"], unique=False)
    op.create_table(
        "training_summary",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("modules_started", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("modules_lessons_done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("modules_passed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("modules_completed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("best_sum", sa.Float(), nullable=False, server_default="0"),
        sa.Column("best_n", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_training_summary_user_id_user")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_training_summary")),
    )
    op.execute(BACKFILL)
    op.execute(ROLLUP)


def downgrade():
    op.drop_table("training_summary")
    with op.batch_alter_table("progress_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_progress_summary_module_id"))
    op.drop_table("progress_summary")
