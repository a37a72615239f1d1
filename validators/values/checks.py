"""Value rules (OMX2xx): a rule pack compiled against one template into per-field checks.

The same compiled checks run for every document, accepted or not, so there is one implementation of each rule.
Checks only look at values of the right JSON type; type problems belong to template conformance (OMX1xx).
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from validators.core.jsonread import pointer
from validators.core.model import Finding, Location, Rule, Severity
from validators.core.rulepack import CrossFieldRule, FieldRule, RulePack, Vocabulary, fold
from validators.core.template import INDEX_KEY, Template

NOT_IN_VOCABULARY = Rule(
    "OMX201",
    "value-not-in-vocabulary",
    Severity.ERROR,
    "Value not in the controlled vocabulary",
    "{value!r} is not in the {vocabulary} vocabulary",
    "Curated fields take terms from a controlled vocabulary so that the atlas's filters group datasets correctly. "
    'A term outside it creates a facet value nobody searches for. Use the vocabulary\'s spelling, or "None" when '
    "the field does not apply.",
    bad='"organism": ["Human"]',
    good='"organism": ["Homo sapiens"]',
)
VOCABULARY_CASE = Rule(
    "OMX202",
    "vocabulary-case-mismatch",
    Severity.ERROR,
    "Vocabulary term spelled with different case or spacing",
    "{value!r} matches the {vocabulary} term {term!r} only when case and spacing are ignored",
    'Atlas filters compare terms exactly: "geo" and "GEO" become two different sources. Write the term exactly '
    "as the vocabulary spells it.",
    bad='"dataset_source": "geo"',
    good='"dataset_source": "GEO"',
)
PATTERN_MISMATCH = Rule(
    "OMX203",
    "pattern-mismatch",
    Severity.ERROR,
    "Value does not match the required pattern",
    "{value!r} does not match the pattern {pattern}",
    "The rule pack requires this field to match a regular expression (the whole value must match).",
    bad='"publication": "pubmed 123"',
    good='"publication": "https://pubmed.ncbi.nlm.nih.gov/123"',
)
OUT_OF_RANGE = Rule(
    "OMX204",
    "value-out-of-range",
    Severity.ERROR,
    "Number missing or out of range",
    "{value!r} {problem}",
    "The rule pack bounds this numeric field (for example `year` between 1900 and the current year). Numbers may "
    "be written as JSON numbers or, where the template says text, as digits in a string; the pack may also allow "
    'literal placeholders such as "None".',
    bad='"year": "18"',
    good='"year": "2018"',
)
NAN_LIKE = Rule(
    "OMX205",
    "nan-like-value",
    Severity.ERROR,
    'Missing value written as a "nan"-like string',
    '{value!r} stands for a missing value; write "None" instead',
    'Strings such as "nan", "NA", "null" or "" come from spreadsheet and pandas exports. The atlas indexes '
    'them as real terms. Polly\'s convention for "not applicable" is the string "None".',
    bad='"tissue": ["nan"]',
    good='"tissue": ["None"]',
)
DEFAULT_MIXED = Rule(
    "OMX206",
    "default-mixed-with-values",
    Severity.ERROR,
    "Default value mixed with real values",
    "{defaults} mixed with real values in one array: {values}",
    'A default such as "None" (or "Normal" for disease) means "nothing applies"; next to real terms it '
    "contradicts them and pollutes filters. Keep either the default alone or only real terms.",
    bad='"disease": ["Normal", "Breast Neoplasms"]',
    good='"disease": ["Breast Neoplasms"]',
)
CROSS_FIELD = Rule(
    "OMX207",
    "cross-field-inconsistent",
    Severity.ERROR,
    "Fields disagree with each other",
    "{key_field} {key!r} implies {field} {expected}, but the file says {actual}",
    "Some facts follow from others: a cell line comes from one organism and models known diseases. When the "
    "metadata contradicts the reference table, one of the two fields is probably wrong.",
    bad='"kw_cell_line": ["HeLa"], "organism": ["Mus musculus"]',
    good='"kw_cell_line": ["HeLa"], "organism": ["Homo sapiens"]',
)
SURROUNDING_SPACE = Rule(
    "OMX208",
    "surrounding-whitespace",
    Severity.WARNING,
    "Value has leading or trailing white space",
    "{value!r} has leading or trailing white space",
    "Invisible spaces make otherwise equal terms differ in the atlas's filters and exact searches.",
    bad='"tissue": ["liver "]',
    good='"tissue": ["liver"]',
)

RULES = (
    NOT_IN_VOCABULARY,
    VOCABULARY_CASE,
    PATTERN_MISMATCH,
    OUT_OF_RANGE,
    NAN_LIKE,
    DEFAULT_MIXED,
    CROSS_FIELD,
    SURROUNDING_SPACE,
)

Locate = Callable[[str], Location]

# Exactly the characters str.strip() removes (str.isspace), so the accept schema and the Python check agree on
# "padded". Literal characters, no escapes: none is special inside a regex character class.
SPACE_CHARACTERS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
ValueCheck = Callable[[str, Any, str, Locate], Iterator[Finding]]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _format_bound(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


@dataclass(frozen=True)
class _FieldChecks:
    key: str
    rule: FieldRule
    vocabulary: Vocabulary | None
    unknown_term_severity: Severity | None
    pattern: re.Pattern[str] | None
    field_type: str


class ValueChecker:
    """A rule pack compiled against one template; `check` runs every value rule on one document."""

    def __init__(self, pack: RulePack, template: Template) -> None:
        self.pack = pack
        self.nan_like = frozenset(pack.nan_like)
        self.fields: list[_FieldChecks] = []
        for rule in pack.fields:
            field = template.lookup(rule.field)
            if field is None:
                continue  # the pack covers fields this atlas does not have
            self.fields.append(
                _FieldChecks(
                    key=field.original_name,
                    rule=rule,
                    vocabulary=pack.vocabularies[rule.vocabulary] if rule.vocabulary else None,
                    unknown_term_severity=Severity.parse(rule.vocabulary_severity)
                    if rule.vocabulary_severity
                    else None,
                    pattern=re.compile(rule.pattern) if rule.pattern else None,
                    field_type=field.type,
                )
            )
        # What the accept schema cannot express: patterns (regex dialects differ) and ranges on text fields.
        self.residual = [
            c
            for c in self.fields
            if c.pattern is not None
            or (c.field_type == "text" and (c.rule.minimum is not None or c.rule.maximum is not None or c.rule.integer))
        ]
        self.cross: list[tuple[CrossFieldRule, str, str]] = []
        for cross in pack.cross_field:
            key_field, target = template.lookup(cross.key), template.lookup(cross.field)
            if key_field is not None and target is not None:
                self.cross.append((cross, key_field.original_name, target.original_name))

    def check(self, doc: dict[str, Any], display: str, locate: Locate, *, accepted: bool = False) -> list[Finding]:
        """Every value finding for a document. `accepted=True` means the document passed the accept schema, which
        already enforces every rule `accept_schema` encodes; only the rest (patterns, ranges on text fields,
        cross-field rules) is then checked here."""
        findings: list[Finding] = []
        if not accepted:
            for key, value in doc.items():
                if key != INDEX_KEY:
                    findings.extend(self._check_strings(key, value, display, locate))
        for checks in self.residual if accepted else self.fields:
            if checks.key in doc:
                findings.extend(self._check_field(checks, doc[checks.key], display, locate, residual_only=accepted))
        for cross, key_name, target_name in self.cross:
            findings.extend(self._check_cross(cross, key_name, target_name, doc, display, locate))
        return findings

    def _check_strings(self, key: str, value: Any, display: str, locate: Locate) -> Iterator[Finding]:
        for where, item in _items(key, value):
            if not isinstance(item, str):
                continue
            if item in self.nan_like:
                yield NAN_LIKE.finding(display, locate(_at(where)), value=item, fix='write "None"')
            elif item != item.strip():
                yield SURROUNDING_SPACE.finding(
                    display, locate(_at(where)), value=item, fix=f"write {json.dumps(item.strip(), ensure_ascii=False)}"
                )

    def accept_schema(self, structural: dict[str, Any]) -> dict[str, Any]:
        """The structural schema tightened with every value rule JSON Schema can express exactly: "nan"-like and
        space-padded strings, vocabularies, numeric ranges on numeric fields, defaults mixed with other values.
        A document it accepts has no finding from those rules (tests hold the two paths equal)."""
        schema = copy.deepcopy(structural)
        properties = schema["properties"]
        strings = {
            "not": {
                "anyOf": [
                    {"enum": sorted(self.nan_like)},
                    {"pattern": f"^[{SPACE_CHARACTERS}]"},
                    {"pattern": f"[{SPACE_CHARACTERS}]$"},
                ]
            }
        }
        for key, prop in properties.items():
            if key == INDEX_KEY:
                continue
            item = prop["items"] if prop.get("type") == "array" else prop
            if item.get("type") == "string":
                item.setdefault("allOf", []).append(strings)
        for checks in self.fields:
            prop = properties.get(checks.key)
            if prop is None:
                continue
            rule = checks.rule
            item = prop["items"] if prop.get("type") == "array" else prop
            accepted_literals = [*rule.allow, *rule.defaults]
            if checks.vocabulary is not None and checks.field_type == "text":
                item.setdefault("allOf", []).append({"enum": sorted({*checks.vocabulary.terms, *accepted_literals})})
            if checks.field_type in ("integer", "float"):
                bounds: dict[str, Any] = {}
                if rule.minimum is not None:
                    bounds["minimum"] = rule.minimum
                if rule.maximum is not None:
                    bounds["maximum"] = rule.maximum
                if rule.integer:
                    bounds["multipleOf"] = 1
                if bounds:
                    item.setdefault("allOf", []).append(bounds)
            if rule.defaults and prop.get("type") == "array":
                prop.setdefault("allOf", []).extend(
                    {"not": {"allOf": [{"contains": {"const": d}}, {"contains": {"not": {"const": d}}}]}}
                    for d in rule.defaults
                )
        return schema

    def _check_field(
        self, checks: _FieldChecks, value: Any, display: str, locate: Locate, *, residual_only: bool
    ) -> Iterator[Finding]:
        rule = checks.rule
        numeric_range = rule.minimum is not None or rule.maximum is not None or rule.integer
        for ptr, item in _items(checks.key, value):
            if not _conforms(item, checks.field_type) or item in self.nan_like:
                continue  # type problems are template conformance's (OMX106), not a value rule's
            if isinstance(item, str) and (item in rule.allow or item in rule.defaults):
                continue
            if checks.vocabulary is not None and isinstance(item, str) and not residual_only:
                yield from self._check_term(checks, item, ptr, display, locate)
            if checks.pattern is not None and isinstance(item, str) and not checks.pattern.fullmatch(item):
                yield PATTERN_MISMATCH.finding(display, locate(_at(ptr)), value=item, pattern=checks.pattern.pattern)
            if numeric_range and (checks.field_type == "text" or not residual_only):
                yield from self._check_range(checks, item, ptr, display, locate)
        if rule.defaults and isinstance(value, list) and len(value) > 1 and not residual_only:
            strings = [v for v in value if isinstance(v, str)]
            used = sorted({v for v in strings if v in rule.defaults})
            if used and len(set(strings)) > 1:
                others = [v for v in strings if v not in rule.defaults]
                yield DEFAULT_MIXED.finding(
                    display,
                    locate(pointer(checks.key)),
                    defaults=" and ".join(repr(u) for u in used),
                    values=", ".join(repr(o) for o in others),
                    fix=f"write {json.dumps(others or used[:1], ensure_ascii=False)}",
                )

    def _check_term(
        self, checks: _FieldChecks, item: str, ptr: _Where, display: str, locate: Locate
    ) -> Iterator[Finding]:
        vocab = checks.vocabulary
        if vocab is None or item in vocab.terms:
            return
        right = vocab.folded.get(fold(item))
        if right is not None:
            yield VOCABULARY_CASE.finding(
                display,
                locate(_at(ptr)),
                value=item,
                vocabulary=vocab.name,
                term=right,
                fix=f"write {json.dumps(right, ensure_ascii=False)}",
            )
            return
        close = difflib.get_close_matches(item, vocab.terms, n=1, cutoff=0.8)
        fix = f"did you mean {json.dumps(close[0], ensure_ascii=False)}?" if close else None
        yield NOT_IN_VOCABULARY.finding(
            display,
            locate(_at(ptr)),
            value=item,
            vocabulary=vocab.name,
            severity=checks.unknown_term_severity,
            fix=fix,
        )

    def _check_range(
        self, checks: _FieldChecks, item: Any, ptr: _Where, display: str, locate: Locate
    ) -> Iterator[Finding]:
        rule = checks.rule
        number = _number(item)
        allowed = f" (or {', '.join(repr(a) for a in rule.allow)})" if rule.allow else ""
        problem = None
        if number is None:
            problem = f"is not a number{allowed}"
        elif rule.integer and not number.is_integer():
            problem = f"is not a whole number{allowed}"
        elif (rule.minimum is not None and number < rule.minimum) or (
            rule.maximum is not None and number > rule.maximum
        ):
            low = _format_bound(rule.minimum) if rule.minimum is not None else "-inf"
            high = _format_bound(rule.maximum) if rule.maximum is not None else "inf"
            problem = f"is outside {low}..{high}{allowed}"
        if problem is not None:
            yield OUT_OF_RANGE.finding(display, locate(_at(ptr)), value=item, problem=problem)

    def _check_cross(
        self,
        cross: CrossFieldRule,
        key_name: str,
        target_name: str,
        doc: dict[str, Any],
        display: str,
        locate: Locate,
    ) -> Iterator[Finding]:
        if key_name not in doc or target_name not in doc:
            return
        table = self.pack.tables[cross.table]
        actual = {v for _, v in _items(target_name, doc[target_name]) if isinstance(v, str)}
        for _, key in _items(key_name, doc[key_name]):
            if not isinstance(key, str) or key not in table.rows:
                continue
            expected = table.rows[key].get(cross.attribute, frozenset())
            if expected and not expected & actual:
                yield CROSS_FIELD.finding(
                    display,
                    locate(pointer(target_name)),
                    key_field=key_name,
                    key=key,
                    field=target_name,
                    expected=" or ".join(repr(e) for e in sorted(expected)),
                    actual=", ".join(repr(a) for a in sorted(actual)) or "nothing",
                    severity=Severity.parse(cross.severity) if cross.severity else None,
                )


def _conforms(item: Any, field_type: str) -> bool:
    """True for scalar values of the template type that value rules apply to (text and numbers)."""
    if isinstance(item, bool):
        return False
    if field_type == "text":
        return isinstance(item, str)
    if field_type == "integer":
        return isinstance(item, int) or (isinstance(item, float) and item.is_integer())
    if field_type == "float":
        return isinstance(item, int | float)
    return False


_Where = tuple[str, int | None]


def _at(where: _Where) -> str:
    """The JSON Pointer of a (key, array index) place; built only when a finding needs it."""
    key, index = where
    return pointer(key) if index is None else pointer(key, index)


def _items(key: str, value: Any) -> Iterator[tuple[_Where, Any]]:
    """((key, index), value) for a scalar field, or for each element of an array field."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield (key, index), item
    else:
        yield (key, None), value
