"""Every metadata fixture produces exactly the codes `fixtures/metadata/expected.json` names; valid ones none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.templates import load_template_file
from validators.core.context import ValidationContext
from validators.core.jsonread import read_json_object
from validators.core.model import Finding
from validators.metadata.compiled import compiled_template, value_checker
from validators.metadata.validator import MetadataValidator, template_findings

from .conftest import METADATA, SINGLE_CELL

EXPECTED = json.loads((METADATA / "expected.json").read_text(encoding="utf-8"))
NEGATIVE = sorted((METADATA / "negative").glob("*.json"))
POSITIVE = sorted((METADATA / "positive").glob("*.json"))


@pytest.fixture(scope="module")
def ctx() -> ValidationContext:
    return ValidationContext(load_template_file(SINGLE_CELL), resolve_rule_pack("polly-default"))


def findings_of(path: Path, ctx: ValidationContext) -> list[Finding]:
    return [f for f in MetadataValidator().validate(path, ctx) if isinstance(f, Finding)]


def test_every_negative_fixture_is_listed():
    assert sorted(EXPECTED) == [p.name for p in NEGATIVE]
    assert len(NEGATIVE) + len(POSITIVE) >= 40


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_negative_fixture_codes(path: Path, ctx: ValidationContext):
    codes = sorted(f.code for f in findings_of(path, ctx))
    assert codes == EXPECTED[path.name]


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.stem)
def test_positive_fixture_is_clean(path: Path, ctx: ValidationContext):
    assert findings_of(path, ctx) == []


PARSEABLE = [p for p in NEGATIVE + POSITIVE if read_json_object(p, str(p), ValidationContext().limits)[0] is not None]


def fast_and_full(doc: dict, ctx: ValidationContext, locate) -> tuple[list[Finding], list[Finding]]:
    """Findings through the accept path (as the validator runs) and through full diagnosis of everything."""
    compiled, checker = compiled_template(ctx), value_checker(ctx)
    assert compiled is not None and checker is not None
    full = compiled.diagnose(doc, "f", locate) + checker.check(doc, "f", locate)
    fast = template_findings(doc, "f", locate, ctx, with_values=True)
    return sorted(fast, key=Finding.sort_key), sorted(full, key=Finding.sort_key)


@pytest.mark.parametrize("path", PARSEABLE, ids=lambda p: p.stem)
def test_accept_path_agrees_with_full_diagnosis(path: Path, ctx: ValidationContext):
    """The compiled accept test may only skip work whose findings would have been empty."""
    document, _, _ = read_json_object(path, str(path), ctx.limits)
    assert document is not None
    fast, full = fast_and_full(document.value, ctx, document.locate)
    assert fast == full


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.stem)
def test_findings_point_somewhere_useful(path: Path, ctx: ValidationContext):
    """Each finding names the file, and text-level findings carry a 1-based line."""
    for finding in findings_of(path, ctx):
        assert finding.file == str(path)
        assert finding.message
        if finding.location.pointer.startswith("/") and finding.code not in ("OMX907",):
            assert finding.location.line is not None and finding.location.line >= 1
