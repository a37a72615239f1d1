"""Resolving a rule pack from a bundled name (`polly-default`) or a path."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


def _canonical(value: Any) -> Any:
    """Plain, ordered data for hashing: dataclasses as mappings, sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def rule_pack_sha256(pack: RulePack) -> str:
    """The sha256 of what the pack checks (its rules and the terms of its vocabularies and tables), not of where
    it was read from: an edited vocabulary file changes it, a moved pack does not."""
    content = _canonical(dataclasses.replace(pack, path=""))
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()
