"""Domain rules as plain functions: content, grading, quizzes, progress."""
