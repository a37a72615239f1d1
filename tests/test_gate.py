"""The gate through the Polly-compatible API and the CLI: what goes in, what is refused, and why."""

from __future__ import annotations

import json
import shutil

import pytest

from omix_ingest import OmixAtlas
from omix_ingest.omixatlas import AtlasNotFoundException, paramException

from .conftest import SINGLE_CELL, write_json
from .gate_helpers import ATLAS, GCT, bulk_doc, folders, make_dataset, read_json, statuses


@pytest.fixture
def atlas():
    with OmixAtlas() as client:
        yield client


def test_add_ingests_good_and_refuses_broken_datasets(atlas, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1", dataset_source="geo")
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert list(frame.columns[:3]) == ["dataset_id", "File Name", "Message"]
    assert statuses(frame) == {"GSE1_GPL1": "ingested", "GSE2_GPL1": "refused"}
    refused = frame[frame.dataset_id == "GSE2_GPL1"].iloc[0]
    assert refused["reason"] == "1 error(s): OMX202" and refused["Message"].startswith("File Not Uploaded")
    stored = {d["dataset_id"]: d for d in atlas.backend.datasets(ATLAS)}
    assert list(stored) == ["GSE1_GPL1"] and stored["GSE1_GPL1"]["version"] == 1


def test_every_dataset_failing_is_a_table_not_a_crash(atlas, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo")
    make_dataset(tmp_path, "GSE2_GPL1", total_num_samples="3")
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert set(frame.status) == {"refused"} and len(frame) == 4
    assert atlas.backend.datasets(ATLAS) == []


def test_missing_index_is_a_warning_not_an_abort(atlas, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    doc = bulk_doc("GSE2_GPL1")
    del doc["__index__"]
    write_json(tmp_path / "metadata" / "GSE2_GPL1.json", doc)
    (tmp_path / "data" / "GSE2_GPL1.gct").write_text(GCT, encoding="utf-8")
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested", "GSE2_GPL1": "ingested"}


def _expected(validate: bool, scope: str, force: bool) -> tuple[str, str]:
    """What the gate must do with a dataset whose only problem is a value-rule error (OMX202)."""
    if scope == "basic":
        return "ingested", ""  # value rules do not run at basic scope
    if not validate:
        return "ingested", "1 error(s) not checked (validate is false in __index__.validation_check)"
    if force:
        return "ingested", "ingested despite 1 error(s) (OMX202) because force_ingest is true"
    return "refused", "1 error(s): OMX202"


@pytest.mark.parametrize(
    ("flags", "status", "reason"),
    [
        ({"validate": v, "scope": s, "force_ingest": f}, *_expected(v, s, f))
        for v in (True, False)
        for s in ("basic", "advanced")
        for f in (True, False)
    ],
)
def test_validation_check_flags(atlas, tmp_path, flags, status, reason):
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo", index=flags)  # a value-rule error (OMX202)
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": status}
    assert set(frame.reason) == {reason}


@pytest.mark.parametrize("force", [False, True])
def test_type_errors_respect_force_but_identity_errors_never_pass(atlas, tmp_path, force):
    make_dataset(tmp_path, "GSE1_GPL1", total_num_samples="3", index={"force_ingest": force})  # OMX106
    make_dataset(tmp_path, "GSE2_GPL1", dataset_id="GSE9_GPL9", index={"force_ingest": force})  # OMX117
    found = statuses(atlas.add_datasets(ATLAS, folders(tmp_path), validation=True))
    assert found == {"GSE1_GPL1": "ingested" if force else "refused", "GSE2_GPL1": "refused"}


def test_validation_false_still_refuses_what_cannot_be_ingested(atlas, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1", dataset_source="geo")
    make_dataset(tmp_path, "GSE2_GPL1")
    (tmp_path / "data" / "GSE2_GPL1.gct").unlink()  # metadata without its data file
    (tmp_path / "metadata" / "GSE3_GPL1.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "data" / "GSE3_GPL1.gct").write_text(GCT, encoding="utf-8")
    found = statuses(atlas.add_datasets(ATLAS, folders(tmp_path)))
    assert found == {"GSE1_GPL1": "ingested", "GSE2_GPL1": "refused", "GSE3_GPL1": "refused"}
    assert [d["dataset_id"] for d in atlas.backend.datasets(ATLAS)] == ["GSE1_GPL1"]


def test_renamed_file_is_refused_not_a_crash(atlas, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    (tmp_path / "metadata" / "GSE1_GPL1.json").rename(tmp_path / "metadata" / "GSE1_GPL1_v2.json")
    (tmp_path / "data" / "GSE1_GPL1.gct").rename(tmp_path / "data" / "GSE1_GPL1_v2.gct")
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1_v2": "refused"}
    assert "OMX117" in frame.reason.iloc[0]


def test_add_refuses_existing_and_update_refuses_unknown(atlas, tmp_path):
    make_dataset(tmp_path / "a", "GSE1_GPL1")
    make_dataset(tmp_path / "b", "GSE2_GPL1")
    assert statuses(atlas.add_datasets(ATLAS, folders(tmp_path / "a"))) == {"GSE1_GPL1": "ingested"}
    again = atlas.add_datasets(ATLAS, folders(tmp_path / "a"))
    assert set(again.reason) == {"already in the atlas; use update"}
    update = atlas.update_datasets(ATLAS, folders(tmp_path / "b"))
    assert set(update.reason) == {"not in the atlas; use add"}


def test_update_metadata_only_data_only_and_unchanged(atlas, tmp_path):
    make_dataset(tmp_path / "v1", "GSE1_GPL1")
    atlas.add_datasets(ATLAS, folders(tmp_path / "v1"), validation=True)
    first = atlas.backend.datasets(ATLAS)[0]

    same = atlas.update_datasets(ATLAS, folders(tmp_path / "v1"), validation=True)
    assert set(same.status) == {"unchanged"}
    assert atlas.backend.datasets(ATLAS)[0]["version"] == 1

    write_json(tmp_path / "v2" / "metadata" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", description="Revised"))
    meta_only = atlas.update_datasets(ATLAS, {"metadata": str(tmp_path / "v2" / "metadata")}, validation=True)
    assert statuses(meta_only) == {"GSE1_GPL1": "ingested"}
    second = atlas.backend.datasets(ATLAS)[0]
    assert second["version"] == 2 and second["data_sha256"] == first["data_sha256"]
    assert second["metadata_sha256"] != first["metadata_sha256"]

    (tmp_path / "v3" / "data").mkdir(parents=True)
    (tmp_path / "v3" / "data" / "GSE1_GPL1.gct").write_text(GCT.replace("\t9\n", "\t10\n"), encoding="utf-8")
    data_only = atlas.update_datasets(ATLAS, {"data": str(tmp_path / "v3" / "data")}, validation=True)
    assert statuses(data_only) == {"GSE1_GPL1": "ingested"}
    third = atlas.backend.datasets(ATLAS)[0]
    assert third["version"] == 3 and third["metadata_sha256"] == second["metadata_sha256"]


def test_delete_move_and_save_to_workspace_round_trip(atlas, tmp_path, run_cli):
    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1")
    atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert run_cli("atlas", "create", "bulk", "--schema", SINGLE_CELL).code == 0

    moved = atlas.move_data(ATLAS, "bulk", ["GSE1_GPL1"])
    assert statuses(moved) == {"GSE1_GPL1": "moved"}
    assert [d["dataset_id"] for d in atlas.backend.datasets("bulk")] == ["GSE1_GPL1"]

    saved = atlas.save_to_workspace("bulk", "GSE1_GPL1", 12345, str(tmp_path / "workspace"))
    assert sorted(p.rsplit("/", 1)[-1] for p in saved["data"]["attributes"]["files"]) == [
        "GSE1_GPL1.gct",
        "GSE1_GPL1.json",
    ]
    assert read_json(tmp_path / "workspace" / "GSE1_GPL1.json") == read_json(tmp_path / "metadata" / "GSE1_GPL1.json")

    deleted = atlas.delete_datasets(ATLAS, ["GSE2_GPL1", "GSE404_GPL1"])
    assert statuses(deleted) == {"GSE2_GPL1": "deleted", "GSE404_GPL1": "refused"}
    assert atlas.backend.datasets(ATLAS) == []


def test_move_is_refused_when_the_destination_schema_rejects_the_metadata(atlas, tmp_path, run_cli):
    make_dataset(tmp_path, "GSE1_GPL1")
    atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    narrow = json.loads(SINGLE_CELL.read_text(encoding="utf-8"))
    fields = narrow["data"]["attributes"]["schema"]["all"]["all"]
    fields["total_num_samples"]["type"] = "text"
    del fields["publication"]
    schema = write_json(tmp_path / "narrow.json", narrow)
    assert run_cli("atlas", "create", "narrow", "--schema", schema).code == 0
    frame = atlas.move_data(ATLAS, "narrow", ["GSE1_GPL1"])
    assert statuses(frame) == {"GSE1_GPL1": "refused"}
    assert frame.reason.iloc[0] == "'narrow' would reject it: publication, total_num_samples"
    assert [d["dataset_id"] for d in atlas.backend.datasets(ATLAS)] == ["GSE1_GPL1"]


def test_dataset_metadata_template_matches_the_sdk_shape(atlas):
    template = atlas.dataset_metadata_template(ATLAS)
    expected = read_json(SINGLE_CELL.parent / "single_cell_rnaseq_omixatlas.dataset_metadata_template.json")
    assert template == expected


def test_validate_datasets_returns_errors_and_status(atlas, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    make_dataset(tmp_path, "GSE2_GPL1", total_num_samples="3")
    errors, status = atlas.validate_datasets(ATLAS, folders(tmp_path))
    assert status == {"GSE1_GPL1": True, "GSE2_GPL1": False}
    assert errors[["dataset_id", "Original Name", "code"]].values.tolist() == [
        ["GSE2_GPL1", "total_num_samples", "OMX106"]
    ]


@pytest.mark.parametrize(
    ("call", "detail"),
    [
        (lambda a, t: a.add_datasets(None, folders(t)), "repo_id should be a non-empty str or int"),
        (lambda a, t: a.add_datasets(ATLAS, "folder"), "source_folder_path should be a dict"),
        (lambda a, t: a.add_datasets(ATLAS, {"metadata": str(t)}), "needs both a data and a metadata folder"),
        (lambda a, t: a.add_datasets(ATLAS, {"meta": str(t), "data": str(t)}), "only the keys data and metadata"),
        (lambda a, t: a.add_datasets(ATLAS, {"metadata": str(t / "nope"), "data": str(t)}), "does not exist"),
        (lambda a, t: a.add_datasets(ATLAS, folders(t), priority="urgent"), "priority should be one of"),
        (lambda a, t: a.add_datasets(ATLAS, folders(t), destination_folder_path=3), "should be a string"),
        (lambda a, t: a.add_datasets(ATLAS, folders(t), validation="yes"), "should be True or False"),
        (lambda a, t: a.update_datasets(ATLAS, {}), "source_folder_path should be a dict"),
        (lambda a, t: a.delete_datasets(ATLAS, "GSE1_GPL1"), "non-empty list of strings"),
        (lambda a, t: a.delete_datasets(ATLAS, [1]), "every dataset id should be a non-empty string"),
        (lambda a, t: a.move_data(ATLAS, True, ["x"]), "destination_repo_key should be"),
        (lambda a, t: a.move_data(ATLAS, ATLAS, ["x"], priority="now"), "priority should be one of"),
        (lambda a, t: a.dataset_metadata_template(ATLAS, source=1), "source and data_type should be strings"),
        (lambda a, t: a.dataset_metadata_template(ATLAS, source="GEO"), "no source/data type matches"),
        (lambda a, t: a.validate_datasets(ATLAS, folders(t), {"src": "x"}), "schema_config takes"),
        (lambda a, t: a.save_to_workspace(ATLAS, "GSE1", "ws", "/tmp/x"), "workspace_id should be an int"),
        (lambda a, t: a.save_to_workspace(ATLAS, "GSE1", 1, ""), "workspace_path should be a non-empty string"),
        (lambda a, t: a.save_to_workspace(ATLAS, "GSE404", 1, str(t / "w")), "is not in atlas"),
    ],
)
def test_parameter_errors(atlas, tmp_path, call, detail):
    (tmp_path / "metadata").mkdir()
    (tmp_path / "data").mkdir()
    with pytest.raises(paramException) as caught:
        call(atlas, tmp_path)
    assert detail in caught.value.detail and caught.value.title


def test_unknown_atlas(atlas, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    with pytest.raises(AtlasNotFoundException, match="Invalid Repo Id"):
        atlas.add_datasets("no-such-atlas", folders(tmp_path))


def test_unreadable_data_file_refuses_only_its_dataset(atlas, tmp_path):
    for i in range(1, 4):
        make_dataset(tmp_path, f"GSE{i}_GPL1")
    (tmp_path / "data" / "GSE2_GPL1.gct").unlink()
    (tmp_path / "data" / "GSE2_GPL1.gct").mkdir()  # a folder where the data file should be
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested", "GSE2_GPL1": "refused", "GSE3_GPL1": "ingested"}


def test_storage_failure_mid_batch_leaves_no_half_dataset(atlas, tmp_path, monkeypatch):
    """The disk fills up while the second dataset's data file is copied in: that dataset is refused whole (its
    metadata is not stored either), the others go in, and the store stays consistent."""
    import errno

    from omix_ingest.atlas.store import LocalStore

    for i in range(1, 4):
        make_dataset(tmp_path, f"GSE{i}_GPL1")
    real_put_file = LocalStore.put_file

    def disk_full_on_second(self, source):
        if source.name == "GSE2_GPL1.gct":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_put_file(self, source)

    monkeypatch.setattr(LocalStore, "put_file", disk_full_on_second)
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested", "GSE2_GPL1": "refused", "GSE3_GPL1": "ingested"}
    assert "No space left on device" in frame[frame.dataset_id == "GSE2_GPL1"].reason.iloc[0]
    assert [d["dataset_id"] for d in atlas.backend.datasets(ATLAS)] == ["GSE1_GPL1", "GSE3_GPL1"]
    assert atlas._local.store.integrity_problems() == []


@pytest.mark.parametrize(
    ("sample_flags", "status"),
    [
        ({}, "refused"),
        ({"validate": False}, "ingested"),
        ({"force_ingest": True}, "ingested"),
        ({"scope": "basic"}, "refused"),
    ],  # a missing column is structure: basic scope still checks it
)
def test_sample_level_flags_govern_sample_level_findings(atlas, tmp_path, sample_flags, status):
    """obs lacks a required sample-level column (OMX620): `validation_check.sample` decides, not `dataset`."""
    import h5py

    from .conftest import FIXTURES, good_doc

    doc = good_doc("GSE1_GPL1")
    doc["total_num_cells"] = 50
    doc["__index__"]["validation_check"]["sample"].update(sample_flags)
    write_json(tmp_path / "metadata" / "GSE1_GPL1.json", doc)
    (tmp_path / "data").mkdir()
    data = tmp_path / "data" / "GSE1_GPL1.h5ad"
    shutil.copyfile(FIXTURES / "data" / "positive" / "GSE500001_sparse.h5ad", data)
    with h5py.File(data, "r+") as handle:
        handle.move("obs/kw_curated_tissue", "obs/tissue_label")
        order = [c if c != "kw_curated_tissue" else "tissue_label" for c in handle["obs"].attrs["column-order"]]
        handle["obs"].attrs["column-order"] = order
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": status}
    if status == "refused":
        assert frame.reason.iloc[0] == "1 error(s): OMX620"


@pytest.mark.parametrize(("scope", "status"), [("advanced", "refused"), ("basic", "ingested")])
def test_sample_scope_basic_skips_sample_value_rules(atlas, tmp_path, scope, status):
    """A nan-like cell type in obs (OMX205 at sample level) only counts at advanced sample scope."""
    import h5py

    from .conftest import FIXTURES, good_doc

    doc = good_doc("GSE1_GPL1")
    doc["total_num_cells"] = 50
    doc["__index__"]["validation_check"]["sample"]["scope"] = scope
    write_json(tmp_path / "metadata" / "GSE1_GPL1.json", doc)
    (tmp_path / "data").mkdir()
    data = tmp_path / "data" / "GSE1_GPL1.h5ad"
    shutil.copyfile(FIXTURES / "data" / "positive" / "GSE500001_sparse.h5ad", data)
    with h5py.File(data, "r+") as handle:
        del handle["obs/kw_curated_cell_type/categories"]
        categories = handle.create_dataset(
            "obs/kw_curated_cell_type/categories", data=["nan", "B cell"], dtype=h5py.string_dtype()
        )
        categories.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    frame = atlas.add_datasets(ATLAS, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": status}


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.delete_datasets("no-such-atlas", ["GSE1_GPL1"]),
        lambda a: a.move_data("no-such-atlas", ATLAS, ["GSE1_GPL1"]),
    ],
    ids=["delete", "move"],
)
def test_an_unknown_atlas_is_refused_before_any_run_is_recorded(atlas, call):
    with pytest.raises(AtlasNotFoundException):
        call(atlas)
    assert atlas.backend.store.runs() == []  # no phantom "interrupted" run left behind
