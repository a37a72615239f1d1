"""`omix validate`: parse flags into `ValidateArgs`, merge the project config, run, render, choose the exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from omix_ingest.atomic import write_atomically
from omix_ingest.backend import AtlasSchemas
from omix_ingest.cli.common import backend_options
from omix_ingest.errors import ExitCode, UsageError
from omix_ingest.report.reporters import REPORTERS, Reporter
from omix_ingest.report.reporters.markdown import MarkdownReporter
from omix_ingest.report.reporters.sarif import SarifReporter
from omix_ingest.run.config import RunConfig, RunRequest, resolve_run_config
from omix_ingest.run.config_file import Config, docs_url, load_config
from omix_ingest.run.hook_files import select_dataset_files
from omix_ingest.run.remote import as_input
from omix_ingest.run.validation import RunInputs, validate


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
    hook: bool = False
    executor: str | None = None
    scheduler: str | None = None
    docs_url: str | None = None
    fix: bool = False


def run_request(args: ValidateArgs) -> RunRequest:
    """What the flags ask for; the project file and the atlas fill in the rest (`resolve_run_config`)."""
    return RunRequest(
        template=args.template,
        sample_template=args.sample_template,
        source=args.source,
        data_type=args.data_type,
        rules=args.rules,
        no_rules=args.no_rules,
        select=args.select,
        ignore=args.ignore,
        fail_on=args.fail_on,
        scope=args.scope,
        jobs=args.jobs,
        max_file_size=args.max_file_size,
        max_depth=args.max_depth,
        executor=args.executor,
        scheduler=args.scheduler,
    )


def build_options(args: ValidateArgs, config: Config) -> tuple[RunConfig, RunInputs, str]:
    fmt = str(args.fmt or config.get("format") or "text")
    if fmt not in REPORTERS:
        raise UsageError(f"unknown format {fmt!r}; choose one of {', '.join(REPORTERS)}")
    run_config = resolve_run_config(run_request(args), config, atlas=_atlas_schemas(args))
    if not args.hook:
        return run_config, RunInputs(args.paths, args.metadata_dir, args.data_dir), fmt
    kept, left_out = select_dataset_files(args.paths, config)
    if args.lock is not None:  # the lock file the hook's args name is staged too
        left_out += [p for p in kept if p.resolve() == args.lock.resolve()]
        kept = [p for p in kept if p.resolve() != args.lock.resolve()]
    inputs = RunInputs(tuple(kept), args.metadata_dir, args.data_dir, pair_files=True, left_out=tuple(left_out))
    return run_config, inputs, fmt


def _atlas_schemas(args: ValidateArgs) -> AtlasSchemas | None:
    """The dataset- and sample-level schemas and the rule pack name of `--atlas`, if given."""
    if args.atlas is None:
        return None
    from omix_ingest.cli.common import BackendChoice, fetch_schemas

    choice = BackendChoice(args.backend_name, args.api_url, args.polly_env, args.s3_endpoint, args.offline)
    return fetch_schemas(choice, args.atlas_data_dir, args.atlas, args.lock)


def use_color(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def make_reporter(fmt: str, *, color: bool, verbosity: int, rules_base: str) -> Reporter:
    """The formats that link rule codes to their pages get the docs site's base URL."""
    if fmt == "markdown":
        return MarkdownReporter(color=color, verbosity=verbosity, docs_url=rules_base)
    if fmt == "sarif":
        return SarifReporter(color=color, verbosity=verbosity, docs_url=rules_base)
    return REPORTERS[fmt](color=color, verbosity=verbosity)


def execute_validate(args: ValidateArgs) -> int:
    config = load_config(args.config)
    base = docs_url(config, args.docs_url)  # checked first: a bad URL costs no template or rule-pack loading
    run_config, inputs, fmt = build_options(args, config)
    if args.fix:  # fix, then validate what the fixes left
        from omix_ingest.cli.fix_cmd import describe
        from omix_ingest.fix.fixer import fix_inputs

        click.echo(describe(fix_inputs(run_config, inputs, write=True), write=True), nl=False, err=True)
    report = validate(run_config, inputs, progress=not args.hook and args.quiet == 0)
    verbosity = args.verbose - args.quiet
    reporter = make_reporter(fmt, color=use_color(args.output), verbosity=verbosity, rules_base=base)
    rendered = reporter.render(report)
    if args.output is not None:
        write_atomically(args.output, rendered)
        if verbosity >= 0:
            summary = REPORTERS["text"](color=False).summary(report)  # type: ignore[attr-defined]
            click.echo(f"{summary}; report written to {args.output}", err=True)
    else:
        click.echo(rendered, nl=False)
    return ExitCode.FINDINGS if report.failed else ExitCode.OK


def _inputs(_ctx: click.Context, _param: click.Parameter, value: object) -> object:
    """Paths as paths and URLs (s3://bucket/prefix) as URLs: click.Path would fold the `//`."""
    if value is None:
        return None
    return tuple(as_input(v) for v in value) if isinstance(value, tuple) else as_input(str(value))


F = TypeVar("F", bound=Callable[..., Any])


def executor_options(function: F) -> F:
    """--executor and --scheduler, shared with `omix add/update`."""
    function = click.option(
        "--scheduler",
        help="Dask scheduler address (tcp://HOST:8786); implies --executor dask.",
    )(function)
    return click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        help="Where files are checked: local processes (default) or a Dask cluster (a LocalCluster without "
        "--scheduler). Needs omix-ingest[dask].",
    )(function)


@click.command("validate")
@click.argument("paths", nargs=-1, callback=_inputs)
@click.option("--metadata", "metadata_dir", callback=_inputs, help="Folder of <dataset_id>.json files (or a URL).")
@click.option("--data", "data_dir", callback=_inputs, help="Folder of data files (or a URL).")
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
@click.option(
    "--hook",
    is_flag=True,
    help="As a pre-commit hook: leave out files that are not datasets (the configured template, sample template "
    "and rule pack, lock files, schema documents) and pair the named metadata and data files by dataset id.",
)
@click.option(
    "--fix",
    is_flag=True,
    help="First apply the safe fixes (as `omix fix --write`), then validate what is left.",
)
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
@click.option(
    "--docs-url",
    metavar="URL",
    help="Docs site that markdown and sarif reports link rule codes to (default: $OMIX_DOCS_URL, [tool.omix] "
    "docs-url, else the published site).",
)
@executor_options
def validate_command(**kwargs: object) -> int:
    """Validate metadata files (and folders of them) against the atlas template and rule pack."""
    return execute_validate(ValidateArgs(**kwargs))  # type: ignore[arg-type]
