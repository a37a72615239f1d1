"""Value rules (OMX2xx): a rule pack compiled against one template into per-field checks.

The same compiled checks run for every document, accepted or not, so there is one implementation of each rule.
Checks only look at values of the right JSON type; type problems belong to template conformance (OMX1xx).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from typing import Any

from validators.core.capped import CappedFindings
from validators.core.jsonread import pointer
from validators.core.model import Finding, Location, Severity, replace_edit
from validators.core.ontology_source import OntologyCatalog
from validators.core.rulepack import CrossFieldRule, FieldRule, RulePack, placeholder
from validators.core.template import INDEX_KEY, Template
from validators.values import accept
from validators.values.rules import (
    CROSS_FIELD,
    DEFAULT_MIXED,
    INVISIBLE_CHARACTERS,
    NAN_LIKE,
    OUT_OF_RANGE,
    PATTERN_MISMATCH,
    RULES,
    SURROUNDING_SPACE,
)
from validators.values.term_findings import term_code, term_finding
from validators.values.terms import TermResolver

__all__ = ["RULES", "FieldChecks", "ValueChecker"]

# Where a JSON Pointer is in the document being checked; built only for findings.
Locate = Callable[[str], Location]
# Asked before a per-value finding is built: True when one more of that code is past the findings cap, which then
# only counts it (an array of a million bad values must not cost a million located findings).
Skip = Callable[[str], bool]


# Distinct passing strings remembered per field (see `_check_residual`): bounded, so a run over free text costs
# no more memory than this.
PASSED_MEMO_SIZE = 50_000


def _never(code: str) -> bool:
    return False


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
class FieldChecks:
    """One pack field rule bound to the template field it applies to."""

    key: str
    rule: FieldRule
    terms: TermResolver | None
    pattern: re.Pattern[str] | None
    field_type: str

    @property
    def terms_in_python(self) -> bool:
        """An ontology is too large for the accept schema's enum: its terms are always checked here."""
        return self.terms is not None and self.terms.ontology is not None


def field_terms(pack: RulePack, rule: FieldRule, catalog: OntologyCatalog | None) -> TermResolver | None:
    """The resolver for a field's vocabulary: the pack's lists plus its ontology, when the catalog has it."""
    if not rule.vocabularies and rule.ontology is None:
        return None
    ontology = catalog.index(rule.ontology) if catalog is not None and rule.ontology else None
    lists = [pack.vocabularies[name] for name in rule.vocabularies]
    missing = rule.ontology if ontology is None else None
    return TermResolver(lists, ontology, frozenset(rule.under), missing_ontology=missing)


class ValueChecker:
    """A rule pack compiled against one template; `check` runs every value rule on one document."""

    def __init__(self, pack: RulePack, template: Template, ontologies: OntologyCatalog | None = None) -> None:
        self.pack = pack
        self.nan_like = frozenset(pack.nan_like)
        self.fields: list[FieldChecks] = []
        for rule in pack.fields:
            field = template.lookup(rule.field)
            if field is None:
                continue  # the pack covers fields this atlas does not have
            self.fields.append(
                FieldChecks(
                    key=field.original_name,
                    rule=rule,
                    terms=field_terms(pack, rule, ontologies),
                    pattern=re.compile(rule.pattern) if rule.pattern else None,
                    field_type=field.type,
                )
            )
        self._by_key = {c.key: c for c in self.fields}
        self._passed: dict[str, set[str]] = {}  # per field, strings that passed its residual checks
        # What the accept schema cannot express: patterns (regex dialects differ), ranges on text fields, and
        # ontology terms.
        self._residual_keys = frozenset(
            c.key
            for c in self.fields
            if c.pattern is not None
            or c.terms_in_python
            or (c.field_type == "text" and (c.rule.minimum is not None or c.rule.maximum is not None or c.rule.integer))
        )
        self.cross: list[tuple[CrossFieldRule, str, str]] = []
        for cross in pack.cross_field:
            key_field, target = template.lookup(cross.key), template.lookup(cross.field)
            if key_field is not None and target is not None:
                self.cross.append((cross, key_field.original_name, target.original_name))

    def check(
        self,
        doc: dict[str, Any],
        display: str,
        locate: Locate,
        *,
        clean: Container[str] = frozenset(),
        out: CappedFindings | None = None,
    ) -> list[Finding]:
        """Every value finding for a document. `clean` names the keys whose values met the accept schema's rules
        for their field (see `accept_schema`): on those only what JSON Schema cannot express (patterns, ranges on
        text fields, ontology terms) is checked here; every other key gets every rule. Cross-field rules always
        run. With `out`, findings go there as they are made (past its cap, per-value ones are only counted, never
        built) and the returned list is empty."""
        findings: list[Finding] = []
        skip = out.count_only if out is not None else _never
        add = out.add if out is not None else findings.append
        for key in doc:
            if key != INDEX_KEY and key not in clean:
                for finding in self._check_strings(key, doc[key], display, locate, skip):
                    add(finding)
        for checks in self.fields:
            if checks.key in doc:
                residual_only = checks.key in clean
                if residual_only and checks.key not in self._residual_keys:
                    continue
                value = doc[checks.key]
                for finding in self._check_field(checks, value, display, locate, skip, residual_only=residual_only):
                    add(finding)
        for cross, key_name, target_name in self.cross:
            for finding in self._check_cross(cross, key_name, target_name, doc, display, locate):
                add(finding)
        return findings

    def _check_strings(self, key: str, value: Any, display: str, locate: Locate, skip: Skip) -> Iterator[Finding]:
        for where, item in _items(key, value):
            if not isinstance(item, str):
                continue
            if item in self.nan_like:
                if skip(NAN_LIKE.code):
                    continue
                at = locate(_at(where))
                missing = self._placeholder(key)
                edits = replace_edit(at.pointer, missing) if missing is not None else ()
                yield NAN_LIKE.finding(display, at, value=item, fix=self._missing_value_fix(key), edits=edits)
            elif item != item.strip():
                if skip(SURROUNDING_SPACE.code):
                    continue
                at = locate(_at(where))
                fix = f"write {json.dumps(item.strip(), ensure_ascii=False)}"
                yield SURROUNDING_SPACE.finding(
                    display, at, value=item, fix=fix, edits=replace_edit(at.pointer, item.strip())
                )
            elif _INVISIBLE.search(item) and not skip(INVISIBLE_CHARACTERS.code):
                yield _invisible_finding(item, display, locate(_at(where)))

    def _placeholder(self, key: str) -> str | None:
        checks = self._by_key.get(key)
        return placeholder(checks.rule if checks is not None else None)

    def _missing_value_fix(self, key: str) -> str:
        """What to write for a missing value, such that it passes: the field's placeholder, else one of its
        terms."""
        checks = self._by_key.get(key)
        missing = self._placeholder(key)
        if missing is not None:
            return f"write {json.dumps(missing, ensure_ascii=False)}"
        examples = sorted(checks.terms.terms)[:3] if checks is not None and checks.terms is not None else []
        listed = f" (such as {', '.join(json.dumps(e, ensure_ascii=False) for e in examples)})" if examples else ""
        return f"write the field's real value{listed}"

    def accept_schema(self, structural: dict[str, Any]) -> dict[str, Any]:
        """The structural schema tightened with every value rule JSON Schema can express exactly (see `accept`)."""
        return accept.tightened(structural, self.fields, self.nan_like)

    def _check_field(
        self, checks: FieldChecks, value: Any, display: str, locate: Locate, skip: Skip, *, residual_only: bool
    ) -> Iterator[Finding]:
        """The field's rules on each of its values, then on the array as a whole. `residual_only` keeps only what
        the accept schema could not check (patterns, ranges on text fields)."""
        if residual_only:
            yield from self._check_residual(checks, value, display, locate, skip)
            return
        for ptr, item in _items(checks.key, value):
            if self._applies(checks, item):
                yield from self._check_item(checks, item, ptr, display, locate, skip, residual_only=False)
        yield from self._check_defaults_mixed(checks, value, display, locate)

    def _check_residual(
        self, checks: FieldChecks, value: Any, display: str, locate: Locate, skip: Skip
    ) -> Iterator[Finding]:
        """The residual checks of a field, remembering the strings that passed them: the residual checks depend on
        the field and the value alone, and curated values repeat across a folder (every file says "Homo sapiens"),
        so each distinct value is judged once per run. A check asks `skip` exactly when it has a finding, so a
        value that never asked passed."""
        passed = self._passed.setdefault(checks.key, set())
        asked: list[str] = []

        def watch(code: str) -> bool:
            asked.append(code)
            return skip(code)

        for ptr, item in _items(checks.key, value):
            if type(item) is str and item in passed:
                continue
            if self._applies(checks, item):
                yield from self._check_item(checks, item, ptr, display, locate, watch, residual_only=True)
            if not asked and type(item) is str and len(passed) < PASSED_MEMO_SIZE:
                passed.add(item)
            asked.clear()

    def _applies(self, checks: FieldChecks, item: Any) -> bool:
        """Value rules skip wrong types (template conformance's OMX106), "nan"-likes (OMX205) and allowed literals."""
        if not _conforms(item, checks.field_type) or item in self.nan_like:
            return False
        return not (isinstance(item, str) and (item in checks.rule.allow or item in checks.rule.defaults))

    def _check_item(
        self,
        checks: FieldChecks,
        item: Any,
        ptr: _Where,
        display: str,
        locate: Locate,
        skip: Skip,
        *,
        residual_only: bool,
    ) -> Iterator[Finding]:
        rule = checks.rule
        if checks.terms is not None and isinstance(item, str) and (not residual_only or checks.terms_in_python):
            code = term_code(checks.terms, checks.rule, item)
            if code is not None and not skip(code):
                finding = term_finding(checks.terms, checks.rule, item, display, lambda: locate(_at(ptr)))
                if finding is not None:
                    yield finding
        mismatch = checks.pattern is not None and isinstance(item, str) and not checks.pattern.fullmatch(item)
        if mismatch and checks.pattern is not None and not skip(PATTERN_MISMATCH.code):
            yield PATTERN_MISMATCH.finding(display, locate(_at(ptr)), value=item, pattern=checks.pattern.pattern)
        numeric_range = rule.minimum is not None or rule.maximum is not None or rule.integer
        if numeric_range and (checks.field_type == "text" or not residual_only):
            yield from self._check_range(checks, item, ptr, display, locate, skip)

    @staticmethod
    def _check_defaults_mixed(checks: FieldChecks, value: Any, display: str, locate: Locate) -> Iterator[Finding]:
        """A default ("None", "Unknown") stands for "no value": beside real values in one array it is a mistake."""
        defaults = checks.rule.defaults
        if not defaults or not isinstance(value, list) or len(value) < 2:
            return
        strings = [v for v in value if isinstance(v, str)]
        used = sorted({v for v in strings if v in defaults})
        if used and len(set(strings)) > 1:
            others = [v for v in strings if v not in defaults]
            yield DEFAULT_MIXED.finding(
                display,
                locate(pointer(checks.key)),
                defaults=" and ".join(repr(u) for u in used),
                values=", ".join(repr(o) for o in others),
                fix=f"write {json.dumps(others or used[:1], ensure_ascii=False)}",
            )

    def _check_range(
        self, checks: FieldChecks, item: Any, ptr: _Where, display: str, locate: Locate, skip: Skip
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
        if problem is not None and not skip(OUT_OF_RANGE.code):
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


_INVISIBLE = re.compile(f"[{accept.INVISIBLE_CHARACTERS}]")


def _invisible_finding(item: str, display: str, at: Location) -> Finding:
    import unicodedata

    found = _INVISIBLE.findall(item)
    names = ", ".join(sorted({f"U+{ord(c):04X} {unicodedata.name(c, 'CONTROL CHARACTER')}" for c in found}))
    cleaned = _INVISIBLE.sub("", item)
    fix = f"write {json.dumps(cleaned, ensure_ascii=False)}"
    return INVISIBLE_CHARACTERS.finding(
        display, at, value=item, count=len(found), names=names, fix=fix, edits=replace_edit(at.pointer, cleaned)
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
