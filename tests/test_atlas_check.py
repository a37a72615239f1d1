"""`omix atlas check`: a proposed schema that breaks some stored datasets and not others, in the local atlas and
through the Polly emulator; the `--diff` summary of that change; and nothing in the atlas changes."""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
from pathlib import Path

from omix_ingest.polly.emulator import BUCKET

from .conftest import FILES_SCHEMA, POLLY_TOKEN, write_json
from .gate_helpers import ATLAS, make_dataset


def proposed_schema(tmp_path: Path) -> Path:
    """`summary` becomes an integer, `year` is renamed (original name `release_year`), `abstract` is dropped and
    `curated_treatment` is added: a stored summary or year breaks, an absent one does not."""
    document = copy.deepcopy(FILES_SCHEMA)
    fields = document["data"]["attributes"]["schema"]["all"]["all"]
    fields["summary"]["type"] = "integer"
    fields["year"]["original_name"] = "release_year"
    del fields["abstract"]
    fields["curated_treatment"] = {**fields["curated_drug"], "original_name": "treatment"}
    return write_json(tmp_path / "proposed.json", document)


def three_datasets(root: Path) -> None:
    """GSE1 has summary and year (both break), GSE2 only year (breaks), GSE3 neither (still passes)."""
    make_dataset(root, "GSE1_GPL1")
    make_dataset(root, "GSE2_GPL1")
    make_dataset(root, "GSE3_GPL1")
    for name, drop in (("GSE1_GPL1", ["abstract"]), ("GSE2_GPL1", ["abstract", "summary"]), ("GSE3_GPL1", None)):
        path = root / "metadata" / f"{name}.json"
        doc = json.loads(path.read_text())
        for key in drop or ["abstract", "summary", "year"]:
            doc.pop(key, None)
        write_json(path, doc)


def snapshot(data_dir: Path) -> dict[str, object]:
    """The SQLite file's bytes, every table's rows, and the file store's names and contents."""
    database = data_dir / "atlas.sqlite3"
    with sqlite3.connect(database) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        rows = {t: sorted(map(tuple, db.execute(f"SELECT * FROM {t}"))) for t in tables}
    db.close()
    store = data_dir / "objects"
    objects = {
        str(p.relative_to(store)): hashlib.sha256(p.read_bytes()).hexdigest() for p in store.rglob("*") if p.is_file()
    }
    return {"sqlite": hashlib.sha256(database.read_bytes()).hexdigest(), "rows": rows, "objects": objects}


def test_local_check_reports_which_datasets_break_and_changes_nothing(run_cli, tmp_path, isolated_state):
    three_datasets(tmp_path)
    added = run_cli("add", "--atlas", ATLAS, "--metadata", tmp_path / "metadata", "--data", tmp_path / "data")
    assert added.code == 0, added.out + added.err
    data_dir = isolated_state / "data"
    before = snapshot(data_dir)

    current = run_cli("atlas", "check", ATLAS, "--format", "json")
    assert current.code == 0, current.out + current.err
    assert current.json()["failing"] == [] and current.json()["datasets"] == 3

    schema = proposed_schema(tmp_path)
    result = run_cli("atlas", "check", ATLAS, "--schema", schema, "--format", "json")
    assert result.code == 1, result.err
    body = result.json()
    assert body["failing"] == ["GSE1_GPL1", "GSE2_GPL1"]
    groups = {(g["field"], g["code"]): g["datasets"] for g in body["groups"]}
    assert groups == {
        ("year", "OMX105"): ["GSE1_GPL1", "GSE2_GPL1"],  # the old key is now the field name, not the original name
        ("summary", "OMX106"): ["GSE1_GPL1"],  # a text summary in an integer field
    }
    assert {f["path"] for f in body["report"]["files"]} == {f"atlas/{ATLAS}/GSE{i}_GPL1.json" for i in (1, 2, 3)}

    text = run_cli("atlas", "check", ATLAS, "--schema", schema)
    assert text.code == 1
    assert "3 dataset(s) checked against the proposed.json schema" in text.out
    assert "2 would fail" in text.out and "would fail: GSE1_GPL1, GSE2_GPL1" in text.out

    assert snapshot(data_dir) == before


def test_diff_summarises_the_schema_change(run_cli, tmp_path):
    old = write_json(tmp_path / "old.json", FILES_SCHEMA)
    new = proposed_schema(tmp_path)
    result = run_cli("atlas", "check", "--diff", old, new, "--format", "json")
    assert result.code == 0, result.err
    changes = {(c["field"], c["change"]): (c["before"], c["after"]) for c in result.json()["changes"]}
    assert changes == {
        ("abstract", "removed"): ("abstract, text", None),
        ("year", "renamed"): ("year", "release_year"),
        ("summary", "retyped"): ("text", "integer"),
        ("curated_treatment", "added"): (None, "treatment, array of text"),
    }
    text = run_cli("atlas", "check", "--diff", old, new)
    assert "4 change(s)" in text.out and "retyped: summary: text -> integer" in text.out


def test_diff_follows_the_rule_packs_for_required_fields(run_cli, tmp_path):
    pack = tmp_path / "strict.yaml"
    pack.write_text("name: strict\nversion: 1\nextends: polly-default\nrequired: [dataset_id, summary]\n")
    old = write_json(tmp_path / "old.json", FILES_SCHEMA)
    result = run_cli("atlas", "check", "--diff", old, old, "--rules", pack, "--old-rules", "polly-default")
    assert result.code == 0, result.err
    assert "made required: summary" in result.out
    assert "no longer required: curated_disease" in result.out


def test_usage_errors_exit_2(run_cli, tmp_path):
    assert run_cli("atlas", "check").code == 2
    assert run_cli("atlas", "check", "no-such-atlas").code == 2
    (tmp_path / "bad.json").write_text("{not json")
    assert run_cli("atlas", "check", ATLAS, "--schema", tmp_path / "bad.json").code == 2
    assert run_cli("atlas", "check", ATLAS, "--diff", tmp_path / "bad.json", tmp_path / "bad.json").code == 2


def test_check_through_the_polly_emulator(emulator, repo, run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("POLLY_REFRESH_TOKEN", POLLY_TOKEN)
    three_datasets(tmp_path)
    remote = ("--backend", "polly", "--api-url", emulator.url, "--s3-endpoint", emulator.s3_url)
    added = run_cli("add", "--atlas", repo, "--metadata", tmp_path / "metadata", "--data", tmp_path / "data", *remote)
    assert added.code == 0, added.out + added.err
    keys_before = sorted(emulator.state.s3().list_objects_v2(Bucket=BUCKET, Prefix="").get("Contents", []), key=str)

    schema = proposed_schema(tmp_path)
    result = run_cli("atlas", "check", repo, "--schema", schema, "--format", "json", *remote)
    assert result.code == 1, result.err
    body = result.json()
    assert body["backend"] == "polly"
    assert body["failing"] == ["GSE1_GPL1", "GSE2_GPL1"]
    groups = {(g["field"], g["code"]): g["datasets"] for g in body["groups"]}
    assert groups == {("year", "OMX105"): ["GSE1_GPL1", "GSE2_GPL1"], ("summary", "OMX106"): ["GSE1_GPL1"]}
    assert run_cli("atlas", "check", repo, "--format", "json", *remote).code == 0
    assert (
        sorted(emulator.state.s3().list_objects_v2(Bucket=BUCKET, Prefix="").get("Contents", []), key=str)
        == keys_before
    )
