"""What every content loader shares: the report, YAML with line numbers, field checks, Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markdown
import nh3
import yaml

from app.extensions import db

LANGUAGES = ("es", "en", "pt")
SOURCE = "es"
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Control characters PostgreSQL refuses (NUL) or that break exports and pages; tab and newlines are fine.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ALLOWED_TAGS = {
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "abbr",
    "sup",
    "sub",
}


# --------------------------------------------------------------------------- report


@dataclass
class Issue:
    """One problem found in content, located by file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Report:
    """Errors (content cannot be loaded) and warnings (missing translations)."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def error(self, file: str, line: int, message: str) -> None:
        """Record an error."""
        self.errors.append(Issue(file, line, message))

    def warn(self, file: str, line: int, message: str) -> None:
        """Record a warning."""
        self.warnings.append(Issue(file, line, message))


# --------------------------------------------------------------------------- YAML with line numbers


class LineDict(dict):
    """A mapping that remembers the line of itself and of each of its keys (1-based)."""

    line = 1
    key_lines: dict


class LineLoader(yaml.SafeLoader):
    """A safe YAML loader whose mappings are LineDicts; it notes keys repeated in one mapping."""

    def __init__(self, stream):
        super().__init__(stream)
        self.repeated_keys: list[tuple[Any, int, int]] = []  # (key, line of the repeat, line of the first)


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in mapping.key_lines:
            # PyYAML would silently keep the last value (a second `answer:` flips a correct answer).
            loader.repeated_keys.append((key, line, mapping.key_lines[key]))
            continue
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, rel: str, report: Report, line_offset: int = 0) -> Any:
    """Parse YAML text with line numbers; report syntax errors and repeated keys (None on syntax errors)."""
    loader = LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + line_offset if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        report.error(rel, line, f"invalid YAML: {problem}")
        return None
    finally:
        loader.dispose()
    for key, line, first in loader.repeated_keys:
        report.error(
            rel,
            line + line_offset,
            f"key '{key}' is repeated in the same mapping (first at line {first + line_offset}); keep one",
        )
    return data


def line_of(mapping: Any, key: str | None = None) -> int:
    if isinstance(mapping, LineDict):
        if key is not None and key in mapping.key_lines:
            return mapping.key_lines[key]
        return mapping.line
    return 1


def read_yaml(path: Path, rel: str, report: Report) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        report.error(rel, 1, "file not found")
        return None
    except UnicodeDecodeError as exc:
        report.error(rel, 1, f"not valid UTF-8 ({exc.reason})")
        return None
    return parse_yaml(text, rel, report)


# --------------------------------------------------------------------------- field checks


class Checker:
    """Validation helpers bound to one file."""

    def __init__(self, report: Report, rel: str):
        self.report = report
        self.rel = rel

    def text(self, mapping: Any, key: str, required: bool = True) -> dict | None:
        """A translated text field: a string (Spanish) or a {lang: text} mapping with Spanish."""
        line = line_of(mapping, key)
        value = mapping.get(key) if isinstance(mapping, dict) else None
        if value is None or value == "":
            if required:
                self.report.error(self.rel, line, f"'{key}' is required")
            return None
        if isinstance(value, str):
            value = {SOURCE: value}
        if not isinstance(value, dict):
            self.report.error(self.rel, line, f"'{key}' must be a text or a mapping of language to text")
            return None
        out = {}
        for lang, text in value.items():
            if lang not in LANGUAGES:
                self.report.error(
                    self.rel,
                    (line_of(value, lang) if isinstance(value, LineDict) else line),
                    f"'{key}': unknown language '{lang}'",
                )
            elif isinstance(text, (bool, int, float)):
                self.report.error(
                    self.rel,
                    (line_of(value, lang) if isinstance(value, LineDict) else line),
                    f"'{key}.{lang}' was read as {text!r}, not as text: put it in quotes",
                )
            elif not isinstance(text, str) or not text.strip():
                self.report.error(
                    self.rel,
                    (line_of(value, lang) if isinstance(value, LineDict) else line),
                    f"'{key}.{lang}' must be a non-empty text",
                )
            elif CONTROL_RE.search(text):
                self.report.error(
                    self.rel,
                    (line_of(value, lang) if isinstance(value, LineDict) else line),
                    f"'{key}.{lang}' contains a control character",
                )
            else:
                out[lang] = text.strip()
        if SOURCE not in out:
            if SOURCE not in value:
                self.report.error(self.rel, line, f"'{key}' has no Spanish ('es') text")
            return None
        for lang in LANGUAGES:
            if lang not in out and lang not in value:
                self.report.warn(self.rel, line, f"'{key}' has no '{lang}' translation")
        return out

    def key(self, mapping: Any, name: str = "key", max_len: int = 80) -> str | None:
        """A stable identifier: lowercase letters, digits and hyphens, at most `max_len` characters
        (the length of the database column that stores it)."""
        value = mapping.get(name) if isinstance(mapping, dict) else None
        if not isinstance(value, str) or not KEY_RE.match(value):
            self.report.error(
                self.rel,
                line_of(mapping, name),
                f"'{name}' is required: lowercase letters, digits and hyphens (got {value!r})",
            )
            return None
        if len(value) > max_len:
            self.report.error(
                self.rel,
                line_of(mapping, name),
                f"'{name}' is {len(value)} characters long; at most {max_len} are stored",
            )
            return None
        return value

    def integer(
        self, mapping: Any, name: str, default: int | None, low: int, high: int, allow_null: bool = False
    ) -> int | None:
        """An integer within [low, high]; `default` when absent."""
        if name not in mapping:
            if default is None and not allow_null:
                self.report.error(self.rel, line_of(mapping), f"'{name}' is required")
            return default
        value = mapping[name]
        if value is None and allow_null:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.report.error(self.rel, line_of(mapping, name), f"'{name}' must be a whole number from {low} to {high}")
            return default
        return value

    def string(self, mapping: Any, name: str, max_len: int = 200) -> str | None:
        """A plain (untranslated) non-empty string."""
        value = mapping.get(name) if isinstance(mapping, dict) else None
        if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_len or CONTROL_RE.search(value):
            self.report.error(self.rel, line_of(mapping, name), f"'{name}' must be a text of 1 to {max_len} characters")
            return None
        return value.strip()

    def items(self, mapping: Any, name: str) -> list:
        """A required non-empty list."""
        value = mapping.get(name) if isinstance(mapping, dict) else None
        if not isinstance(value, list) or not value:
            self.report.error(self.rel, line_of(mapping, name), f"'{name}' must be a non-empty list")
            return []
        return value


def render_markdown(text: str) -> str:
    """Render lesson Markdown to sanitised HTML (raw HTML is stripped)."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists", "smarty"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def rel_path(root: Path, path: Path) -> str:
    """A path as shown in reports: relative to the folder above content/."""
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- sync helpers


@dataclass
class SyncResult:
    """What a sync changed, by kind of object."""

    created: dict = field(default_factory=dict)
    updated: dict = field(default_factory=dict)
    retired: dict = field(default_factory=dict)

    def count(self, what: str, kind: str) -> None:
        """Count one change of a kind of object."""
        bucket = getattr(self, what)
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired)

    def summary(self) -> str:
        """A one-line human summary."""
        if not self.changed:
            return "no changes"
        parts = []
        for what in ("created", "updated", "retired"):
            bucket = getattr(self, what)
            if bucket:
                parts.append(what + " " + ", ".join(f"{n} {k}" for k, n in sorted(bucket.items())))
        return "; ".join(parts)


def assign(obj: Any, values: dict) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def upsert(existing: dict, key: Any, factory, values: dict, kind: str, result: SyncResult):
    """Update the object under key, or create it; count what happened."""
    obj = existing.get(key)
    if obj is None:
        obj = factory(**values)
        db.session.add(obj)
        existing[key] = obj
        result.count("created", kind)
    elif assign(obj, values):
        result.count("updated", kind)
    return obj


def retire(objects, keep: set, kind: str, result: SyncResult) -> None:
    for obj in objects:
        if obj.id not in keep and obj.active:
            obj.active = False
            result.count("retired", kind)


def read_optional_mapping(root: Path, name: str, report: Report, expected: str) -> tuple[dict, str] | None:
    """An optional top-level content file that must hold a mapping: (data, its path as reported), or None
    when the file is absent or unreadable (the errors are in the report)."""
    path = root / name
    if not path.exists():
        return None
    rel = rel_path(root, path)
    data = read_yaml(path, rel, report)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.error(rel, 1, f"expected a mapping with {expected}")
        return None
    return data, rel
