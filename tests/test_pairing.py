"""Dataset mode: pairing metadata and data files, and comparing what each says about the other."""

from __future__ import annotations

from pathlib import Path

from .conftest import FIXTURES, SINGLE_CELL, good_doc, write_json

GCT = (FIXTURES / "data" / "positive" / "GSE300001_v12.gct").read_text(encoding="utf-8")  # 3 samples


def dataset(root: Path, dataset_id: str, *, data_name: str | None = None, **changes) -> None:
    doc = good_doc(dataset_id)
    doc.update(kw_data_type="Transcriptomics", total_num_samples=3)
    doc.pop("total_num_cells")
    doc.update(changes)
    write_json(root / "metadata" / f"{dataset_id}.json", doc)
    if data_name != "":
        (root / "data").mkdir(parents=True, exist_ok=True)
        (root / "data" / (data_name or f"{dataset_id}.gct")).write_text(GCT, encoding="utf-8")


def codes(result) -> dict[str, list[str]]:
    return {Path(f["path"]).name: sorted(x["code"] for x in f["findings"]) for f in result.json()["files"]}


def run(run_cli, root: Path, *extra: str):
    return run_cli(
        "validate",
        "--template",
        SINGLE_CELL,
        "--format",
        "json",
        "--metadata",
        root / "metadata",
        "--data",
        root / "data",
        *extra,
    )


def test_paired_datasets_pass(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1")
    dataset(tmp_path, "GSE2_GPL1")
    result = run(run_cli, tmp_path)
    assert result.code == 0, result.out
    assert codes(result) == {"GSE1_GPL1.json": [], "GSE1_GPL1.gct": [], "GSE2_GPL1.json": [], "GSE2_GPL1.gct": []}


def test_unpaired_files_on_both_sides(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1", data_name="")
    dataset(tmp_path, "GSE2_GPL1")
    (tmp_path / "data" / "GSE3_GPL1.gct").write_text(GCT, encoding="utf-8")
    found = codes(run(run_cli, tmp_path))
    assert found["GSE1_GPL1.json"] == ["OMX601"]
    assert found["GSE3_GPL1.gct"] == ["OMX602"]
    assert found["GSE2_GPL1.json"] == [] and found["GSE2_GPL1.gct"] == []


def test_two_data_files_for_one_dataset(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1")
    (tmp_path / "data" / "GSE1_GPL1.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    found = codes(run(run_cli, tmp_path))
    assert found["GSE1_GPL1.gct"] == ["OMX603"]
    assert found["GSE1_GPL1.csv"] == ["OMX603", "OMX914"]  # and a warning: nothing here checks .csv content


def test_extensions_polly_does_not_accept(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1", data_name="GSE1_GPL1.txt")
    dataset(tmp_path, "GSE2_GPL1", data_name="GSE2_GPL1.GCT")
    found = codes(run(run_cli, tmp_path))
    assert found["GSE1_GPL1.txt"] == ["OMX604"]
    assert "OMX604" in found["GSE2_GPL1.GCT"]  # upper case: Polly compares extensions case-sensitively


def test_sample_count_mismatch_names_both_numbers(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1", total_num_samples=380)
    result = run(run_cli, tmp_path)
    finding = next(f for f in result.json()["files"] if f["path"].endswith(".json"))["findings"][0]
    assert finding["code"] == "OMX610"
    assert finding["message"] == "metadata says total_num_samples = 380, but GSE1_GPL1.gct has 3 samples"
    assert finding["pointer"] == "/total_num_samples"


def test_data_type_must_fit_the_file_format(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1", kw_data_type="Single cell")
    found = codes(run(run_cli, tmp_path))
    assert found["GSE1_GPL1.json"] == ["OMX611"]


def test_metadata_folder_alone_does_not_require_data(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1", data_name="")
    result = run_cli("validate", "--template", SINGLE_CELL, "--metadata", tmp_path / "metadata")
    assert result.code == 0


def test_data_folder_alone_needs_no_template(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1")
    result = run_cli("validate", "--data", tmp_path / "data")
    assert result.code == 0, result.out + result.err


def test_json_in_the_data_folder_is_not_metadata(run_cli, tmp_path):
    dataset(tmp_path, "GSE1_GPL1")
    write_json(tmp_path / "data" / "GSE1_GPL1.json", {"not": "metadata"})
    files = {f["path"]: [x["code"] for x in f["findings"]] for f in run(run_cli, tmp_path).json()["files"]}
    assert files[str(tmp_path / "metadata" / "GSE1_GPL1.json")] == []
    assert files[str(tmp_path / "data" / "GSE1_GPL1.json")] == ["OMX603", "OMX604"]  # never read as metadata


def test_vcf_naming_and_index_files(run_cli, tmp_path):
    import shutil

    dataset(tmp_path, "GSE1_GPL1", data_name="", kw_data_type="Mutation", total_num_samples=2)
    (tmp_path / "data").mkdir()
    source = FIXTURES / "data" / "positive" / "GSE400002_calls.vcf.gz"
    shutil.copyfile(source, tmp_path / "data" / "GSE1_GPL1.vcf.gz")
    shutil.copyfile(source.with_name(source.name + ".tbi"), tmp_path / "data" / "GSE1_GPL1.vcf.gz.tbi")
    result = run(run_cli, tmp_path)
    files = {Path(f["path"]).name: f["findings"] for f in result.json()["files"]}
    assert [f["code"] for f in files["GSE1_GPL1.vcf.gz"]] == ["OMX604"]
    assert files["GSE1_GPL1.vcf.gz"][0]["fix"].startswith("rename it to GSE1_GPL1.vcf.bgz")
    assert [f["code"] for f in files["GSE1_GPL1.vcf.gz.tbi"]] == ["OMX604"]  # no OMX602/OMX603 for an index
    assert files["GSE1_GPL1.json"] == []


def test_a_metadata_only_update_may_not_change_the_facts_of_a_data_file_nobody_can_read():
    from validators.datasets.pairing import DatasetFile, check_against_stored_metadata

    def meta(**facts):
        return DatasetFile(
            "GSE1_GPL1.json", "metadata", {k: {"field": k, "pointer": f"/{k}", "value": v} for k, v in facts.items()}
        )

    stored = meta(cell_count=50, data_type="Single cell")
    changed = check_against_stored_metadata(meta(cell_count=999, data_type="Single cell"), stored)
    assert [(f.code, f.location.pointer, f.message) for f in changed] == [
        (
            "OMX612",
            "/cell_count",
            "cell_count changes from 50 to 999, but the stored data file cannot be read back to check it",
        )
    ]
    assert check_against_stored_metadata(meta(cell_count=50, data_type="Single cell"), stored) == []
