"""The notebook-facing API: validate a folder pair against a template and get a Report (and a DataFrame); fix
what can be fixed safely."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from omix_ingest.errors import UsageError
from omix_ingest.fix.fixer import FileFix, fix_inputs
from omix_ingest.report.model import Report
from omix_ingest.run.config import RunRequest, resolve_run_config
from omix_ingest.run.config_file import Config, load_config
from omix_ingest.run.remote import as_input
from omix_ingest.run.templates import TemplateSource
from omix_ingest.run.validation import RunInputs, validate


def validate_datasets(
    template: TemplateSource,
    source_folder_path: Mapping[str, str | Path] | str | Path,
    *,
    source: str | None = None,
    data_type: str | None = None,
    sample_template: TemplateSource | None = None,
    rules: str | Path | Literal[False] | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: str | None = None,
    scope: str | None = "advanced",
    jobs: int | None = None,
    config: str | Path | Literal[False] | None = None,
    executor: str | None = None,
    scheduler: str | None = None,
) -> Report:
    """Validate `{"metadata": dir, "data": dir}` (either key optional) or one folder/file.

    `template` is a Template, a parsed schema document or a path to one. `scope=None` (or "file") honours each
    file's `__index__.validation_check.dataset.scope`. Settings left out come from the project file, as for
    `omix validate`: `config` names it, None finds it from the working folder upwards, False uses none. `rules`
    names a pack (default: the project file's, else polly-default); False checks no value rules. Use
    `report.to_dataframe()` for the polly-python error table. `executor="dask"` runs the per-file checks on the
    Dask cluster at `scheduler` (an address such as `cluster.scheduler_address`), or on a LocalCluster without
    one; folders and files may then also be URLs (`s3://bucket/prefix`).
    """
    if isinstance(source_folder_path, Mapping):
        unknown = set(source_folder_path) - {"metadata", "data"}
        if unknown:
            raise UsageError(f"source_folder_path takes the keys 'metadata' and 'data', not {sorted(unknown)}")
        metadata = source_folder_path.get("metadata")
        data = source_folder_path.get("data")
        paths: tuple[Path, ...] = ()
    else:
        metadata = data = None
        paths = (as_input(source_folder_path),)
    request = RunRequest(
        template=template,
        sample_template=sample_template,
        source=source,
        data_type=data_type,
        rules=rules or None,
        no_rules=rules is False,
        select=tuple(select),
        ignore=tuple(ignore),
        fail_on=fail_on,
        scope=scope or "file",
        jobs=jobs,
        executor=executor,
        scheduler=scheduler,
    )
    inputs = RunInputs(
        paths, as_input(metadata) if metadata is not None else None, as_input(data) if data is not None else None
    )
    project = Config() if config is False else load_config(Path(config) if config is not None else None)
    return validate(resolve_run_config(request, project), inputs, progress=True)


def apply_fixes(
    template: TemplateSource,
    paths: str | Path | Sequence[str | Path],
    *,
    write: bool = False,
    source: str | None = None,
    data_type: str | None = None,
    rules: str | Path | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    config: str | Path | Literal[False] | None = None,
) -> list[FileFix]:
    """Fix metadata files (or folders of them) as `omix fix` does: each result holds the bytes before and after,
    the findings fixed and those left for a person (`.diff()` shows the change). Nothing is written unless
    `write=True`; then files are replaced atomically, their formatting kept."""
    chosen = (paths,) if isinstance(paths, str | Path) else tuple(paths)
    request = RunRequest(
        template=template,
        source=source,
        data_type=data_type,
        rules=rules,
        select=tuple(select),
        ignore=tuple(ignore),
    )
    project = Config() if config is False else load_config(Path(config) if config is not None else None)
    return fix_inputs(resolve_run_config(request, project), RunInputs(tuple(Path(p) for p in chosen)), write=write)
