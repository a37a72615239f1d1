"""What a schema change does by itself, before any dataset is looked at: fields added, removed, retyped, renamed
(original name changed) and made required or no longer required.

Fields are matched by their schema field name, which stays put across atlases; the original name is the key a
metadata file uses, so changing it breaks every file that has the old key. Whether a field is required is the rule
pack's word (a template does not say), so each side is read with its own pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from validators.core.rulepack import RulePack
from validators.core.template import Field, Template

# The order changes are listed in: what breaks stored files first.
KINDS = ("removed", "renamed", "retyped", "made required", "added", "no longer required", "flags")


@dataclass(frozen=True)
class FieldChange:
    field: str  # the schema field name
    kind: str  # one of KINDS
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "change": self.kind, "before": self.before, "after": self.after}

    def describe(self) -> str:
        if self.kind in ("added", "removed"):
            return f"{self.kind}: {self.field} ({self.before or self.after})"
        if self.kind in ("made required", "no longer required"):
            return f"{self.kind}: {self.field}"
        return f"{self.kind}: {self.field}: {self.before} -> {self.after}"


def _type_of(field: Field) -> str:
    return f"array of {field.type}" if field.is_array else field.type


def _flags(field: Field) -> str:
    return ", ".join(n for n, on in (("reserved", field.is_reserved), ("curated", field.is_curated)) if on) or "none"


def required_fields(template: Template, pack: RulePack | None) -> set[str]:
    """Schema field names the pack requires, among the template's fields (as conformance checks resolve them)."""
    found = (template.lookup(name) for name in (pack.required if pack else ()))
    return {f.name for f in found if f is not None and not f.is_system}


def diff_templates(
    old: Template, new: Template, old_pack: RulePack | None = None, new_pack: RulePack | None = None
) -> list[FieldChange]:
    """Every change from `old` to `new`, ordered by KINDS then field name."""
    changes: list[FieldChange] = []
    before, after = old.by_name, new.by_name
    for name in sorted(before.keys() - after.keys()):
        changes.append(FieldChange(name, "removed", before=_described(before[name])))
    for name in sorted(after.keys() - before.keys()):
        changes.append(FieldChange(name, "added", after=_described(after[name])))
    for name in sorted(before.keys() & after.keys()):
        was, now = before[name], after[name]
        if was.original_name != now.original_name:
            changes.append(FieldChange(name, "renamed", was.original_name, now.original_name))
        if _type_of(was) != _type_of(now):
            changes.append(FieldChange(name, "retyped", _type_of(was), _type_of(now)))
        if _flags(was) != _flags(now):
            changes.append(FieldChange(name, "flags", _flags(was), _flags(now)))
    required_before, required_after = required_fields(old, old_pack), required_fields(new, new_pack)
    for name in sorted((required_after - required_before) & before.keys()):
        changes.append(FieldChange(name, "made required"))
    for name in sorted((required_before - required_after) & after.keys()):
        changes.append(FieldChange(name, "no longer required"))
    for name in sorted(required_after - before.keys()):
        changes.append(FieldChange(name, "made required"))  # a new field that every file must now have
    return sorted(changes, key=lambda c: (KINDS.index(c.kind), c.field))


def _described(field: Field) -> str:
    return f"{field.original_name}, {_type_of(field)}"


def render_diff(changes: list[FieldChange], old_name: str, new_name: str) -> str:
    if not changes:
        return f"{old_name} -> {new_name}: no field changes"
    lines = [f"{old_name} -> {new_name}: {len(changes)} change(s)"]
    lines += [f"  {change.describe()}" for change in changes]
    return "\n".join(lines)
