"""The gate cannot be talked around: filtered reports, one-sided updates, project settings, warnings, paths and
`--no-validation` each reproduced as a curator would meet them (local atlas, command line and Python API)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from omix_ingest import OmixAtlas
from omix_ingest.gate.policy import DatasetCase, decide
from omix_ingest.omixatlas import paramException
from validators.core.model import Finding, Location, Severity

from .conftest import ROOT, SINGLE_CELL, write_json
from .gate_helpers import ATLAS, TWO_SAMPLE_GCT, bulk_doc, folders, make_dataset, statuses, validate_as_the_gate

REPORT_SCHEMA = ROOT / "omix_ingest" / "schemas" / "report.schema.json"


def add(run_cli, root: Path, *extra: object):
    return run_cli("add", "--atlas", ATLAS, "--metadata", root / "metadata", "--data", root / "data", *extra)


def stored_ids(run_cli) -> list[str]:
    shown = run_cli("atlas", "show", ATLAS, "--format", "json").json()
    return [d["dataset_id"] for d in shown["datasets"]]


# ------------------------------------------------------------------------------------- filtered reports


@pytest.mark.parametrize("selection", [("--select", "OMX9"), ("--ignore", "OMX202")], ids=["select", "ignore"])
def test_a_report_filtered_by_selection_does_not_open_the_gate(run_cli, tmp_path, selection):
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo")  # OMX202: wrong case of a vocabulary term
    report = tmp_path / "report.json"
    assert validate_as_the_gate(run_cli, tmp_path, report, *selection).code == 0  # the filtered report says "passed"
    result = add(run_cli, tmp_path, "--report", report, "--format", "json")
    body = result.json()
    assert result.code == 1
    [note] = [n for n in body["notes"] if str(report) in n]
    assert "another run configuration" in note and selection[0].lstrip("-") in note
    assert {r["reason"] for r in body["rows"]} == {"1 error(s): OMX202"}
    assert stored_ids(run_cli) == []


def test_an_unfiltered_report_made_as_the_gate_validates_is_reused(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    report = tmp_path / "report.json"
    assert validate_as_the_gate(run_cli, tmp_path, report).code == 0
    body = add(run_cli, tmp_path, "--report", report, "--format", "json").json()
    assert body["notes"] == [f"reused signed report {report}"] and body["ok"]


def test_the_report_run_block_is_in_the_json_schema_and_the_json(run_cli, tmp_path):
    import jsonschema

    make_dataset(tmp_path, "GSE1_GPL1")
    report = tmp_path / "report.json"
    validate_as_the_gate(run_cli, tmp_path, report, "--ignore", "OMX208")
    document = json.loads(report.read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads(REPORT_SCHEMA.read_text(encoding="utf-8")))
    run = document["run"]
    assert run["ignore"] == ["OMX208"] and run["scope"] == "file" and run["fail_on"] == "error"
    assert run["dataset_mode"] is True and len(run["template_sha256"]) == 64


# ------------------------------------------------------------------------------------- one-sided updates


def test_metadata_only_update_is_checked_against_the_stored_data_file(tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    write_json(tmp_path / "v2" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", total_num_samples=999))
    with OmixAtlas() as atlas:
        assert statuses(atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)) == {"GSE1_GPL1": "ingested"}
        frame = atlas.update_datasets(ATLAS, {"metadata": str(tmp_path / "v2")}, validation=True)
        assert statuses(frame) == {"GSE1_GPL1": "refused"}
        assert frame.reason.iloc[0] == "1 error(s): OMX610"
        assert atlas.backend.datasets(ATLAS)[0]["version"] == 1


def test_data_only_update_is_checked_against_the_stored_metadata(tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")  # metadata: 3 samples
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "GSE1_GPL1.gct").write_text(TWO_SAMPLE_GCT, encoding="utf-8")
    with OmixAtlas() as atlas:
        atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
        frame = atlas.update_datasets(ATLAS, {"data": str(tmp_path / "v2")}, validation=True)
        assert statuses(frame) == {"GSE1_GPL1": "refused"}
        assert frame.reason.iloc[0] == "1 error(s): OMX610"
        # The same file with metadata that agrees goes in.
        write_json(tmp_path / "v3" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", total_num_samples=2))
        both = atlas.update_datasets(
            ATLAS, {"data": str(tmp_path / "v2"), "metadata": str(tmp_path / "v3")}, validation=True
        )
        assert statuses(both) == {"GSE1_GPL1": "ingested"}


# ------------------------------------------------------------------------------------- project settings


def test_add_honours_tool_omix_as_validate_does(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1", description="Padded ")  # OMX208, a warning
    (tmp_path / "pyproject.toml").write_text('[tool.omix]\nfail-on = "warning"\n', encoding="utf-8")
    validated = run_cli("validate", "--atlas", ATLAS, "--metadata", tmp_path / "metadata", "--data", tmp_path / "data")
    assert validated.code == 1
    added = add(run_cli, tmp_path)
    assert added.code == 1 and "OMX208" in added.out
    assert "finding(s) at or above warning: OMX208" in added.out
    assert stored_ids(run_cli) == []


def test_warnings_are_shown_for_datasets_that_go_in_and_fail_on_warning_refuses(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1", description="Padded ")
    refused = add(run_cli, tmp_path, "--fail-on", "warning")
    assert refused.code == 1 and stored_ids(run_cli) == []
    admitted = add(run_cli, tmp_path)
    assert admitted.code == 0
    assert "OMX208" in admitted.out and "'Padded ' has leading or trailing white space" in admitted.out
    assert admitted.out.splitlines()[-1].startswith("ok: ")
    assert stored_ids(run_cli) == ["GSE1_GPL1"]


# ------------------------------------------------------------------------------------- paths and modes


@pytest.mark.parametrize("destination", ["../../etc", "/etc", "a/../../b", "a\\b", "a\x00b", "a//b", "./a"])
def test_a_destination_outside_the_atlas_is_a_usage_error(run_cli, tmp_path, destination):
    make_dataset(tmp_path, "GSE1_GPL1")
    result = add(run_cli, tmp_path, "--destination", destination)
    assert result.code == 2 and "destination" in result.err
    assert stored_ids(run_cli) == []
    assert run_cli("status", "--format", "json").json() == []  # refused before any run


def test_a_destination_folder_inside_the_atlas_is_fine(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    assert add(run_cli, tmp_path, "--destination", "bulk/2026").code == 0


def test_no_validation_means_not_validated_and_the_verdict_agrees_with_the_exit_code(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo")  # would fail validation
    result = add(run_cli, tmp_path, "--no-validation")
    assert result.code == 0
    assert "validation: not run (--no-validation)" in result.out and "FAILED" not in result.out
    assert "not validated (validation=False)" in result.out
    assert result.out.splitlines()[-1].startswith("ok: ")
    with OmixAtlas() as atlas:
        frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=False)  # already in: refused, not validated
        assert set(frame.reason) == {"already in the atlas; use update"}


def test_already_in_the_atlas_does_not_say_fix_and_reupload(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    assert add(run_cli, tmp_path).code == 0
    again = add(run_cli, tmp_path, "--format", "json").json()
    assert {(r["status"], r["reason"]) for r in again["rows"]} == {("refused", "already in the atlas; use update")}
    assert not any("reupload after fixing" in r["message"] for r in again["rows"])


def test_a_stray_file_in_the_metadata_folder_is_left_alone(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    (tmp_path / "metadata" / "README.md").write_text("# how these were curated\n", encoding="utf-8")
    body = add(run_cli, tmp_path, "--format", "json").json()
    assert body["ok"] and [r["status"] for r in body["rows"]] == ["ingested", "ingested"]
    assert any("README.md" in n and "left alone" in n for n in body["notes"])


def test_reports_written_with_output_follow_the_umask(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    previous = os.umask(0o022)
    try:
        validate_as_the_gate(run_cli, tmp_path, tmp_path / "report.json")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644


def test_to_dataframe_on_data_file_findings():
    from omix_ingest.api import validate_datasets

    h5ad = ROOT / "fixtures" / "data" / "negative" / "GSE510012_no_obs.h5ad"
    frame = validate_datasets(SINGLE_CELL, h5ad).to_dataframe()
    assert not frame.empty and set(frame["code"]) >= {"OMX301"}


def test_a_token_means_polly_and_a_token_for_the_local_atlas_is_an_error():
    with pytest.raises(paramException, match="a token is for the Polly API"):
        OmixAtlas("some-token", backend="local")
    from omix_ingest.polly.client import PollyUnreachable

    with pytest.raises(PollyUnreachable):  # the SDK idiom: a token alone reaches for Polly, not the local atlas
        OmixAtlas("some-token", base_url="http://127.0.0.1:9")


# ------------------------------------------------------------------------------------- the policy as a table


def _finding(code: str, severity: Severity = Severity.ERROR) -> tuple[Finding, str]:
    return Finding(code, severity, "m.json", Location(), "problem"), "metadata"


NO_VALIDATE = {"dataset": {"validate": False, "scope": "advanced", "force_ingest": False}}
FORCE = {"dataset": {"validate": True, "scope": "advanced", "force_ingest": True}}
POLICY_TABLE = [
    # (case, refused?, refusal or note contains)
    (DatasetCase("add", False, True, ("a.gct",)), False, ""),
    (DatasetCase("add", True, True, ("a.gct",)), True, "already in the atlas; use update"),
    (DatasetCase("update", False, True, ()), True, "not in the atlas; use add"),
    (DatasetCase("add", False, True, ("a.gct", "a.h5ad")), True, "several data files"),
    (DatasetCase("add", False, True, ("a.gct",), (_finding("OMX202"),)), True, "1 error(s): OMX202"),
    (DatasetCase("add", False, True, ("a.gct",), (_finding("OMX208", Severity.WARNING),)), False, "warning"),
    (
        DatasetCase("add", False, True, ("a.gct",), (_finding("OMX208", Severity.WARNING),), fail_on=Severity.WARNING),
        True,
        "at or above warning: OMX208",
    ),
    (DatasetCase("add", False, True, ("a.gct",), (_finding("OMX202"),), NO_VALIDATE), False, "not checked"),
    (DatasetCase("add", False, True, ("a.gct",), (_finding("OMX202"),), FORCE), False, "force_ingest"),
    (DatasetCase("add", False, True, ("a.gct",), (_finding("OMX101"),), FORCE), True, "OMX101"),
    (DatasetCase("add", False, True, ("a.gct",), (_finding("OMX990"),), NO_VALIDATE), True, "OMX990"),
    (DatasetCase("update", True, True, (), (_finding("OMX601"),)), False, ""),
    (DatasetCase("add", False, True, ("a.gct",), (_finding("OMX202"),), validated=False), False, "not validated"),
    (DatasetCase("add", False, True, (), validated=False), True, "needs a metadata file and a data file"),
]


@pytest.mark.parametrize(("case", "refused", "says"), POLICY_TABLE)
def test_the_gate_policy(case, refused, says):
    verdict = decide(case)
    assert (verdict.refusal is not None) is refused
    assert says in (verdict.refusal if refused else verdict.note)
    if refused and verdict.because_of_findings:
        assert case.findings  # "fix it and upload again" only when findings were the reason


def test_one_table_drives_the_cli_the_api_and_the_gate_to_the_same_verdicts(run_cli, tmp_path):
    cases = {
        "GSE1_GPL1": {},
        "GSE2_GPL1": {"dataset_source": "geo"},
        "GSE3_GPL1": {"total_num_samples": 7},
        "GSE4_GPL1": {"description": "Padded "},
    }
    for name, changes in cases.items():
        make_dataset(tmp_path, name, **changes)
    with OmixAtlas() as atlas:
        _, status = atlas.validate_datasets(ATLAS, folders(tmp_path))
    api_failing = {dataset_id for dataset_id, passed in status.items() if not passed}
    cli = run_cli("validate", "--atlas", ATLAS, "--metadata", tmp_path / "metadata", "--data", tmp_path / "data")
    gate = add(run_cli, tmp_path, "--format", "json").json()
    refused = {r["dataset_id"] for r in gate["rows"] if r["status"] == "refused"}
    assert api_failing == refused == {"GSE2_GPL1", "GSE3_GPL1"}
    assert cli.code == 1 and all(name in cli.out for name in refused)
