"""Polly parses GCT with cmapPy: every GCT this tool passes (no error) must parse with cmapPy, and every GCT cmapPy
cannot parse must fail here. The project pins pandas < 3 in its dev extra because cmapPy 4.0.1 fails on every file
under pandas 3 (it calls `to_numeric(errors="ignore")`, which pandas 3 removed)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from validators.core.model import Severity

from .test_data_fixtures import DATA, findings_of

GCT_FILES = sorted(p for folder in ("positive", "negative") for p in (DATA / folder).glob("*.gct*"))


def cmappy_parses(path: Path) -> bool:
    from cmapPy.pandasGEXpress.parse import parse

    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parse(str(path))
    except Exception:
        return False
    finally:
        logging.disable(logging.NOTSET)
    return True


PASSING = [p for p in GCT_FILES if not any(f.severity >= Severity.ERROR for f in findings_of(p))]


@pytest.mark.parametrize("path", PASSING, ids=lambda p: p.name)
def test_passing_gct_parses_with_cmappy(path: Path):
    assert cmappy_parses(path), f"{path.name} passes validation but cmapPy cannot parse it"


def test_cmappy_failures_are_all_flagged():
    unparsed = [p for p in GCT_FILES if not cmappy_parses(p)]
    assert unparsed, "the fixtures include files cmapPy rejects"
    for path in unparsed:
        assert any(f.severity >= Severity.ERROR for f in findings_of(path)), path.name


def test_checks_do_not_vanish_under_python_O():
    """cmapPy's checks are asserts and disappear under -O; these must give the same findings either way."""
    import json
    import subprocess
    import sys

    def codes(*flags: str) -> dict:
        proc = subprocess.run(
            [sys.executable, *flags, "-m", "omix_ingest.cli", "validate", "--format", "json", str(DATA / "negative")],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return {f["path"]: sorted(x["code"] for x in f["findings"]) for f in json.loads(proc.stdout)["files"]}

    assert codes("-O") == codes()
