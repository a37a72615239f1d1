"""The notebook API: validate_datasets → Report → DataFrame."""

from __future__ import annotations

import json

import pytest

from omix_ingest import validate_datasets
from omix_ingest.errors import UsageError
from omix_ingest.report.model import Report

from .conftest import METADATA, SINGLE_CELL, good_doc, write_json


def test_validate_datasets_on_a_folder_pair(tmp_path):
    write_json(tmp_path / "metadata" / "GSE10_GPL1.json", good_doc("GSE10_GPL1"))
    bad = good_doc("GSE11_GPL1")
    bad["total_num_samples"] = "12"
    write_json(tmp_path / "metadata" / "GSE11_GPL1.json", bad)
    (tmp_path / "data").mkdir()
    for dataset_id in ("GSE10_GPL1", "GSE11_GPL1"):
        (tmp_path / "data" / f"{dataset_id}.csv").write_text("gene,S1\nA,1\n", encoding="utf-8")
    report = validate_datasets(SINGLE_CELL, {"metadata": tmp_path / "metadata", "data": tmp_path / "data"})
    assert report.failed
    assert [f.code for f in report.findings if f.severity.label == "error"] == ["OMX106"]
    assert [(f.code, f.severity.label) for f in report.findings if f.code != "OMX106"] == [("OMX914", "warning")] * 2
    frame = report.to_dataframe()
    assert list(frame.columns[:5]) == ["dataset_id", "Field", "Original Name", "Error Message", "Repo"]
    row = frame.iloc[0]
    assert (row["dataset_id"], row["Field"], row["Original Name"], row["Repo"], row["code"], row["severity"]) == (
        "GSE11_GPL1",
        "total_num_samples",
        "total_num_samples",
        "1673411159486",
        "OMX106",
        "error",
    )


def test_dataframe_uses_schema_field_names(tmp_path):
    doc = good_doc("GSE12_GPL1")
    doc["organism"] = ["Human"]
    write_json(tmp_path / "GSE12_GPL1.json", doc)
    frame = validate_datasets(SINGLE_CELL, tmp_path).to_dataframe()
    assert frame[["Field", "Original Name", "code"]].values.tolist() == [["curated_organism", "organism", "OMX209"]]


def test_empty_report_gives_an_empty_frame_with_the_columns():
    report = validate_datasets(SINGLE_CELL, METADATA / "positive")
    assert not report.failed
    frame = report.to_dataframe()
    assert frame.empty and "Error Message" in frame.columns


def test_template_may_be_a_parsed_document():
    document = json.loads(SINGLE_CELL.read_text(encoding="utf-8"))
    report = validate_datasets(document, METADATA / "positive" / "GSE95640_GPL11154.json")
    facts = report.files[0].facts
    assert facts["dataset_id"] == "GSE95640_GPL11154"
    assert facts["sample_count"] == {"field": "total_num_samples", "pointer": "/total_num_samples", "value": 380}
    assert facts["data_type"]["value"] == "Transcriptomics"


def test_report_round_trips_through_json():
    report = validate_datasets(SINGLE_CELL, METADATA / "negative", jobs=1)
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.to_dict() == report.to_dict()


def test_bad_arguments_are_clear_errors():
    with pytest.raises(UsageError, match="'metadata' and 'data'"):
        validate_datasets(SINGLE_CELL, {"meta": "x"})
    with pytest.raises(UsageError, match="scope"):
        validate_datasets(SINGLE_CELL, METADATA / "positive", scope="full")


def test_report_hashes_are_the_files_sha256():
    import hashlib

    from .conftest import FIXTURES

    paths = [METADATA / "positive" / "GSE200001_full.json", FIXTURES / "data" / "positive" / "GSE300001_v12.gct"]
    report = validate_datasets(SINGLE_CELL, METADATA / "positive")
    report_data = validate_datasets(SINGLE_CELL, FIXTURES / "data" / "positive")
    by_path = {f.path: f for f in (*report.files, *report_data.files)}
    for path in paths:
        entry = by_path[str(path)]
        assert entry.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry.size == path.stat().st_size
        assert "sha256" not in entry.facts


def test_selection_knows_cross_file_codes():
    report = validate_datasets(SINGLE_CELL, METADATA / "positive", select=["OMX6", "OMX118"])
    assert not report.failed
