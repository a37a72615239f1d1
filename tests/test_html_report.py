"""The HTML report in a real browser (Debian's chromium, headless): the script renders every finding, filters by
severity, and shows hostile text as text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from omix_ingest.report.model import FileReport, Report
from omix_ingest.report.reporters.html import HtmlReporter
from validators.core.model import Finding, Location, Severity

from .conftest import METADATA, SINGLE_CELL

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


def rendered_dom(page: Path, tmp_path: Path, fragment: str = "") -> str:
    """The DOM after the page's scripts ran, as the browser serialises it."""
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return proc.stdout


def test_every_finding_is_rendered_and_filters_apply(run_cli, tmp_path):
    page = tmp_path / "report.html"
    result = run_cli("validate", "--template", SINGLE_CELL, "--format", "html", "-o", page, METADATA / "negative")
    assert result.code == 1
    report = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", METADATA / "negative").json()
    counts = report["stats"]["by_severity"]
    dom = rendered_dom(page, tmp_path)
    assert len(re.findall(r'<tr class="finding error"', dom)) == counts["error"]
    assert len(re.findall(r'<tr class="finding warning"', dom)) == counts["warning"] > 0
    assert "55 files checked, 50 failing" in dom
    hidden = rendered_dom(page, tmp_path, "#hide=warning")
    assert len(re.findall(r'<tr class="finding warning"', hidden)) == 0
    assert len(re.findall(r'<tr class="finding error"', hidden)) == counts["error"]


def test_hostile_text_stays_text(tmp_path):
    evil = "</script><img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
    finding = Finding("OMX104", Severity.ERROR, evil, "x.json", Location("/k", 1, 1), fix=evil)
    report = Report("0", (FileReport("x.json", ("metadata",), "0" * 64, 2, (finding,)),))
    page = tmp_path / "evil.html"
    page.write_text(HtmlReporter().render(report), encoding="utf-8")
    dom = rendered_dom(page, tmp_path)
    markup = re.sub(r'<script id="report-data".*?</script>', "", dom, flags=re.S)  # the data, not elements
    assert "<img" not in markup and "<b>bold</b>" not in markup
    assert "&lt;b&gt;bold&lt;/b&gt;" in dom
    assert "<title>omix-ingest report: FAILED</title>" in dom
