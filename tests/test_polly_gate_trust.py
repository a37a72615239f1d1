"""The gate's trust rules against the Polly backend (emulator over HTTP, moto's S3): one-sided updates compared
with what Polly stores, and uploads bound to the bytes that were validated."""

from __future__ import annotations

import json

import pytest

from omix_ingest.backend import IngestItem
from omix_ingest.polly.emulator import BUCKET
from omix_ingest.polly.upload import STAGING_SUFFIX

from .conftest import FILES_SCHEMA, POLLY_TOKEN, write_json
from .gate_helpers import TWO_SAMPLE_GCT, bulk_doc, folders, make_dataset, statuses


def data_keys(emulator, repo) -> list[str]:
    listing = emulator.state.s3().list_objects_v2(Bucket=BUCKET, Prefix=f"atlas_{repo}/data/")
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_data_only_update_is_checked_against_the_metadata_polly_stores(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")  # 3 samples
    assert statuses(polly.add_datasets(repo, folders(tmp_path), validation=True)) == {"GSE1_GPL1": "ingested"}
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "GSE1_GPL1.gct").write_text(TWO_SAMPLE_GCT, encoding="utf-8")
    frame = polly.update_datasets(repo, {"data": str(tmp_path / "v2")}, validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "refused"} and frame.reason.iloc[0] == "1 error(s): OMX610"
    stored = emulator.state.s3().get_object(Bucket=BUCKET, Key=f"atlas_{repo}/data/GSE1_GPL1.gct")
    assert stored["Body"].read().decode().splitlines()[1] == "3\t3"  # the stored file is untouched


def test_metadata_only_update_may_not_change_what_describes_the_unseen_data_file(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    polly.add_datasets(repo, folders(tmp_path), validation=True)
    write_json(tmp_path / "v2" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", total_num_samples=999))
    frame = polly.update_datasets(repo, {"metadata": str(tmp_path / "v2")}, validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "refused"} and frame.reason.iloc[0] == "1 error(s): OMX612"
    # A metadata-only update that keeps the counts goes in.
    write_json(tmp_path / "v3" / "GSE1_GPL1.json", bulk_doc("GSE1_GPL1", description="Revised"))
    kept = polly.update_datasets(repo, {"metadata": str(tmp_path / "v3")}, validation=True)
    assert statuses(kept) == {"GSE1_GPL1": "ingested"}
    [record] = emulator.state.repos[repo].files.values()
    assert record["metadata"]["description"] == "Revised" and record["metadata"]["total_num_samples"] == 3


def test_an_upload_whose_bytes_differ_from_the_validated_ones_is_refused(emulator, repo, polly, tmp_path):
    data = tmp_path / "GSE1_GPL1.gct"
    data.write_text(TWO_SAMPLE_GCT, encoding="utf-8")
    metadata = b'{"dataset_id": "GSE1_GPL1"}'
    item = IngestItem("GSE1_GPL1", metadata, None, data, "0" * 64)  # validated bytes hashed otherwise
    [outcome] = polly.backend.ingest(repo, [item], mode="add", priority="low", destination="", run_id=0)
    assert not outcome.ok and outcome.detail == "the data file changed after it was validated; validate it again"
    assert data_keys(emulator, repo) == []  # neither the file nor its staging copy is left in S3
    assert emulator.state.repos[repo].files == {}


def test_an_upload_goes_through_staging_and_leaves_only_the_real_key(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    assert statuses(polly.add_datasets(repo, folders(tmp_path), validation=True)) == {"GSE1_GPL1": "ingested"}
    assert data_keys(emulator, repo) == [f"atlas_{repo}/data/GSE1_GPL1.gct"]
    staged = [p for m, p in emulator.state.s3_requests if m == "PUT" and STAGING_SUFFIX in p]
    assert staged, "the file is first sent to a staging key"


def _year_as_integer(emulator, repo) -> None:
    """The atlas's schema, edited on the server: `year` becomes an integer field, so "2021" is now an error."""
    edited = json.loads(json.dumps(FILES_SCHEMA))
    edited["data"]["attributes"]["schema"]["all"]["all"]["year"]["type"] = "integer"
    emulator.state.repos[repo].schemas["files"] = edited


def test_add_validates_against_the_schema_the_atlas_serves_now_not_a_cached_copy(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    polly.backend.schemas(repo)  # cached now, and fresh for its whole time to live
    _year_as_integer(emulator, repo)
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "refused"}
    assert "OMX106" in frame.reason.iloc[0]
    assert polly.backend.datasets(repo) == []


def test_a_lock_the_atlas_no_longer_matches_is_refused_before_a_write(emulator, repo, tmp_path):
    """A lock pins validation to a template; a write is checked with what the atlas serves, so a stale lock is an
    error there rather than a verdict reached with the wrong template."""
    from omix_ingest.errors import UsageError
    from omix_ingest.polly.client import PollyClient
    from omix_ingest.polly.template_cache import TemplateCache, lock_entry, served_schema

    client = PollyClient(POLLY_TOKEN, base_url=emulator.url)
    locked = lock_entry(served_schema(json.loads(json.dumps(FILES_SCHEMA)), repo, "files"))
    cache = TemplateCache(tmp_path / "cache", lock={repo: {"files": locked}})
    assert cache.get(client, emulator.url, repo, "files", revalidate=True) == locked["document"]
    _year_as_integer(emulator, repo)
    assert cache.get(client, emulator.url, repo, "files") == locked["document"]  # validation: the lock wins
    with pytest.raises(UsageError, match="is not the one the atlas serves now"):
        cache.get(client, emulator.url, repo, "files", revalidate=True)
