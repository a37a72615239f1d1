"""The accept schema: the structural schema tightened with every value rule JSON Schema can express exactly
("nan"-like and space-padded strings, vocabularies, numeric ranges on numeric fields, defaults mixed with other
values). A document it accepts has no finding from those rules; tests hold the fast and full paths equal."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from validators.core.template import INDEX_KEY

if TYPE_CHECKING:
    from validators.values.checks import FieldChecks

# Exactly the characters str.strip() removes (str.isspace), so the accept schema and the Python check agree on
# "padded". Literal characters, no escapes: none is special inside a regex character class.
SPACE_CHARACTERS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


# Characters that do not show, or that reorder what shows: zero-width spaces and joiners, marks, the BOM, and
# the bidirectional embeddings, overrides and isolates; and the C0 and C1 control characters that are not white
# space (a NUL, an escape, a bell: legal as JSON escapes, never meant in a value, and a NUL ends the value early
# in every C string downstream). Literal characters, as above.
_CONTROL_CHARACTERS = "".join(chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if not chr(c).isspace())
INVISIBLE_CHARACTERS = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
    + _CONTROL_CHARACTERS
)


def tightened(structural: dict[str, Any], fields: Iterable[FieldChecks], nan_like: frozenset[str]) -> dict[str, Any]:
    """A copy of `structural` that also refuses every value the compiled field checks would report."""
    schema = copy.deepcopy(structural)
    properties = schema["properties"]
    _refuse_untidy_strings(properties, nan_like)
    for checks in fields:
        prop = properties.get(checks.key)
        if prop is not None:
            _tighten_field(prop, checks)
    return schema


def _item_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """The schema each value of the field meets: the array's `items`, or the property itself."""
    items: dict[str, Any] = prop["items"] if prop.get("type") == "array" else prop
    return items


def _refuse_untidy_strings(properties: dict[str, Any], nan_like: frozenset[str]) -> None:
    """No "nan"-like string, no string with surrounding space and none with invisible characters, in any text
    field (OMX205, OMX208, OMX213)."""
    untidy = {
        "not": {
            "anyOf": [
                {"enum": sorted(nan_like)},
                {"pattern": f"^[{SPACE_CHARACTERS}]"},
                {"pattern": f"[{SPACE_CHARACTERS}]$"},
                {"pattern": f"[{INVISIBLE_CHARACTERS}]"},
            ]
        }
    }
    for key, prop in properties.items():
        item = _item_schema(prop)
        if key != INDEX_KEY and item.get("type") == "string":
            item.setdefault("allOf", []).append(untidy)


def _tighten_field(prop: dict[str, Any], checks: FieldChecks) -> None:
    """The field's vocabulary (text), range (numbers) and "no default beside other values" (arrays)."""
    rule = checks.rule
    item = _item_schema(prop)
    if checks.terms is not None and not checks.terms_in_python and checks.field_type == "text":
        accepted = {*checks.terms.terms, *rule.allow, *rule.defaults}
        item.setdefault("allOf", []).append({"enum": sorted(accepted)})
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
            {"not": {"allOf": [{"contains": {"const": d}}, {"contains": {"not": {"const": d}}}]}} for d in rule.defaults
        )
