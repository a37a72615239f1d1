"""One validation run: the inputs (files, or a metadata and a data folder) under a resolved `RunConfig`, planned,
validated and reported. Shared by the CLI, the Python API and the gate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omix_ingest.errors import UsageError
from omix_ingest.report.model import Report
from omix_ingest.run.config import RunConfig
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA, Plan
from omix_ingest.run.runner import run_validation
from validators.core.naming import is_metadata_name
from validators.registry import Validator, load_validators


@dataclass(frozen=True)
class RunInputs:
    """Where the files are: paths (files or folders, walked), and/or a metadata folder and a data folder."""

    paths: tuple[Path, ...] = ()
    metadata_dir: Path | None = None
    data_dir: Path | None = None

    @property
    def empty(self) -> bool:
        return not self.paths and self.metadata_dir is None and self.data_dir is None


def build_plan(inputs: RunInputs) -> Plan:
    plan = Plan()
    for path in inputs.paths:
        plan.add_path(path)
    if inputs.metadata_dir is not None:
        plan.add_folder(inputs.metadata_dir, ROLE_METADATA)
    if inputs.data_dir is not None:
        plan.add_folder(inputs.data_dir, ROLE_DATA)
    return plan


def validate(
    config: RunConfig, inputs: RunInputs, validators: list[Validator] | None = None, plan: Plan | None = None
) -> Report:
    """Validate what `inputs` name; `plan` lets a caller that already walked the folders reuse that walk."""
    if inputs.empty:
        raise UsageError("nothing to validate: give files or folders, or --metadata DIR / --data DIR")
    plan = plan if plan is not None else build_plan(inputs)
    if config.template is None and any(is_metadata_name(p.path.name) and p.role != ROLE_DATA for p in plan.files):
        raise UsageError(
            "metadata files need a template: pass --template FILE (a schema document or a "
            "dataset_metadata_template file), or set `template` in [tool.omix]"
        )
    return run_validation(plan, config, validators if validators is not None else load_validators())
