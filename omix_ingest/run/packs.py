"""Resolving a rule pack from a bundled name (`polly-default`) or a path."""

from __future__ import annotations

from pathlib import Path

import rules
from validators.core.rulepack import RulePack, RulePackError, load_rule_pack


def resolve_rule_pack(name_or_path: str | Path) -> RulePack:
    text = str(name_or_path)
    bundled = rules.pack_path(text) if "/" not in text and not text.endswith((".yaml", ".yml")) else None
    if bundled is not None:
        return load_rule_pack(bundled)
    path = Path(text)
    if not path.is_file():
        known = ", ".join(rules.bundled_packs())
        raise RulePackError(f"rule pack {text!r} is neither a bundled pack ({known}) nor an existing file")
    return load_rule_pack(path)
