"""A soak run: many datasets added in batches through the real client (`OmixAtlas` on the Polly backend) while the
emulator plays random faults, then `omix status --resolve` once Polly answers again, then an audit of the
emulator's atlas and its S3 bucket against what the client reported for every dataset.

Why an audit and not only the client's word: the invariants that matter are about what the atlas ends up holding.
Every dataset reported ingested is there exactly once with the bytes that were sent; every one reported failed is
absent (a later commit must not bring it in either); none is half in (data without metadata or the reverse); every
`unconfirmed` one is settled by `omix status --resolve`. The bench (`bench/bench_polly_faults.py`) and a test run it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omix_ingest.polly.emulator.files import commit
from omix_ingest.polly.emulator.server import EmulatorServer
from omix_ingest.polly.emulator.state import BUCKET
from omix_ingest.polly.upload import PREVIOUS_SUFFIX, STAGING_SUFFIX

COMMIT_FAULTS = ("slow", "drop", "locked", "5xx", "429")  # answered late, unanswered, refused, refused twice


@dataclass(frozen=True)
class SoakPlan:
    datasets: int = 1000
    batch: int = 50
    seed: int = 0
    p: float = 0.05  # probability of a fault on each request
    delay: float = 3.0  # a slow API answer comes this late...
    timeout: float = 2.0  # ...past the client's read timeout (a commit of a big atlas takes a while)
    commit_faults: bool = True  # besides the random ones, one of each at the commit step, so each outcome is met


@dataclass
class Dataset:
    dataset_id: str
    metadata: Path
    data: Path
    reported: str = ""  # ingested | failed | unconfirmed
    reason: str = ""
    settled: bool | None = None  # for unconfirmed ones: went in (True) or not (False) once settled
    previous: Dataset | None = None  # a revision (an update): the version the atlas held before it

    @property
    def held(self) -> Dataset | None:
        """The version the atlas must hold at the end: this one if it went in, else the one it replaced."""
        return self if self.went_in else self.previous

    @property
    def went_in(self) -> bool:
        return self.reported == "ingested" or bool(self.settled)


@dataclass
class SoakResult:
    counts: dict[str, int] = field(default_factory=dict)
    played: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)  # why datasets were reported failed (first words)

    def defects(self) -> dict[str, int]:
        keys = ("lost", "duplicated", "half_ingested", "wrong_bytes", "failed_but_present", "unresolved", "leftovers")
        return {k: self.counts[k] for k in keys if self.counts[k]}


def write_datasets(root: Path, plan: SoakPlan, base_doc: dict[str, Any], gct: str) -> list[list[Dataset]]:
    """Small valid datasets in one folder pair per batch; each data file's bytes differ (a mix-up would show)."""
    batches: list[list[Dataset]] = []
    for start in range(0, plan.datasets, plan.batch):
        folder = root / f"batch_{len(batches):04d}"
        (folder / "metadata").mkdir(parents=True)
        (folder / "data").mkdir()
        batch = []
        for i in range(start, min(start + plan.batch, plan.datasets)):
            dataset_id = f"GSE{800000 + i}_GPL570"
            metadata, data = folder / "metadata" / f"{dataset_id}.json", folder / "data" / f"{dataset_id}.gct"
            metadata.write_text(json.dumps(dict(base_doc, dataset_id=dataset_id), indent=2), encoding="utf-8")
            data.write_text(gct.replace("\tSOAK\t", f"\t{i}\t"), encoding="utf-8")
            batch.append(Dataset(dataset_id, metadata, data))
        batches.append(batch)
    return batches


def write_revisions(root: Path, went_in: list[Dataset], plan: SoakPlan) -> list[list[Dataset]]:
    """A revision of each dataset the atlas holds, for an update soak: a new description and one changed value
    in the data file, so the audit can tell the two versions apart (and a torn update: data of one, metadata of
    the other)."""
    batches: list[list[Dataset]] = []
    for start in range(0, len(went_in), plan.batch):
        folder = root / f"revision_{len(batches):04d}"
        (folder / "metadata").mkdir(parents=True)
        (folder / "data").mkdir()
        batch = []
        for old in went_in[start : start + plan.batch]:
            metadata, data = folder / "metadata" / old.metadata.name, folder / "data" / old.data.name
            doc = json.loads(old.metadata.read_text(encoding="utf-8"))
            doc["description"] = f"{doc.get('description', '')} (revised)"
            metadata.write_text(json.dumps(doc, indent=2), encoding="utf-8")
            lines = old.data.read_text(encoding="utf-8").split("\n")
            lines[3] = lines[3].rsplit("\t", 1)[0] + "\t0.125"  # the first data row's last value
            data.write_text("\n".join(lines), encoding="utf-8")
            batch.append(Dataset(old.dataset_id, metadata, data, previous=old))
        batches.append(batch)
    return batches


def run_soak(server: EmulatorServer, repo_id: str, batches: list[list[Dataset]], plan: SoakPlan) -> SoakResult:
    """Ingest every batch under random faults (added, or updated when the batches are revisions), settle, audit.
    The token, data and cache folders come from the environment (POLLY_REFRESH_TOKEN, OMIX_DATA_DIR...), as for
    any run of the tool."""
    started = time.monotonic()
    requests_before, s3_before = len(server.state.requests), len(server.state.s3_requests)
    if plan.commit_faults:
        for kind in COMMIT_FAULTS:
            server.arm(kind, count=1, path="action=commit", delay=plan.delay, retry_after=1)
    server.chaos(plan.p, plan.seed, delay=plan.delay, retry_after=1)
    try:
        for batch in batches:
            _ingest_batch(server, repo_id, batch, plan)
    finally:
        server.chaos(0)
    time.sleep(plan.delay + 0.5)  # answers played late are still being served: let them finish
    unresolved = _settle(server, [d for b in batches for d in b if d.reported == "unconfirmed"])
    commit(server.state, server.state.repos[repo_id])  # a later commit must bring in nothing that was reported out
    result = SoakResult(played=dict(server.state.played), wall_seconds=time.monotonic() - started)
    every = [d for b in batches for d in b]
    result.counts = audit(server, repo_id, every)
    for dataset in every:
        if dataset.reported in ("failed", "unconfirmed"):
            key = f"{dataset.reported}: {dataset.reason[:90]}"
            result.failures[key] = result.failures.get(key, 0) + 1
    result.counts.update(
        unresolved=unresolved,
        requests=len(server.state.requests) - requests_before,
        s3_requests=len(server.state.s3_requests) - s3_before,
    )
    return result


def _ingest_batch(server: EmulatorServer, repo_id: str, batch: list[Dataset], plan: SoakPlan) -> None:
    from omix_ingest import OmixAtlas
    from omix_ingest.backend import BackendError
    from omix_ingest.omixatlas import paramException
    from omix_ingest.polly.client import PollyError

    folders = {"metadata": str(batch[0].metadata.parent), "data": str(batch[0].data.parent)}
    try:
        with OmixAtlas(backend="polly", base_url=server.url, s3_endpoint=server.s3_url) as atlas:
            atlas.backend.client.timeout = (plan.timeout, plan.timeout)  # type: ignore[attr-defined]
            ingest = atlas.update_datasets if batch[0].previous is not None else atlas.add_datasets
            frame = ingest(repo_id, folders, validation=True)
    except (BackendError, paramException, PollyError) as exc:  # the whole batch was refused, with a clear error
        for dataset in batch:
            dataset.reported, dataset.reason = "failed", f"{type(exc).__name__}: {exc}"
        return
    seen: dict[str, set[str]] = {}
    reasons: dict[str, str] = {}
    for row in frame.itertuples(index=False):
        seen.setdefault(str(row.dataset_id), set()).add(str(row.status))
        reasons[str(row.dataset_id)] = str(row.reason)
    for dataset in batch:
        dataset.reason = reasons.get(dataset.dataset_id, "")
        statuses = seen.get(dataset.dataset_id, {"missing"})
        status = next(iter(statuses)) if len(statuses) == 1 else "split"
        dataset.reported = {"ingested": "ingested", "unconfirmed": "unconfirmed"}.get(status, "failed")
        if status == "split":  # the two files of one dataset reported differently: a defect of its own
            dataset.reported = "split"


def _settle(server: EmulatorServer, unconfirmed: list[Dataset]) -> int:
    """`omix status --resolve` (in process, as a user runs it); how many unconfirmed datasets it left open."""
    from omix_ingest.cli.main import main

    remote = ["--backend", "polly", "--api-url", server.url, "--s3-endpoint", server.s3_url]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["status", "--resolve", "--format", "json", "--limit", "100000", *remote])
    if code != 0:
        return len(unconfirmed)
    settled = {s["dataset_id"]: s["ingested"] for s in json.loads(out.getvalue())["settled"]}
    for dataset in unconfirmed:
        dataset.settled = settled.get(dataset.dataset_id)
    return sum(1 for d in unconfirmed if d.settled is None)


def audit(server: EmulatorServer, repo_id: str, datasets: list[Dataset]) -> dict[str, int]:
    """Compare the atlas and the bucket with what was reported (see the module docstring)."""
    repo = server.state.repos[repo_id]
    s3 = server.state.s3()
    prefix = f"{repo.name}/data/"
    stored = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        for o in page.get("Contents", [])
    }
    paths: dict[str, list[str]] = {}
    for path, record in repo.files.items():
        paths.setdefault(str(record["dataset_id"]), []).append(path)
    counts = dict.fromkeys(
        ("tried", "ingested", "failed", "unconfirmed", "resolved_in", "resolved_out", "lost", "duplicated"), 0
    )
    counts.update(half_ingested=0, wrong_bytes=0, failed_but_present=0, split=0)
    for dataset in datasets:
        counts["tried"] += 1
        counts[dataset.reported] += 1
        if dataset.reported == "unconfirmed" and dataset.settled is not None:
            counts["resolved_in" if dataset.settled else "resolved_out"] += 1
        found = paths.get(dataset.dataset_id, [])
        in_bucket = prefix + dataset.data.name in stored
        if bool(found) != in_bucket:
            counts["half_ingested"] += 1
        held = dataset.held
        if held is None:
            counts["failed_but_present"] += bool(found)
        elif not found:
            counts["lost"] += 1
        elif len(found) > 1:
            counts["duplicated"] += 1
        elif in_bucket and not _same_bytes(s3, prefix + found[0], repo.files[found[0]], held):
            counts["wrong_bytes"] += 1  # for an update: the wrong version, or data of one and metadata of the other
    counts["leftovers"] = sum(1 for key in stored if key.endswith((STAGING_SUFFIX, PREVIOUS_SUFFIX)))
    counts["ingested_final"] = sum(1 for d in datasets if d.held is not None)
    return counts


def _same_bytes(s3: Any, key: str, record: dict[str, Any], dataset: Dataset) -> bool:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    local = dataset.data.read_bytes()
    metadata = json.loads(dataset.metadata.read_text(encoding="utf-8"))
    return hashlib.sha256(body).digest() == hashlib.sha256(local).digest() and record["metadata"] == metadata
