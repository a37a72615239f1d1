"""From how a value relates to its field's vocabulary to the finding a curator reads, at the pack's severity.

Every hint names a value that passes: the preferred label, the replacement of a deprecated term, or the closest
labels when nothing is known.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from validators.core.model import Finding, Location, Rule, Severity, replace_edit
from validators.core.rulepack import FieldRule
from validators.values.rules import (
    DEPRECATED_TERM,
    NOT_IN_VOCABULARY,
    TERM_ID_FOR_LABEL,
    TERM_OUTSIDE_BRANCH,
    TERM_SYNONYM,
    VOCABULARY_CASE,
)
from validators.values.terms import Match, Resolution, TermResolver

RULE_OF: dict[Match, Rule] = {
    Match.CASE: VOCABULARY_CASE,
    Match.SYNONYM: TERM_SYNONYM,
    Match.CURIE: TERM_ID_FOR_LABEL,
    Match.DEPRECATED: DEPRECATED_TERM,
    Match.OUTSIDE: TERM_OUTSIDE_BRANCH,
    Match.UNKNOWN: NOT_IN_VOCABULARY,
}


_FIXABLE = frozenset({Match.CASE, Match.SYNONYM, Match.CURIE, Match.DEPRECATED})


def _quoted(labels: tuple[str, ...]) -> str:
    return " or ".join(json.dumps(label, ensure_ascii=False) for label in labels)


def _severity(resolver: TermResolver, rule: FieldRule, match: Match) -> str | None:
    """The pack's severity label for this kind of match ("accept" for none, None for the rule's default); an
    unknown term in a field whose ontology is not installed is at most a warning, since only an excerpt was
    consulted."""
    chosen = rule.match.get(match.value)
    if match is Match.UNKNOWN and resolver.missing_ontology is not None and chosen in (None, "error"):
        return "warning"
    return chosen


def term_code(resolver: TermResolver, rule: FieldRule, value: str) -> str | None:
    """The code `term_finding` reports for a value, without building the finding (None: the value passes), so
    that a value past the findings cap is only counted."""
    found = resolver.resolve(value)  # memoized: asking twice costs a dict look-up
    if found.match is Match.EXACT or _severity(resolver, rule, found.match) == "accept":
        return None
    return RULE_OF[found.match].code


def term_finding(
    resolver: TermResolver, rule: FieldRule, value: str, display: str, where: Callable[[], Location]
) -> Finding | None:
    """The finding for one curated value, or None when it passes (or the pack accepts its kind of match)."""
    if term_code(resolver, rule, value) is None:
        return None
    found = resolver.resolve(value)
    if found.match is Match.UNKNOWN:
        found = dataclasses.replace(found, labels=resolver.suggested(value))
    severity = _severity(resolver, rule, found.match)
    level = Severity.parse(severity) if severity else None
    location = where()
    # One right label (a case slip, a synonym or id of one term, a replaced term) is a safe automatic fix.
    edits = replace_edit(location.pointer, found.fix) if found.fix is not None and found.match in _FIXABLE else ()
    params = _parameters(resolver, found, value)
    return RULE_OF[found.match].finding(display, location, severity=level, fix=_fix(found), edits=edits, **params)


def _fix(found: Resolution) -> str | None:
    if found.match is Match.UNKNOWN:  # suggestions by spelling only: a person must choose
        return f"did you mean {_quoted(found.labels)}?" if found.labels else None
    if found.fix is not None:
        return f"write {json.dumps(found.fix, ensure_ascii=False)}"
    if found.labels:
        return f"write one of {_quoted(found.labels)}"
    if found.match is Match.OUTSIDE:
        return "write a term from the branch the field requires"
    return None


def _parameters(resolver: TermResolver, found: Resolution, value: str) -> dict[str, str]:
    vocabulary = resolver.name
    if resolver.missing_ontology is not None and found.match is Match.UNKNOWN:
        vocabulary = f"{vocabulary} list ({resolver.missing_ontology} is not installed: omix-ingest[ontology])"
    params = {"value": value, "vocabulary": vocabulary}
    if found.match is Match.CASE:
        params["term"] = found.labels[0] if found.labels else ""
    elif found.match in (Match.SYNONYM, Match.CURIE):
        params["labels"] = _quoted(found.labels)
    elif found.match is Match.DEPRECATED:
        params["term_id"] = found.term_id or ""
        params["replacement"] = f"; it is replaced by {_quoted(found.labels)}" if found.labels else ""
    elif found.match is Match.OUTSIDE:
        params["term_id"] = found.term_id or ""
        params["under"] = ", ".join(sorted(resolver.under))
    return params
