"""The Polly API as a Backend: upload data files to S3 with temporary credentials, then ONE combined_metadata.json,
then commit. The order means an interrupted batch never leaves metadata pointing at a data file that is not there:
a dataset whose data upload failed is left out of the metadata, and nothing is ingested before the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from omix_ingest.backend import AtlasNotFound, AtlasSchemas, BackendError, ExistingDataset, IngestItem, Outcome
from omix_ingest.polly.client import PollyClient, PollyError, PollyLockedError, PollyUnreachable
from omix_ingest.polly.template_cache import TemplateCache
from omix_ingest.polly.upload import upload_verified

SAMPLE_SCHEMA_TYPES = ("h5ad_metadata", "gct_metadata")


def combined_metadata(entries: list[tuple[str, dict[str, Any]]], priority: str) -> bytes:
    """The exact file Polly ingests: the ingestion header first, then one entry per data file path."""
    header = {
        "id": "metadata/ingestion",
        "type": "ingestion_metadata",
        "attributes": {"ignore": "false", "urgent": "true", "v1_infra": False, "priority": priority},
    }
    body = [header, *({"id": path, "type": "file_metadata", "attributes": meta} for path, meta in entries)]
    return json.dumps({"data": body}, indent=4).encode()


class PollyBackend:
    name = "polly"

    def __init__(
        self,
        client: PollyClient,
        *,
        s3_endpoint: str | None = None,
        cache: TemplateCache | None = None,
        offline: bool = False,
    ) -> None:
        self.client = client
        self.s3_endpoint = s3_endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        self.cache = cache or TemplateCache()
        self.offline = offline

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------------------------------------ schemas

    def schemas(self, atlas: str) -> AtlasSchemas:
        fetch_url = self.client.endpoints.discover
        try:
            dataset_kind, sample_kinds = self._schema_names(atlas)
            dataset = self.cache.get(self.client, fetch_url, atlas, dataset_kind, offline=self.offline) or {}
            samples = {}
            for kind in sample_kinds:
                document = self.cache.get(self.client, fetch_url, atlas, kind, offline=self.offline, optional=True)
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
        del run_id
        existing = self.existing(atlas, [i.dataset_id for i in items]) if mode == "update" else {}
        try:
            credentials = self.client.upload_credentials(atlas, destination if mode == "add" else "")
        except PollyError as exc:
            return [Outcome(i.dataset_id, False, f"no upload credentials: {exc}") for i in items]
        outcomes: dict[str, Outcome] = {}
        entries: list[tuple[str, dict[str, Any]]] = []
        for item in items:
            if mode == "update" and item.dataset_id not in existing:
                outcomes[item.dataset_id] = Outcome(item.dataset_id, False, "not in the atlas; use add")
                continue
            # add: under the destination folder; update: at the path the dataset already has (not the root)
            name = item.data_path.name if item.data_path else ""
            path = existing[item.dataset_id].path if mode == "update" else "/".join(p for p in (destination, name) if p)
            if item.data_path is not None:
                key = credentials["package_name"] + (path if mode == "update" else name)
                problem, credentials = self._upload(item, key, credentials, atlas, mode, destination)
                if problem:
                    outcomes[item.dataset_id] = Outcome(item.dataset_id, False, problem)
                    continue
            if item.metadata is not None:
                entries.append((path, json.loads(item.metadata)))
            outcomes[item.dataset_id] = Outcome(item.dataset_id, True)
        accepted = [i for i in items if outcomes[i.dataset_id].ok]
        if not accepted:
            return [outcomes[i.dataset_id] for i in items]
        try:
            if entries:
                self._s3(credentials).put_object(
                    Bucket=credentials["bucket_name"],
                    Key=credentials["metadata_directory"],
                    Body=combined_metadata(entries, priority),
                )
            self.client.commit(atlas)
        except PollyUnreachable as exc:  # sent, but no answer: the server may still ingest them
            reason = f"commit not confirmed ({exc.detail}); it may still complete: check the atlas before retrying"
            for item in accepted:
                outcomes[item.dataset_id] = Outcome(item.dataset_id, False, reason, uncertain=True)
        except (PollyError, *_S3_ERRORS) as exc:  # type: ignore[misc]  # nothing was committed for these datasets
            reason = f"not committed: {exc}"
            for item in accepted:
                outcomes[item.dataset_id] = Outcome(item.dataset_id, False, reason)
        return [outcomes[i.dataset_id] for i in items]

    def _s3(self, credentials: dict[str, Any]) -> Any:
        import boto3
        from botocore.config import Config

        tokens = credentials["tokens"]
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            aws_access_key_id=tokens["AccessKeyId"],
            aws_secret_access_key=tokens["SecretAccessKey"],
            aws_session_token=tokens["SessionToken"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}),
        )

    def _upload(
        self, item: IngestItem, key: str, credentials: dict[str, Any], atlas: str, mode: str, destination: str
    ) -> tuple[str | None, dict[str, Any]]:
        """Upload one data file, bound to its validated hash; on ExpiredToken fetch credentials once more and retry."""
        if item.data_path is None:
            return None, credentials
        for attempt in (1, 2):
            try:
                problem = upload_verified(
                    self._s3(credentials), credentials["bucket_name"], key, item.data_path, item.data_sha256
                )
                return problem, credentials
            except _S3_ERRORS as exc:  # S3UploadFailedError carries the S3 error code in its text
                if "ExpiredToken" in str(exc) and attempt == 1:
                    try:
                        credentials = self.client.upload_credentials(atlas, destination if mode == "add" else "")
                    except PollyError as refresh:
                        return f"upload credentials expired and could not be renewed: {refresh}", credentials
                    continue
                return f"upload failed: {exc}", credentials
        return "upload failed after renewing credentials", credentials

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


def _s3_errors() -> tuple[type[Exception], ...]:
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    return (S3UploadFailedError, ClientError, BotoCoreError, OSError)


_S3_ERRORS = _s3_errors()
