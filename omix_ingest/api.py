"""The notebook-facing API: validate a folder pair against a template and get a Report (and a DataFrame)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omix_ingest.errors import UsageError
from omix_ingest.report.model import Report
from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.runner import default_jobs
from omix_ingest.run.selection import Selection
from omix_ingest.run.templates import load_template_file
from omix_ingest.run.validation import ValidateOptions, for_all_formats, validate
from validators.core.model import Severity
from validators.core.template import Template, load_template
from validators.registry import collect_rules, load_validators


def _as_template(
    template: Template | str | Path | Mapping[str, Any], source: str | None, data_type: str | None
) -> Template:
    if isinstance(template, Template):
        return template
    if isinstance(template, Mapping):
        return load_template(template, name="template", source=source, data_type=data_type)
    return load_template_file(Path(template), source=source, data_type=data_type)


def validate_datasets(
    template: Template | str | Path | Mapping[str, Any],
    source_folder_path: Mapping[str, str | Path] | str | Path,
    *,
    source: str | None = None,
    data_type: str | None = None,
    sample_template: Template | str | Path | Mapping[str, Any] | None = None,
    rules: str | Path | None = "polly-default",
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: str = "error",
    scope: str | None = "advanced",
    jobs: int | None = None,
) -> Report:
    """Validate `{"metadata": dir, "data": dir}` (either key optional) or one folder/file.

    `template` is a Template, a parsed schema document or a path to one. `scope=None` honours each file's
    `__index__.validation_check.dataset.scope`. Use `report.to_dataframe()` for the polly-python error table.
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
        paths = (Path(source_folder_path),)
    if scope not in (None, "basic", "advanced"):
        raise UsageError(f"scope must be 'basic', 'advanced' or None, not {scope!r}")
    validators = load_validators()
    codes = list(collect_rules(validators))
    options = ValidateOptions(
        paths=paths,
        metadata_dir=Path(metadata) if metadata is not None else None,
        data_dir=Path(data) if data is not None else None,
        template=_as_template(template, source, data_type),
        sample_templates=for_all_formats(_as_template(sample_template, source, data_type)) if sample_template else {},
        rule_pack=resolve_rule_pack(rules) if rules else None,
        selection=Selection.build(codes, select=select, ignore=ignore),
        fail_on=Severity.parse(fail_on),
        jobs=jobs or default_jobs(),
        scope=scope,
    )
    return validate(options, validators)
