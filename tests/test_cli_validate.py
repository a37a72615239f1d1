"""Acceptance tests: run `omix validate` and assert exit codes and output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from .conftest import METADATA, ROOT, SINGLE_CELL, TEMPLATES, good_doc, write_json

REPORT_SCHEMA = json.loads((ROOT / "omix_ingest" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))


def test_clean_folder_exits_zero(run_cli):
    result = run_cli("validate", "--template", SINGLE_CELL, METADATA / "positive")
    assert result.code == 0
    assert result.out.strip() == "passed: 10 files checked, 0 failing (fail-on error); 0 errors, 0 warnings, 0 info"


def test_findings_exit_one_with_exact_text(run_cli):
    path = METADATA / "negative" / "GSE100017_string_for_integer.json"
    result = run_cli("validate", "--template", SINGLE_CELL, path)
    assert result.code == 1
    assert result.out == (
        f"{path}\n"
        '  10:24    error   OMX106  "380" is a string, expected integer (integer)  /total_num_samples\n'
        "                           fix: write 380\n"
        "\n"
        "1 finding fixable with `omix fix` (see the change first with --diff)\n"
        "FAILED: 1 file checked, 1 failing (fail-on error); 1 error, 0 warnings, 0 info\n"
    )
    assert result.err == ""


def test_json_report_matches_published_schema_and_is_verbosity_independent(run_cli):
    args = ("validate", "--template", SINGLE_CELL, "--format", "json", METADATA / "negative")
    normal, quiet, verbose = run_cli(*args), run_cli(*args, "-q"), run_cli(*args, "-vv")
    assert normal.code == quiet.code == verbose.code == 1
    report = normal.json()
    jsonschema.validate(report, REPORT_SCHEMA)
    report.pop("signature")  # covers the creation time, so it differs between runs
    for other in (quiet.json(), verbose.json()):
        other["created"] = report["created"]
        other.pop("signature")
        assert other == report
    assert report["passed"] is False
    assert report["stats"]["files"] == len(list((METADATA / "negative").glob("*.json")))
    assert report["template"]["source"] == "all" and len(report["template"]["sha256"]) == 64
    assert all(len(f["sha256"]) == 64 for f in report["files"])


def test_output_file_gets_report_and_stderr_gets_summary(run_cli, tmp_path):
    target = tmp_path / "report.json"
    result = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", "-o", target, METADATA / "positive")
    assert result.code == 0
    assert result.out == ""
    assert "report written to" in result.err
    jsonschema.validate(json.loads(target.read_text(encoding="utf-8")), REPORT_SCHEMA)


def test_select_and_ignore_prefixes(run_cli):
    path = METADATA / "negative" / "GSE100053_many_problems.json"
    only_types = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", "--select", "OMX106,OMX107", path)
    codes = [f["code"] for f in only_types.json()["files"][0]["findings"]]
    assert sorted(codes) == ["OMX106", "OMX107"]
    no_family = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", "--ignore", "OMX1", path)
    codes = [f["code"] for f in no_family.json()["files"][0]["findings"]]
    assert sorted(codes) == ["OMX202", "OMX205"]


def test_unknown_selector_is_usage_error(run_cli):
    result = run_cli("validate", "--template", SINGLE_CELL, "--select", "OMX77", METADATA / "positive")
    assert result.code == 2
    assert "'OMX77' selects no rule" in result.err


def test_fail_on_warning(run_cli):
    path = METADATA / "negative" / "GSE100023_missing_index.json"  # a warning only
    assert run_cli("validate", "--template", SINGLE_CELL, path).code == 0
    assert run_cli("validate", "--template", SINGLE_CELL, "--fail-on", "warning", path).code == 1


def test_missing_file_is_a_finding_not_a_traceback(run_cli, tmp_path):
    missing = tmp_path / "GSE1_GPL1.json"
    result = run_cli("validate", "--template", SINGLE_CELL, missing)
    assert result.code == 1
    assert "OMX901" in result.out and "Traceback" not in result.out + result.err


def test_unreadable_path_is_a_finding(tmp_path):
    from validators.core.unreadable import ReadLimits, read_bytes

    folder = tmp_path / "GSE2_GPL1.json"
    folder.mkdir()  # a folder where a file is expected: unreadable even for root
    data, findings = read_bytes(folder, str(folder), ReadLimits())
    assert data is None
    assert [(f.code, f.message) for f in findings] == [("OMX909", "the file cannot be read: it is a folder")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission_is_a_finding(run_cli, tmp_path):
    path = write_json(tmp_path / "GSE2_GPL1.json", good_doc("GSE2_GPL1"))
    path.chmod(0)
    result = run_cli("validate", "--template", SINGLE_CELL, path)
    assert result.code == 1 and "OMX909" in result.out


def test_metadata_without_template_is_usage_error(run_cli):
    result = run_cli("validate", METADATA / "positive")
    assert result.code == 2
    assert "--template" in result.err


def test_nothing_to_validate_is_usage_error(run_cli):
    result = run_cli("validate", "--template", SINGLE_CELL)
    assert result.code == 2 and "nothing to validate" in result.err


def test_schema_with_several_pairs_lists_them(run_cli):
    template = TEMPLATES / "two_pairs.files.schema.json"
    result = run_cli("validate", "--template", template, METADATA / "positive")
    assert result.code == 2
    assert "--source 'GEO' --data-type 'Transcriptomics'" in result.err
    assert "--source 'TCGA' --data-type 'Mutation'" in result.err
    chosen = run_cli(
        "validate",
        "--template",
        template,
        "--source",
        "GEO",
        "--data-type",
        "Transcriptomics",
        METADATA / "positive" / "GSE95640_GPL11154.json",
    )
    assert chosen.code == 0, chosen.out


def test_bad_template_file_is_usage_error(run_cli, tmp_path):
    bad = tmp_path / "schema.json"
    bad.write_text("{not json", encoding="utf-8")
    result = run_cli("validate", "--template", bad, METADATA / "positive")
    assert result.code == 2 and "not valid JSON" in result.err
    missing = run_cli("validate", "--template", tmp_path / "nope.json", METADATA / "positive")
    assert missing.code == 2 and "does not exist" in missing.err


def test_rule_pack_error_names_the_line(run_cli, tmp_path):
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: broken\nfields:\n  year:\n    rnage: {min: 1}\n", encoding="utf-8")
    result = run_cli("validate", "--template", SINGLE_CELL, "--rules", pack, METADATA / "positive")
    assert result.code == 2
    assert f"{pack}:4:" in result.err and "rnage" in result.err


def test_symlink_leaving_the_folder_is_reported_not_followed(run_cli, tmp_path):
    outside = write_json(tmp_path / "outside" / "GSE3_GPL1.json", good_doc("GSE3_GPL1"))
    folder = tmp_path / "metadata"
    write_json(folder / "GSE4_GPL1.json", good_doc("GSE4_GPL1"))
    (folder / "GSE3_GPL1.json").symlink_to(outside)
    result = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", "--metadata", folder)
    report = result.json()
    assert result.code == 1
    by_path = {Path(f["path"]).name: f for f in report["files"]}
    assert [f["code"] for f in by_path["GSE3_GPL1.json"]["findings"]] == ["OMX908"]
    assert by_path["GSE3_GPL1.json"]["sha256"] is None  # never read
    assert by_path["GSE4_GPL1.json"]["findings"] == []


def test_same_dataset_id_in_two_files_flags_both(run_cli, tmp_path):
    write_json(tmp_path / "a" / "GSE5_GPL1.json", good_doc("GSE5_GPL1"))
    write_json(tmp_path / "b" / "GSE5_GPL1.json", good_doc("GSE5_GPL1"))
    result = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", tmp_path / "a", tmp_path / "b")
    assert result.code == 1
    for file in result.json()["files"]:
        assert [f["code"] for f in file["findings"]] == ["OMX118"]


def test_size_limit_is_a_finding(run_cli):
    path = METADATA / "positive" / "GSE200001_full.json"
    result = run_cli("validate", "--template", SINGLE_CELL, "--max-file-size", "100", path)
    assert result.code == 1 and "OMX906" in result.out


def test_config_in_pyproject_is_used_and_flags_win(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.omix]\ntemplate = "{SINGLE_CELL}"\nignore = ["OMX106"]\n', encoding="utf-8"
    )
    path = METADATA / "negative" / "GSE100017_string_for_integer.json"
    assert run_cli("validate", path).code == 0  # template and ignore from the config
    assert run_cli("validate", "--fail-on", "info", "--select", "OMX2", path).code == 0


def test_bad_config_is_usage_error(run_cli, tmp_path):
    (tmp_path / ".omix.toml").write_text("colour = true\n", encoding="utf-8")
    result = run_cli("validate", "--template", SINGLE_CELL, METADATA / "positive")
    assert result.code == 2 and "unknown key 'colour'" in result.err


def test_scope_basic_skips_value_rules(run_cli):
    path = METADATA / "negative" / "GSE100033_source_case.json"
    assert run_cli("validate", "--template", SINGLE_CELL, path).code == 1
    assert run_cli("validate", "--template", SINGLE_CELL, "--scope", "basic", path).code == 0
    assert run_cli("validate", "--template", SINGLE_CELL, "--no-rules", path).code == 0


def test_scope_file_honours_the_files_own_index(run_cli, tmp_path):
    doc = good_doc("GSE6_GPL1")
    doc["dataset_source"] = "geo"
    doc["__index__"]["validation_check"]["dataset"]["scope"] = "basic"
    path = write_json(tmp_path / "GSE6_GPL1.json", doc)
    assert run_cli("validate", "--template", SINGLE_CELL, "--scope", "file", path).code == 0
    assert run_cli("validate", "--template", SINGLE_CELL, path).code == 1


def test_flat_template_validates_the_geo_example(run_cli):
    flat = TEMPLATES / "single_cell_rnaseq_omixatlas.dataset_metadata_template.json"
    result = run_cli(
        "validate", "--template", flat, "--format", "json", METADATA / "positive" / "GSE95640_GPL11154.json"
    )
    assert result.code == 0, result.out


def test_parallel_and_serial_runs_agree(run_cli, tmp_path):
    for i in range(300):
        doc = good_doc(f"GSE9{i:04d}_GPL1")
        if i % 7 == 0:
            doc["total_num_samples"] = str(i)
        write_json(tmp_path / "m" / f"GSE9{i:04d}_GPL1.json", doc)
    serial = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", "-j", "1", tmp_path / "m").json()
    parallel = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", "-j", "2", tmp_path / "m").json()
    parallel["created"] = serial["created"]
    parallel.pop("signature"), serial.pop("signature")  # signatures cover the creation time
    assert parallel == serial
    assert serial["stats"]["by_code"] == {"OMX106": 43}


def test_no_input_in_fixtures_produces_a_traceback():
    """Run the real console script over every fixture folder, as a user would."""
    for folder in (METADATA / "negative", METADATA / "positive"):
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "from omix_ingest.cli.main import console_entry; console_entry()",
                "validate",
                "--template",
                str(SINGLE_CELL),
                str(folder),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode in (0, 1)
        assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("code", ["OMX106", "wrong-type"])
def test_rule_explains_by_code_or_slug(run_cli, code):
    result = run_cli("rule", code)
    assert result.code == 0
    assert result.out.startswith("OMX106 wrong-type (error)\n")
    assert '"total_num_samples": "380"' in result.out


def test_unknown_rule_is_usage_error(run_cli):
    result = run_cli("rule", "OMX000")
    assert result.code == 2 and "omix rules" in result.err


def test_rules_lists_every_rule(run_cli):
    text = run_cli("rules")
    listed = run_cli("rules", "--format", "json").json()
    assert text.code == 0
    assert len(text.out.strip().splitlines()) == len(listed)
    assert {r["code"] for r in listed} >= {"OMX101", "OMX205", "OMX901", "OMX990"}


def test_validate_against_a_local_atlas(run_cli):
    assert run_cli("validate", "--atlas", "example-single-cell", METADATA / "positive").code == 0
    broken = run_cli("validate", "--atlas", "example-single-cell", METADATA / "negative" / "GSE100033_source_case.json")
    assert broken.code == 1 and "OMX202" in broken.out
    both = run_cli("validate", "--atlas", "example-single-cell", "--template", SINGLE_CELL, METADATA / "positive")
    assert both.code == 2 and "not both" in both.err
    unknown = run_cli("validate", "--atlas", "nope", METADATA / "positive")
    assert unknown.code == 2 and "no atlas 'nope'" in unknown.err
