"""An update through Polly replaces the stored data file before its commit. When the commit is refused, or gets
no answer and is settled as not gone in, the file it replaced must be back at its key: the atlas keeps the
dataset as it was (data and metadata), and no copy or staging object is left in the bucket."""

from __future__ import annotations

from pathlib import Path

from omix_ingest.polly.emulator import BUCKET
from omix_ingest.polly.emulator.files import commit
from omix_ingest.polly.upload import PREVIOUS_SUFFIX, STAGING_SUFFIX

from .conftest import write_json
from .gate_helpers import GCT, bulk_doc, folders, make_dataset, statuses
from .test_polly_faults_at_scale import data_keys, remote

REVISED_GCT = GCT.replace("EGFR\tna\t7\t", "EGFR\tna\t8\t")


def _stored(emulator, repo) -> tuple[bytes, str]:
    """The data file's bytes at its key, and the description the atlas holds."""
    [key] = [k for k in data_keys(emulator, repo) if not k.endswith((PREVIOUS_SUFFIX, STAGING_SUFFIX))]
    body = emulator.state.s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    [record] = emulator.state.repos[repo].files.values()
    return body, record["metadata"]["description"]


def _revision(root: Path) -> dict[str, str]:
    write_json(root / "metadata" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", description="Revised"))
    (root / "data").mkdir(parents=True)
    (root / "data" / "GSE1_GPL1.gct").write_text(REVISED_GCT, encoding="utf-8")
    return folders(root)


def _added(emulator, repo, polly, tmp_path) -> tuple[bytes, str]:
    assert REVISED_GCT != GCT
    make_dataset(tmp_path / "v1", "GSE1_GPL1")
    assert statuses(polly.add_datasets(repo, folders(tmp_path / "v1"), validation=True)) == {"GSE1_GPL1": "ingested"}
    return _stored(emulator, repo)


def test_a_refused_update_leaves_the_stored_dataset_as_it_was(emulator, repo, polly, tmp_path):
    before = _added(emulator, repo, polly, tmp_path)
    emulator.arm("locked", count=1, path="action=commit")
    frame = polly.update_datasets(repo, _revision(tmp_path / "v2"), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "refused"}
    assert "the atlas keeps its stored data file and metadata" in frame.reason.iloc[0]
    assert _stored(emulator, repo) == before
    assert len(data_keys(emulator, repo)) == 1  # no copy, no staging object
    commit(emulator.state, emulator.state.repos[repo])  # a later commit finds nothing of the update
    assert _stored(emulator, repo) == before


def test_an_update_without_an_answer_settled_as_not_gone_in_puts_the_file_back(
    emulator, repo, polly, tmp_path, run_cli
):
    before = _added(emulator, repo, polly, tmp_path)
    emulator.arm("drop", count=1, path="action=commit")
    frame = polly.update_datasets(repo, _revision(tmp_path / "v2"), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "unconfirmed"}
    assert _stored(emulator, repo)[0] == REVISED_GCT.encode()  # replaced in place until settled
    settled = run_cli("status", "--resolve", "--format", "json", *remote(emulator))
    assert settled.code == 0, settled.err
    [outcome] = settled.json()["settled"]
    assert outcome["dataset_id"] == "GSE1_GPL1" and outcome["ingested"] is False
    assert _stored(emulator, repo) == before
    assert len(data_keys(emulator, repo)) == 1


def test_a_successful_update_keeps_no_copy_of_the_file_it_replaced(emulator, repo, polly, tmp_path):
    _added(emulator, repo, polly, tmp_path)
    frame = polly.update_datasets(repo, _revision(tmp_path / "v2"), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested"}
    assert _stored(emulator, repo) == (REVISED_GCT.encode(), "Revised")
    assert len(data_keys(emulator, repo)) == 1


def test_credentials_that_expire_before_the_copy_aside_are_renewed(emulator, repo, polly, tmp_path):
    """The first S3 request of an update is the HEAD of the stored file (to copy it aside), and S3 answers HEAD
    with a bare "400 Bad Request" when the credentials expired: renewed, not a failed upload."""
    _added(emulator, repo, polly, tmp_path)

    def heads() -> int:
        return sum(1 for m, p in emulator.state.s3_requests if m == "HEAD" and p.endswith("/GSE1_GPL1.gct"))

    before = heads()
    emulator.arm("expired_s3", count=1, path="tokens=true")  # the update's first credentials are expired
    frame = polly.update_datasets(repo, _revision(tmp_path / "v2"), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested"}, frame.reason.iloc[0]
    assert _stored(emulator, repo) == (REVISED_GCT.encode(), "Revised")
    assert heads() - before >= 2  # refused as expired, then again with renewed credentials
