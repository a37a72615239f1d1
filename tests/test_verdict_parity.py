"""Every output format tells the same verdict: for each fixture, the exit code of `omix validate` is the same in
text, JSON, concise, JUnit, SARIF, Markdown and HTML, and the JSON report's failing files are the ones the text
output names."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import FIXTURES, SINGLE_CELL

FORMATS = ("text", "json", "concise", "junit", "sarif", "markdown", "github", "html")
INPUTS = {
    "metadata negative": ["--template", SINGLE_CELL, FIXTURES / "metadata" / "negative"],
    "metadata positive": ["--template", SINGLE_CELL, FIXTURES / "metadata" / "positive"],
    "data negative": [FIXTURES / "data" / "negative"],
    "data positive": [FIXTURES / "data" / "positive"],
    "fix before": ["--template", SINGLE_CELL, FIXTURES / "fix" / "before"],
    "examples paired": [
        "--template",
        SINGLE_CELL,
        "--metadata",
        FIXTURES / "examples" / "metadata",
        "--data",
        FIXTURES / "examples" / "data",
    ],
}


@pytest.mark.parametrize("name", sorted(INPUTS))
@pytest.mark.parametrize("fail_on", ["error", "warning"])
def test_every_format_gives_the_same_verdict(run_cli, name, fail_on):
    args = [*INPUTS[name], "--fail-on", fail_on]
    report = run_cli("validate", *args, "--format", "json")
    assert report.code in (0, 1), report.err
    codes = {fmt: run_cli("validate", *args, "--format", fmt).code for fmt in FORMATS}
    assert set(codes.values()) == {report.code}, codes
    rank = {"info": 1, "warning": 2, "error": 3}
    failing = {
        Path(f["path"]).name
        for f in report.json()["files"]
        if any(rank[x["severity"]] >= rank[fail_on] for x in f["findings"])
    }
    text = run_cli("validate", *args, "--format", "text").out
    named = {Path(line.strip()).name for line in text.splitlines() if line and not line.startswith(" ")}
    assert failing <= named
    assert (report.json()["stats"]["files_failed"] > 0) == (report.code == 1)
