"""All models, importable from one place."""

from app.models.certification import Certificate, StatusList  # noqa: F401
from app.models.learning import (  # noqa: F401
    AttemptQuestion,
    Choice,
    ContentSync,
    ContentVersion,
    ExtraAttempt,
    Lesson,
    LessonProgress,
    Module,
    ProgressSummary,
    Question,
    Quiz,
    QuizAttempt,
    TrainingSummary,
    WorkbookEntry,
)
from app.models.municipal import (  # noqa: F401
    ActionNote,
    Application,
    Cycle,
    Diagnostic,
    DiagnosticAnswer,
    DiagnosticDimension,
    DiagnosticIndicator,
    DiagnosticTool,
    MunicipalCycle,
    PlanAction,
    Priority,
    ReviewEvent,
    WorkPlan,
    Workshop,
    WorkshopAttendee,
)
from app.models.stages import Stage, StageAward, StageLogEntry  # noqa: F401
from app.models.people import AccountToken, Area, AuditEvent, Municipality, User, coordinator_municipality  # noqa: F401
from app.models.types import utcnow  # noqa: F401
