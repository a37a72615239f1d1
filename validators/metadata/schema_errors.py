"""The errors of the compiled template schema that diagnosis translates into findings, from the Rust validator
the accept test also uses: jsonschema (pure Python) costs some 45 ms to import, which a pre-commit run with one
broken file would pay."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

SchemaError = tuple[str, list[str | int], Any, dict[str, Any]]  # keyword, document path, value, subschema


def schema_errors(validator: Any, schema: dict[str, Any], doc: dict[str, Any]) -> Iterator[SchemaError]:
    """Each error of `validator` (compiled from `schema`) on `doc`. The template schema has no $ref, so the
    subschema holding the keyword is found by walking the error's schema path. A value nested past the Rust
    validator's recursion limit (a depth limit raised by hand) is left to jsonschema."""
    try:
        errors = [(e.schema_path, e.instance_path, e.instance) for e in validator.iter_errors(doc)]
    except ValueError:
        from jsonschema import Draft202012Validator

        for error in Draft202012Validator(schema).iter_errors(doc):
            yield str(error.validator), list(error.absolute_path), error.instance, error.schema
        return
    for schema_path, instance_path, instance in errors:
        *parents, keyword = schema_path
        where: Any = schema
        for step in parents:
            where = where.get(step, {}) if isinstance(where, dict) else {}
        yield str(keyword), list(instance_path), instance, where


def is_json_type(item: Any, wanted: str) -> bool:
    """JSON Schema's `type` test, by the same validator as the rest of diagnosis."""
    return bool(_type_test(wanted).is_valid(item))


@cache
def _type_test(wanted: str) -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for({"type": wanted})
