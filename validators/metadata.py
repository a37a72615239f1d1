"""The dataset-level metadata validator: one `<dataset_id>.json` file against the template and the rule pack.

Order matters for speed: read strictly, check identity, then ask the compiled schema whether the document is
acceptable; only rejected documents are diagnosed in detail. Value rules run on every document at `advanced` scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from validators import conformance, identity, index_block, jsonread, unreadable, values
from validators.context import Fact, ValidationContext
from validators.model import Finding, Rule
from validators.naming import dataset_id_of, is_metadata_name


class MetadataValidator:
    name = "metadata"
    kind = "metadata"
    rules: tuple[Rule, ...] = (
        *unreadable.RULES,
        *jsonread.RULES,
        *conformance.RULES,
        *index_block.RULES,
        *identity.RULES,
        *values.RULES,
    )

    def claims(self, path: Path) -> bool:
        return is_metadata_name(path.name)

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        display = str(path)
        document, _, findings = jsonread.read_json_object(path, display, ctx.limits)
        yield from findings
        if document is None:
            return
        doc = document.value
        if isinstance(doc.get("dataset_id"), str):
            yield Fact("dataset_id", doc["dataset_id"])
        yield from identity.check_identity(doc, dataset_id_of(path.name), display, document.locate)
        compiled = ctx.compiled
        if compiled is None:
            return
        yield from _consistency_facts(doc, ctx)
        accepted = ctx.accept.is_valid(doc)
        if not accepted and not ctx.structure.is_valid(doc):
            yield from compiled.diagnose(doc, display, document.locate)
        scope = ctx.scope or index_block.validation_check(doc)["scope"]
        checker = ctx.value_checker
        if scope == "advanced" and checker is not None:
            yield from checker.check(doc, display, document.locate, accepted=accepted)


def _consistency_facts(doc: dict[str, object], ctx: ValidationContext) -> Iterator[Fact]:
    """The values the pairing checks compare with the data file, as {field, pointer, value}."""
    if ctx.rule_pack is None or ctx.template is None:
        return
    rules = ctx.rule_pack.consistency
    for fact, name in (
        ("sample_count", rules.sample_count),
        ("cell_count", rules.cell_count),
        ("data_type", rules.data_type),
    ):
        field = ctx.template.lookup(name) if name else None
        if field is not None and field.original_name in doc:
            key = field.original_name
            yield Fact(fact, {"field": key, "pointer": jsonread.pointer(key), "value": doc[key]})
