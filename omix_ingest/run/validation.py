"""One validation run: the inputs (files, or a metadata and a data folder) under a resolved `RunConfig`, planned,
validated and reported. Shared by the CLI, the Python API and the gate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omix_ingest.errors import UsageError
from omix_ingest.report.model import Report
from omix_ingest.run.config import RunConfig
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA, Plan
from omix_ingest.run.remote import RemotePath, add_input_folder, add_remote
from omix_ingest.run.runner import run_validation
from validators.core.naming import is_metadata_name
from validators.registry import Validator, load_validators


@dataclass(frozen=True)
class RunInputs:
    """Where the files are: paths (files or folders, walked), and/or a metadata folder and a data folder."""

    paths: tuple[Path, ...] = ()
    metadata_dir: Path | None = None
    data_dir: Path | None = None
    # Pair the named files by dataset id, as a --metadata/--data run does (JSON files are metadata, the others
    # data); a partner that is not among them is not reported. What a pre-commit hook needs.
    pair_files: bool = False
    left_out: tuple[Path, ...] = ()  # files the caller chose not to check (reported as skipped)

    @property
    def empty(self) -> bool:
        return not self.paths and self.metadata_dir is None and self.data_dir is None


def build_plan(inputs: RunInputs) -> Plan:
    plan = Plan(paired=inputs.pair_files, left_out=[str(p) for p in inputs.left_out])
    for path in inputs.paths:
        if isinstance(path, RemotePath):  # an object or a prefix in a store, listed through fsspec
            add_remote(plan, path)
        elif inputs.pair_files and not path.is_dir():
            plan.add_file(path, ROLE_METADATA if is_metadata_name(path.name) else ROLE_DATA)
        else:
            plan.add_path(path)
    if inputs.metadata_dir is not None:
        add_input_folder(plan, inputs.metadata_dir, ROLE_METADATA)
    if inputs.data_dir is not None:
        add_input_folder(plan, inputs.data_dir, ROLE_DATA)
    return plan


def validate(
    config: RunConfig,
    inputs: RunInputs,
    validators: list[Validator] | None = None,
    plan: Plan | None = None,
    *,
    progress: bool = False,
) -> Report:
    """Validate what `inputs` name; `plan` lets a caller that already walked the folders reuse that walk;
    `progress` shows a bar on long runs where a person watches (a terminal or a notebook, not CI)."""
    if inputs.empty and not inputs.left_out:
        raise UsageError("nothing to validate: give files or folders, or --metadata DIR / --data DIR")
    plan = plan if plan is not None else build_plan(inputs)
    if config.template is None and any(is_metadata_name(p.path.name) and p.role != ROLE_DATA for p in plan.files):
        raise UsageError(
            "metadata files need a template: pass --template FILE (a schema document or a "
            "dataset_metadata_template file), or set `template` in [tool.omix]"
        )
    chosen = validators if validators is not None else load_validators()
    return run_validation(plan, config, chosen, progress=progress)
