"""`omix add`, `omix update`, `omix delete`, `omix move`: the gate from the command line.

Exit code 1 when any dataset was refused, 0 when everything asked for went in.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import click

from omix_ingest.atomic import write_atomically
from omix_ingest.cli.common import (
    BackendChoice,
    atlas_errors,
    backend_options,
    data_dir_option,
    echo_json,
    format_option,
    open_backend,
    table,
)
from omix_ingest.cli.validate_cmd import executor_options
from omix_ingest.errors import ExitCode, UsageError
from omix_ingest.gate.ingestion import PRIORITIES, Gate
from omix_ingest.gate.result import GateResult
from omix_ingest.report.model import FileReport
from omix_ingest.report.reporters.text import TextReporter
from omix_ingest.report.signing import sign
from omix_ingest.run.config import RunRequest
from omix_ingest.run.config_file import load_config


@dataclass(frozen=True)
class IngestArgs:
    mode: str
    atlas: str
    metadata_dir: Path | None
    data_dir_in: Path | None
    priority: str
    destination: str
    no_validation: bool
    report: Path | None
    source: str | None
    data_type: str | None
    jobs: int | None
    data_dir: Path | None
    fmt: str
    quiet: int
    fail_on: str | None = None
    config: Path | None = None
    backend_name: str = "local"
    api_url: str | None = None
    polly_env: str = "polly"
    s3_endpoint: str | None = None
    offline: bool = False
    executor: str | None = None
    scheduler: str | None = None
    report_html: Path | None = None

    @property
    def choice(self) -> BackendChoice:
        return BackendChoice(self.backend_name, self.api_url, self.polly_env, self.s3_endpoint, self.offline)


def _shown_files(result: GateResult) -> tuple[FileReport, ...]:
    """Files whose findings the user must see: those of refused datasets, and those that went in with findings."""
    if result.report is None:
        return ()
    named = {r.file_name for r in result.rows if r.status in ("refused", "ingested", "unchanged", "unconfirmed")}
    return tuple(f for f in result.report.files if f.findings and Path(f.path).name in named)


def render(result: GateResult, fmt: str, quiet: int = 0) -> None:
    if fmt == "json":
        body = result.to_dict()
        body["report"] = sign(result.report.to_dict()) if result.report else None
        echo_json(body)
        return
    if result.report is not None:
        shown = _shown_files(result)
        if shown and quiet <= 0:
            click.echo("\n".join(TextReporter().findings_lines(replace(result.report, files=shown))))
        click.echo(f"validation: {TextReporter(color=False).summary(result.report, verdict=False)}")
    elif result.action in ("add", "update"):
        click.echo("validation: not run (--no-validation)")
    for note in result.notes:
        click.echo(f"note: {note}")
    rows = [(r.dataset_id, r.file_name, r.status, r.message, r.reason) for r in result.rows]
    if rows:
        click.echo(table(["dataset_id", "File Name", "status", "Message", "reason"], rows))
    else:
        click.echo("nothing to do: no datasets found")
    click.echo(result.summary())


def _check_writable(path: Path) -> None:
    """An HTML report path that cannot be written is refused before anything is ingested, not after."""
    folder = path.absolute().parent
    existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise UsageError(f"cannot write the HTML report {path}: {existing} is not a writable folder")


def write_html_report(path: Path, result: GateResult) -> None:
    if result.report is None:
        click.echo(f"note: no HTML report written to {path}: nothing was validated", err=True)
        return
    from omix_ingest.report.reporters.html import HtmlReporter

    write_atomically(path, HtmlReporter().render(result.report))
    click.echo(f"HTML report written to {path}", err=True)


def execute_ingest(args: IngestArgs) -> int:
    if args.report_html is not None:
        _check_writable(args.report_html)
    backend, local = open_backend(args.choice, args.data_dir)
    try:
        gate = Gate(backend, local.store, config=load_config(args.config))
        result = atlas_errors(
            lambda: gate.ingest(
                args.atlas,
                mode=args.mode,
                metadata_dir=args.metadata_dir,
                data_dir=args.data_dir_in,
                priority=args.priority,
                destination=args.destination,
                validation=not args.no_validation,
                report_path=args.report,
                request=RunRequest(
                    source=args.source,
                    data_type=args.data_type,
                    fail_on=args.fail_on,
                    jobs=args.jobs,
                    executor=args.executor,
                    scheduler=args.scheduler,
                ),
            )
        )
    finally:
        backend.close()
        local.close()
    render(result, args.fmt, args.quiet)
    if args.report_html is not None:
        write_html_report(args.report_html, result)
    return ExitCode.OK if result.ok else ExitCode.FINDINGS


def _ingest_command(mode: str) -> click.Command:
    @click.command(mode, help=f"{mode.capitalize()} datasets: validate, then store only the ones that pass.")
    @click.option("--atlas", required=True, help="Atlas name.")
    @click.option("--metadata", "metadata_dir", type=click.Path(path_type=Path), help="Folder of <dataset_id>.json.")
    @click.option("--data", "data_dir_in", type=click.Path(path_type=Path), help="Folder of data files.")
    @click.option("--priority", type=click.Choice(PRIORITIES), default="low", show_default=True)
    @click.option("--destination", default="", help="Folder inside the atlas for new datasets.")
    @click.option(
        "--no-validation",
        is_flag=True,
        help="No validation at all, as polly-python's validation=False (files that do not pair are still refused).",
    )
    @click.option(
        "--report",
        type=click.Path(path_type=Path, dir_okay=False),
        help="A signed JSON report from `omix validate`; reused when every file still matches it.",
    )
    @click.option(
        "--report-html",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Also write the validation report as one self-contained HTML page.",
    )
    @click.option("--source", help="Schema source, when the atlas schema has several.")
    @click.option("--data-type", help="Schema data type, when the atlas schema has several.")
    @click.option(
        "--fail-on",
        type=click.Choice(["error", "warning", "info"]),
        help="Lowest severity that keeps a dataset out (default error, or `fail-on` in [tool.omix]).",
    )
    @click.option(
        "--config", type=click.Path(path_type=Path, dir_okay=False), help="Config file (default: discovered)."
    )
    @click.option("-j", "--jobs", type=int, help="Validation worker processes.")
    @executor_options
    @click.option("-q", "--quiet", count=True, help="Leave out the findings of refused datasets.")
    @data_dir_option
    @format_option
    @backend_options
    def command(**kwargs: object) -> int:
        return execute_ingest(IngestArgs(mode=mode, **kwargs))  # type: ignore[arg-type]

    return command


add_command = _ingest_command("add")
update_command = _ingest_command("update")


@click.command("delete")
@click.option("--atlas", required=True)
@click.argument("dataset_ids", nargs=-1, required=True)
@data_dir_option
@format_option
@backend_options
def delete_command(atlas: str, dataset_ids: tuple[str, ...], data_dir: Path | None, fmt: str, **backend: object) -> int:
    """Delete datasets from an atlas."""
    chosen, local = open_backend(BackendChoice(**backend), data_dir)  # type: ignore[arg-type]
    try:
        result = atlas_errors(lambda: Gate(chosen, local.store).delete(atlas, list(dataset_ids)))
    finally:
        chosen.close()
        local.close()
    render(result, fmt)
    return ExitCode.OK if result.ok else ExitCode.FINDINGS


@click.command("move")
@click.option("--from", "source", required=True, help="Atlas the datasets are in.")
@click.option("--to", "destination", required=True, help="Atlas to move them to.")
@click.option("--priority", type=click.Choice(PRIORITIES), default="medium", show_default=True)
@click.argument("dataset_ids", nargs=-1, required=True)
@data_dir_option
@format_option
@backend_options
def move_command(
    source: str,
    destination: str,
    priority: str,
    dataset_ids: tuple[str, ...],
    data_dir: Path | None,
    fmt: str,
    **backend: object,
) -> int:
    """Move datasets between atlases; refused where the destination's schema would reject them."""
    chosen, local = open_backend(BackendChoice(**backend), data_dir)  # type: ignore[arg-type]
    try:
        result = atlas_errors(lambda: Gate(chosen, local.store).move(source, destination, list(dataset_ids), priority))
    finally:
        chosen.close()
        local.close()
    render(result, fmt)
    return ExitCode.OK if result.ok else ExitCode.FINDINGS
