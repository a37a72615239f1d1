"""The embedded local atlas as a Backend: the default, works offline, and ships with a bundled example atlas."""

from __future__ import annotations

import contextlib
import json
import shutil
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from omix_ingest.atlas.faults import crash_point
from omix_ingest.atlas.store import DatasetRecord, LocalStore, StoreError, explain, now
from omix_ingest.backend import AtlasNotFound, AtlasSchemas, BackendError, ExistingDataset, IngestItem, Outcome
from omix_ingest.paths import data_dir

# Atlases that exist on every machine, created from package data on first use.
BUNDLED_ATLASES = {
    "example-single-cell": {
        "dataset": "single_cell_rnaseq_omixatlas.files.schema.json",
        "samples": {"h5ad_metadata": "single_cell_rnaseq_omixatlas.h5ad_metadata.schema.json"},
        "rules": "polly-default",
    },
}


def _bundled_text(name: str) -> str:
    return resources.files("omix_ingest").joinpath("atlases", name).read_text(encoding="utf-8")


class LocalBackend:
    name = "local"

    def __init__(self, root: Path | None = None) -> None:
        self.root = data_dir(root)
        try:
            self.store = LocalStore(self.root)
        except StoreError as exc:
            raise BackendError(str(exc)) from None

    def close(self) -> None:
        self.store.close()  # safe to call twice

    # ---------------------------------------------------------------------------------------------- atlases

    def create_atlas(self, name: str, dataset_schema: str, sample_schemas: dict[str, str], rules: str) -> None:
        for text in (dataset_schema, *sample_schemas.values()):
            json.loads(text)  # callers parse and check first; this guards the store against garbage
        try:
            self.store.create_atlas(name, dataset_schema, sample_schemas, rules)
        except StoreError as exc:
            raise BackendError(str(exc)) from None

    def atlas_names(self) -> list[str]:
        return sorted({*self.store.atlas_names(), *BUNDLED_ATLASES})

    def _record(self, atlas: str) -> Any:
        record = self.store.atlas(atlas)
        if record is None and atlas in BUNDLED_ATLASES:
            spec = BUNDLED_ATLASES[atlas]
            samples = {kind: _bundled_text(file) for kind, file in spec["samples"].items()}  # type: ignore[attr-defined]
            with contextlib.suppress(StoreError):  # StoreError: a concurrent process created it meanwhile
                self.store.create_atlas(atlas, _bundled_text(str(spec["dataset"])), samples, str(spec["rules"]))
            record = self.store.atlas(atlas)
        if record is None:
            known = ", ".join(self.atlas_names()) or "none yet"
            raise AtlasNotFound(
                f"no atlas {atlas!r} in {self.root} (known: {known}); create it with `omix atlas create`"
            )
        return record

    def schemas(self, atlas: str, *, revalidate: bool = False) -> AtlasSchemas:
        del revalidate  # read from the atlas's own database: always current
        record = self._record(atlas)
        samples = {kind: json.loads(text) for kind, text in record.sample_schemas.items()}
        return AtlasSchemas(atlas, json.loads(record.dataset_schema), samples, record.rules)

    # --------------------------------------------------------------------------------------------- datasets

    def existing(self, atlas: str, dataset_ids: list[str]) -> dict[str, ExistingDataset]:
        self._record(atlas)
        found = {}
        for dataset_id in dataset_ids:
            record = self.store.dataset(atlas, dataset_id)
            if record is not None:
                found[dataset_id] = ExistingDataset(
                    dataset_id, record.path, record.metadata_sha256, record.data_sha256, record.version
                )
        return found

    def metadata(self, atlas: str, dataset_id: str) -> bytes | None:
        record = self.store.dataset(atlas, dataset_id)
        return self.store.object_path(record.metadata_sha256).read_bytes() if record else None

    def data_file(self, atlas: str, dataset_id: str) -> tuple[Path, str] | None:
        record = self.store.dataset(atlas, dataset_id)
        return (self.store.object_path(record.data_sha256), record.data_name) if record else None

    def datasets(self, atlas: str) -> list[dict[str, Any]]:
        self._record(atlas)
        return [
            {
                "dataset_id": r.dataset_id,
                "version": r.version,
                "path": r.path,
                "metadata_sha256": r.metadata_sha256,
                "data_sha256": r.data_sha256,
                "data_size": r.data_size,
                "updated": r.updated,
            }
            for r in self.store.datasets(atlas)
        ]

    def ingest(
        self, atlas: str, items: list[IngestItem], *, mode: str, priority: str, destination: str, run_id: int
    ) -> list[Outcome]:
        """Stage files first (content-addressed, invisible), then commit every dataset row in one transaction that
        also makes the staged files it references visible; a dataset is in whole or not at all."""
        del priority  # a local atlas ingests at once; the value is recorded with the run
        self._record(atlas)
        outcomes: dict[str, Outcome] = {}
        with self.store.staging():
            staged = self._stage(items, outcomes)
            try:
                with self.store.transaction() as db:
                    written: list[DatasetRecord] = []
                    for item, stored, metadata_sha in staged:
                        outcome, record = self._write(db, atlas, item, stored, metadata_sha, mode, destination, run_id)
                        outcomes[item.dataset_id] = outcome
                        written += [record] if record is not None else []
                    self.store.publish([sha for r in written for sha in (r.metadata_sha256, r.data_sha256)])
            except StoreError as exc:
                for item, _, _ in staged:
                    outcomes[item.dataset_id] = Outcome(item.dataset_id, False, f"could not be stored: {exc}")
            else:
                self.store.committed()
                crash_point("committed")
        crash_point("recorded")
        return [outcomes[item.dataset_id] for item in items]

    def _stage(
        self, items: list[IngestItem], outcomes: dict[str, Outcome]
    ) -> list[tuple[IngestItem, tuple[str, int] | None, str | None]]:
        """Copy each dataset's files into the staging area; a dataset that cannot be copied whole is refused."""
        staged = []
        for item in items:
            try:
                stored = self.store.put_file(item.data_path) if item.data_path is not None else None
                metadata_sha = self.store.put_bytes(item.metadata) if item.metadata is not None else None
            except OSError as exc:
                outcomes[item.dataset_id] = Outcome(
                    item.dataset_id, False, f"could not be stored: {explain(self.root, exc)}"
                )
                continue
            if stored is not None and item.data_sha256 is not None and stored[0] != item.data_sha256:
                outcomes[item.dataset_id] = Outcome(
                    item.dataset_id, False, "the data file changed after it was validated; validate it again"
                )
                continue
            staged.append((item, stored, metadata_sha))
        return staged

    def _write(
        self,
        db: Any,
        atlas: str,
        item: IngestItem,
        stored: tuple[str, int] | None,
        metadata_sha: str | None,
        mode: str,
        destination: str,
        run_id: int,
    ) -> tuple[Outcome, DatasetRecord | None]:
        """The outcome, and the record written (None: nothing written)."""
        current = self.store.dataset(atlas, item.dataset_id, db)  # read inside the transaction: no race
        if mode == "add" and current is not None:
            return Outcome(item.dataset_id, False, "already in the atlas (added meanwhile?); use update"), None
        if mode == "update" and current is None:
            return Outcome(item.dataset_id, False, "not in the atlas; use add"), None
        if current is None:
            if stored is None or item.metadata is None or metadata_sha is None:
                return Outcome(item.dataset_id, False, "a new dataset needs both its metadata and its data file"), None
            assert item.data_path is not None
            record = DatasetRecord(
                atlas,
                item.dataset_id,
                1,
                destination,
                item.metadata.decode("utf-8"),
                metadata_sha,
                item.data_path.name,
                stored[0],
                stored[1],
                now(),
                run_id,
            )
            self.store.write_dataset(db, record)
            return Outcome(item.dataset_id, True, version=1), record
        record = current
        if item.metadata is not None and metadata_sha is not None:
            record = replace(record, metadata=item.metadata.decode("utf-8"), metadata_sha256=metadata_sha)
        if stored is not None and item.data_path is not None:
            record = replace(record, data_name=item.data_path.name, data_sha256=stored[0], data_size=stored[1])
        changed = (record.metadata_sha256, record.data_sha256, record.data_name) != (
            current.metadata_sha256,
            current.data_sha256,
            current.data_name,
        )
        if not changed:
            return Outcome(item.dataset_id, True, "unchanged", changed=False, version=current.version), None
        record = replace(record, version=current.version + 1, updated=now(), run_id=run_id)
        self.store.write_dataset(db, record)
        return Outcome(item.dataset_id, True, version=record.version), record

    def delete(self, atlas: str, dataset_ids: list[str], *, run_id: int) -> list[Outcome]:
        del run_id
        self._record(atlas)
        outcomes = []
        with self.store.transaction() as db:
            for dataset_id in dataset_ids:
                if self.store.dataset(atlas, dataset_id, db) is None:
                    outcomes.append(Outcome(dataset_id, False, f"not found in atlas {atlas!r}"))
                    continue
                self.store.remove_dataset(db, atlas, dataset_id)
                outcomes.append(Outcome(dataset_id, True))
        return outcomes

    def move(
        self, source: str, destination: str, dataset_ids: list[str], *, priority: str, run_id: int
    ) -> list[Outcome]:
        del priority
        self._record(source)
        self._record(destination)
        outcomes = []
        with self.store.transaction() as db:
            for dataset_id in dataset_ids:
                record = self.store.dataset(source, dataset_id, db)
                if record is None:
                    outcomes.append(Outcome(dataset_id, False, f"not found in atlas {source!r}"))
                    continue
                if self.store.dataset(destination, dataset_id, db) is not None:
                    outcomes.append(Outcome(dataset_id, False, f"already in atlas {destination!r}"))
                    continue
                self.store.write_dataset(
                    db, replace(record, atlas=destination, version=1, updated=now(), run_id=run_id)
                )
                self.store.remove_dataset(db, source, dataset_id)
                outcomes.append(Outcome(dataset_id, True, version=1))
        return outcomes

    def export(self, atlas: str, dataset_id: str, folder: Path) -> list[Path]:
        """Copy a dataset's files out of the store (the local form of Polly's save-to-workspace)."""
        self._record(atlas)
        record = self.store.dataset(atlas, dataset_id)
        if record is None:
            raise BackendError(f"dataset {dataset_id!r} is not in atlas {atlas!r}")
        folder.mkdir(parents=True, exist_ok=True)
        targets = [
            (record.metadata_sha256, folder / f"{dataset_id}.json"),
            (record.data_sha256, folder / record.data_name),
        ]
        for sha, target in targets:
            shutil.copyfile(self.store.object_path(sha), target)
        return [t for _, t in targets]
