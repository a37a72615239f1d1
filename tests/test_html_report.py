"""The HTML report in a real browser (Debian's chromium, headless): a summary, a by-rule view and one card per
dataset in the markup itself, so that the page is complete without JavaScript; filters, search and opening a card
by address with it; hostile text shown as text; a size that grows by a bounded amount per repeated finding."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from omix_ingest.report.model import FileReport, Report
from omix_ingest.report.reporters.html import HtmlReporter
from omix_ingest.report.reporters.html_cards import finding_row, found_and_expected
from validators.core.model import Finding, Location, Severity

from .conftest import METADATA, ROOT, SINGLE_CELL
from .gate_helpers import ATLAS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
EXAMPLES = ROOT / "fixtures" / "examples"
# Scripts off. Chromium 156's headless --dump-dom and --screenshot print nothing at all under
# --blink-settings=scriptEnabled=false, so the page is loaded under a Content-Security-Policy that forbids every
# script: the inline script never runs, exactly as in a browser with JavaScript off.
NO_SCRIPTS = '<meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'


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
    assert proc.stdout, proc.stderr
    return proc.stdout


def without_scripts(page: Path) -> Path:
    copy = page.with_name("noscript-" + page.name)
    copy.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + NO_SCRIPTS, 1), encoding="utf-8")
    return copy


def cards(dom: str) -> dict[str, str]:
    """Dataset card anchor → its opening tag."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<details class="ds [a-z]+" id="([^"]+)"[^>]*>', dom)}


def visible_rows(dom: str) -> list[tuple[str, str]]:
    """(severity class, code) of each finding row that neither it nor its card hides."""
    rows = []
    for block in re.findall(r"<details class=\"ds.*?</details>", dom, flags=re.S):
        if 'hidden=""' in block.split(">", 1)[0]:
            continue
        rows += re.findall(r'<tr class="([ewi])"><td>[^<]*</td><td><a href="#(OMX\d+)"', block)
    return rows


@pytest.fixture
def negative_page(run_cli, tmp_path) -> tuple[Path, dict]:
    page = tmp_path / "report.html"
    result = run_cli("validate", "--template", SINGLE_CELL, "--format", "html", "-o", page, METADATA / "negative")
    assert result.code == 1
    report = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", METADATA / "negative").json()
    return page, report


@needs_chromium
def test_load_shows_the_summary_every_finding_and_the_filters(negative_page, tmp_path):
    page, report = negative_page
    stats = report["stats"]
    dom = rendered_dom(page, tmp_path)
    assert f"{stats['files']} files checked, {stats['files_failed']} failing" in dom
    rows = visible_rows(dom)
    assert len(rows) == stats["findings"]
    assert sum(1 for sev, _ in rows if sev == "e") == stats["by_severity"]["error"]
    assert sum(1 for sev, _ in rows if sev == "w") == stats["by_severity"]["warning"] > 0
    assert '<form id="filters" role="search">' in dom  # the script showed the filters
    assert f"showing 55 of 55 datasets, {stats['findings']} of {stats['findings']} findings" in dom
    assert not any(" open" in tag for tag in cards(dom).values())  # many failing datasets: cards start closed
    # The by-rule view: "OMX106 in 7 files", its explanation and examples once, links to the datasets it hit.
    assert len(re.findall(r'<details class="rule e" id="OMX106">', dom)) == 1
    assert re.search(r"<code>OMX106</code><b>wrong-type</b><span>in <b>7 files</b> \(7 findings\)", dom)
    assert dom.count('"total_num_samples": "380"') == 1  # OMX106's bad example, not repeated per finding
    assert '<a href="#ds-GSE100017_string_for_integer">GSE100017_string_for_integer</a>' in dom


@needs_chromium
def test_filters_by_severity_rule_dataset_and_search(negative_page, tmp_path):
    page, report = negative_page
    counts = report["stats"]["by_severity"]
    hidden = visible_rows(rendered_dom(page, tmp_path, "#hide=warning"))
    assert [sev for sev, _ in hidden].count("e") == counts["error"] and "w" not in [sev for sev, _ in hidden]
    by_code = visible_rows(rendered_dom(page, tmp_path, "#code=OMX106"))
    assert by_code == [("e", "OMX106")] * report["stats"]["by_code"]["OMX106"]
    one = rendered_dom(page, tmp_path, "#ds=GSE100053")
    shown = [anchor for anchor, tag in cards(one).items() if 'hidden=""' not in tag]
    assert shown == ["ds-GSE100053_many_problems"] and len(visible_rows(one)) == 7
    searched = rendered_dom(page, tmp_path, "#q=organsim")  # the typo'd key, found in two datasets' findings
    assert sorted(code for _, code in visible_rows(searched)) == ["OMX104", "OMX104"]
    assert "showing 2 of 55 datasets, 2 of 65 findings" in searched


@needs_chromium
def test_a_card_opens_by_its_address(negative_page, tmp_path):
    page, _ = negative_page
    dom = rendered_dom(page, tmp_path, "#ds-GSE100017_string_for_integer")
    opened = [anchor for anchor, tag in cards(dom).items() if 'open=""' in tag]
    assert opened == ["ds-GSE100017_string_for_integer"]
    rule = rendered_dom(page, tmp_path, "#OMX205")
    assert re.search(r'<details class="rule e" id="OMX205" open="">', rule)


@needs_chromium
def test_without_javascript_the_page_shows_the_summary_and_every_finding(negative_page, tmp_path):
    page, report = negative_page
    stats = report["stats"]
    dom = rendered_dom(without_scripts(page), tmp_path)
    assert '<form id="filters" hidden="" role="search">' in dom  # the script did not run
    assert f"{stats['files']} files checked, {stats['files_failed']} failing" in dom
    rows = visible_rows(dom)
    assert len(rows) == stats["findings"]
    with_findings = cards(dom)
    assert len(with_findings) == 55 and all('open=""' in tag for tag in with_findings.values())
    assert "Value of the wrong type" in dom  # rule titles and explanations are markup too


@needs_chromium
def test_dataset_card_puts_metadata_and_data_file_facts_side_by_side(run_cli, tmp_path):
    page = tmp_path / "examples.html"
    args = ("--metadata", EXAMPLES / "metadata", "--data", EXAMPLES / "data", "--format", "html", "-o", page)
    assert run_cli("validate", "--template", SINGLE_CELL, *args).code == 1
    dom = rendered_dom(page, tmp_path, "#ds-GSE164378_GPL24676")
    card = re.search(r'<details class="ds e" id="ds-GSE164378_GPL24676" open="">.*?</details>', dom, re.S).group(0)
    assert re.search(r"<th>file</th><th>samples</th><th>cells</th><th>genes</th><th>data type</th>", card)
    assert '<td title="total_num_cells">120</td>' in card and "<td>csr_matrix</td>" in card
    assert re.search(r"<td>X</td><td><a href=\"#OMX313\">OMX313</a></td><td>X: 1 NaN and 0 infinite values", card)
    clean = cards(dom)["ds-GSE95640_GPL11154"]
    assert 'class="ds ok"' in clean and "open" not in clean
    # A value next to what the template expects.
    wrong = re.search(r'id="ds-GSE123813_GPL24676".*?</details>', dom, re.S).group(0)
    assert "<td>6:24 /total_num_samples</td>" in wrong and '<td>"12"</td><td>integer (integer)</td>' in wrong


def test_disagreeing_counts_are_marked():
    meta = FileReport(
        "m/GSE1_GPL1.json",
        ("metadata",),
        "0" * 64,
        10,
        facts={"cell_count": {"field": "total_num_cells", "pointer": "/total_num_cells", "value": 999}},
    )
    data = FileReport("d/GSE1_GPL1.h5ad", ("h5ad",), "0" * 64, 10, facts={"format": "h5ad", "n_obs": 50})
    page = HtmlReporter().render(Report("0", (meta, data)))
    assert '<td class=x title="total_num_cells">999' in page and "<td class=x>50" in page


@pytest.mark.parametrize(
    ("code", "params", "expected"),
    [
        ("OMX201", {"value": "Human", "vocabulary": "organisms"}, ("Human", "a term of organisms")),
        ("OMX202", {"value": "geo", "vocabulary": "sources", "term": "GEO"}, ("geo", "GEO (sources)")),
        ("OMX106", {"value": '"12"', "found": "a string", "expected": "integer"}, ('"12"', "integer")),
        ("OMX103", {"key": "disease"}, ("(missing)", "required")),
        # The metadata's word against the data file's count, not the other way round.
        ("OMX610", {"declared": 999, "actual": 50, "unit": "cells (obs rows)"}, ("999", "50 cells (obs rows)")),
        ("OMX905", {"detail": "trailing comma"}, ("", "")),
    ],
)
def test_a_finding_shows_what_it_found_next_to_what_was_expected(code, params, expected):
    assert found_and_expected(code, params) == expected


def test_a_missing_field_is_named_where_there_is_nothing_to_point_at():
    finding = {"code": "OMX103", "severity": "error", "message": "m", "line": None, "params": {"key": "disease"}}
    assert finding_row(finding, compared=False).startswith('<tr class=e><td>disease<td><a href="#OMX103">')


@needs_chromium
def test_hostile_text_stays_text(tmp_path):
    evil = "</script><img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
    finding = Finding(
        "OMX104", Severity.ERROR, evil, "x.json", Location("/k" + evil, 1, 1), fix=evil, params={"value": evil}
    )
    hostile_name = f"{evil}.json"
    # A saved report can be edited: a "code" with spaces must not become attributes of the link or the rule.
    other = Finding("OMX905 onmouseover=alert(1) x", Severity.WARNING, "bad", hostile_name, params={"expected": evil})
    files = (
        FileReport("x.json", ("metadata",), "0" * 64, 2, (finding,), facts={"data_type": {"value": evil}}),
        FileReport(hostile_name, ("metadata",), None, None, (other,)),
    )
    page = tmp_path / "evil.html"
    page.write_text(HtmlReporter().render(Report("0", files, skipped=(evil,))), encoding="utf-8")
    dom = rendered_dom(page, tmp_path)
    assert "<img" not in dom and "<b>bold</b>" not in dom and 'onmouseover="' not in dom
    assert "&lt;b&gt;bold&lt;/b&gt;" in dom
    assert "<title>omix-ingest report: FAILED</title>" in dom


def _repeated(files: int, per_file: int) -> Report:
    """`files` metadata files, each with the same `per_file` findings: the shape of a batch made by one tool."""
    reports = []
    for n in range(files):
        path = f"metadata/GSE{100000 + n}_GPL570.json"
        found = tuple(
            Finding(
                "OMX201",
                Severity.ERROR,
                "'Human' is not in the organisms vocabulary",
                path,
                Location("/organism/0", 14, 5),
                params={"value": "Human", "vocabulary": "organisms"},
            )
            for _ in range(per_file)
        )
        facts = {"dataset_id": f"GSE{100000 + n}_GPL570"}
        reports.append(FileReport(path, ("metadata",), "0" * 64, 1234, found, facts))
    return Report("0", tuple(reports), created="2026-01-01T00:00:00+00:00")


def test_size_grows_by_a_bounded_amount_per_repeated_finding():
    """Group, don't repeat: a repeated finding costs one table row, never its rule's explanation again."""

    def size(files: int, per_file: int) -> int:
        return len(HtmlReporter().render(_repeated(files, per_file)).encode())

    base = size(200, 1)
    per_extra_finding = (size(200, 4) - base) / (200 * 3)
    per_extra_file = (size(400, 1) - base) / 200
    assert per_extra_finding < 160, per_extra_finding
    assert per_extra_file < 650, per_extra_file
    page = HtmlReporter().render(_repeated(300, 3))
    explanation = "A term outside it creates a facet value nobody searches for"  # OMX201 explains once
    assert page.count(explanation) == 1
    assert len(re.findall(r"<a href=#ds-", page)) == 40  # the by-rule view lists 40 datasets, then "and N more"


def test_add_and_update_write_the_html_report(run_cli, tmp_path):
    page = tmp_path / "out" / "gate.html"
    args = ("--atlas", ATLAS, "--metadata", EXAMPLES / "metadata", "--data", EXAMPLES / "data")
    result = run_cli("add", *args, "--report-html", page)
    assert result.code == 1 and f"HTML report written to {page}" in result.err
    html = page.read_text(encoding="utf-8")
    assert "<title>omix-ingest report: FAILED</title>" in html and "id=ds-GSE164378_GPL24676 open" in html
    again = tmp_path / "update.html"
    assert run_cli("update", *args, "--report-html", again).code in (0, 1) and again.exists()
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    refused = run_cli("add", *args, "--report-html", blocked / "x.html")
    assert refused.code == 2 and "cannot write the HTML report" in refused.err
