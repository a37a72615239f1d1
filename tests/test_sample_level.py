"""Sample-level conformance: GCT column metadata (and h5ad obs) against the sample-level template, with pandera."""

from __future__ import annotations

from pathlib import Path

from .conftest import TEMPLATES

GCT_SAMPLES = TEMPLATES / "transcriptomics.gct_metadata.schema.json"
HEADER = "#1.3\n1\t3\t0\t{n}\nid\tS1\tS2\tS3\n"


def gct(tmp_path: Path, *meta_lines: str) -> Path:
    path = tmp_path / "GSE1_GPL1.gct"
    path.write_text(
        HEADER.format(n=len(meta_lines)) + "".join(m + "\n" for m in meta_lines) + "TP53\t1\t2\t3\n", encoding="utf-8"
    )
    return path


def findings(run_cli, path: Path) -> list[tuple[str, str, str]]:
    result = run_cli("validate", "--sample-template", GCT_SAMPLES, "--format", "json", path)
    return sorted((f["code"], f["pointer"], f["message"]) for f in result.json()["files"][0]["findings"])


CLEAN = (
    "kw_curated_disease\tObesity\tNormal\tObesity",
    "kw_curated_tissue\tliver\tliver\tlung",
    "kw_curated_cell_type\tNone\tNone\thepatocyte",
)


def test_conforming_column_metadata_passes(run_cli, tmp_path):
    assert findings(run_cli, gct(tmp_path, *CLEAN)) == []


def test_no_sample_template_means_no_sample_checks(run_cli, tmp_path):
    result = run_cli("validate", "--format", "json", gct(tmp_path, "anything\ta\tb\tc"))
    assert result.code == 0


def test_missing_required_column_and_field_name_hint(run_cli, tmp_path):
    path = gct(tmp_path, CLEAN[0], "curated_tissue\tliver\tliver\tlung")  # field name, and no cell type column
    got = findings(run_cli, path)
    assert [g[0] for g in got] == ["OMX620", "OMX621"]
    assert "kw_curated_cell_type" in got[0][2]
    assert "original name 'kw_curated_tissue'" in got[1][2]


def test_value_rules_apply_at_sample_level(run_cli, tmp_path):
    path = gct(tmp_path, "kw_curated_disease\tobesity\tnan\tObesity", *CLEAN[1:], "curated_age\t34\tforty\t51")
    got = findings(run_cli, path)
    assert [(g[0], g[1]) for g in got] == [
        ("OMX202", "column metadata/kw_curated_disease"),
        ("OMX205", "column metadata/kw_curated_disease"),
        ("OMX622", "column metadata/curated_age"),
    ]
    assert "'forty'" in got[2][2]


H5AD_SAMPLES = TEMPLATES / "single_cell_rnaseq_omixatlas.h5ad_metadata.schema.json"
H5AD = TEMPLATES.parent / "data" / "positive" / "GSE500001_sparse.h5ad"


def test_h5ad_obs_conforms(run_cli):
    result = run_cli("validate", "--sample-template", H5AD_SAMPLES, H5AD)
    assert result.code == 0, result.out


def test_h5ad_obs_against_sample_template(run_cli, tmp_path):
    import shutil

    import h5py
    import numpy as np

    path = tmp_path / "GSE2_GPL1.h5ad"
    shutil.copyfile(H5AD, path)
    with h5py.File(path, "r+") as handle:
        handle.move("obs/kw_curated_tissue", "obs/curated_tissue")  # the field name, not the original name
        order = [c if c != "kw_curated_tissue" else "curated_tissue" for c in handle["obs"].attrs["column-order"]]
        handle["obs"].attrs["column-order"] = np.array(order, dtype=object)
        del handle["obs/kw_curated_disease/categories"]
        categories = handle.create_dataset(
            "obs/kw_curated_disease/categories", data=["normal "], dtype=h5py.string_dtype()
        )
        categories.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    result = run_cli("validate", "--sample-template", H5AD_SAMPLES, "--format", "json", path)
    got = sorted((f["code"], f["pointer"]) for f in result.json()["files"][0]["findings"])
    assert got == [
        ("OMX201", "obs/kw_curated_disease"),
        ("OMX208", "obs/kw_curated_disease"),
        ("OMX621", "obs/curated_tissue"),
    ]
