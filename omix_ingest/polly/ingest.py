"""One ingestion through Polly: data files to S3, then ONE combined_metadata.json, then the commit.

Why this order and this bookkeeping: an interrupted batch must never leave metadata pointing at a data file that
is not there, and every dataset must end in a status that is true. A dataset whose data upload fails is left out
of the metadata (and its upload deleted). When the commit is refused, what was uploaded is taken back at once, so
no later commit can still ingest it, and the atlas is read to see whether another commit took it meanwhile. When
the commit gets no answer, or the taking back fails, the datasets are `unconfirmed` and what was sent is kept in
the pending journal (`pending.py`) until `omix status --resolve` settles it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omix_ingest.backend import ExistingDataset, IngestItem, Outcome
from omix_ingest.polly.client import PollyClient, PollyError, PollyUnreachable
from omix_ingest.polly.pending import Pending, PendingDataset, metadata_digest, put_back, settle_entry
from omix_ingest.polly.s3 import S3_ERRORS, S3Access
from omix_ingest.polly.upload import PREVIOUS_SUFFIX, STAGING_SUFFIX, copy_if_present, upload_verified

RESOLVE_HINT = "`omix status --resolve --backend polly` settles it"


def combined_metadata(entries: list[tuple[str, dict[str, Any]]], priority: str) -> bytes:
    """The exact file Polly ingests: the ingestion header first, then one entry per data file path."""
    header = {
        "id": "metadata/ingestion",
        "type": "ingestion_metadata",
        "attributes": {"ignore": "false", "urgent": "true", "v1_infra": False, "priority": priority},
    }
    body = [header, *({"id": path, "type": "file_metadata", "attributes": meta} for path, meta in entries)]
    return json.dumps({"data": body}, indent=4).encode()


@dataclass
class Ingestion:
    """One `ingest` call: where it goes, what it sent, and where unconfirmed outcomes are written down."""

    client: PollyClient
    access: S3Access
    atlas: str
    mode: str
    journal: Path
    run_id: int
    sent: list[PendingDataset] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # uploads that failed and could not be deleted

    def upload(self, item: IngestItem, key: str, kept: str | None = None) -> str | None:
        """Upload one data file, bound to its validated hash; None when it is in place, else why not (and then
        nothing of it is left at its key for an add; for an update, `kept` holds the file it replaced, which is
        put back)."""
        assert item.data_path is not None
        data_path = item.data_path
        bucket = self.access.bucket
        try:
            if kept is not None:  # once, before the upload: a retried upload must not copy the new file aside
                self.access.call(lambda s3: copy_if_present(s3, bucket, key, kept))
            problem = self.access.call(lambda s3: upload_verified(s3, bucket, key, data_path, item.data_sha256))
            if problem is None:
                return None
        except PollyError as exc:
            problem = f"upload credentials expired and could not be renewed: {exc}"
        except S3_ERRORS as exc:
            problem = f"upload failed: {exc}"
        leftovers = [key + STAGING_SUFFIX] + ([key] if self.mode == "add" else [])
        try:
            if kept is not None:
                put_back(self.access, kept, key)
            self.access.delete(leftovers)
        except (PollyError, *S3_ERRORS):  # type: ignore[misc]
            self.orphans += leftovers
            problem += f"; the stored data file is kept at {kept} and could not be put back" if kept else ""
        return problem

    def commit(self, entries: list[tuple[str, dict[str, Any]]], priority: str) -> dict[str, Outcome]:
        """Upload the combined metadata and commit; an outcome for every dataset in `sent`."""
        entry = Pending(
            self.run_id,
            self.client.endpoints.discover,
            self.atlas,
            self.access.bucket,
            self.access.metadata_key,
            "",
            self.sent,
            self.orphans,
        )
        try:
            if entries:
                body = combined_metadata(entries, priority)
                self.access.call(lambda s3: s3.put_object(Bucket=entry.bucket, Key=entry.metadata_key, Body=body))
            self.client.commit(self.atlas)
        except PollyUnreachable as exc:  # sent, but no answer: the server may still ingest them
            return self._unconfirmed(entry, f"commit sent, no answer ({exc.detail}); it may still complete")
        except (PollyError, *S3_ERRORS) as exc:  # type: ignore[misc]
            return self._take_back(entry, f"not committed: {exc}")
        kept = [d.previous[0] for d in self.sent if d.previous]  # updated: the replaced files are not needed
        try:
            self.access.delete(kept)
        except (PollyError, *S3_ERRORS):  # type: ignore[misc]
            self.orphans += kept
        self.keep_orphans()
        return {d.dataset_id: Outcome(d.dataset_id, True) for d in self.sent}

    def keep_orphans(self) -> None:
        """Failed uploads that could not be deleted are written down, for `omix status --resolve` to delete."""
        if self.orphans:
            with contextlib.suppress(OSError):  # advisory: no metadata names these leftovers, the atlas never sees them
                Pending(
                    self.run_id,
                    self.client.endpoints.discover,
                    self.atlas,
                    self.access.bucket,
                    "",
                    "",
                    [],
                    self.orphans,
                ).save(self.journal)

    def _take_back(self, entry: Pending, reason: str) -> dict[str, Outcome]:
        try:
            settled = settle_entry(self.client, self.access, entry)
        except (PollyError, *S3_ERRORS) as exc:  # type: ignore[misc]
            return self._unconfirmed(entry, f"{reason}; what was uploaded could not be taken back yet ({exc})")
        return {
            s.dataset_id: Outcome(s.dataset_id, True)
            if s.ingested
            else Outcome(s.dataset_id, False, f"{reason}; {s.detail}")
            for s in settled
        }

    def _unconfirmed(self, entry: Pending, reason: str) -> dict[str, Outcome]:
        entry.reason = reason
        try:
            entry.save(self.journal)
            hint = RESOLVE_HINT
        except OSError as exc:
            hint = f"and it could not be written down ({exc.strerror or exc}): check the atlas before retrying"
        detail = f"{reason}: {hint}"
        return {d.dataset_id: Outcome(d.dataset_id, False, detail, uncertain=True) for d in entry.datasets}


def ingest_items(
    ingestion: Ingestion,
    items: list[IngestItem],
    existing: dict[str, ExistingDataset],
    *,
    priority: str,
    destination: str,
) -> list[Outcome]:
    """Upload each item's data, then commit the metadata of those whose data is in place."""
    outcomes: dict[str, Outcome] = {}
    entries: list[tuple[str, dict[str, Any]]] = []
    update = ingestion.mode == "update"
    for item in items:
        if update and item.dataset_id not in existing:
            outcomes[item.dataset_id] = Outcome(item.dataset_id, False, "not in the atlas; use add")
            continue
        # add: under the destination folder; update: at the path the dataset already has (not the root)
        name = item.data_path.name if item.data_path else ""
        path = existing[item.dataset_id].path if update else "/".join(p for p in (destination, name) if p)
        data_key, previous = None, []
        if item.data_path is not None:
            key = ingestion.access.package + (path if update else name)
            kept = key + PREVIOUS_SUFFIX if update else None
            problem = ingestion.upload(item, key, kept)
            if problem:
                outcomes[item.dataset_id] = Outcome(item.dataset_id, False, problem)
                continue
            data_key = None if update else key  # an update's key holds the stored dataset: never deleted
            previous = [kept, key] if kept is not None else []
        digest = None
        if item.metadata is not None:
            attributes = json.loads(item.metadata)
            entries.append((path, attributes))
            digest = metadata_digest(attributes)
        files = ([f"{item.dataset_id}.json"] if item.metadata is not None else []) + ([name] if name else [])
        ingestion.sent.append(PendingDataset(item.dataset_id, path, files, data_key, digest, previous))
    if ingestion.sent:
        outcomes.update(ingestion.commit(entries, priority))
    else:
        ingestion.keep_orphans()
    return [outcomes[i.dataset_id] for i in items]
