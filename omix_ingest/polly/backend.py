"""The Polly API as a Backend: schemas through the template cache, datasets from the file listing, and ingestion
(`ingest.py`: data files to S3 with temporary credentials, then ONE combined_metadata.json, then commit; outcomes
Polly never confirmed are kept in the pending journal until `settle_pending` makes them final).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from omix_ingest.backend import AtlasNotFound, AtlasSchemas, BackendError, ExistingDataset, IngestItem, Outcome
from omix_ingest.polly.client import PollyClient, PollyError, PollyLockedError, PollyUnreachable
from omix_ingest.polly.ingest import Ingestion, ingest_items
from omix_ingest.polly.pending import Settled, journal_dir, settle
from omix_ingest.polly.s3 import S3Access
from omix_ingest.polly.template_cache import TemplateCache

SAMPLE_SCHEMA_TYPES = ("h5ad_metadata", "gct_metadata")


class PollyBackend:
    name = "polly"

    def __init__(
        self,
        client: PollyClient,
        *,
        s3_endpoint: str | None = None,
        cache: TemplateCache | None = None,
        offline: bool = False,
        journal: Path | None = None,
    ) -> None:
        """`journal`: where unconfirmed ingestions are written down (default: beside the local run log)."""
        self.client = client
        self.journal = journal or journal_dir()
        self.s3_endpoint = s3_endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        self.cache = cache or TemplateCache()
        self.offline = offline

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------------------------------------ schemas

    def schemas(self, atlas: str, *, revalidate: bool = False) -> AtlasSchemas:
        fetch_url = self.client.endpoints.discover
        fresh = {"offline": self.offline, "revalidate": revalidate}
        try:
            dataset_kind, sample_kinds = self._schema_names(atlas)
            dataset = self.cache.get(self.client, fetch_url, atlas, dataset_kind, **fresh) or {}
            samples = {}
            for kind in sample_kinds:
                document = self.cache.get(self.client, fetch_url, atlas, kind, optional=True, **fresh)
                if document is not None:
                    samples[kind] = document
        except PollyError as exc:
            if exc.status == 404:
                raise AtlasNotFound(f"Polly has no atlas {atlas!r} (or no schema for it): {exc.detail}") from None
            raise BackendError(str(exc)) from None
        return AtlasSchemas(atlas, dataset, samples)

    def _schema_names(self, atlas: str) -> tuple[str, tuple[str, ...]]:
        """The schema map says which tables hold the dataset- and sample-level schemas; offline (or when the map
        cannot be fetched) the usual names are tried against the cache."""
        if self.offline:
            return "files", SAMPLE_SCHEMA_TYPES
        try:
            mapping = self.client.schema_map(atlas)
        except PollyUnreachable:
            return "files", SAMPLE_SCHEMA_TYPES
        samples = tuple(v for k, v in mapping.items() if k.startswith("samples") and v in SAMPLE_SCHEMA_TYPES)
        return mapping.get("datasets", "files"), samples

    # ----------------------------------------------------------------------------------------------- datasets

    def existing(self, atlas: str, dataset_ids: list[str]) -> dict[str, ExistingDataset]:
        found = {}
        for dataset_id in dataset_ids:
            paths = self._call(lambda d=dataset_id: self.client.file_paths(atlas, d))
            if paths:
                found[dataset_id] = ExistingDataset(dataset_id, paths[0])
        return found

    def metadata(self, atlas: str, dataset_id: str) -> bytes | None:
        for item in self._call(lambda: self.client.listing(atlas, include_metadata=True)):
            meta = item.get("attributes", {}).get("metadata", {})
            if meta.get("dataset_id") == dataset_id:
                return json.dumps(meta).encode()
        return None

    def data_file(self, atlas: str, dataset_id: str) -> tuple[Path, str] | None:
        del atlas, dataset_id  # reading a stored data file back would mean downloading it
        return None

    def datasets(self, atlas: str) -> list[dict[str, Any]]:
        return [
            {"dataset_id": i.get("attributes", {}).get("metadata", {}).get("dataset_id"), "path": i["id"]}
            for i in self._call(lambda: self.client.listing(atlas, include_metadata=True))
        ]

    def _call(self, call: Any) -> Any:
        try:
            return call()
        except PollyError as exc:
            if exc.status == 404:
                raise AtlasNotFound(str(exc)) from None
            raise BackendError(str(exc)) from None

    def ingest(
        self, atlas: str, items: list[IngestItem], *, mode: str, priority: str, destination: str, run_id: int
    ) -> list[Outcome]:
        existing = self.existing(atlas, [i.dataset_id for i in items]) if mode == "update" else {}
        try:
            access = S3Access(self.client, atlas, destination if mode == "add" else "", self.s3_endpoint)
        except PollyError as exc:
            return [Outcome(i.dataset_id, False, f"no upload credentials: {exc}") for i in items]
        ingestion = Ingestion(self.client, access, atlas, mode, self.journal, run_id)
        return ingest_items(ingestion, items, existing, priority=priority, destination=destination)

    def settle_pending(self, record: Callable[[list[Settled]], None]) -> None:
        """Make final every ingestion sent to this API that Polly never confirmed (see `pending.py`)."""
        settle(self.client, self.s3_endpoint, self.journal, record)

    def delete(self, atlas: str, dataset_ids: list[str], *, run_id: int) -> list[Outcome]:
        del run_id
        outcomes, accepted = [], False
        for dataset_id in dataset_ids:
            paths = self._call(lambda d=dataset_id: self.client.file_paths(atlas, d))
            if not paths:
                outcomes.append(Outcome(dataset_id, False, f"not found in atlas {atlas!r}"))
                continue
            try:
                for path in paths:
                    self.client.delete_file(atlas, path)
            except PollyLockedError as exc:
                outcomes.append(Outcome(dataset_id, False, str(exc)))
                continue
            except PollyError as exc:
                outcomes.append(Outcome(dataset_id, False, f"deletion failed: {exc}"))
                continue
            outcomes.append(Outcome(dataset_id, True))
            accepted = True
        if accepted:
            try:
                self.client.commit(atlas)
            except PollyError as exc:
                return [Outcome(o.dataset_id, False, f"not committed: {exc}") if o.ok else o for o in outcomes]
        return outcomes

    def move(
        self, source: str, destination: str, dataset_ids: list[str], *, priority: str, run_id: int
    ) -> list[Outcome]:
        del run_id
        index = self._call(lambda: self.client.atlas(source)).get("v2_indexes", {}).get("files")
        if not index:
            raise AtlasNotFound(f"atlas {source!r} has no files index")
        uris, outcomes = [], {}
        for dataset_id in dataset_ids:
            hits = self._call(lambda d=dataset_id: self.client.search(index, d))
            uri = hits[0].get("_source", {}).get("src_uri") if hits else None
            if not uri:
                outcomes[dataset_id] = Outcome(dataset_id, False, f"not found in atlas {source!r}")
                continue
            uris.append(uri)
            outcomes[dataset_id] = Outcome(dataset_id, True)
        if uris:
            try:
                self.client.move(source, destination, uris, priority)
            except PollyError as exc:
                for dataset_id, outcome in outcomes.items():
                    if outcome.ok:
                        outcomes[dataset_id] = Outcome(dataset_id, False, f"move refused: {exc}")
        return [outcomes[d] for d in dataset_ids]

    def export(self, atlas: str, dataset_id: str, folder: Path) -> list[Path]:
        raise BackendError("Polly copies datasets into a workspace, not a local folder: use save_to_workspace")
