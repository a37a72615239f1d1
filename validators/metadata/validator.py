"""The dataset-level metadata validator: one `<dataset_id>.json` file against the template and the rule pack.

Order matters for speed: read strictly, check identity, then ask the compiled schema whether the document is
acceptable; only rejected documents are diagnosed in detail. Value rules run on every document at `advanced` scope.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from validators.core import jsonread, unreadable
from validators.core.capped import CappedFindings
from validators.core.context import DIGEST_FACT, SIZE_FACT, Fact, ValidationContext
from validators.core.model import Finding, Location, Rule
from validators.core.naming import dataset_id_of, is_metadata_name
from validators.metadata import conformance, identity, index_block
from validators.metadata.compiled import (
    accept_test,
    clean_fields,
    compiled_template,
    consistency_keys,
    field_accept_tests,
    lenient_structure_test,
    value_checker,
)
from validators.values import checks as values


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
        document, data, findings = jsonread.read_json_object(path, display, ctx.limits)
        if data is not None:  # the digest of exactly the bytes validated; spares the runner a second read
            yield Fact(DIGEST_FACT, hashlib.sha256(data).hexdigest())
            yield Fact(SIZE_FACT, len(data))
        out = CappedFindings()  # a field holding 100,000 "nan" gives the first few, then one finding with the count
        for finding in findings:
            out.add(finding)
        if document is not None:
            for item in check_document(document, display, ctx, out):
                if isinstance(item, Fact):
                    yield item
                else:
                    out.add(item)
        yield from out


def check_document(
    document: jsonread.JsonDocument, display: str, ctx: ValidationContext, out: CappedFindings | None = None
) -> Iterator[Finding | Fact]:
    """Every check on a parsed metadata object; `display` is its file name (its stem is the expected dataset id).
    With `out`, value findings go straight there (see `ValueChecker.check`)."""
    doc = document.value
    if isinstance(doc.get("dataset_id"), str):
        yield Fact("dataset_id", doc["dataset_id"])
    stem = dataset_id_of(display.replace("\\", "/").rsplit("/", 1)[-1])
    yield from identity.check_identity(doc, stem, display, document.locate)
    compiled = compiled_template(ctx)
    if compiled is None:
        return
    yield from _consistency_facts(doc, ctx)
    scope = ctx.scope or index_block.validation_check(doc)["scope"]
    yield from template_findings(doc, display, document.locate, ctx, with_values=scope == "advanced", out=out)


def template_findings(
    doc: dict[str, Any],
    display: str,
    locate: Callable[..., Location],
    ctx: ValidationContext,
    *,
    with_values: bool,
    out: CappedFindings | None = None,
) -> list[Finding]:
    """Conformance (OMX1xx) and, `with_values`, value-rule (OMX2xx) findings, by the cheapest path that reports
    exactly what full diagnosis would (tests hold the paths equal):
    1. the compiled accept test passes: only what JSON Schema cannot express is checked;
    2. only root-level keys are wrong (the common warnings: a server-managed field, an unknown key): the key check
       alone; otherwise full structural diagnosis;
    3. in both, the values of each field that passes its own part of the accept schema are checked as in 1, and
       only the other fields (an unknown term, a padded string) get every value rule."""
    compiled = compiled_template(ctx)
    if compiled is None:
        return []
    checker = value_checker(ctx) if with_values else None
    if accept_test(ctx).is_valid(doc):
        return checker.check(doc, display, locate, clean=field_accept_tests(ctx).keys(), out=out) if checker else []
    if lenient_structure_test(ctx).is_valid(doc):
        findings = compiled.check_keys(doc, display, locate, out)
    else:
        findings = compiled.diagnose(doc, display, locate, out)
    if checker is None:
        return findings
    return findings + checker.check(doc, display, locate, clean=clean_fields(ctx, doc), out=out)


def _consistency_facts(doc: dict[str, object], ctx: ValidationContext) -> Iterator[Fact]:
    """The values the pairing checks compare with the data file, as {field, pointer, value}. Only a scalar or a
    flat array of scalars is comparable; anything nested is a type finding already, and carrying it into the
    report (to a depth the limit allows when raised by hand) would only burden every reporter."""
    for fact, key in consistency_keys(ctx).items():
        if key in doc and _flat(doc[key]):
            yield Fact(fact, {"field": key, "pointer": jsonread.pointer(key), "value": doc[key]})


def _flat(value: object) -> bool:
    items = value if isinstance(value, list) else [value]
    return all(not isinstance(item, list | dict) for item in items)
