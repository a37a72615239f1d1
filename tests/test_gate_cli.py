"""The gate from the command line: exit codes, tables, JSON, signed reports, runs, and crash/concurrency safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from omix_ingest.atlas.store import LocalStore

from .conftest import ROOT, SINGLE_CELL, write_json
from .gate_helpers import ATLAS, bulk_doc, make_dataset, read_json, validate_as_the_gate

EXAMPLES = ROOT / "fixtures" / "examples"


def add(run_cli, root: Path, *extra: object):
    return run_cli("add", "--atlas", ATLAS, "--metadata", root / "metadata", "--data", root / "data", *extra)


def signed_report(run_cli, root: Path) -> Path:
    report = root / "report.json"
    result = validate_as_the_gate(run_cli, root, report)
    assert result.code in (0, 1) and report.exists()
    return report


def test_readme_main_job_on_the_bundled_examples(run_cli):
    result = run_cli("add", "--atlas", ATLAS, "--metadata", EXAMPLES / "metadata", "--data", EXAMPLES / "data")
    assert result.code == 1  # three of the seven examples are broken on purpose
    assert "validation: 14 files checked, 3 failing" in result.out
    # The closing line gives the verdict, and it agrees with the exit code.
    assert (
        result.out.splitlines()[-1]
        == "FAILED: run 1: add into example-single-cell: 8 file(s) ok, 6 refused or unconfirmed"
    )
    shown = run_cli("atlas", "show", ATLAS, "--format", "json").json()
    assert [d["dataset_id"] for d in shown["datasets"]] == [
        "GSE140819_GPL24676",
        "GSE161529_GPL20301",
        "GSE95640_GPL11154",
        "TCGA_BRCA_mutations",
    ]


def test_all_good_exits_zero_and_json_is_for_scripts(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    result = add(run_cli, tmp_path, "--format", "json")
    assert result.code == 0
    body = result.json()
    assert body["ok"] is True and body["report"]["passed"] is True and "signature" in body["report"]
    assert [(r["file_name"], r["status"]) for r in body["rows"]] == [
        ("GSE1_GPL1.json", "ingested"),
        ("GSE1_GPL1.gct", "ingested"),
    ]


def test_signed_report_is_reused_only_while_files_match(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    report = signed_report(run_cli, tmp_path)
    # The gate validates against the atlas's template, which is the same schema: the report is reusable.
    reused = add(run_cli, tmp_path, "--report", report, "--format", "json").json()
    assert reused["notes"] == [f"reused signed report {report}"] and reused["ok"]


def test_file_changed_after_validation_is_validated_again(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    report = signed_report(run_cli, tmp_path)
    write_json(tmp_path / "metadata" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", dataset_source="geo"))
    result = add(run_cli, tmp_path, "--report", report, "--format", "json")
    body = result.json()
    assert result.code == 1
    assert "changed (or is new) since report" in body["notes"][0]
    assert {r["reason"] for r in body["rows"]} == {"1 error(s): OMX202"}


def test_forged_report_is_not_trusted(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo")
    report = signed_report(run_cli, tmp_path)
    forged = read_json(report)
    for file in forged["files"]:
        file["findings"] = []  # "it passed"
    forged["passed"] = True
    report.write_text(json.dumps(forged), encoding="utf-8")
    body = add(run_cli, tmp_path, "--report", report, "--format", "json").json()
    assert "is not signed by this installation" in body["notes"][0]
    assert {r["status"] for r in body["rows"]} == {"refused"}


def test_metadata_changed_between_validation_and_storing_is_refused(tmp_path):
    from omix_ingest.gate.ingestion import Gate, _Dataset
    from omix_ingest.report.model import Report

    make_dataset(tmp_path, "GSE1_GPL1")
    dataset = _Dataset("GSE1_GPL1", tmp_path / "metadata" / "GSE1_GPL1.json", [tmp_path / "data" / "GSE1_GPL1.gct"])
    dataset.hashes = {dataset.metadata: "0" * 64}  # what validation saw is not what is on disk now
    report = Report(version="test", files=())  # "validated": the hash on record must match the bytes
    assert Gate._item(Gate.__new__(Gate), dataset, report) is None
    assert dataset.verdict is not None
    assert dataset.verdict.refusal == "the metadata file changed after it was validated; validate it again"


def test_status_lists_runs_and_events(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1", total_num_samples="3")
    add(run_cli, tmp_path)
    runs = run_cli("status", "--format", "json").json()
    assert runs[0]["action"] == "add" and runs[0]["status"] == "done-with-refusals"
    events = {(e["file_name"], e["status"]) for e in runs[0]["events"]}
    assert ("GSE1_GPL1.json", "ingested") in events and ("GSE2_GPL1.gct", "refused") in events
    text = run_cli("status", "--atlas", ATLAS)
    assert "run 1  add" in text.out and "GSE2_GPL1" in text.out


def test_update_delete_move_from_the_cli(run_cli, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    assert add(run_cli, tmp_path).code == 0
    write_json(tmp_path / "v2" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", description="Revised"))
    assert run_cli("update", "--atlas", ATLAS, "--metadata", tmp_path / "v2").code == 0
    assert run_cli("atlas", "create", "other", "--schema", SINGLE_CELL).code == 0
    assert run_cli("move", "--from", ATLAS, "--to", "other", "GSE1_GPL1").code == 0
    assert run_cli("delete", "--atlas", "other", "GSE1_GPL1").code == 0
    missing = run_cli("delete", "--atlas", "other", "GSE1_GPL1")
    assert missing.code == 1 and "not found in atlas 'other'" in missing.out


def test_atlas_commands(run_cli, tmp_path):
    assert (
        run_cli(
            "atlas",
            "create",
            "bulk",
            "--schema",
            SINGLE_CELL,
            "--sample-schema",
            SINGLE_CELL.parent / "transcriptomics.gct_metadata.schema.json",
        ).code
        == 0
    )
    again = run_cli("atlas", "create", "bulk", "--schema", SINGLE_CELL)
    assert again.code == 2 and "already exists" in again.err
    listed = run_cli("atlas", "list", "--format", "json").json()
    assert {"atlas": "bulk", "datasets": 0} in listed
    shown = run_cli("atlas", "show", "bulk", "--format", "json").json()
    assert shown["sample_schemas"] == ["gct_metadata"] and shown["schema"]["pairs"] == {"all/all": 35}
    unknown = run_cli("atlas", "show", "nope")
    assert unknown.code == 2 and "no atlas 'nope'" in unknown.err
    bad = write_json(tmp_path / "bad.json", {"data": {"attributes": {}}})
    refused = run_cli("atlas", "create", "bad", "--schema", bad)
    assert refused.code == 2 and "no data.attributes.schema" in refused.err


def test_template_command_writes_a_file_to_fill_in(run_cli, tmp_path):
    printed = run_cli("template", "--atlas", ATLAS).json()
    assert printed["organism"] == [] and printed["__index__"]["row_metadata"] is False
    target = tmp_path / "GSE7_GPL1.json"
    assert run_cli("template", "--atlas", ATLAS, "--dataset-id", "GSE7_GPL1", "-o", target).code == 0
    body = read_json(target)
    assert body["dataset_id"] == "GSE7_GPL1" and body["organism"] == ["None"]
    assert "kw_src_uri" not in body and "kw_data_type" in body
    assert body["__index__"]["validation_check"]["dataset"] == {
        "validate": True,
        "scope": "advanced",
        "force_ingest": False,
    }
    bad_id = run_cli("template", "--atlas", ATLAS, "--dataset-id", "GSE 7")
    assert bad_id.code == 2


# ------------------------------------------------------------------------------------------ crash and concurrency


def _omix(*args: object, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "omix_ingest.cli", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _many(root: Path, count: int, prefix: str = "GSE", size_rows: int = 4000) -> None:
    header = "#1.2\n{rows}\t3\nName\tDescription\tS1\tS2\tS3\n"
    body = "".join(f"G{i}\tna\t{i % 7}\t{i % 5}\t{i % 3}\n" for i in range(size_rows))
    for i in range(count):
        make_dataset(root, f"{prefix}{i}_GPL1", gct=header.format(rows=size_rows) + body)


@pytest.mark.parametrize("delay", [0.6, 1.0, 1.4, 1.8])
def test_kill_9_mid_run_leaves_every_dataset_fully_in_or_out(tmp_path, isolated_state, delay):
    _many(tmp_path, 30)
    env = dict(os.environ)
    process = _omix(
        "add", "--atlas", ATLAS, "--metadata", tmp_path / "metadata", "--data", tmp_path / "data", "-j", "1", env=env
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    store = LocalStore(Path(env["OMIX_DATA_DIR"]))
    try:
        ids = [d.dataset_id for d in store.datasets(ATLAS)] if store.atlas(ATLAS) else []
        assert len(ids) in (0, 30), f"a killed run left {len(ids)} of 30 datasets"
        assert store.integrity_problems() == []
        assert all(r["status"] != "running" for r in store.runs())  # the killed run is marked interrupted
    finally:
        store.close()
    finish = _omix(
        "add" if not ids else "update",
        "--atlas",
        ATLAS,
        "--metadata",
        tmp_path / "metadata",
        "--data",
        tmp_path / "data",
        env=env,
    )
    finish.communicate(timeout=300)
    assert finish.returncode == 0
    store = LocalStore(Path(env["OMIX_DATA_DIR"]))
    try:
        assert len(store.datasets(ATLAS)) == 30 and store.integrity_problems() == []
    finally:
        store.close()


def test_concurrent_ingestion_is_serialised_not_corrupted(tmp_path):
    env = dict(os.environ)
    _many(tmp_path / "shared", 12, size_rows=200)
    _many(tmp_path / "own", 6, prefix="GSM", size_rows=200)

    def add_json(root: Path) -> subprocess.Popen[str]:
        return _omix(
            "add",
            "--atlas",
            ATLAS,
            "--metadata",
            root / "metadata",
            "--data",
            root / "data",
            "--format",
            "json",
            env=env,
        )

    first, second, third = add_json(tmp_path / "shared"), add_json(tmp_path / "shared"), add_json(tmp_path / "own")
    bodies = [json.loads(p.communicate(timeout=300)[0]) for p in (first, second, third)]
    ingested: dict[str, int] = {}
    for body in bodies:
        for row in body["rows"]:
            if row["status"] == "ingested" and row["file_name"].endswith(".json"):
                ingested[row["dataset_id"]] = ingested.get(row["dataset_id"], 0) + 1
    assert len(ingested) == 18 and set(ingested.values()) == {1}  # each dataset went in exactly once
    assert bodies[2]["ok"] is True
    store = LocalStore(Path(env["OMIX_DATA_DIR"]))
    try:
        assert len(store.datasets(ATLAS)) == 18 and store.integrity_problems() == []
    finally:
        store.close()


def test_unreadable_data_directory_is_a_usage_error(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = run_cli("atlas", "list", "--data-dir", blocker / "sub")
    assert result.code == 2 and "cannot be opened" in result.err
