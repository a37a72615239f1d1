"""Rule packs: per-atlas value rules written as YAML data, not code.

A pack names required fields, vocabularies, patterns, numeric ranges, "nan"-like strings, default values and
cross-field lookups. Fields are named by schema field name or original name, so one pack serves atlases whose
original names differ. A pack that does not load is a `RulePackError` naming the file and line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validators.core.rulepack_schema import PACK_SCHEMA

# libyaml's safe loader when PyYAML was built with it: the same documents, about ten times faster to read.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RulePackError(Exception):
    """The rule pack cannot be used (YAML syntax, unknown keys, missing vocabulary). A usage error."""


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
    vocabularies: tuple[str, ...] = ()  # the pack's own lists, names into RulePack.vocabularies
    ontology: str | None = None  # an offline ontology the values are checked against, beside the lists
    under: tuple[str, ...] = ()  # term ids: values must be one of them or below one of them
    # Match kind (see rulepack_schema.MATCH_KINDS) → severity, or "accept" for no finding. The pack file's
    # `vocabulary_severity` is read as `match.unknown`.
    match: Mapping[str, str] = dataclasses.field(default_factory=dict)
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


def placeholder(rule: FieldRule | None) -> str | None:
    """What to write when a field does not apply, such that it passes the field's rules: its first default; none
    at all for a vocabulary field without defaults ("None" is no data type); Polly's "None" for any other field."""
    if rule is not None and rule.defaults:
        return rule.defaults[0]
    if rule is not None and (rule.vocabularies or rule.ontology):
        return None
    return "None"


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
    """Parse and check a pack (and the pack it extends); vocabulary and table paths are relative to the pack file
    that names them."""
    source, raw = _resolved_pack(path, ())
    vocabularies = {n: _read_vocabulary(Path(p), n, source.where) for n, p in (raw.get("vocabularies") or {}).items()}
    tables = {n: _read_table(Path(p), n, source.where) for n, p in (raw.get("tables") or {}).items()}
    field_rules = [
        _field_rule(source, name, spec, vocabularies) for name, spec in (raw.get("fields") or {}).items() if spec
    ]
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


# Keys whose mappings a pack that extends another merges into its base's (by key); any other key replaces.
_MERGED = ("vocabularies", "tables", "severities", "consistency")


def _resolved_pack(path: Path, seen: tuple[Path, ...]) -> tuple[_PackSource, dict[str, Any]]:
    """The pack's checked YAML with file paths made absolute, merged over the pack it `extends`."""
    source, raw = _read_pack(path)
    for key in ("vocabularies", "tables"):
        if raw.get(key):
            raw[key] = {n: str(path.parent / p) for n, p in raw[key].items()}
    base_name = raw.pop("extends", None)
    if base_name is None:
        return source, raw
    base_path = _base_pack_path(source, base_name, path)
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise source.error(["extends"], f"extends: {base_name!r} extends this pack again (a cycle)")
    _, base = _resolved_pack(base_path, (*seen, path.resolve()))
    merged = {**base, **raw}
    for key in _MERGED:
        if key in base and key in raw:
            merged[key] = {**base[key], **raw[key]}
    if "fields" in raw:
        fields = dict(base.get("fields") or {})
        for name, spec in (raw["fields"] or {}).items():
            fields[name] = None if spec is None else _merged_field(fields.get(name) or {}, spec)
        merged["fields"] = fields
    return source, merged


def _merged_field(base: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """A field rule overridden key by key; `match` severities merge too, and a new `vocabulary_severity` is the
    unknown-term severity whatever the base said."""
    merged = {**base, **spec}
    match = {**(base.get("match") or {}), **(spec.get("match") or {})}
    if "vocabulary_severity" in spec and "unknown" not in (spec.get("match") or {}):
        match.pop("unknown", None)
    if match:
        merged["match"] = match
    return merged


def _base_pack_path(source: _PackSource, name: str, path: Path) -> Path:
    """A bundled pack by name (`polly-default`) or a file relative to the extending pack."""
    import rules

    bundled = rules.pack_path(name) if "/" not in name and not name.endswith((".yaml", ".yml")) else None
    candidate = bundled or path.parent / name
    if not candidate.is_file():
        known = ", ".join(rules.bundled_packs())
        raise source.error(["extends"], f"extends: {name!r} is neither a bundled pack ({known}) nor a file")
    return candidate


def _read_pack(path: Path) -> tuple[_PackSource, dict[str, Any]]:
    """The pack's YAML, read and checked against `PACK_SCHEMA`; the first problem found is the error."""
    import jsonschema_rs

    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulePackError(f"rule pack {where} cannot be read: {exc}") from None
    try:
        raw = yaml.load(text, Loader=_SAFE_LOADER)
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
    names = (vocab,) if isinstance(vocab, str) else tuple(vocab or ())
    for vocab_name in names:
        if vocab_name not in vocabularies:
            raise source.error(["fields", name, "vocabulary"], f"fields.{name}: unknown vocabulary {vocab_name!r}")
    match = dict(spec.get("match") or {})
    if spec.get("vocabulary_severity"):
        match.setdefault("unknown", spec["vocabulary_severity"])
    pattern = spec.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            message = f"fields.{name}.pattern: invalid regular expression: {exc}"
            raise source.error(["fields", name, "pattern"], message) from None
    return FieldRule(
        field=name,
        vocabularies=names,
        ontology=spec.get("ontology"),
        under=tuple(spec.get("under") or ()),
        match=match,
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
