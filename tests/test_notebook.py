"""Reports and gate results as a notebook shows them: HTML tables with escaped values, and per-file status."""

from __future__ import annotations

from omix_ingest import OmixAtlas
from omix_ingest.api import validate_datasets

from .conftest import SINGLE_CELL, good_doc, write_json
from .gate_helpers import ATLAS, folders, make_dataset


def test_a_report_renders_as_an_html_table_with_every_value_escaped(tmp_path):
    doc = good_doc("GSE1_GPL1")
    doc["tissue"] = ["<script>alert(1)</script>"]
    write_json(tmp_path / "GSE1_GPL1.json", doc)
    write_json(tmp_path / "GSE2_GPL1.json", good_doc("GSE2_GPL1"))
    broken = good_doc("GSE3_GPL1")
    broken["total_num_samples"] = "12"
    write_json(tmp_path / "GSE3_GPL1.json", broken)
    report = validate_datasets(SINGLE_CELL, tmp_path)
    page = report._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<table" in page and "OMX201" in page and "3 files checked, 2 failing" in page
    status = report.status_dataframe()
    assert list(status.columns) == ["dataset_id", "file", "passed", "errors", "warnings", "info", "validators"]
    rows = {r.dataset_id: (r.passed, r.errors, r.warnings) for r in status.itertuples()}
    assert rows["GSE2_GPL1"] == (True, 0, 0) and rows["GSE3_GPL1"][:2] == (False, 1)
    assert rows["GSE1_GPL1"][:2] == (False, 1)  # an unknown tissue term: an error (tissue is a closed field)


def test_a_gate_result_renders_its_rows_and_verdict(tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1", dataset_source="geo")
    with OmixAtlas() as atlas:
        frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
        result = atlas._gate.ingest(ATLAS, mode="update", metadata_dir=tmp_path / "metadata", data_dir=None)
    assert set(frame.status) == {"ingested", "refused"}
    page = result._repr_html_()
    assert page.startswith("<p><b>FAILED</b>: run ") and "<table" in page and "GSE2_GPL1" in page
