"""One validation run from resolved options: plan, validate, report. Shared by the CLI and the Python API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from omix_ingest.errors import UsageError
from omix_ingest.report.model import Report
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA, Plan
from omix_ingest.run.runner import default_jobs, run_validation
from omix_ingest.run.selection import Selection
from validators.core.model import Severity
from validators.core.naming import is_metadata_name
from validators.core.rulepack import RulePack
from validators.core.template import Template
from validators.core.unreadable import ReadLimits
from validators.registry import Validator, load_validators, validation_context


@dataclass(frozen=True)
class ValidateOptions:
    paths: tuple[Path, ...] = ()
    metadata_dir: Path | None = None
    data_dir: Path | None = None
    template: Template | None = None
    sample_templates: Mapping[str, Template] = field(default_factory=dict)
    rule_pack: RulePack | None = None
    selection: Selection = field(default_factory=Selection)
    fail_on: Severity = Severity.ERROR
    jobs: int = field(default_factory=default_jobs)
    limits: ReadLimits = field(default_factory=ReadLimits)
    scope: str | None = "advanced"


SAMPLE_FORMATS = ("h5ad", "gct", "gctx")
# Polly's sample-level schema types and the data formats each describes.
SAMPLE_SCHEMA_FORMATS = {"h5ad_metadata": ("h5ad",), "gct_metadata": ("gct", "gctx")}


def for_all_formats(template: Template) -> dict[str, Template]:
    """One sample-level template (given on the command line) applies to every format with sample metadata."""
    return dict.fromkeys(SAMPLE_FORMATS, template)


def build_plan(options: ValidateOptions) -> Plan:
    plan = Plan()
    for path in options.paths:
        plan.add_path(path)
    if options.metadata_dir is not None:
        plan.add_folder(options.metadata_dir, ROLE_METADATA)
    if options.data_dir is not None:
        plan.add_folder(options.data_dir, ROLE_DATA)
    return plan


def validate(options: ValidateOptions, validators: list[Validator] | None = None, plan: Plan | None = None) -> Report:
    """Validate what `options` name; `plan` lets a caller that already walked the folders reuse that walk."""
    if not options.paths and options.metadata_dir is None and options.data_dir is None:
        raise UsageError("nothing to validate: give files or folders, or --metadata DIR / --data DIR")
    plan = plan if plan is not None else build_plan(options)
    if options.template is None and any(is_metadata_name(p.path.name) and p.role != ROLE_DATA for p in plan.files):
        raise UsageError(
            "metadata files need a template: pass --template FILE (a schema document or a "
            "dataset_metadata_template file), or set `template` in [tool.omix]"
        )
    ctx = validation_context(
        options.template, options.rule_pack, options.limits, options.scope, sample_templates=options.sample_templates
    )
    return run_validation(
        plan,
        ctx,
        validators if validators is not None else load_validators(),
        selection=options.selection,
        fail_on=options.fail_on,
        jobs=options.jobs,
    )
