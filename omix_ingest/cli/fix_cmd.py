"""`omix fix`: apply the safe corrections findings carry (`--diff` shows them, `--write` makes them)."""

from __future__ import annotations

from pathlib import Path

import click

from omix_ingest.cli.common import backend_options
from omix_ingest.cli.validate_cmd import ValidateArgs, build_options
from omix_ingest.errors import ExitCode, UsageError
from omix_ingest.fix.fixer import FileFix, fix_inputs
from omix_ingest.run.config_file import load_config


def describe(results: list[FileFix], *, write: bool) -> str:
    """One line per changed file, the findings left for a person, and a summary."""
    lines = []
    for result in results:
        if result.problem:
            lines.append(f"{result.path}: not fixed: {result.problem}")
        elif result.changed:
            codes = ", ".join(sorted({f.code for f in result.applied}))
            lines.append(f"{result.path}: {'fixed' if write else 'would fix'} {len(result.applied)} ({codes})")
        for finding in result.left:
            where = f" ({finding.location.describe()})" if finding.location.describe() else ""
            lines.append(f"  left alone: {finding.code} {finding.message}{where}; fix by hand: {finding.fix}")
    changed = sum(r.changed for r in results)
    fixes = sum(len(r.applied) for r in results)
    left = sum(len(r.left) for r in results)
    verb = "fixed" if write else "fixable"
    lines.append(f"{fixes} {verb} in {changed} of {len(results)} files; {left} left for a person")
    return "\n".join(lines) + "\n"


@click.command("fix")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--metadata", "metadata_dir", type=click.Path(path_type=Path), help="Folder of <dataset_id>.json files.")
@click.option("--template", type=click.Path(path_type=Path), help="Schema document or dataset_metadata_template file.")
@click.option("--atlas", help="Fix against this atlas's templates and rule pack (see --backend).")
@click.option(
    "--data-dir", "atlas_data_dir", type=click.Path(path_type=Path, file_okay=False), help="Local atlas data."
)
@click.option("--lock", type=click.Path(path_type=Path, dir_okay=False), help="Take the --atlas schemas from here.")
@backend_options
@click.option("--source", help="Schema source, when the schema has several.")
@click.option("--data-type", help="Schema data type, when the schema has several.")
@click.option("--rules", help="Rule pack: a bundled name (polly-default) or a YAML file.")
@click.option("--select", multiple=True, help="Only fix these codes or prefixes.")
@click.option("--ignore", multiple=True, help="Never fix these codes or prefixes.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), help="Config file (default: discovered).")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of the fixes; change nothing (default).")
@click.option("--write", is_flag=True, help="Apply the fixes to the files (atomically, formatting kept).")
def fix_command(show_diff: bool, write: bool, **kwargs: object) -> int:
    """Correct what can be corrected safely: numbers written as text, scalars for arrays, field names for
    original names, case and synonyms of vocabulary terms, server-managed fields, a missing __index__, "nan"-like
    strings and padded text. Ambiguous findings are listed and left alone."""
    if show_diff and write:
        raise UsageError("give --diff or --write, not both")
    args = _validate_args(kwargs)
    config, inputs, _ = build_options(args, load_config(args.config))
    results = fix_inputs(config, inputs, write=write)
    if not write:
        click.echo("".join(r.diff() for r in results), nl=False)
    click.echo(describe(results, write=write), nl=False, err=not write)
    return ExitCode.OK


def _validate_args(options: dict[str, object]) -> ValidateArgs:
    """The validate options `omix fix` shares; the rest are validate's defaults."""
    values: dict[str, object] = {
        "paths": (),
        "metadata_dir": None,
        "data_dir": None,
        "template": None,
        "atlas": None,
        "atlas_data_dir": None,
        "lock": None,
        "sample_template": None,
        "source": None,
        "data_type": None,
        "rules": None,
        "no_rules": False,
        "select": (),
        "ignore": (),
        "fmt": None,
        "output": None,
        "fail_on": None,
        "quiet": 0,
        "verbose": 0,
        "jobs": 1,
        "scope": None,
        "config": None,
        "max_file_size": None,
        "max_depth": None,
    }
    values.update(options)
    return ValidateArgs(**values)  # type: ignore[arg-type]
