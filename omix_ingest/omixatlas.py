"""`OmixAtlas`: the polly-python 0.3.x ingestion API, on the gate.

Same method names, parameters and defaults as the SDK, same parameter checks (`paramException` with a title and a
detail), DataFrames back. What differs is what the SDK got wrong: validation results are bound to file content and
returned, not printed; a dataset goes in whole or not at all; no call crashes because every dataset failed or a
file has no `__index__`; nothing is downloaded at import time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omix_ingest.atlas.backend import LocalBackend
from omix_ingest.backend import AtlasNotFound, Backend, BackendError
from omix_ingest.errors import UsageError
from omix_ingest.gate.ingestion import PRIORITIES, Gate
from omix_ingest.gate.result import GateResult
from omix_ingest.polly.client import workspace_job
from omix_ingest.run.config import RunRequest
from omix_ingest.run.config_file import load_config
from omix_ingest.run.validation import RunInputs, validate
from validators.core.model import Severity
from validators.core.naming import dataset_id_of
from validators.core.template import TemplateError, load_template

if TYPE_CHECKING:
    import pandas as pd


class paramException(ValueError):
    """A parameter is missing or of the wrong kind."""

    def __init__(self, title: str = "Param Error", detail: str = "") -> None:
        super().__init__(f"{title}: {detail}")
        self.title, self.detail = title, detail


ParamError = paramException


class AtlasNotFoundException(paramException):
    """The repository id or name is not an atlas this backend knows."""


def _repo(value: Any, name: str = "repo_id") -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise paramException("Param Error", f"{name} should be a non-empty str or int")
    return str(value)


def _folders(source_folder_path: Any, *, need_both: bool) -> tuple[Path | None, Path | None]:
    if not isinstance(source_folder_path, Mapping) or not source_folder_path:
        raise paramException("Param Error", 'source_folder_path should be a dict like {"data": dir, "metadata": dir}')
    unknown = set(source_folder_path) - {"data", "metadata"}
    if unknown:
        raise paramException(
            "Param Error", f"source_folder_path takes only the keys data and metadata, not {sorted(unknown)}"
        )
    if need_both and set(source_folder_path) != {"data", "metadata"}:
        raise paramException("Param Error", "source_folder_path needs both a data and a metadata folder")
    folders: list[Path | None] = []
    for key in ("metadata", "data"):
        value = source_folder_path.get(key)
        if value is None:
            folders.append(None)
            continue
        if not isinstance(value, str | Path):
            raise paramException("Param Error", f"source_folder_path[{key!r}] should be a folder path")
        path = Path(value)
        if not path.is_dir():
            raise paramException("Param Error", f"{key} folder {str(path)!r} does not exist or is not a folder")
        folders.append(path)
    return folders[0], folders[1]


def _priority(priority: Any) -> str:
    if priority not in PRIORITIES:
        raise paramException("Param Error", f"priority should be one of {', '.join(PRIORITIES)}")
    return str(priority)


def _dataset_ids(dataset_ids: Any) -> list[str]:
    if isinstance(dataset_ids, str) or not isinstance(dataset_ids, Sequence) or not dataset_ids:
        raise paramException("Param Error", "dataset_ids should be a non-empty list of strings")
    if not all(isinstance(d, str) and d for d in dataset_ids):
        raise paramException("Param Error", "every dataset id should be a non-empty string")
    return list(dataset_ids)


class OmixAtlas:
    """The embedded local atlas (`OmixAtlas()`) or the Polly API (`OmixAtlas(token)`, as with polly-python)."""

    def __init__(
        self,
        token: str | None = None,
        env: str = "polly",
        *,
        backend: str | Backend | None = None,
        data_dir: str | Path | None = None,
        base_url: str | None = None,
        s3_endpoint: str | None = None,
        executor: str | None = None,
        scheduler: str | None = None,
    ) -> None:
        """With no backend named, a token means Polly (the SDK idiom `OmixAtlas(token)`) and no token the local
        atlas; `backend="polly"` takes the token from the argument or POLLY_REFRESH_TOKEN. A token with
        `backend="local"` is an error, not silently ignored. `base_url` points at another API (an emulator),
        `s3_endpoint` at another S3. The local data directory also keeps the run log of Polly ingestions.
        `executor="dask"` (with `scheduler`, a Dask scheduler address) validates on a Dask cluster."""
        if backend is None:
            backend = "polly" if token else "local"
        if backend == "local" and token:
            raise paramException("Param Error", "a token is for the Polly API: use backend='polly', or drop the token")
        self._local = LocalBackend(Path(data_dir) if data_dir else None)
        if backend == "local":
            self.backend: Backend = self._local
        elif backend == "polly":
            from omix_ingest.polly.backend import PollyBackend
            from omix_ingest.polly.client import PollyClient

            client = PollyClient(token, env, base_url=base_url)
            client.me()  # as the SDK: a bad token fails here, with PollyAuthError
            self.backend = PollyBackend(client, s3_endpoint=s3_endpoint)
        elif isinstance(backend, str):
            raise paramException("Param Error", f"unknown backend {backend!r}; use 'local' or 'polly'")
        else:
            self.backend = backend
        self._gate = Gate(self.backend, self._local.store, config=load_config())
        self._where = RunRequest(executor=executor, scheduler=scheduler)  # where validation runs

    def close(self) -> None:
        if self.backend is not self._local:
            self.backend.close()
        self._local.close()

    def __enter__(self) -> OmixAtlas:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, call: Any) -> GateResult:
        try:
            return call()  # type: ignore[no-any-return]
        except AtlasNotFound as exc:
            raise AtlasNotFoundException("Invalid Repo Id/ Repo Name passed.", str(exc)) from None
        except (UsageError, TemplateError) as exc:
            raise paramException("Param Error", str(exc)) from None

    def _ingest(
        self,
        mode: str,
        repo_id: Any,
        source_folder_path: Any,
        destination_folder_path: Any,
        priority: Any,
        validation: Any,
    ) -> pd.DataFrame:
        repo = _repo(repo_id)
        metadata, data = _folders(source_folder_path, need_both=mode == "add")
        if not isinstance(destination_folder_path, str):
            raise paramException("Param Error", "destination_folder_path should be a string")
        if not isinstance(validation, bool):
            raise paramException("Param Error", "validation should be True or False")
        result = self._run(
            lambda: self._gate.ingest(
                repo,
                mode=mode,
                metadata_dir=metadata,
                data_dir=data,
                priority=_priority(priority),
                destination=destination_folder_path,
                validation=validation,
                request=self._where,
            )
        )
        self.last_result = result
        return result.to_dataframe()

    def add_datasets(
        self,
        repo_id: int | str,
        source_folder_path: dict[str, str],
        destination_folder_path: str = "",
        priority: str = "low",
        validation: bool = False,
    ) -> pd.DataFrame:
        """Add datasets; each row of the result is one file with `File Name` and `Message` (plus id, status,
        reason). With validation=False only what makes ingestion impossible is refused."""
        return self._ingest("add", repo_id, source_folder_path, destination_folder_path, priority, validation)

    def update_datasets(
        self,
        repo_id: int | str,
        source_folder_path: dict[str, str],
        destination_folder_path: str = "",
        priority: str = "low",
        validation: bool = False,
    ) -> pd.DataFrame:
        """Update datasets already in the atlas: metadata only, data only, or both; unchanged files stay put."""
        return self._ingest("update", repo_id, source_folder_path, destination_folder_path, priority, validation)

    def delete_datasets(self, repo_id: int | str, dataset_ids: list[str]) -> pd.DataFrame:
        repo, ids = _repo(repo_id), _dataset_ids(dataset_ids)
        self.last_result = self._run(lambda: self._gate.delete(repo, ids))
        return self.last_result.to_dataframe()

    def move_data(
        self,
        source_repo_key: int | str,
        destination_repo_key: int | str,
        dataset_ids: list[str],
        priority: str = "medium",
    ) -> pd.DataFrame:
        source, destination = (
            _repo(source_repo_key, "source_repo_key"),
            _repo(destination_repo_key, "destination_repo_key"),
        )
        ids, level = _dataset_ids(dataset_ids), _priority(priority)
        self.last_result = self._run(lambda: self._gate.move(source, destination, ids, level))
        return self.last_result.to_dataframe()

    def dataset_metadata_template(
        self, repo_key: int | str, source: str = "all", data_type: str = "all"
    ) -> dict[str, Any]:
        repo = _repo(repo_key, "repo_key")
        if not isinstance(source, str) or not isinstance(data_type, str):
            raise paramException("Param Error", "source and data_type should be strings")
        try:
            schemas = self.backend.schemas(repo)
            template = load_template(schemas.dataset, name=repo, source=source, data_type=data_type)
        except AtlasNotFound as exc:
            raise AtlasNotFoundException("Invalid Repo Id/ Repo Name passed.", str(exc)) from None
        except TemplateError as exc:
            raise paramException("Param Error", str(exc)) from None
        return template.metadata_template()

    def validate_datasets(
        self, repo_id: int | str, source_folder_path: dict[str, str], schema_config: dict[str, str] | None = None
    ) -> tuple[pd.DataFrame, dict[str, bool]]:
        """(errors DataFrame with `dataset_id | Field | Original Name | Error Message | Repo`, {dataset_id: passed}),
        honouring each file's `__index__.validation_check` as the SDK did."""
        repo = _repo(repo_id)
        metadata, data = _folders(source_folder_path, need_both=False)
        config = dict(schema_config or {})
        if set(config) - {"source", "datatype"}:
            raise paramException("Param Error", "schema_config takes the keys source and datatype")
        request = replace(self._where, source=config.get("source"), data_type=config.get("datatype"))
        try:
            run_config = self._gate.run_config(repo, request)
        except AtlasNotFound as exc:
            raise AtlasNotFoundException("Invalid Repo Id/ Repo Name passed.", str(exc)) from None
        except (TemplateError, UsageError) as exc:
            raise paramException("Param Error", str(exc)) from None
        report = validate(run_config, RunInputs((), metadata, data))
        status: dict[str, bool] = {}
        for file in report.files:
            dataset_id = dataset_id_of(Path(file.path).name)
            passed = not any(f.severity >= Severity.ERROR for f in file.findings)
            status[dataset_id] = status.get(dataset_id, True) and passed
        return report.to_dataframe(), status

    def save_to_workspace(
        self, repo_id: int | str, dataset_id: str, workspace_id: int, workspace_path: str
    ) -> dict[str, Any]:
        """Local form: copy the dataset's metadata and data file into the folder `workspace_path`."""
        repo = _repo(repo_id)
        if not isinstance(dataset_id, str) or not dataset_id:
            raise paramException("Param Error", "dataset_id should be a non-empty string")
        if isinstance(workspace_id, bool) or not isinstance(workspace_id, int):
            raise paramException("Param Error", "workspace_id should be an int")
        if not isinstance(workspace_path, str) or not workspace_path:
            raise paramException("Param Error", "workspace_path should be a non-empty string")
        from omix_ingest.polly.backend import PollyBackend

        if isinstance(self.backend, PollyBackend):
            return self.backend.client.save_to_workspace(repo, dataset_id, workspace_id, workspace_path)
        try:
            files = self.backend.export(repo, dataset_id, Path(workspace_path))
        except AtlasNotFound as exc:
            raise AtlasNotFoundException("Invalid Repo Id/ Repo Name passed.", str(exc)) from None
        except (BackendError, OSError) as exc:
            raise paramException("Save to workspace failed", str(exc)) from None
        return workspace_job(repo, dataset_id, workspace_id, workspace_path, files=[str(f) for f in files])
