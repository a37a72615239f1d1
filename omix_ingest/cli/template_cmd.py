"""`omix template`: the dataset_metadata_template of an atlas, a file to fill in, and `pull`/`lock` for offline use."""

from __future__ import annotations

import json
from pathlib import Path

import click

from omix_ingest.cli.common import BackendChoice, backend_options, data_dir_option, fetch_schemas
from omix_ingest.errors import UsageError
from omix_ingest.polly.template_cache import write_lock
from omix_ingest.run.packs import resolve_rule_pack
from validators.core.template import INDEX_KEY, load_template
from validators.metadata.index_block import DEFAULT_VALIDATION_CHECK, INDEX_FLAGS

DEFAULT_LOCK = Path("omix.lock.json")


@click.group("template", invoke_without_command=True)
@click.option("--atlas", help="Atlas name (local) or repository id (Polly).")
@click.option("--source", help="Schema source, when the atlas schema has several.")
@click.option("--data-type", help="Schema data type, when the atlas schema has several.")
@click.option("--dataset-id", help="Write a ready-to-fill metadata file for this dataset id.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of stdout.")
@click.option("--lock", type=click.Path(path_type=Path, dir_okay=False), help="Read the schema from this lock file.")
@data_dir_option
@backend_options
@click.pass_context
def template_group(
    ctx: click.Context,
    /,
    atlas: str | None,
    source: str | None,
    data_type: str | None,
    dataset_id: str | None,
    output: Path | None,
    lock: Path | None,
    data_dir: Path | None,
    **backend: object,
) -> int:
    """Print the atlas's dataset_metadata_template (original names → type or []), or a file to fill in."""
    if ctx.invoked_subcommand is not None:
        return 0
    if not atlas:
        raise UsageError("--atlas is required")
    schemas = fetch_schemas(BackendChoice(**backend), data_dir, atlas, lock)  # type: ignore[arg-type]
    template = load_template(schemas.dataset, name=atlas, source=source, data_type=data_type)
    body = template.metadata_template()
    if dataset_id is not None:
        from validators.core.naming import DATASET_ID_PATTERN
        from validators.metadata.conformance import CompiledTemplate

        if not DATASET_ID_PATTERN.match(dataset_id):
            raise UsageError(f"dataset id {dataset_id!r} must match [0-9A-Za-z_-]+")
        writable = CompiledTemplate.build(template, resolve_rule_pack(schemas.rules)).allowed  # no server fields
        body = {"dataset_id": dataset_id} | {
            key: ["None"] if field.is_array else ("" if field.type == "text" else None)
            for key, field in writable.items()
            if key != "dataset_id"
        }
        body[INDEX_KEY] = {
            **dict.fromkeys(INDEX_FLAGS[:2], True),
            **dict.fromkeys(INDEX_FLAGS[2:], False),
            "validation_check": {"dataset": dict(DEFAULT_VALIDATION_CHECK), "sample": dict(DEFAULT_VALIDATION_CHECK)},
        }
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    return 0


@template_group.command("pull")
@click.option("--atlas", "atlases", multiple=True, required=True, help="Atlas to fetch; repeatable.")
@data_dir_option
@backend_options
def pull_command(atlases: tuple[str, ...], data_dir: Path | None, **backend: object) -> int:
    """Fetch and cache the dataset- and sample-level schemas (revalidating what is cached)."""
    for atlas in atlases:
        schemas = fetch_schemas(BackendChoice(**backend), data_dir, atlas)  # type: ignore[arg-type]
        kinds = ", ".join(["files", *sorted(schemas.samples)])
        click.echo(f"{atlas}: {kinds}")
    return 0


@template_group.command("lock")
@click.option("--atlas", "atlases", multiple=True, required=True, help="Atlas to lock; repeatable.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_LOCK,
    show_default=True,
    help="Lock file to write (commit it).",
)
@data_dir_option
@backend_options
def lock_command(atlases: tuple[str, ...], output: Path, data_dir: Path | None, **backend: object) -> int:
    """Write the schemas (bodies and sha256) into a lock file, so that pre-commit and CI need no network."""
    locked = {}
    for atlas in atlases:
        schemas = fetch_schemas(BackendChoice(**backend), data_dir, atlas)  # type: ignore[arg-type]
        locked[atlas] = {"files": schemas.dataset, **schemas.samples}
    write_lock(output, locked)
    click.echo(f"wrote {output} ({', '.join(atlases)})")
    return 0
