"""The value checker remembers strings that passed a field's residual checks, once per run: the memo may only
spare work, never change a finding."""

from __future__ import annotations

from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.templates import load_template_file
from validators.core.capped import CappedFindings
from validators.core.context import ValidationContext
from validators.core.model import Location
from validators.metadata.validator import template_findings

from .conftest import SINGLE_CELL, good_doc


def _locate(ptr: str, *, key: bool = False) -> Location:
    return Location(pointer=ptr)


def _codes(ctx: ValidationContext, **changes: object) -> list[tuple[str, str | None]]:
    doc = good_doc("GSE1_GPL1")
    doc.update(changes)
    return [(f.code, f.location.pointer) for f in template_findings(doc, "f", _locate, ctx, with_values=True)]


def _fresh() -> ValidationContext:
    return ValidationContext(load_template_file(SINGLE_CELL), resolve_rule_pack("polly-default"))


def test_a_run_of_documents_gets_the_findings_each_gets_alone():
    years = ["2021", "1850", "2021", "abc", "1850", "2019", "2021"]
    shared = _fresh()
    together = [_codes(shared, year=y) for y in years]
    alone = [_codes(_fresh(), year=y) for y in years]
    assert together == alone
    assert together[1] == [("OMX204", "/year")] and together[4] == [("OMX204", "/year")]


def test_a_value_counted_past_the_cap_is_not_remembered_as_passing():
    """Past the cap a finding is only counted (never built), which must not read as "this value passed"."""
    ctx = _fresh()
    out = CappedFindings(cap=0)
    doc = good_doc("GSE1_GPL1")
    doc["year"] = "1850"
    template_findings(doc, "f", _locate, ctx, with_values=True, out=out)
    assert _codes(ctx, year="1850") == [("OMX204", "/year")]
