"""Template conformance (OMX103-OMX110): keys and types against the template, compiled once to a JSON Schema.

The compiled schema is strict enough to be an accept test: a document it accepts has no conformance finding. Only
documents it rejects are diagnosed, key by key, with the compiled validator's error details and a precise fix hint.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from validators.core.capped import CappedFindings
from validators.core.jsonread import json_kind, pointer
from validators.core.model import Finding, Location, Rule, Severity, replace_edit
from validators.core.rulepack import RulePack, placeholder
from validators.core.template import DEFAULT_INDEX, INDEX_KEY, JSON_TYPES, Field, Template
from validators.metadata.index_block import INDEX_SCHEMA, MISSING_INDEX, translate_index_error
from validators.metadata.schema_errors import is_json_type, schema_errors

MISSING_FIELD = Rule(
    "OMX103",
    "missing-required-field",
    Severity.ERROR,
    "Required field missing",
    "required field {key!r} is missing",
    "The rule pack marks this field as required for the atlas (the template itself does not say which fields are "
    'required; server-managed fields never are). Add it, with "None" where it does not apply.',
    bad='{"dataset_id": "GSE1_GPL1"}',
    good='{"dataset_id": "GSE1_GPL1", "description": "..."}',
)
UNKNOWN_FIELD = Rule(
    "OMX104",
    "unknown-field",
    Severity.ERROR,
    "Key not in the template",
    "{key!r} is not a field of the template{suggestion}",
    "Keys must be the template's original names. An unknown key is usually a typo, and the atlas would either "
    "reject it or index it as a new, empty column.",
    bad='"organsim": ["Homo sapiens"]',
    good='"organism": ["Homo sapiens"]',
)
FIELD_NAME_USED = Rule(
    "OMX105",
    "field-name-instead-of-original-name",
    Severity.ERROR,
    "Schema field name used instead of its original name",
    "{key!r} is the schema's field name; metadata files use its original name {original!r}",
    "Polly schemas give each field a `field_name` (the column) and an `original_name` (the key written in files). "
    "Files must use the original name.",
    bad='"curated_organism": ["Homo sapiens"]',
    good='"organism": ["Homo sapiens"]',
    autofix="renames the key to the field's original name, where that name is not in the file already",
)
WRONG_TYPE = Rule(
    "OMX106",
    "wrong-type",
    Severity.ERROR,
    "Value of the wrong type",
    "{value} is {found}, expected {expected}",
    "The template fixes each field's type (text, integer, float, boolean, object). A number written as a string, "
    "or the reverse, fails ingestion or lands in the wrong column type.",
    bad='"total_num_samples": "380"',
    good='"total_num_samples": 380',
    autofix='rewrites the value into the expected type only when nothing is lost: "380" → 380 (not "0380" or '
    '"3.8e2"), 9606 → "9606", "true" → true',
)
ARRAY_EXPECTED = Rule(
    "OMX107",
    "array-expected",
    Severity.ERROR,
    "Single value where the template expects an array",
    "{key!r} must be an array, found {found}",
    "The template marks this field `is_array`; even a single value goes in a one-element array.",
    bad='"organism": "Homo sapiens"',
    good='"organism": ["Homo sapiens"]',
    autofix="wraps the single value in an array",
)
SCALAR_EXPECTED = Rule(
    "OMX108",
    "scalar-expected",
    Severity.ERROR,
    "Array where the template expects a single value",
    "{key!r} takes a single {expected}, found an array",
    "The template does not mark this field `is_array`, so it holds one value.",
    bad='"dataset_source": ["GEO"]',
    good='"dataset_source": "GEO"',
)
EMPTY_ARRAY = Rule(
    "OMX109",
    "empty-array",
    Severity.ERROR,
    "Empty array",
    "{key!r} is an empty array",
    'An empty array leaves the dataset out of every filter on this field. Write ["None"] when nothing applies.',
    bad='"kw_drug": []',
    good='"kw_drug": ["None"]',
)
SYSTEM_FIELD_SET = Rule(
    "OMX110",
    "system-field-set",
    Severity.WARNING,
    "Server-managed field written in the file",
    "{key!r} is managed by the atlas server; the value in the file is ignored or overwritten",
    "The server fills fields such as `src_uri`, `timestamp_`, `version` and `is_current` itself (and any field the "
    "schema marks `is_reserved`). Remove them from metadata files.",
    bad='"kw_timestamp_": "2023-01-01"',
    good="(leave it out)",
    autofix="removes the server-managed field",
)

RULES = (
    MISSING_FIELD,
    UNKNOWN_FIELD,
    FIELD_NAME_USED,
    WRONG_TYPE,
    ARRAY_EXPECTED,
    SCALAR_EXPECTED,
    EMPTY_ARRAY,
    SYSTEM_FIELD_SET,
)

# Identity (OMX115) reports a missing dataset_id; required-field findings leave it to that check. It is always
# written by curators, even where a schema marks it reserved.
IDENTITY_FIELD = "dataset_id"

_JSON_KIND_TO_TYPE = {v: k for k, v in JSON_TYPES.items()}


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def type_fix(value: Any, expected: str, missing: str | None = "None") -> str | None:
    """A concrete rewrite for the common mix-ups: "380" → 380, 380 → "380", "true" → true, null → the field's
    placeholder for "does not apply" (`missing`; None when no placeholder passes the field's rules)."""
    if expected in ("integer", "number") and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        if expected == "integer" and not number.is_integer():
            return None
        return f"write {int(number) if expected == 'integer' else number}"
    if expected == "integer" and isinstance(value, float) and value.is_integer():
        return f"write {int(value)}"
    if expected == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return f'write "{value}"'
    if expected == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return f"write {value.strip().lower()}"
    if expected == "string" and value is None and missing is not None:
        return f"write {json.dumps(missing, ensure_ascii=False)} for a value that does not apply"
    return None


_INTEGER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def lossless_rewrite(value: Any, expected: str) -> tuple[bool, Any]:
    """(True, the value in the expected JSON type) when the rewrite loses nothing: "380" → 380 (not "0380",
    "3.8e2" for an integer, or " 380 "), 380 → "380", "true" → true; (False, None) otherwise."""
    if isinstance(value, str) and len(value) <= 18 and expected == "integer" and _INTEGER_TEXT.fullmatch(value):
        return True, int(value)
    if isinstance(value, str) and len(value) <= 40 and expected == "number" and _NUMBER_TEXT.fullmatch(value):
        number = float(value)
        exact = math.isfinite(number) and Decimal(value).normalize() == Decimal(repr(number)).normalize()
        return (True, number) if exact else (False, None)
    if expected == "string" and isinstance(value, int) and not isinstance(value, bool):
        return True, str(value)
    if expected == "boolean" and value in ("true", "false"):
        return True, value == "true"
    return False, None


@dataclass(frozen=True)
class CompiledTemplate:
    """The template plus the pack's required/user fields, compiled once per run."""

    template: Template
    allowed: dict[str, Field]
    required: tuple[str, ...]
    schema: dict[str, Any]
    # Original name → what to write when the field does not apply (None: nothing passes but a real value).
    placeholders: dict[str, str | None]

    @classmethod
    def build(cls, template: Template, pack: RulePack | None) -> CompiledTemplate:
        user_fields = {IDENTITY_FIELD, *(pack.user_fields if pack else ())}
        allowed = {
            f.original_name: f
            for f in template.fields
            if not f.is_system or f.name in user_fields or f.original_name in user_fields
        }
        required = []
        for name in pack.required if pack else ():
            field = template.lookup(name)
            if field is not None and field.original_name in allowed and field.original_name != IDENTITY_FIELD:
                required.append(field.original_name)
        properties: dict[str, Any] = {key: field.json_schema() for key, field in allowed.items()}
        properties[INDEX_KEY] = INDEX_SCHEMA
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": properties,
            "required": [*required, INDEX_KEY],
            "additionalProperties": False,
        }
        rules = {r.field: r for r in (pack.fields if pack else ())}
        placeholders = {
            key: placeholder(rules.get(field.name) or rules.get(field.original_name)) for key, field in allowed.items()
        }
        return cls(template, allowed, tuple(required), schema, placeholders)

    @cached_property
    def detailed_validator(self) -> Any:
        """The compiled (Rust) validator whose errors diagnosis translates; only documents that fail the accept
        test need it."""
        import jsonschema_rs

        return jsonschema_rs.validator_for(self.schema)

    def diagnose(
        self, doc: dict[str, Any], display: str, locate: Callable[..., Location], out: CappedFindings | None = None
    ) -> list[Finding]:
        """Every conformance finding for a document the compiled schema rejected. Long arrays are screened here
        rather than by jsonschema (see `_screen_items`); with `out`, their findings go straight there."""
        findings = self.check_keys(doc, display, locate, out)
        long_arrays = [
            key
            for key, value in doc.items()
            if isinstance(value, list)
            and len(value) > _LONG_ARRAY
            and key in self.allowed
            and self.allowed[key].is_array
        ]
        rest = {k: v for k, v in doc.items() if k not in long_arrays} if long_arrays else doc  # root errors: unused
        for keyword, path, instance, schema in schema_errors(self.detailed_validator, self.schema, rest):
            if not path:
                continue  # required / additionalProperties at the root: covered by _check_keys
            if path[0] == INDEX_KEY:
                findings += translate_index_error(keyword, path, instance, schema, display, locate, _show(instance))
                continue
            where = locate(pointer(*path))
            findings += self._translate(keyword, path, instance, schema, display, where)
        for key in long_arrays:
            findings += self._screen_items(key, doc[key], display, locate, out)
        return findings

    def _screen_items(
        self, key: str, items: list[Any], display: str, locate: Callable[..., Location], out: CappedFindings | None
    ) -> list[Finding]:
        """What jsonschema reports on a long array of a field the template types: one `type` error per item of
        the wrong type (a long array is never empty), tested by JSON Schema's own `type` rule. Each error cost
        jsonschema some 35 us, so 1.5 million wrong items took over a minute; past `out`'s cap an item is only
        counted."""
        schema = self.allowed[key].json_schema()["items"]
        wanted = schema["type"]
        findings: list[Finding] = []
        for index, item in enumerate(items):
            if is_json_type(item, wanted) or (out is not None and out.count_only(WRONG_TYPE.code)):
                continue
            for finding in self._translate("type", [key, index], item, schema, display, locate(pointer(key, index))):
                if out is not None:
                    out.add(finding)
                else:
                    findings.append(finding)
        return findings

    def _example(self, key: str, type_: str) -> Any:
        """A value to add for a missing field: its placeholder for text (or "..." when none passes)."""
        if type_ == "text":
            return self.placeholders.get(key, "None") or "..."
        return _EXAMPLES[type_]

    def check_keys(
        self, doc: dict[str, Any], display: str, locate: Callable[..., Location], out: CappedFindings | None = None
    ) -> list[Finding]:
        """Missing required fields and __index__, and keys the template does not allow (server-managed, written by
        field name, unknown): every finding at the document's root. With `out`, an unknown key past its cap is
        only counted (its spelling suggestion is a fuzzy search), and the findings go there instead."""
        findings: list[Finding] = []
        add = out.add if out is not None else findings.append  # at once: the cap must see each as it is made
        for key in self.required:
            if key not in doc:
                wanted = self.allowed[key]
                example = "[...]" if wanted.is_array else _show(self._example(key, wanted.type))
                add(MISSING_FIELD.finding(display, Location(), key=key, fix=f'add "{key}": {example}'))
        if INDEX_KEY not in doc:
            edits = ({"op": "add", "path": pointer(INDEX_KEY), "value": dict(DEFAULT_INDEX)},)
            fix = "add the default __index__ block"
            add(MISSING_INDEX.finding(display, Location(), fix=fix, edits=edits))
        by_name = self.template.by_name
        by_original = self.template.by_original_name
        for key in doc:
            if key in self.allowed or key == INDEX_KEY:
                continue
            known = by_original.get(key) or by_name.get(key)
            if known is None and out is not None and out.count_only(UNKNOWN_FIELD.code):
                continue  # past the cap: neither located nor given a suggestion
            where = locate(pointer(key), key=True)
            if known is not None and known.is_system and known.original_name not in self.allowed:
                drop = ({"op": "remove", "path": pointer(key)},)
                add(SYSTEM_FIELD_SET.finding(display, where, key=key, fix=f'remove "{key}"', edits=drop))
            elif known is not None:
                add(
                    FIELD_NAME_USED.finding(
                        display,
                        where,
                        key=key,
                        original=known.original_name,
                        fix=f'rename to "{known.original_name}"',
                        edits=()
                        if known.original_name in doc
                        else ({"op": "move", "from": pointer(key), "path": pointer(known.original_name)},),
                    )
                )
            else:
                add(self._unknown(key, display, where))
        return findings

    def _unknown(self, key: str, display: str, where: Location) -> Finding:
        candidates = list(self.allowed)
        folded = {c.casefold(): c for c in candidates}
        match = folded.get(key.strip().casefold())
        close = [match] if match else difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
        suggestion = f"; did you mean {close[0]!r}?" if close else ""
        fix = f'rename to "{close[0]}"' if close else "remove it, or ask the atlas owner to add the field"
        return UNKNOWN_FIELD.finding(display, where, key=key, suggestion=suggestion, fix=fix)

    def _translate(
        self,
        validator: str,
        path: list[str | int],
        instance: Any,
        schema: dict[str, Any],
        display: str,
        where: Location,
    ) -> list[Finding]:
        key = str(path[0])
        expected = schema.get("type")
        if validator == "minItems":
            missing = self.placeholders.get(key, "None")
            fix = f"write [{json.dumps(missing, ensure_ascii=False)}] when nothing applies" if missing else None
            return [EMPTY_ARRAY.finding(display, where, key=key, fix=fix)]
        if validator == "type" and expected == "array":
            wrap = not isinstance(instance, dict)
            fix = f"write [{_show(instance)}]" if wrap else None
            edits = replace_edit(where.pointer, [instance]) if wrap else ()
            return [ARRAY_EXPECTED.finding(display, where, key=key, found=json_kind(instance), fix=fix, edits=edits)]
        if validator == "type" and isinstance(instance, list) and len(path) == 1:
            kind = _JSON_KIND_TO_TYPE.get(str(expected), str(expected))
            fix = f"write {_show(instance[0])}" if len(instance) == 1 else "keep one value"
            return [SCALAR_EXPECTED.finding(display, where, key=key, expected=kind, fix=fix)]
        expected_text = f"{_JSON_KIND_TO_TYPE.get(str(expected), expected)} ({expected})"
        lossless, rewritten = lossless_rewrite(instance, str(expected))
        return [
            WRONG_TYPE.finding(
                display,
                where,
                value=_show(instance),
                found=json_kind(instance),
                expected=expected_text,
                fix=type_fix(instance, str(expected), self.placeholders.get(key, "None")),
                edits=replace_edit(where.pointer, rewritten) if lossless else (),
            )
        ]


_LONG_ARRAY = 1000  # longer arrays have their item types screened in Python (`CompiledTemplate._screen_items`)

_EXAMPLES: dict[str, Any] = {"integer": 0, "float": 0.0, "boolean": False, "object": {}}
