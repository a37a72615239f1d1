"""`omix atlas create|list|show|check`, `omix status` and `omix template`: looking after local atlases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from omix_ingest.cli.common import (
    BackendChoice,
    atlas_errors,
    backend_options,
    data_dir_option,
    echo_json,
    format_option,
    open_backend,
    open_local,
    table,
)
from omix_ingest.errors import ExitCode, UsageError
from omix_ingest.run.config import SAMPLE_SCHEMA_FORMATS
from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.templates import load_template_file


@click.group("atlas")
def atlas_group() -> None:
    """Create and inspect local atlases."""


def _schema_kind(document: Any, path: Path) -> str:
    kind = document.get("data", {}).get("attributes", {}).get("schema_type") if isinstance(document, dict) else None
    if kind not in SAMPLE_SCHEMA_FORMATS:
        known = ", ".join(SAMPLE_SCHEMA_FORMATS)
        raise UsageError(f"{path}: a sample-level schema needs data.attributes.schema_type, one of {known}")
    return str(kind)


@atlas_group.command("create")
@click.argument("name")
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Dataset-level schema document (schemas/files).",
)
@click.option(
    "--sample-schema",
    "sample_paths",
    type=click.Path(path_type=Path, dir_okay=False),
    multiple=True,
    help="Sample-level schema documents (h5ad_metadata, gct_metadata); repeatable.",
)
@click.option("--rules", default="polly-default", show_default=True, help="Rule pack for this atlas.")
@data_dir_option
@format_option
def atlas_create(
    name: str, schema_path: Path, sample_paths: tuple[Path, ...], rules: str, data_dir: Path | None, fmt: str
) -> int:
    """Create a local atlas from Polly schema documents."""
    _check_schema(schema_path)
    resolve_rule_pack(rules)
    samples = {}
    for path in sample_paths:
        _check_schema(path)
        document = json.loads(path.read_text(encoding="utf-8"))
        samples[_schema_kind(document, path)] = path.read_text(encoding="utf-8")
    backend = open_local(data_dir)
    try:
        backend.create_atlas(name, schema_path.read_text(encoding="utf-8"), samples, rules)
    finally:
        backend.close()
    result = {"atlas": name, "sample_schemas": sorted(samples), "rules": rules}
    echo_json(result) if fmt == "json" else click.echo(f"created atlas {name!r}")
    return 0


def _check_schema(path: Path) -> None:
    """A schema must load as a template (any source/data type); errors name the file."""
    from validators.core.template import TemplateError

    try:
        load_template_file(path)
    except TemplateError as exc:
        if "several source/data type pairs" not in str(exc):
            raise


@atlas_group.command("list")
@data_dir_option
@format_option
def atlas_list(data_dir: Path | None, fmt: str) -> int:
    """List local atlases and how many datasets each holds."""
    backend = open_local(data_dir)
    try:
        rows = [(name, len(backend.datasets(name))) for name in backend.atlas_names()]
    finally:
        backend.close()
    if fmt == "json":
        echo_json([{"atlas": n, "datasets": c} for n, c in rows])
    else:
        click.echo(table(["atlas", "datasets"], rows))
    return 0


@atlas_group.command("show")
@click.argument("name")
@data_dir_option
@format_option
def atlas_show(name: str, data_dir: Path | None, fmt: str) -> int:
    """Show an atlas: its schema (source/data type pairs, fields), sample schemas and datasets."""
    backend = open_local(data_dir)
    try:
        schemas = atlas_errors(lambda: backend.schemas(name))
        datasets = backend.datasets(name)
    finally:
        backend.close()
    schema = schemas.dataset.get("data", {}).get("attributes", {}).get("schema", {})
    pairs = {f"{s}/{d}": len(fields) for s, by_type in schema.items() for d, fields in by_type.items()}
    if fmt == "json":
        echo_json(
            {
                "atlas": name,
                "rules": schemas.rules,
                "schema": {"pairs": pairs},
                "sample_schemas": sorted(schemas.samples),
                "datasets": datasets,
            }
        )
        return 0
    click.echo(f"atlas {name}: rules {schemas.rules}; sample schemas: {', '.join(sorted(schemas.samples)) or 'none'}")
    click.echo("schema: " + ", ".join(f"{pair} ({count} fields)" for pair, count in pairs.items()))
    click.echo(f"{len(datasets)} dataset(s)")
    if datasets:
        click.echo(
            table(
                ["dataset_id", "version", "path", "data sha256"],
                [(d["dataset_id"], d["version"], d["path"], d["data_sha256"][:16]) for d in datasets],
            )
        )
    return 0


@atlas_group.command("check")
@click.argument("name", required=False)
@click.option(
    "--schema",
    "schema_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A proposed dataset-level schema to check against instead of the atlas's own.",
)
@click.option("--rules", help="A rule pack (name or YAML file) instead of the atlas's own.")
@click.option("--source", help="Source of the schema slice to use, where the schema holds several.")
@click.option("--data-type", help="Data type of the schema slice to use, where the schema holds several.")
@click.option(
    "--diff",
    "diff_paths",
    nargs=2,
    type=click.Path(path_type=Path, dir_okay=False),
    help="OLD NEW: summarise what the schema change itself does; reads no atlas.",
)
@click.option("--old-rules", help="With --diff: the rule pack on the OLD side (default: --rules).")
@data_dir_option
@format_option
@backend_options
def atlas_check(
    name: str | None,
    schema_path: Path | None,
    rules: str | None,
    source: str | None,
    data_type: str | None,
    diff_paths: tuple[Path, Path] | None,
    old_rules: str | None,
    data_dir: Path | None,
    fmt: str,
    **backend: object,
) -> int:
    """Which stored datasets would fail under the atlas's current or a proposed schema and rule pack (changes
    nothing), or with --diff OLD NEW what a schema change does."""
    if diff_paths:
        if name or schema_path:
            raise UsageError("--diff OLD NEW compares two schema files; give no atlas name or --schema with it")
        return _schema_diff(diff_paths, rules, old_rules, source, data_type, fmt)
    if not name:
        raise UsageError("name the atlas to check (`omix atlas check NAME`), or compare schemas with --diff OLD NEW")
    from omix_ingest.atlas.check import check_atlas, render_check

    schema = None
    if schema_path is not None:
        load_template_file(schema_path, source=source, data_type=data_type)  # errors name the file
        schema = json.loads(schema_path.read_text(encoding="utf-8-sig"))
    chosen, local = open_backend(BackendChoice(**backend), data_dir)  # type: ignore[arg-type]
    try:
        result = atlas_errors(
            lambda: check_atlas(
                chosen,
                name,
                schema=schema,
                schema_name=schema_path.name if schema_path else "current",
                rules=rules,
                source=source,
                data_type=data_type,
            )
        )
    finally:
        chosen.close()
        local.close()
    echo_json(result.to_dict()) if fmt == "json" else click.echo(render_check(result))
    return ExitCode.FINDINGS if result.failing else ExitCode.OK


def _schema_diff(
    paths: tuple[Path, Path],
    rules: str | None,
    old_rules: str | None,
    source: str | None,
    data_type: str | None,
    fmt: str,
) -> int:
    from omix_ingest.atlas.schema_diff import diff_templates, render_diff

    old, new = (load_template_file(p, source=source, data_type=data_type) for p in paths)
    new_pack = resolve_rule_pack(rules or "polly-default")
    old_pack = resolve_rule_pack(old_rules or rules or "polly-default")
    changes = diff_templates(old, new, old_pack, new_pack)
    if fmt == "json":
        echo_json({"old": str(paths[0]), "new": str(paths[1]), "changes": [c.to_dict() for c in changes]})
    else:
        click.echo(render_diff(changes, paths[0].name, paths[1].name))
    return ExitCode.OK


@click.command("status")
@click.option("--atlas", help="Only runs of this atlas.")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many runs.")
@click.option(
    "--resolve",
    is_flag=True,
    help="First settle the ingestions Polly never confirmed (with --backend polly): each becomes ingested or "
    "withdrawn, for good.",
)
@data_dir_option
@format_option
@backend_options
def status_command(
    atlas: str | None, limit: int, resolve: bool, data_dir: Path | None, fmt: str, **backend: object
) -> int:
    """Recent ingestion runs and their per-file events (the local ingestion dashboard); a file settled later shows
    its final status."""
    settled = _resolve(BackendChoice(**backend), data_dir) if resolve else None  # type: ignore[arg-type]
    local = open_local(data_dir)
    try:
        runs = local.store.runs(atlas, limit)
        for run in runs:
            run["events"] = latest_events(local.store.events(run["id"]))
    finally:
        local.close()
    unconfirmed = sum(1 for run in runs for e in run["events"] if e["status"] == "unconfirmed")
    if fmt == "json":
        echo_json({"runs": runs, "settled": settled, "unconfirmed": unconfirmed} if resolve else runs)
        return 0
    if settled is not None:
        went_in = sum(1 for s in settled if s["ingested"])
        click.echo(f"settled {len(settled)} unconfirmed dataset(s): {went_in} ingested, {len(settled) - went_in} not")
    if not runs:
        click.echo("no runs yet")
    for run in runs:
        click.echo(
            f"run {run['id']}  {run['action']:<7} {run['atlas']}  {run['status']}  started {run['started']}"
            f"  priority {run['priority']}  {run['summary'] or ''}".rstrip()
        )
        if run["events"]:
            rows = [(e["dataset_id"], e["file_name"], e["status"], e["reason"]) for e in run["events"]]
            click.echo("    " + table(["dataset_id", "file", "status", "reason"], rows).replace("\n", "\n    "))
    if unconfirmed and settled is None:
        click.echo(f"{unconfirmed} file(s) unconfirmed: `omix status --resolve --backend polly` settles them")
    return 0


def latest_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One event per file: the latest (a settled outcome replaces `unconfirmed`), in the order files first came."""
    latest: dict[tuple[Any, Any], dict[str, Any]] = {}
    for event in events:
        latest[(event["dataset_id"], event["file_name"])] = event
    return list(latest.values())


def _resolve(choice: BackendChoice, data_dir: Path | None) -> list[dict[str, Any]]:
    """Settle the unconfirmed Polly ingestions recorded under this data directory."""
    from dataclasses import asdict

    from omix_ingest.polly.resolve import SettleError, resolve_unconfirmed

    if choice.backend_name != "polly" or choice.offline:
        raise UsageError("--resolve asks Polly what became of unconfirmed ingestions: give --backend polly")
    backend, local = open_backend(choice, data_dir)
    try:
        return [asdict(s) for s in resolve_unconfirmed(backend, local.store)]
    except SettleError as exc:
        raise UsageError(str(exc)) from None
    finally:
        backend.close()
        local.close()
