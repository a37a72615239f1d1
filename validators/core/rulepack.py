"""Rule packs: per-atlas value rules written as YAML data, not code.

A pack names required fields, vocabularies, patterns, numeric ranges, "nan"-like strings, default values and
cross-field lookups. Fields are named by schema field name or original name, so one pack serves atlases whose
original names differ. A pack that does not load is a `RulePackError` naming the file and line.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class RulePackError(Exception):
    """The rule pack cannot be used (YAML syntax, unknown keys, missing vocabulary). A usage error."""


PACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "version": {"type": ["integer", "string"]},
        "required": {"type": "array", "items": {"type": "string"}},
        "user_fields": {"type": "array", "items": {"type": "string"}},
        "sample_required": {"type": "array", "items": {"type": "string"}},
        "nan_like": {"type": "array", "items": {"type": "string"}},
        "severities": {
            "type": "object",
            "propertyNames": {"pattern": "^OMX[0-9]{3}$"},
            "additionalProperties": {"enum": ["error", "warning", "info"]},
        },
        "vocabularies": {"type": "object", "additionalProperties": {"type": "string"}},
        "tables": {"type": "object", "additionalProperties": {"type": "string"}},
        "fields": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "vocabulary": {"type": "string"},
                    "vocabulary_severity": {"enum": ["error", "warning", "info"]},
                    "pattern": {"type": "string"},
                    "range": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "min": {"type": ["number", "string"]},
                            "max": {"type": ["number", "string"]},
                            "integer": {"type": "boolean"},
                        },
                    },
                    "allow": {"type": "array", "items": {"type": "string"}},
                    "defaults": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "consistency": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "sample_count": {"type": "string"},
                "cell_count": {"type": "string"},
                "data_type": {"type": "string"},
                "data_type_formats": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "cross_field": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "table", "key", "attribute", "field"],
                "properties": {
                    "name": {"type": "string"},
                    "table": {"type": "string"},
                    "key": {"type": "string"},
                    "attribute": {"type": "string"},
                    "field": {"type": "string"},
                    "severity": {"enum": ["error", "warning", "info"]},
                },
            },
        },
    },
}


def fold(text: str) -> str:
    """Case- and white-space-insensitive form used to suggest the right spelling of a vocabulary term."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Vocabulary:
    name: str
    terms: frozenset[str]
    folded: Mapping[str, str]

    @classmethod
    def from_terms(cls, name: str, terms: list[str]) -> Vocabulary:
        return cls(name, frozenset(terms), {fold(t): t for t in terms})


@dataclass(frozen=True)
class Table:
    """Facts keyed by a term (for example cell line → organism, disease); values may list several with `|`."""

    name: str
    rows: Mapping[str, Mapping[str, frozenset[str]]]


@dataclass(frozen=True)
class FieldRule:
    field: str
    vocabulary: str | None = None
    vocabulary_severity: str | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    allow: tuple[str, ...] = ()
    defaults: tuple[str, ...] = ()


@dataclass(frozen=True)
class CrossFieldRule:
    name: str
    table: str
    key: str
    attribute: str
    field: str
    severity: str | None = None


@dataclass(frozen=True)
class ConsistencyRules:
    """Metadata fields compared with facts from the data file: counts and the data type's accepted formats."""

    sample_count: str | None = None
    cell_count: str | None = None
    data_type: str | None = None
    data_type_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RulePack:
    name: str
    path: str
    required: tuple[str, ...] = ()
    user_fields: tuple[str, ...] = ()
    sample_required: tuple[str, ...] = ()
    nan_like: tuple[str, ...] = ()
    fields: tuple[FieldRule, ...] = ()
    cross_field: tuple[CrossFieldRule, ...] = ()
    vocabularies: Mapping[str, Vocabulary] = field(default_factory=dict)
    tables: Mapping[str, Table] = field(default_factory=dict)
    consistency: ConsistencyRules = field(default_factory=ConsistencyRules)
    # Rule code → severity, for rules whose default the atlas wants otherwise (OMX504 "undeclared contig" is a
    # warning, as the VCF specification only recommends ##contig lines; a strict atlas makes it an error).
    severities: Mapping[str, str] = field(default_factory=dict)


def _line_of(text: str, path: list[str | int]) -> int | None:
    """1-based line of the YAML node at `path`, for error messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for token in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == token), None)
            if match is None:
                return line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(token, int) and token < len(node.value):
            node = node.value[token]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _number(value: float | str | None, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if value == "current_year":
        return float(dt.date.today().year)
    raise RulePackError(f"{where}: {value!r} is not a number (or 'current_year')")


def _read_vocabulary(path: Path, name: str, pack: str) -> Vocabulary:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(f"{pack}: vocabulary {name!r} cannot be read from {path}: {exc}") from None
    return Vocabulary.from_terms(name, [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")])


def _read_table(path: Path, name: str, pack: str) -> Table:
    try:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(f"{pack}: table {name!r} cannot be read from {path}: {exc}") from None
    if not lines:
        raise RulePackError(f"{pack}: table {name!r} at {path} is empty")
    header = lines[0].split("\t")
    rows: dict[str, dict[str, frozenset[str]]] = {}
    for number, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise RulePackError(f"{path}:{number}: expected {len(header)} tab-separated columns, found {len(cells)}")
        rows[cells[0]] = {
            h: frozenset(c.strip() for c in v.split("|") if c.strip())
            for h, v in zip(header[1:], cells[1:], strict=True)
        }
    return Table(name, rows)


@dataclass(frozen=True)
class _PackSource:
    """The pack's file name and text, to point each error at its line."""

    where: str
    text: str

    def error(self, path: list[str | int], message: str) -> RulePackError:
        return RulePackError(f"{self.where}:{_line_of(self.text, path) or 1}: {message}")


def load_rule_pack(path: Path) -> RulePack:
    """Parse and check a pack; vocabulary and table paths are relative to the pack file."""
    source, raw = _read_pack(path)
    base = path.parent
    vocabularies = {n: _read_vocabulary(base / p, n, source.where) for n, p in (raw.get("vocabularies") or {}).items()}
    tables = {n: _read_table(base / p, n, source.where) for n, p in (raw.get("tables") or {}).items()}
    field_rules = [_field_rule(source, name, spec, vocabularies) for name, spec in (raw.get("fields") or {}).items()]
    cross = [_cross_field_rule(source, i, spec, tables) for i, spec in enumerate(raw.get("cross_field") or [])]
    return RulePack(
        consistency=_consistency_rules(raw.get("consistency") or {}),
        name=raw["name"],
        path=source.where,
        required=tuple(raw.get("required") or ()),
        user_fields=tuple(raw.get("user_fields") or ()),
        sample_required=tuple(raw.get("sample_required") or ()),
        nan_like=tuple(raw.get("nan_like") or ()),
        fields=tuple(field_rules),
        cross_field=tuple(cross),
        vocabularies=vocabularies,
        tables=tables,
        severities=dict(raw.get("severities") or {}),
    )


def _read_pack(path: Path) -> tuple[_PackSource, dict[str, Any]]:
    """The pack's YAML, read and checked against `PACK_SCHEMA`; the first problem found is the error."""
    import jsonschema_rs

    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(f"rule pack {where} cannot be read: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise RulePackError(f"{where}{at}: the rule pack is not valid YAML: {problem}") from None
    source = _PackSource(where, text)
    errors = sorted(
        jsonschema_rs.validator_for(PACK_SCHEMA).iter_errors(raw), key=lambda e: list(map(str, e.instance_path))
    )
    if errors:
        error_path = list(errors[0].instance_path)
        key_path = ".".join(str(p) for p in error_path) or "top level"
        raise source.error(error_path, f"{key_path}: {errors[0].message}")
    return source, raw


def _field_rule(
    source: _PackSource, name: str, spec: dict[str, Any], vocabularies: Mapping[str, Vocabulary]
) -> FieldRule:
    rng = spec.get("range") or {}
    vocab = spec.get("vocabulary")
    if vocab is not None and vocab not in vocabularies:
        raise source.error(["fields", name, "vocabulary"], f"fields.{name}: unknown vocabulary {vocab!r}")
    pattern = spec.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            message = f"fields.{name}.pattern: invalid regular expression: {exc}"
            raise source.error(["fields", name, "pattern"], message) from None
    return FieldRule(
        field=name,
        vocabulary=vocab,
        vocabulary_severity=spec.get("vocabulary_severity"),
        pattern=pattern,
        minimum=_number(rng.get("min"), f"{source.where}: fields.{name}.range.min"),
        maximum=_number(rng.get("max"), f"{source.where}: fields.{name}.range.max"),
        integer=bool(rng.get("integer", False)),
        allow=tuple(spec.get("allow") or ()),
        defaults=tuple(spec.get("defaults") or ()),
    )


def _cross_field_rule(
    source: _PackSource, index: int, spec: dict[str, Any], tables: Mapping[str, Table]
) -> CrossFieldRule:
    if spec["table"] not in tables:
        raise source.error(["cross_field", index, "table"], f"cross_field[{index}]: unknown table {spec['table']!r}")
    return CrossFieldRule(**spec)


def _consistency_rules(rules: dict[str, Any]) -> ConsistencyRules:
    return ConsistencyRules(
        sample_count=rules.get("sample_count"),
        cell_count=rules.get("cell_count"),
        data_type=rules.get("data_type"),
        data_type_formats={k: tuple(v) for k, v in (rules.get("data_type_formats") or {}).items()},
    )
