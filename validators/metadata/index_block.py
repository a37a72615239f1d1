"""The `__index__` block: indexing flags and the per-level `validation_check` settings the gate honours.

Its shape is a JSON Schema fragment merged into the compiled template schema; this module turns that fragment's
validation errors into precise findings (OMX111-OMX114, OMX119).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from validators.core.jsonread import pointer
from validators.core.model import Finding, Location, Rule, Severity

INDEX_FLAGS = ("file_metadata", "col_metadata", "row_metadata", "data_required")
CHECK_LEVELS = ("dataset", "sample")
SCOPES = ("basic", "advanced")

_CHECK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "validate": {"type": "boolean"},
        "scope": {"enum": list(SCOPES)},
        "force_ingest": {"type": "boolean"},
    },
    "additionalProperties": False,
}
INDEX_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        **{flag: {"type": "boolean"} for flag in INDEX_FLAGS},
        "validation_check": {
            "type": "object",
            "properties": {level: _CHECK_SCHEMA for level in CHECK_LEVELS},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
DEFAULT_VALIDATION_CHECK = {"validate": True, "scope": "advanced", "force_ingest": False}

MISSING_INDEX = Rule(
    "OMX111",
    "missing-index",
    Severity.WARNING,
    "No __index__ block",
    "the file has no __index__ block; ingestion falls back to default indexing and validation settings",
    "`__index__` tells the atlas what to index (file, column, row metadata, data) and tells the gate how to "
    "validate the dataset. Without it the defaults apply, which may not be what the curator meant.",
    bad='{"dataset_id": "GSE1_GPL1", ...}',
    good='{"dataset_id": "GSE1_GPL1", ..., "__index__": {"file_metadata": true, "col_metadata": true, '
    '"row_metadata": false, "data_required": false}}',
    autofix="adds the atlas's default `__index__` block as the last member",
)
INDEX_NOT_BOOLEAN = Rule(
    "OMX112",
    "index-invalid",
    Severity.ERROR,
    "__index__ is malformed",
    "{what} must be {expected}, found {found}",
    "`__index__` is an object whose indexing flags (`file_metadata`, `col_metadata`, `row_metadata`, "
    '`data_required`) are JSON booleans. The string "true" is not a boolean.',
    bad='"__index__": {"file_metadata": "true"}',
    good='"__index__": {"file_metadata": true}',
)
VALIDATION_CHECK_INVALID = Rule(
    "OMX113",
    "validation-check-invalid",
    Severity.ERROR,
    "__index__.validation_check is malformed",
    "{what} must be {expected}, found {found}",
    "`validation_check` holds `dataset` and `sample` objects, each with booleans `validate` and `force_ingest` "
    "and a `scope`. The gate reads them to decide whether and how to validate a dataset.",
    bad='"validation_check": {"dataset": {"validate": "yes"}}',
    good='"validation_check": {"dataset": {"validate": true, "scope": "advanced", "force_ingest": false}}',
)
INVALID_SCOPE = Rule(
    "OMX114",
    "invalid-validation-scope",
    Severity.ERROR,
    "validation_check scope is not basic or advanced",
    'scope must be "basic" or "advanced", found {found}',
    "`basic` checks structure and types only; `advanced` adds value rules (vocabularies, ranges, defaults).",
    bad='"scope": "full"',
    good='"scope": "advanced"',
)
UNKNOWN_INDEX_KEY = Rule(
    "OMX119",
    "unknown-index-key",
    Severity.WARNING,
    "Unknown key in __index__",
    "{key!r} is not a known key of {where}",
    "Unknown keys in `__index__` are ignored by ingestion, so a misspelt flag silently keeps its default.",
    bad='"__index__": {"file_metdata": true}',
    good='"__index__": {"file_metadata": true}',
)

RULES = (MISSING_INDEX, INDEX_NOT_BOOLEAN, VALIDATION_CHECK_INVALID, INVALID_SCOPE, UNKNOWN_INDEX_KEY)


def _describe(path: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in path)


def translate_index_error(
    validator: str,
    path: Sequence[str | int],
    instance: Any,
    schema: dict[str, Any],
    display: str,
    locate: Callable[..., Location],
    shown: str,
) -> list[Finding]:
    """Findings for one jsonschema error whose path starts at `__index__`; `shown` is the value as JSON text."""
    what = _describe(path)
    where = locate(pointer(*path))
    if validator == "additionalProperties" and isinstance(instance, dict):
        allowed = set(schema.get("properties", {}))
        return [
            UNKNOWN_INDEX_KEY.finding(display, locate(pointer(*path, k), key=True), key=k, where=what)
            for k in instance
            if k not in allowed
        ]
    in_check = len(path) > 1 and path[1] == "validation_check"
    if validator == "enum":
        return [INVALID_SCOPE.finding(display, where, found=shown, fix='write "basic" or "advanced"')]
    expected = f"a JSON {schema.get('type', 'value')}"
    fix = None
    if schema.get("type") == "boolean" and isinstance(instance, str) and instance.lower() in ("true", "false"):
        fix = f"write {instance.lower()}"
    rule = VALIDATION_CHECK_INVALID if in_check else INDEX_NOT_BOOLEAN
    return [rule.finding(display, where, what=what, expected=expected, found=shown, fix=fix)]


def validation_check(doc: dict[str, Any], level: str = "dataset") -> dict[str, Any]:
    """The effective settings for a level: the file's well-typed values over the defaults."""
    settings = dict(DEFAULT_VALIDATION_CHECK)
    index = doc.get("__index__")
    block = index.get("validation_check") if isinstance(index, dict) else None
    given = block.get(level) if isinstance(block, dict) else None
    if isinstance(given, dict):
        for key, default in DEFAULT_VALIDATION_CHECK.items():
            value = given.get(key)
            if isinstance(value, type(default)) and (key != "scope" or value in SCOPES):
                settings[key] = value
    return settings
