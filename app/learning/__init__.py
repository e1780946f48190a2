"""Training: module catalogue, lessons, quizzes and the learner's own progress."""

from flask import Blueprint

bp = Blueprint("learning", __name__)

from app.learning import routes  # noqa: E402,F401
from app.learning import workbook  # noqa: E402,F401
