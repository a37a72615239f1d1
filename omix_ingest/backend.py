"""The Backend protocol: what the gate needs from an atlas, whether embedded (local) or remote (Polly).

The gate decides what may go in; a backend only stores what it is handed, all of a dataset or none of it, and says
per dataset what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class AtlasNotFound(Exception):
    """No atlas with that name or id."""


class BackendError(Exception):
    """The backend could not carry out a request (unreachable, refused, inconsistent)."""


@dataclass(frozen=True)
class AtlasSchemas:
    """An atlas's schemas as Polly serves them: the dataset-level document and sample-level ones by type."""

    atlas: str
    dataset: dict[str, Any]
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules: str = "polly-default"


@dataclass(frozen=True)
class ExistingDataset:
    dataset_id: str
    path: str  # where the data file lives in the atlas ("folder/name.ext")
    metadata_sha256: str = ""
    data_sha256: str = ""
    version: int = 0


@dataclass(frozen=True)
class IngestItem:
    """One dataset to store. Either side may be absent for an update (metadata only, data only)."""

    dataset_id: str
    metadata: bytes | None = None
    metadata_sha256: str | None = None
    data_path: Path | None = None
    data_sha256: str | None = None  # what validation saw; the backend refuses other bytes


@dataclass(frozen=True)
class Outcome:
    dataset_id: str
    ok: bool
    detail: str = ""
    changed: bool = True
    version: int | None = None
    uncertain: bool = False  # the request got no answer: it may or may not have taken effect


class Backend(Protocol):
    name: str

    def close(self) -> None: ...

    def schemas(self, atlas: str, *, revalidate: bool = False) -> AtlasSchemas:
        """The atlas's templates; `revalidate`: as the atlas holds them now, never from a cache that may be stale
        (a write must be validated against what the atlas will check it with)."""
        ...

    def existing(self, atlas: str, dataset_ids: list[str]) -> dict[str, ExistingDataset]: ...

    def metadata(self, atlas: str, dataset_id: str) -> bytes | None: ...

    def data_file(self, atlas: str, dataset_id: str) -> tuple[Path, str] | None:
        """The stored data file (a readable path, its original name), or None where the backend cannot hand it
        over without a download (Polly)."""
        ...

    def ingest(
        self, atlas: str, items: list[IngestItem], *, mode: str, priority: str, destination: str, run_id: int
    ) -> list[Outcome]: ...

    def delete(self, atlas: str, dataset_ids: list[str], *, run_id: int) -> list[Outcome]: ...

    def move(
        self, source: str, destination: str, dataset_ids: list[str], *, priority: str, run_id: int
    ) -> list[Outcome]: ...

    def datasets(self, atlas: str) -> list[dict[str, Any]]: ...

    def export(self, atlas: str, dataset_id: str, folder: Path) -> list[Path]: ...
