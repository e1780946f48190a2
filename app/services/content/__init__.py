"""The content loader: content/ (YAML + Markdown, es/en/pt) checked and synced into the database.

One module per kind of content (`modules`: areas, municipalities, training modules); `common` holds
the report, the YAML reader with line numbers and the field checks they share.
"""
from app.services.content.common import Issue, Report, render_markdown  # noqa: F401
from app.services.content.modules import (  # noqa: F401
    ContentBundle,
    ModuleData,
    SyncResult,
    load_content,
    sync_content,
)
