"""The machine and people formats: SARIF, JUnit, GitHub annotations, Markdown, each from the same report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from omix_ingest.report.reporters.concise import concise_line
from omix_ingest.report.reporters.github import annotation
from omix_ingest.run.config_file import DEFAULT_DOCS_URL
from validators.core.model import Finding, Location, Severity

from .conftest import METADATA, SINGLE_CELL

BROKEN = METADATA / "negative" / "GSE100017_string_for_integer.json"
CLEAN = METADATA / "positive" / "GSE200001_full.json"


def render(run_cli, fmt: str, *paths):
    return run_cli("validate", "--template", SINGLE_CELL, "--format", fmt, *(paths or (BROKEN, CLEAN)))


def test_sarif(run_cli):
    result = render(run_cli, "sarif")
    assert result.code == 1
    sarif = json.loads(result.out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"OMX106", "OMX301", "OMX901"}
    [res] = run["results"]
    assert res["ruleId"] == "OMX106" and res["level"] == "error"
    assert rules[res["ruleIndex"]]["id"] == "OMX106"
    assert res["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": str(BROKEN)},
        "region": {"startLine": 10, "startColumn": 24},
    }
    assert "fix: write 380" in res["message"]["text"]


def test_junit(run_cli):
    root = ET.fromstring(render(run_cli, "junit").out)
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuite", "2", "1")
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases[str(BROKEN)].find("failure").get("type") == "OMX106"
    assert cases[str(CLEAN)].find("failure") is None


def test_github_annotations(run_cli):
    out = render(run_cli, "github").out
    assert out == (
        f'::error file={BROKEN},line=10,col=24,title=OMX106::"380" is a string, expected integer '
        "(integer) (fix: write 380)\n"
    )


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (
            Finding("OMX905", Severity.ERROR, "bad: 100%\nreally", "a,b:c.json", Location(line=1, column=2)),
            "::error file=a%2Cb%3Ac.json,line=1,col=2,title=OMX905::bad: 100%25%0Areally",
        ),
        (Finding("OMX412", Severity.INFO, "3 missing", "x.gct"), "::notice file=x.gct,title=OMX412::3 missing"),
    ],
)
def test_github_escaping(finding, expected):
    assert annotation(finding) == expected


def test_markdown(run_cli):
    out = render(run_cli, "markdown").out
    assert out.startswith("## omix-ingest: ❌ FAILED\n")
    assert f"### `{BROKEN}`" in out and f"`{CLEAN}`" not in out
    link = f"[OMX106]({DEFAULT_DOCS_URL}rules/OMX106/)"  # the docs site, not a path in the user's repository
    assert f'| 10:24 /total_num_samples | error | {link} | "380" is a string' in out
    assert render(run_cli, "markdown", CLEAN).out.startswith("## omix-ingest: ✅ passed\n")


def test_concise_is_one_clickable_line_per_finding(run_cli):
    result = render(run_cli, "concise")
    assert result.code == 1
    assert result.out.splitlines() == [
        f'{BROKEN}:10:24: OMX106 "380" is a string, expected integer (integer)',
        "FAILED: 2 files checked, 1 failing (fail-on error); 1 error, 0 warnings, 0 info",
    ]


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (Finding("OMX313", Severity.ERROR, "X: 1 NaN", "d.h5ad", Location("X")), "d.h5ad: OMX313 X: 1 NaN (at X)"),
        (Finding("OMX103", Severity.ERROR, "required", "m.json"), "m.json: OMX103 required"),
        (
            Finding("OMX905", Severity.ERROR, "bad\nline\x1b[2J", "a\rb.json", Location(line=3)),
            "a\\rb.json:3:1: OMX905 bad\\nline\\x1b[2J",
        ),
    ],
)
def test_concise_without_a_line_names_the_pointer_and_never_breaks_the_line(finding, expected):
    assert concise_line(finding) == expected
