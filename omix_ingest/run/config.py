"""The run configuration: what one run checks, resolved in exactly one place.

Every entry point (`omix validate`, `omix add/update`, `validate_datasets`, `OmixAtlas.*`, the pre-commit hook)
describes what its caller asked for as a `RunRequest`; `resolve_run_config` merges it with the project file
(`[tool.omix]` / `.omix.toml`) and the atlas into a `RunConfig`. Precedence: the caller's explicit value, then the
project file, then the atlas, then the built-in default. `RunConfig.describe` is the report's signed `run` block,
so a report made under other settings is never mistaken for this run's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omix_ingest import __version__
from omix_ingest.backend import AtlasSchemas
from omix_ingest.errors import UsageError
from omix_ingest.run.config_file import Config
from omix_ingest.run.executors import resolve_executor
from omix_ingest.run.ontologies import run_ontologies, used_ontologies
from omix_ingest.run.packs import resolve_rule_pack, rule_pack_sha256
from omix_ingest.run.selection import Selection
from omix_ingest.run.templates import TemplateSource, as_template
from validators.core.model import Severity
from validators.core.ontology_source import OntologyCatalog
from validators.core.rulepack import RulePack
from validators.core.template import Template, load_template
from validators.core.unreadable import ReadLimits
from validators.registry import collect_rules, load_validators

SCOPES = ("basic", "advanced", "file")
SAMPLE_FORMATS = ("h5ad", "gct", "gctx")
DEFAULT_RULE_PACK = "polly-default"
# Polly's sample-level schema types and the data formats each describes.
SAMPLE_SCHEMA_FORMATS = {"h5ad_metadata": ("h5ad",), "gct_metadata": ("gct", "gctx")}


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclass(frozen=True)
class AtlasDefaults:
    """What an atlas contributes: its dataset- and sample-level templates and the name of its rule pack."""

    template: Template
    sample_templates: Mapping[str, Template]
    rule_pack: str


def atlas_defaults(schemas: AtlasSchemas, source: str | None, data_type: str | None) -> AtlasDefaults:
    """The templates (dataset level, and sample level by data format) and rule pack name of an atlas."""
    atlas = schemas.atlas
    template = load_template(schemas.dataset, name=f"{atlas}:files", source=source, data_type=data_type)
    samples: dict[str, Template] = {}
    for kind, document in schemas.samples.items():
        for data_format in SAMPLE_SCHEMA_FORMATS.get(kind, ()):
            samples[data_format] = load_template(document, name=f"{atlas}:{kind}", source=source, data_type=data_type)
    return AtlasDefaults(template, samples, schemas.rules)


@dataclass(frozen=True)
class RunRequest:
    """What a caller asked for. None (or empty) means "not said": the project file, the atlas or the default
    decides."""

    template: TemplateSource | None = None
    sample_template: TemplateSource | None = None
    source: str | None = None
    data_type: str | None = None
    rules: str | Path | None = None
    no_rules: bool = False
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    fail_on: str | None = None
    scope: str | None = None
    jobs: int | None = None
    max_file_size: int | None = None
    max_depth: int | None = None
    executor: str | None = None  # "local" or "dask"
    scheduler: str | None = None  # a Dask scheduler address; implies executor "dask"


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what a run checks and when it fails (plus where it runs: `jobs`, `executor` and
    `scheduler` change neither, so `describe` leaves them out)."""

    template: Template | None = None
    sample_templates: Mapping[str, Template] = field(default_factory=dict)
    rule_pack: RulePack | None = None
    selection: Selection = field(default_factory=Selection)
    fail_on: Severity = Severity.ERROR
    scope: str = "advanced"  # "basic", "advanced", or "file": each file's __index__.validation_check decides
    limits: ReadLimits = field(default_factory=ReadLimits)
    jobs: int = field(default_factory=default_jobs)
    # The offline ontologies the pack's fields are checked against; their versions are part of `describe`.
    ontologies: OntologyCatalog | None = None
    executor: str = "local"
    scheduler: str | None = None

    @property
    def forced_scope(self) -> str | None:
        """The scope validators apply, or None when each file's own `validation_check` decides."""
        return None if self.scope == "file" else self.scope

    def describe(self, *, dataset_mode: bool) -> dict[str, Any]:
        """The report's `run` block (see the report JSON Schema); equal blocks mean equal checks."""
        pack = self.rule_pack
        return {
            "tool_version": __version__,
            "select": list(self.selection.select),
            "ignore": list(self.selection.ignore),
            "per_file_ignores": {glob: list(codes) for glob, codes in sorted(self.selection.per_file_ignores.items())},
            "scope": self.scope,
            "fail_on": self.fail_on.label,
            "limits": {"max_bytes": self.limits.max_bytes, "max_depth": self.limits.max_depth},
            "dataset_mode": dataset_mode,
            "template_sha256": self.template.sha256 if self.template else None,
            "rule_pack": {"name": pack.name, "sha256": rule_pack_sha256(pack)} if pack else None,
            "sample_templates": {fmt: t.sha256 for fmt, t in sorted(self.sample_templates.items())},
            "ontologies": self._ontologies_checked(),
        }

    def _ontologies_checked(self) -> dict[str, Any] | None:
        """Which ontology (name and version) each pack field was checked against; a version of None means the
        pack's own lists only, as the offline source is not installed."""
        names = used_ontologies(self.rule_pack)
        if not names:
            return None
        if self.ontologies is None:
            return {"source": None, "versions": dict.fromkeys(names)}
        return self.ontologies.describe(names)


def _split(values: Sequence[str]) -> list[str]:
    """`--select OMX1,OMX2 --select OMX3` → [OMX1, OMX2, OMX3]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _file_path(config: Config, key: str) -> Path | None:
    value = config.get(key)
    return Path(value) if value else None


def _templates(
    request: RunRequest, config: Config, atlas: AtlasDefaults | None, source: str | None, data_type: str | None
) -> tuple[Template | None, dict[str, Template]]:
    if atlas is not None and request.template is not None:
        raise UsageError("give --template FILE or --atlas NAME, not both")
    sample_source = request.sample_template
    if sample_source is None:
        sample_source = _file_path(config, "sample-template")
    samples = dict.fromkeys(SAMPLE_FORMATS, as_template(sample_source, source, data_type)) if sample_source else {}
    if atlas is not None:  # the atlas's own template is the truth; a project-file template does not apply
        return atlas.template, samples or dict(atlas.sample_templates)
    template_source = request.template if request.template is not None else _file_path(config, "template")
    template = as_template(template_source, source, data_type) if template_source is not None else None
    return template, samples


def _rule_pack(request: RunRequest, config: Config, atlas: AtlasDefaults | None) -> RulePack | None:
    if request.no_rules:
        return None
    chosen = request.rules or config.get("rules") or (atlas.rule_pack if atlas else None) or DEFAULT_RULE_PACK
    return resolve_rule_pack(chosen)


def _positive(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"{what} must be a whole number of at least 1, not {value!r}")
    return value


def _limits(request: RunRequest, config: Config) -> ReadLimits:
    default = ReadLimits()
    max_bytes = request.max_file_size if request.max_file_size is not None else config.get("max-file-size")
    max_depth = request.max_depth if request.max_depth is not None else config.get("max-depth")
    return ReadLimits(
        max_bytes=default.max_bytes if max_bytes is None else _positive(max_bytes, "--max-file-size"),
        max_depth=default.max_depth if max_depth is None else _positive(max_depth, "--max-depth"),
    )


def _selection(request: RunRequest, config: Config) -> Selection:
    codes = list(collect_rules(load_validators()))
    return Selection.build(
        codes,
        select=_split(request.select) or list(config.get("select", [])),
        ignore=[*_split(request.ignore), *config.get("ignore", [])],
        per_file_ignores=config.get("per-file-ignores", {}),
    )


def resolve_run_config(
    request: RunRequest,
    config: Config | None = None,
    *,
    atlas: AtlasSchemas | None = None,
    default_scope: str = "advanced",
) -> RunConfig:
    """The one place a run's configuration is decided. `atlas` is the atlas's schemas (its templates are read
    for the source and data type resolved here). `default_scope` is "advanced" for `validate` and "file" for the
    gate, which honours each dataset's `__index__.validation_check` unless told otherwise."""
    config = config or Config()
    source = request.source or config.get("source")
    data_type = request.data_type or config.get("data-type")
    defaults = atlas_defaults(atlas, source, data_type) if atlas is not None else None
    scope = request.scope or config.get("scope") or default_scope
    if scope not in SCOPES:
        raise UsageError(f"scope must be basic, advanced or file, not {scope!r}")
    try:
        fail_on = Severity.parse(str(request.fail_on or config.get("fail-on") or "error"))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    template, samples = _templates(request, config, defaults, source, data_type)
    pack = _rule_pack(request, config, defaults)
    jobs = request.jobs if request.jobs is not None else config.get("jobs")
    executor, scheduler = resolve_executor(
        request.executor or (None if request.scheduler else config.get("executor")),
        request.scheduler or (None if request.executor == "local" else config.get("scheduler")),
    )
    return RunConfig(
        template=template,
        sample_templates=samples,
        rule_pack=pack,
        ontologies=run_ontologies(pack, build=template is not None or bool(samples)),
        selection=_selection(request, config),
        fail_on=fail_on,
        scope=scope,
        limits=_limits(request, config),
        jobs=default_jobs() if jobs is None else _positive(jobs, "--jobs"),
        executor=executor,
        scheduler=scheduler,
    )
