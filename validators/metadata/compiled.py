"""What the metadata checks compile once per run from the context: the template's JSON Schema, the fast Rust
accept tests (whole, without the root key rules, per field), the structural test without the root key rules, the
value checker, and which fields the pairing checks compare."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from validators.core.context import ValidationContext
from validators.metadata.conformance import CompiledTemplate
from validators.values.checks import ValueChecker


def compiled_template(ctx: ValidationContext) -> CompiledTemplate | None:
    template = ctx.template
    return ctx.memo("compiled", lambda: CompiledTemplate.build(template, ctx.rule_pack) if template else None)


def value_checker(ctx: ValidationContext) -> ValueChecker | None:
    template, pack = ctx.template, ctx.rule_pack
    return ctx.memo(
        "value_checker", lambda: ValueChecker(pack, template, ctx.ontologies) if template and pack else None
    )


def accept_test(ctx: ValidationContext) -> Any:
    """A compiled (Rust) validator of the template schema tightened with the value rules it can express: the
    fast accept test. Documents it rejects are diagnosed in detail; it never decides a finding on its own."""

    def build() -> Any:
        import jsonschema_rs

        schema = _accept_schema(ctx)
        return jsonschema_rs.validator_for(schema) if schema is not None else None

    return ctx.memo("accept", build)


def _lenient(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without its root-level key rules (required, additionalProperties): errors of those have an empty
    path, which full diagnosis leaves to the exact key check, so a document it accepts has no other finding."""
    return {k: v for k, v in schema.items() if k not in ("required", "additionalProperties")}


def lenient_structure_test(ctx: ValidationContext) -> Any:
    """The structural test without the root-level key rules: when it accepts a document the structural test
    rejected, only its keys are wrong (a server-managed field copied from a download, an unknown key) and the
    key check alone reports exactly what full diagnosis would."""

    def build() -> Any:
        import jsonschema_rs

        compiled = compiled_template(ctx)
        return jsonschema_rs.validator_for(_lenient(compiled.schema)) if compiled else None

    return ctx.memo("lenient_structure", build)


def _accept_schema(ctx: ValidationContext) -> dict[str, Any] | None:
    compiled = compiled_template(ctx)
    if compiled is None:
        return None
    checker = value_checker(ctx)
    return checker.accept_schema(compiled.schema) if checker is not None else compiled.schema


def lenient_accept_test(ctx: ValidationContext) -> Any:
    """The accept test without the root-level key rules: values pass every rule JSON Schema can express."""

    def build() -> Any:
        import jsonschema_rs

        schema = _accept_schema(ctx)
        return jsonschema_rs.validator_for(_lenient(schema)) if schema is not None else None

    return ctx.memo("lenient_accept", build)


def field_accept_tests(ctx: ValidationContext) -> dict[str, Any]:
    """Original name → a compiled (Rust) validator of that field's part of the accept schema. The accept schema is
    its root key rules plus one schema per property, so a field whose value its own test accepts has no finding
    from the rules the schema expresses, whatever the other fields hold."""

    def build() -> dict[str, Any]:
        import jsonschema_rs

        schema = _accept_schema(ctx)
        if schema is None:
            return {}
        dialect = {"$schema": schema["$schema"]} if "$schema" in schema else {}
        return {key: jsonschema_rs.validator_for({**prop, **dialect}) for key, prop in schema["properties"].items()}

    return ctx.memo("field_accept", build)


def clean_fields(ctx: ValidationContext, doc: dict[str, Any]) -> Container[str]:
    """The keys of a document whose values meet every rule the accept schema expresses for their field: a
    document with one untidy field pays the full value checks on that field alone."""
    tests = field_accept_tests(ctx)
    if lenient_accept_test(ctx).is_valid(doc):
        return tests.keys()
    return {key for key, value in doc.items() if key in tests and tests[key].is_valid(value)}


def consistency_keys(ctx: ValidationContext) -> dict[str, str]:
    """Fact name → original name of the metadata field the pack compares with the data file."""

    def build() -> dict[str, str]:
        if ctx.rule_pack is None or ctx.template is None:
            return {}
        rules = ctx.rule_pack.consistency
        keys = {}
        for fact, name in (
            ("sample_count", rules.sample_count),
            ("cell_count", rules.cell_count),
            ("data_type", rules.data_type),
        ):
            field = ctx.template.lookup(name) if name else None
            if field is not None:
                keys[fact] = field.original_name
        return keys

    return ctx.memo("consistency_keys", build)
