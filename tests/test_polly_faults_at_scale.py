"""Ingestion through the Polly backend under faults: every dataset ends in a status that is true of the atlas.

The soak test adds ~100 datasets in batches through `OmixAtlas(backend="polly")` while the emulator plays seeded
random faults on API and S3 requests (commits included), settles with `omix status --resolve`, and audits the
emulator's atlas and bucket (see omix_ingest/polly/emulator/soak.py). The other tests pin each commit outcome.
"""

from __future__ import annotations

import dataclasses
import json
import time

from omix_ingest.polly.emulator import BUCKET
from omix_ingest.polly.emulator.files import commit
from omix_ingest.polly.emulator.soak import SoakPlan, run_soak, write_datasets, write_revisions

from .conftest import POLLY_TOKEN
from .gate_helpers import GCT, bulk_doc, folders, make_dataset, statuses

REMOTE_KEYS = ("--backend", "polly")


def remote(emulator) -> tuple[str, ...]:
    return (*REMOTE_KEYS, "--api-url", emulator.url, "--s3-endpoint", emulator.s3_url)


def data_keys(emulator, repo) -> list[str]:
    listing = emulator.state.s3().list_objects_v2(Bucket=BUCKET, Prefix=f"atlas_{repo}/data/")
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_a_hundred_datasets_under_random_faults_end_where_they_were_reported(emulator, repo, tmp_path):
    plan = SoakPlan(datasets=100, batch=20, seed=11, p=0.06, delay=1.5, timeout=1.0)
    doc = bulk_doc("GSE0_GPL0")
    batches = write_datasets(tmp_path / "in", plan, doc, GCT.replace("EGFR\tna\t7\t", "EGFR\tna\tSOAK\t"))
    result = run_soak(emulator, repo, batches, plan)
    counts = result.counts
    assert result.defects() == {}, (counts, result.failures)
    assert counts["split"] == 0
    assert counts["tried"] == 100 and counts["ingested"] > 0 and counts["unconfirmed"] > 0
    assert counts["resolved_in"] + counts["resolved_out"] == counts["unconfirmed"]
    assert {"commit:slow", "commit:drop", "commit:locked"} <= set(result.played)
    assert any(k.startswith("s3:") for k in result.played)
    assert len(emulator.state.repos[repo].files) == counts["ingested_final"]


def test_updates_under_random_faults_leave_every_dataset_whole_in_one_version(emulator, repo, tmp_path):
    """Each update either went in (the atlas holds the revision: data and metadata) or did not (it holds the
    version before, both files), whatever faults hit the uploads and the commit."""
    plan = SoakPlan(datasets=40, batch=10, seed=5, p=0.06, delay=1.5, timeout=1.0)
    doc = bulk_doc("GSE0_GPL0")
    batches = write_datasets(tmp_path / "in", plan, doc, GCT.replace("EGFR\tna\t7\t", "EGFR\tna\tSOAK\t"))
    assert run_soak(emulator, repo, batches, plan).defects() == {}
    went_in = [d for b in batches for d in b if d.went_in]
    # Smaller batches: the five commit faults armed at the start must leave some commits to go through.
    plan = dataclasses.replace(plan, batch=4, seed=6)
    revisions = write_revisions(tmp_path / "revisions", went_in, plan)
    result = run_soak(emulator, repo, revisions, plan)
    counts = result.counts
    assert result.defects() == {}, (counts, result.failures)
    assert counts["split"] == 0 and counts["tried"] == len(went_in)
    assert counts["ingested"] > 0
    assert counts["failed"] + counts["resolved_out"] > 0, "no update was refused: the put-back path went untested"
    assert {"commit:drop", "commit:locked"} <= set(result.played)
    assert len(emulator.state.repos[repo].files) == len(went_in)


def test_a_commit_answered_late_is_unconfirmed_then_resolved_as_ingested(emulator, repo, polly, tmp_path, run_cli):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("slow", count=1, path="action=commit", delay=5.0)
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "unconfirmed"}
    assert "omix status --resolve" in frame.reason.iloc[0]
    shown = run_cli("status")
    assert "2 file(s) unconfirmed: `omix status --resolve --backend polly` settles them" in shown.out
    time.sleep(5.5)  # the late commit completes
    settled = run_cli("status", "--resolve", "--format", "json", *remote(emulator))
    assert settled.code == 0, settled.err
    body = settled.json()
    assert [(s["dataset_id"], s["ingested"]) for s in body["settled"]] == [("GSE1_GPL1", True)]
    assert body["unconfirmed"] == 0
    assert {e["status"] for e in body["runs"][0]["events"]} == {"ingested"}
    assert [d["dataset_id"] for d in polly.backend.datasets(repo)] == ["GSE1_GPL1"]
    again = run_cli("status", "--resolve", "--format", "json", *remote(emulator))
    assert again.json()["settled"] == []  # settled for good: nothing left to settle


def test_a_dropped_commit_is_withdrawn_when_settled_and_no_later_commit_brings_it_in(
    emulator, repo, polly, tmp_path, run_cli
):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("drop", count=1, path="action=commit")
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "unconfirmed"}
    settled = run_cli("status", "--resolve", *remote(emulator))
    assert settled.code == 0, settled.err
    assert "settled 1 unconfirmed dataset(s): 0 ingested, 1 not" in settled.out
    assert "not ingested: what was uploaded for it is withdrawn" in settled.out
    commit(emulator.state, emulator.state.repos[repo])  # someone else's commit, later
    assert emulator.state.repos[repo].files == {} and data_keys(emulator, repo) == []


def test_a_refused_commit_leaves_nothing_a_later_commit_could_ingest(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("locked", count=1, path="action=commit")
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "refused"}
    commit(emulator.state, emulator.state.repos[repo])
    assert emulator.state.repos[repo].files == {} and data_keys(emulator, repo) == []


def test_a_commit_refused_with_429_or_503_is_sent_again(emulator, repo, polly, tmp_path):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("5xx", count=1, path="action=commit")
    emulator.arm("429", count=1, path="action=commit", retry_after=1)
    frame = polly.add_datasets(repo, folders(tmp_path), validation=True)
    assert statuses(frame) == {"GSE1_GPL1": "ingested"}
    assert sum(1 for _, p in emulator.state.requests if "action=commit" in p and repo in p) == 3


def test_a_refused_commit_whose_upload_another_commit_took_is_reported_ingested(emulator, repo, polly, tmp_path):
    """A late commit (still running on the server) takes the next batch's uploaded metadata; that batch's own
    commit is then refused: its dataset is in, so it is reported ingested, and its data file is left in place."""
    polly.backend.client.timeout = (1.0, 1.0)
    make_dataset(tmp_path / "a", "GSE1_GPL1")
    make_dataset(tmp_path / "b", "GSE2_GPL1")
    emulator.arm("slow", count=1, path="action=commit", delay=5.0)  # runs about 5 s after it was sent
    emulator.arm("locked", count=1, path="action=commit", late=6.0)  # the next one is refused, after that
    first = polly.add_datasets(repo, folders(tmp_path / "a"), validation=True)
    polly.backend.client.timeout = (4.0, 10.0)  # long enough to hear the late refusal
    second = polly.add_datasets(repo, folders(tmp_path / "b"), validation=True)
    assert statuses(first) == {"GSE1_GPL1": "unconfirmed"}
    assert statuses(second) == {"GSE2_GPL1": "ingested"}
    present = sorted(r["dataset_id"] for r in emulator.state.repos[repo].files.values())
    assert present == ["GSE1_GPL1", "GSE2_GPL1"]
    assert [k.rsplit("/", 1)[1] for k in data_keys(emulator, repo)] == ["GSE1_GPL1.gct", "GSE2_GPL1.gct"]


def test_settling_with_polly_down_is_a_clear_error_and_keeps_the_entry(emulator, repo, polly, tmp_path, run_cli):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("drop", count=1, path="action=commit")
    assert statuses(polly.add_datasets(repo, folders(tmp_path), validation=True)) == {"GSE1_GPL1": "unconfirmed"}
    emulator.arm("locked", count=1, path="tokens=true")
    down = run_cli("status", "--resolve", *remote(emulator))
    assert down.code == 2 and down.err.startswith("omix: error: 0 dataset(s) settled, then no answer")
    assert "Traceback" not in down.err
    emulator.state.faults.clear()
    up = run_cli("status", "--resolve", "--format", "json", *remote(emulator))
    assert [s["dataset_id"] for s in up.json()["settled"]] == ["GSE1_GPL1"]


def test_resolve_needs_the_polly_backend(run_cli):
    result = run_cli("status", "--resolve")
    assert result.code == 2 and "give --backend polly" in result.err


def test_the_journal_holds_no_credentials(emulator, repo, polly, tmp_path, isolated_state):
    make_dataset(tmp_path, "GSE1_GPL1")
    emulator.arm("drop", count=1, path="action=commit")
    polly.add_datasets(repo, folders(tmp_path), validation=True)
    [entry] = (isolated_state / "data" / "polly-pending").glob("*.json")
    text = entry.read_text()
    assert POLLY_TOKEN not in text and "SessionToken" not in text and "emulator-secret" not in text
    assert json.loads(text)["datasets"][0]["dataset_id"] == "GSE1_GPL1"
