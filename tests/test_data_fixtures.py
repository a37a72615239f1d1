"""Every data-file fixture produces exactly the codes `fixtures/data/expected.json` names; valid ones none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from validators.core.context import ValidationContext
from validators.core.model import Finding
from validators.registry import load_validators

from .conftest import FIXTURES

DATA = FIXTURES / "data"
EXPECTED = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))
NEGATIVE = sorted(p for p in (DATA / "negative").iterdir() if not p.name.endswith((".tbi", ".csi")))
POSITIVE = sorted(p for p in (DATA / "positive").iterdir() if not p.name.endswith((".tbi", ".csi")))
VALIDATORS = [v for v in load_validators(plugins=False) if getattr(v, "kind", "data") == "data"]


def findings_of(path: Path) -> list[Finding]:
    ctx = ValidationContext()
    found = []
    for validator in VALIDATORS:
        if validator.claims(path):
            found += [f for f in validator.validate(path, ctx) if isinstance(f, Finding)]
    return found


def test_every_negative_fixture_is_listed():
    assert sorted(EXPECTED) == [p.name for p in NEGATIVE]


@pytest.mark.parametrize("path", NEGATIVE, ids=lambda p: p.name)
def test_negative_data_fixture_codes(path: Path):
    assert sorted(f.code for f in findings_of(path)) == EXPECTED[path.name]


@pytest.mark.parametrize("path", POSITIVE, ids=lambda p: p.name)
def test_positive_data_fixture_is_clean(path: Path):
    assert findings_of(path) == []
