"""All models, importable from one place."""
from app.models.learning import (  # noqa: F401
    AttemptQuestion,
    Choice,
    ContentSync,
    Lesson,
    LessonProgress,
    Module,
    Question,
    Quiz,
    QuizAttempt,
)
from app.models.people import AccountToken, Area, AuditEvent, Municipality, User, coordinator_municipality  # noqa: F401
from app.models.types import utcnow  # noqa: F401
