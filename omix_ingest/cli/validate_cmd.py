"""`omix validate`: parse flags into `ValidateArgs`, merge the project config, run, render, choose the exit code."""

from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from omix_ingest.cli.common import backend_options
from omix_ingest.errors import ExitCode, UsageError
from omix_ingest.report.reporters import REPORTERS
from omix_ingest.run.config import Config, load_config
from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.runner import default_jobs
from omix_ingest.run.selection import Selection
from omix_ingest.run.templates import load_template_file
from omix_ingest.run.validation import ValidateOptions, for_all_formats, validate
from validators.core.model import Severity
from validators.core.template import Template
from validators.core.unreadable import ReadLimits
from validators.registry import collect_rules, load_validators


@dataclass(frozen=True)
class ValidateArgs:
    paths: tuple[Path, ...]
    metadata_dir: Path | None
    data_dir: Path | None
    template: Path | None
    atlas: str | None
    atlas_data_dir: Path | None
    lock: Path | None
    sample_template: Path | None
    source: str | None
    data_type: str | None
    rules: str | None
    no_rules: bool
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    fmt: str | None
    output: Path | None
    fail_on: str | None
    quiet: int
    verbose: int
    jobs: int | None
    scope: str | None
    config: Path | None
    max_file_size: int | None
    max_depth: int | None
    backend_name: str = "local"
    api_url: str | None = None
    polly_env: str = "polly"
    s3_endpoint: str | None = None
    offline: bool = False


def _split(values: tuple[str, ...]) -> list[str]:
    """`--select OMX1,OMX2 --select OMX3` → [OMX1, OMX2, OMX3]."""
    return [part for value in values for part in value.split(",") if part.strip()]


def _pick(flag: object, config: Config, key: str, default: object = None) -> object:
    return flag if flag is not None else config.get(key, default)


def build_options(args: ValidateArgs, config: Config) -> tuple[ValidateOptions, str]:
    validators = load_validators()
    codes = list(collect_rules(validators))
    template_path = args.template or (Path(config.get("template")) if config.get("template") else None)
    source = _pick(args.source, config, "source")
    data_type = _pick(args.data_type, config, "data-type")
    template = (
        load_template_file(template_path, source=source, data_type=data_type)  # type: ignore[arg-type]
        if template_path
        else None
    )
    sample_path = args.sample_template or (
        Path(config.get("sample-template")) if config.get("sample-template") else None
    )
    sample_template = (
        load_template_file(sample_path, source=source, data_type=data_type)  # type: ignore[arg-type]
        if sample_path
        else None
    )
    atlas_rules = None
    samples = for_all_formats(sample_template) if sample_template else {}
    if args.atlas is not None:
        if template_path is not None:
            raise UsageError("give --template FILE or --atlas NAME, not both")
        template, atlas_samples, atlas_rules = _atlas_templates(args, source, data_type)  # type: ignore[arg-type]
        samples = samples or atlas_samples
    pack_name = None if args.no_rules else _pick(args.rules, config, "rules", atlas_rules or "polly-default")
    fmt = str(_pick(args.fmt, config, "format", "text"))
    if fmt not in REPORTERS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(REPORTERS)}")
    fail_on = Severity.parse(str(_pick(args.fail_on, config, "fail-on", "error")))
    scope = str(_pick(args.scope, config, "scope", "advanced"))
    if scope not in ("basic", "advanced", "file"):
        raise UsageError(f"scope must be basic, advanced or file, not {scope!r}")
    jobs = int(_pick(args.jobs, config, "jobs", default_jobs()))  # type: ignore[call-overload]
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    limits = ReadLimits(
        max_bytes=int(_pick(args.max_file_size, config, "max-file-size", ReadLimits().max_bytes)),  # type: ignore[call-overload]
        max_depth=int(_pick(args.max_depth, config, "max-depth", ReadLimits().max_depth)),  # type: ignore[call-overload]
    )
    selection = Selection.build(
        codes,
        select=_split(args.select) or list(config.get("select", [])),
        ignore=[*_split(args.ignore), *config.get("ignore", [])],
        per_file_ignores=config.get("per-file-ignores", {}),
    )
    options = ValidateOptions(
        paths=args.paths,
        metadata_dir=args.metadata_dir,
        data_dir=args.data_dir,
        template=template,
        sample_templates=samples,
        rule_pack=resolve_rule_pack(str(pack_name)) if pack_name else None,
        selection=selection,
        fail_on=fail_on,
        jobs=jobs,
        limits=limits,
        scope=None if scope == "file" else scope,
    )
    return options, fmt


def _atlas_templates(
    args: ValidateArgs, source: str | None, data_type: str | None
) -> tuple[Template, dict[str, Template], str]:
    """The dataset- and sample-level templates and the rule pack of a local atlas."""
    from omix_ingest.cli.common import BackendChoice, fetch_schemas
    from omix_ingest.gate.ingestion import atlas_templates

    choice = BackendChoice(args.backend_name, args.api_url, args.polly_env, args.s3_endpoint, args.offline)
    schemas = fetch_schemas(choice, args.atlas_data_dir, str(args.atlas), args.lock)
    return atlas_templates(schemas, source, data_type)


def write_atomically(path: Path, text: str) -> None:
    """Write next to the target and rename, so a reader never sees half a report."""
    folder = path.parent if str(path.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def use_color(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def execute_validate(args: ValidateArgs) -> int:
    config = load_config(args.config)
    options, fmt = build_options(args, config)
    report = validate(options)
    verbosity = args.verbose - args.quiet
    reporter = REPORTERS[fmt](color=use_color(args.output), verbosity=verbosity)
    rendered = reporter.render(report)
    if args.output is not None:
        write_atomically(args.output, rendered)
        if verbosity >= 0:
            summary = REPORTERS["text"](color=False).summary(report)  # type: ignore[attr-defined]
            click.echo(f"{summary}; report written to {args.output}", err=True)
    else:
        click.echo(rendered, nl=False)
    return ExitCode.FINDINGS if report.failed else ExitCode.OK


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--metadata", "metadata_dir", type=click.Path(path_type=Path), help="Folder of <dataset_id>.json files.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help="Folder of data files.")
@click.option("--template", type=click.Path(path_type=Path), help="Schema document or dataset_metadata_template file.")
@click.option("--atlas", help="Validate against this atlas's templates and rule pack (see --backend).")
@click.option(
    "--data-dir",
    "atlas_data_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Local atlas data directory (with --atlas).",
)
@click.option(
    "--lock",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Take the --atlas schemas from this lock file (`omix template lock`): no network at all.",
)
@backend_options
@click.option(
    "--sample-template",
    type=click.Path(path_type=Path),
    help="Sample-level schema (h5ad_metadata / gct_metadata) for h5ad obs and GCT column metadata.",
)
@click.option("--source", help="Schema source to validate against, when the schema has several.")
@click.option("--data-type", help="Schema data type to validate against, when the schema has several.")
@click.option("--rules", help="Rule pack: a bundled name (polly-default) or a YAML file.")
@click.option("--no-rules", is_flag=True, help="Check structure and types only, no value rules.")
@click.option(
    "--select",
    multiple=True,
    help="Only these codes or prefixes (OMX1, OMX205); repeatable or comma-separated.",
)
@click.option("--ignore", multiple=True, help="Skip these codes or prefixes.")
@click.option("--format", "fmt", type=click.Choice(list(REPORTERS)), help="Output format (default text).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report here.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Lowest severity that fails (default error).",
)
@click.option("-q", "--quiet", count=True, help="Less text output (machine formats never change).")
@click.option("-v", "--verbose", count=True, help="More text output.")
@click.option("-j", "--jobs", type=int, help="Worker processes (default: all cores).")
@click.option(
    "--scope",
    type=click.Choice(["basic", "advanced", "file"]),
    help="basic: structure and types; advanced: plus value rules; file: as each file's __index__ says.",
)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help="Config file (default: discovered).")
@click.option("--max-file-size", type=int, help="Largest metadata file read, in bytes.")
@click.option("--max-depth", type=int, help="Deepest JSON nesting accepted.")
def validate_command(**kwargs: object) -> int:
    """Validate metadata files (and folders of them) against the atlas template and rule pack."""
    return execute_validate(ValidateArgs(**kwargs))  # type: ignore[arg-type]
