"""Ingestions Polly never confirmed, kept on disk until they are settled.

A commit sent without an answer may or may not have gone through, and a commit Polly refused may leave uploads
that a later commit would still ingest when they cannot be taken back. Either way the datasets are reported
`unconfirmed`, and what was sent (the combined metadata's key, each dataset's path, data key and metadata hash)
is written here, one JSON file per ingestion, under the data directory that keeps the run log. `settle` later
makes the outcome final: it takes back the combined metadata (so no later commit can ingest it), then reads the
atlas: a dataset there with the metadata that was sent went in; any other did not, and its uploaded data file is
deleted. No answer while settling leaves the entry for the next try.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omix_ingest.atomic import write_atomically
from omix_ingest.paths import data_dir

if TYPE_CHECKING:
    from omix_ingest.polly.client import PollyClient
    from omix_ingest.polly.s3 import S3Access

FOLDER = "polly-pending"


def journal_dir(root: Path | None = None) -> Path:
    return data_dir(root) / FOLDER


def metadata_digest(attributes: dict[str, Any]) -> str:
    """The hash of a dataset's metadata as Polly gives it back (canonical JSON: key order and spacing ignored)."""
    return hashlib.sha256(json.dumps(attributes, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class PendingDataset:
    dataset_id: str
    path: str  # in the atlas
    files: list[str]  # the file names the run log shows for it
    data_key: str | None = None  # uploaded by this ingestion (an add), deleted if it did not go in
    metadata_sha256: str | None = None  # metadata_digest of what was sent
    # An update: [copy of the data file it replaced, the data file's key]; put back if the update did not go in.
    previous: list[str] = field(default_factory=list)


@dataclass
class Pending:
    run_id: int
    api: str  # the API base it was sent to: only a backend talking to the same API may settle it
    atlas: str
    bucket: str
    metadata_key: str
    reason: str
    datasets: list[PendingDataset] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # keys of failed uploads still to delete

    @property
    def name(self) -> str:
        identity = json.dumps([self.run_id, self.atlas, self.metadata_key, self.orphans])
        return hashlib.sha256(identity.encode()).hexdigest()[:24] + ".json"

    def save(self, folder: Path) -> None:
        write_atomically(folder / self.name, json.dumps(asdict(self), indent=2).encode())

    @classmethod
    def load(cls, path: Path) -> Pending | None:
        """The entry, or None for a file that is not one (never fatal: the journal is advisory)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            datasets = [PendingDataset(**d) for d in raw.pop("datasets")]
            return cls(**raw, datasets=datasets)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None


@dataclass(frozen=True)
class Settled:
    """What became of one unconfirmed dataset."""

    run_id: int
    atlas: str
    dataset_id: str
    files: tuple[str, ...]
    ingested: bool
    detail: str


def pending(folder: Path, api: str | None = None) -> list[tuple[Path, Pending]]:
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        entry = Pending.load(path)
        if entry is not None and (api is None or entry.api == api):
            found.append((path, entry))
    return found


def settle(client: PollyClient, s3_endpoint: str | None, folder: Path, record: Callable[[list[Settled]], None]) -> None:
    """Make every pending ingestion sent to this client's API final (see the module docstring), handing each one's
    outcomes to `record` before its entry is removed. Raises PollyError (or an S3 error) when Polly or S3 cannot
    be reached; what was settled before stays settled and recorded."""
    from omix_ingest.polly.s3 import S3Access

    for path, entry in pending(folder, client.endpoints.discover):
        record(settle_entry(client, S3Access(client, entry.atlas, "", s3_endpoint), entry))
        path.unlink(missing_ok=True)


def present(client: PollyClient, atlas: str) -> dict[str, str]:
    """path → metadata_digest of every file the atlas lists."""
    return {
        str(item["id"]): metadata_digest(dict(item.get("attributes", {}).get("metadata", {})))
        for item in client.listing(atlas, include_metadata=True)
    }


def settle_entry(client: PollyClient, access: S3Access, entry: Pending) -> list[Settled]:
    """Take back the combined metadata, then tell from the atlas what went in; delete the rest's uploads."""
    if entry.metadata_key:
        access.delete([entry.metadata_key])
    listed = present(client, entry.atlas) if entry.datasets else {}
    results = []
    for dataset in entry.datasets:
        if dataset.metadata_sha256 is None:  # a data-only update: its data file was replaced in place
            went_in = dataset.path in listed
        else:
            went_in = dataset.path in listed and listed[dataset.path] == dataset.metadata_sha256
        if went_in:
            detail = "confirmed: the atlas holds it with what was sent"
            access.delete(dataset.previous[:1])
        else:
            if dataset.data_key and dataset.path not in listed:
                access.delete([dataset.data_key])
            detail = "not ingested: what was uploaded for it is withdrawn; add it again"
            if dataset.previous:
                put_back(access, *dataset.previous)
                detail = "not updated: the atlas keeps its stored data file and metadata; update it again"
        results.append(Settled(entry.run_id, entry.atlas, dataset.dataset_id, tuple(dataset.files), went_in, detail))
    access.delete(entry.orphans)
    return results


def put_back(access: S3Access, kept: str, key: str) -> None:
    """An update that did not go in: the data file it replaced goes back to its key, and the copy is deleted."""
    from omix_ingest.polly.upload import copy_if_present

    access.call(lambda s3: copy_if_present(s3, access.bucket, kept, key))
    access.delete([kept])
