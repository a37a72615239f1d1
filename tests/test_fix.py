"""`omix fix`: each safe correction turns fixtures/fix/before/X into fixtures/fix/after/X byte for byte (formatting,
line endings and BOM kept), a second run changes nothing, --diff changes nothing, ambiguous findings are left
alone; and for any document, fixing then validating leaves no finding that has a fix."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omix_ingest.fix.fixer import fix_context, fix_text
from omix_ingest.fix.json_text import value_span
from omix_ingest.run.config import RunRequest, resolve_run_config
from validators.core.jsonread import JsonDocument, parse_json_text
from validators.core.model import Finding
from validators.metadata.validator import check_document

from .conftest import FIXTURES, SINGLE_CELL, good_doc

BEFORE = sorted((FIXTURES / "fix" / "before").glob("*.json"))
AFTER = FIXTURES / "fix" / "after"


def copy_cases(tmp_path: Path, source: Path) -> Path:
    folder = tmp_path / "metadata"
    shutil.copytree(source, folder)
    return folder


def test_every_before_fixture_has_an_after_fixture():
    assert [p.name for p in BEFORE] == sorted(p.name for p in AFTER.glob("*.json"))
    assert len(BEFORE) >= 15


def test_fix_write_gives_the_reviewed_result_byte_for_byte(run_cli, tmp_path):
    folder = copy_cases(tmp_path, FIXTURES / "fix" / "before")
    result = run_cli("fix", "--write", "--template", SINGLE_CELL, folder)
    assert result.code == 0, result.err
    for before in BEFORE:
        assert (folder / before.name).read_bytes() == (AFTER / before.name).read_bytes(), before.name
    assert "left alone: OMX209 'mouse'" in result.out and "left alone: OMX201 'lvier'" in result.out
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temporary file left behind


def test_the_after_fixtures_need_no_fix_and_validate_clean(run_cli, tmp_path):
    folder = copy_cases(tmp_path, AFTER)
    snapshot = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = run_cli("fix", "--write", "--template", SINGLE_CELL, folder)
    assert result.code == 0 and result.out.rstrip().endswith("0 fixed in 0 of 17 files; 2 left for a person")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == snapshot
    report = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", folder).json()
    failing = {Path(f["path"]).name for f in report["files"] if f["findings"]}
    assert failing <= {"GSE900017_ambiguous_left_alone.json", "GSE900016_bom.json"}  # OMX9xx: a BOM is kept
    assert all(not finding["edits"] for f in report["files"] for finding in f["findings"])


def test_diff_prints_the_change_and_writes_nothing(run_cli, tmp_path):
    folder = copy_cases(tmp_path, FIXTURES / "fix" / "before")
    snapshot = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = run_cli("fix", "--diff", "--template", SINGLE_CELL, folder / "GSE900001_number_as_string.json")
    assert result.code == 0
    assert '-  "total_num_samples": "380",\n+  "total_num_samples": 380,\n' in result.out
    assert result.out.startswith("--- a/")
    assert "would fix 1 (OMX106)" in result.err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == snapshot


def test_write_keeps_the_file_mode(run_cli, tmp_path):
    folder = copy_cases(tmp_path, FIXTURES / "fix" / "before")
    target = folder / "GSE900013_nan_like.json"
    target.chmod(0o640)
    assert run_cli("fix", "--write", "--template", SINGLE_CELL, target).code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert target.read_bytes() == (AFTER / target.name).read_bytes()


def test_ignored_codes_are_never_fixed(run_cli, tmp_path):
    folder = copy_cases(tmp_path, FIXTURES / "fix" / "before")
    target = folder / "GSE900015_several_crlf_tabs.json"
    result = run_cli("fix", "--write", "--ignore", "OMX110", "--template", SINGLE_CELL, target)
    assert result.code == 0
    assert b'"kw_timestamp_"' in target.read_bytes() and b'"GEO"' in target.read_bytes()


def test_usage_errors(run_cli, tmp_path):
    assert run_cli("fix", "--write", "--diff", "--template", SINGLE_CELL, tmp_path).code == 2
    assert "no metadata files" in run_cli("fix", "--template", SINGLE_CELL, tmp_path).err
    (tmp_path / "GSE1.json").write_text("{}", encoding="utf-8")
    assert "needs a template" in run_cli("fix", tmp_path).err


def test_text_report_counts_what_omix_fix_can_do(run_cli):
    result = run_cli("validate", "--template", SINGLE_CELL, FIXTURES / "fix" / "before")
    assert "findings fixable with `omix fix`" in result.out


def test_json_report_carries_edits_as_json_patch(run_cli):
    path = FIXTURES / "fix" / "before" / "GSE900001_number_as_string.json"
    report = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", path).json()
    (finding,) = report["files"][0]["findings"]
    assert finding["code"] == "OMX106"
    assert finding["edits"] == [{"op": "replace", "path": "/total_num_samples", "value": 380}]


# ------------------------------------------------------------------------------------------- the property test

CONFIG = resolve_run_config(RunRequest(template=SINGLE_CELL))
CTX = fix_context(CONFIG)

MUTATIONS = {
    "number_text": lambda d: d.update(total_num_samples=str(d["total_num_samples"])),
    "scalar": lambda d: d.update(organism=d["organism"][0]),
    "field_name": lambda d: d.update(curated_cell_type=d.pop("kw_cell_type")),
    "case": lambda d: d.update(dataset_source="geo"),
    "synonym": lambda d: d.update(organism=["human"]),
    "curie": lambda d: d.update(tissue=["UBERON:0002048"]),
    "system": lambda d: d.update(kw_timestamp_="2020"),
    "no_index": lambda d: d.pop("__index__"),
    "nan": lambda d: d.update(kw_drug=["nan"]),
    "space": lambda d: d.update(summary=d["summary"] + " "),
    "invisible": lambda d: d.update(abstract="\u202e" + d["abstract"]),
    "unknown_term": lambda d: d.update(tissue=["lvier"]),
    "ambiguous": lambda d: d.update(organism=["mouse"]),
    "unknown_key": lambda d: d.update(colour="blue"),
    "bad_year": lambda d: d.update(year="18"),
    "fraction_text": lambda d: d.update(total_num_cells=f"{d['total_num_cells']}.5"),  # no lossless integer
}


def render(doc: dict, indent: int | str | None, newline: str) -> str:
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    return text.replace("\n", newline) if indent is not None else text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chosen=st.lists(st.sampled_from(sorted(MUTATIONS)), unique=True, max_size=6),
    indent=st.sampled_from([None, 2, 4, "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_after_fix_no_finding_has_a_fix_and_untouched_fields_keep_their_text(chosen, indent, newline):
    doc = good_doc("GSE1")
    for name in chosen:
        MUTATIONS[name](doc)
    text = render(doc, indent, newline)
    fixed, _, _ = fix_text(text, "GSE1.json", CTX, CONFIG)
    document, problems = parse_json_text(fixed, "GSE1.json", CTX.limits)
    assert document is not None and problems == []
    after = [f for f in check_document(document, "GSE1.json", CTX) if isinstance(f, Finding)]
    assert [f for f in after if f.edits] == []
    touched = {"total_num_samples", "organism", "kw_cell_type", "curated_cell_type", "dataset_source", "tissue"}
    touched |= {"kw_timestamp_", "__index__", "kw_drug", "summary", "total_num_cells", "abstract"}
    source = JsonDocument(doc, text)
    for key in doc:
        if key not in touched:  # the very same characters, not just an equal value
            start, end, _ = value_span(source, f"/{key}")
            new_start, new_end, _ = value_span(document, f"/{key}")
            assert fixed[new_start:new_end] == text[start:end]
    kept = [k for k in document.value if k in doc]
    assert kept == [k for k in doc if k in document.value]  # key order is the curator's


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_alone_is_fixed_or_left_with_a_hint(name):
    doc = good_doc("GSE1")
    MUTATIONS[name](doc)
    fixed, applied, left = fix_text(json.dumps(doc, indent=2), "GSE1.json", CTX, CONFIG)
    fixable = name not in ("unknown_term", "ambiguous", "unknown_key", "bad_year", "fraction_text")
    assert bool(applied) is fixable and (fixed != json.dumps(doc, indent=2)) is fixable
    if name in ("unknown_term", "ambiguous", "unknown_key"):
        assert [f.code for f in left] == [{"unknown_term": "OMX201", "ambiguous": "OMX209"}.get(name, "OMX104")]


def test_sarif_fixes_are_the_same_change_as_omix_fix(run_cli, tmp_path):
    """Applying a SARIF result's replacements to the file gives what one pass of `omix fix` gives."""
    folder = copy_cases(tmp_path, FIXTURES / "fix" / "before")
    target = folder / "GSE900015_several_crlf_tabs.json"
    sarif = run_cli("validate", "--template", SINGLE_CELL, "--format", "sarif", target).json()
    results = sarif["runs"][0]["results"]
    with_fixes = [r for r in results if "fixes" in r]
    assert {r["ruleId"] for r in with_fixes} >= {"OMX106", "OMX110", "OMX202"}
    text = target.read_bytes().decode("utf-8")
    lines = text.splitlines(keepends=True)
    starts = [sum(len(line) for line in lines[:i]) for i in range(len(lines) + 1)]
    splices = []
    for result in with_fixes:
        for change in result["fixes"][0]["artifactChanges"]:
            assert change["artifactLocation"]["uri"] == str(target)
            for replacement in change["replacements"]:
                region = replacement["deletedRegion"]
                start = starts[region["startLine"] - 1] + region["startColumn"] - 1
                end = starts[region["endLine"] - 1] + region["endColumn"] - 1
                splices.append((start, end, replacement["insertedContent"]["text"]))
    seen: set[int] = set()
    for start, end, new in sorted(splices, reverse=True):
        if start in seen:  # OMX202 and OMX208 may offer the same change
            continue
        seen.add(start)
        text = text[:start] + new + text[end:]
    assert text.encode("utf-8") == (AFTER / target.name).read_bytes()


@pytest.mark.parametrize("hidden", ["\u200b", "\u202e", "\ufeff", "\u2066"])
def test_invisible_characters_are_a_warning_that_fix_removes(hidden):
    doc = good_doc("GSE1")
    doc["tissue"] = [f"lu{hidden}ng"]
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    document, _ = parse_json_text(text, "GSE1.json", CTX.limits)
    assert document is not None
    found = [f for f in check_document(document, "GSE1.json", CTX) if isinstance(f, Finding) and f.code == "OMX213"]
    assert [(f.severity.label, f.location.pointer, f.fix) for f in found] == [("warning", "/tissue/0", 'write "lung"')]
    fixed, applied, _ = fix_text(text, "GSE1.json", CTX, CONFIG)
    assert "OMX213" in {f.code for f in applied} and json.loads(fixed)["tissue"] == ["lung"]


def test_validate_fix_fixes_then_reports_what_is_left(run_cli, tmp_path):
    folder = copy_cases(tmp_path, FIXTURES / "fix" / "before")
    result = run_cli("validate", "--fix", "--template", SINGLE_CELL, "--format", "json", folder)
    assert "fixed in 16 of 17 files" in result.err
    report = result.json()
    failing = {Path(f["path"]).name for f in report["files"] if any(x["severity"] == "error" for x in f["findings"])}
    assert failing == {"GSE900016_bom.json", "GSE900017_ambiguous_left_alone.json"} and result.code == 1  # a BOM stays
    assert (folder / "GSE900001_number_as_string.json").read_bytes() == (
        AFTER / "GSE900001_number_as_string.json"
    ).read_bytes()


def test_python_api_shows_then_applies_fixes(tmp_path):
    from omix_ingest.api import apply_fixes, validate_datasets

    folder = copy_cases(tmp_path, FIXTURES / "fix" / "before")
    report = validate_datasets(SINGLE_CELL, folder)
    assert {f.code for f in report.fixes()} >= {"OMX105", "OMX106", "OMX110", "OMX111", "OMX209"}
    preview = apply_fixes(SINGLE_CELL, folder)
    assert sum(r.changed for r in preview) == 16 and '+  "total_num_samples": 380,' in preview[0].diff()
    assert (folder / "GSE900001_number_as_string.json").read_bytes() == preview[0].before  # nothing written yet
    applied = apply_fixes(SINGLE_CELL, [folder], write=True)
    assert [r.after for r in applied] == [r.after for r in preview]
    assert validate_datasets(SINGLE_CELL, folder).fixes() == []
