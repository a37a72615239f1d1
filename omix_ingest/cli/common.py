"""What the atlas commands share: the data-directory and format options, opening the backend, printing tables."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from omix_ingest.backend import AtlasNotFound, AtlasSchemas, BackendError
from omix_ingest.errors import UsageError

if TYPE_CHECKING:
    from omix_ingest.atlas.backend import LocalBackend

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def data_dir_option(function: F) -> F:
    return click.option(
        "--data-dir",
        type=click.Path(path_type=Path, file_okay=False),
        help="Local atlas data directory (default: $OMIX_DATA_DIR or the platform's user data folder).",
    )(function)


def format_option(function: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="json is for scripts and never changes with -q/-v.",
    )(function)


def backend_options(function: F) -> F:
    """--backend and how to reach Polly; the token comes from POLLY_REFRESH_TOKEN, never from the command line."""
    options = [
        click.option(
            "--backend",
            "backend_name",
            type=click.Choice(["local", "polly"]),
            default="local",
            show_default=True,
            help="The embedded local atlas, or the Polly API.",
        ),
        click.option("--api-url", help="Polly API base URL (an emulator, a proxy); default: from --env."),
        click.option("--env", "polly_env", default="polly", show_default=True, help="Polly environment."),
        click.option("--s3-endpoint", help="S3 endpoint for uploads (default: $AWS_ENDPOINT_URL_S3 or AWS)."),
        click.option("--offline", is_flag=True, help="Never touch the network: cached or locked templates only."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@dataclass
class BackendChoice:
    backend_name: str = "local"
    api_url: str | None = None
    polly_env: str = "polly"
    s3_endpoint: str | None = None
    offline: bool = False


def open_backend(choice: BackendChoice, data_dir: Path | None) -> tuple[Any, LocalBackend]:
    """(backend, local store for the run log). The local atlas also keeps the runs of Polly ingestions."""
    local = open_local(data_dir)
    if choice.backend_name == "local":
        return local, local
    from omix_ingest.polly.backend import PollyBackend
    from omix_ingest.polly.client import PollyClient, PollyError

    try:
        client = PollyClient(env=choice.polly_env, base_url=choice.api_url)
        if not choice.offline:
            client.me()
    except PollyError as exc:
        local.close()
        raise UsageError(str(exc)) from None
    from omix_ingest.polly.pending import journal_dir

    journal = journal_dir(data_dir)  # unconfirmed ingestions are written down beside the run log
    return PollyBackend(client, s3_endpoint=choice.s3_endpoint, offline=choice.offline, journal=journal), local


def fetch_schemas(choice: BackendChoice, data_dir: Path | None, atlas: str, lock: Path | None = None) -> AtlasSchemas:
    """An atlas's schemas from a lock file (no network at all), or from the chosen backend (cached for Polly)."""
    if lock is not None:
        from omix_ingest.polly.template_cache import read_lock

        locked = read_lock(lock).get(atlas)
        if locked is None or "files" not in locked:
            raise UsageError(f"lock file {lock} has no atlas {atlas!r}; run `omix template lock --atlas {atlas}`")
        samples = {kind: entry["document"] for kind, entry in locked.items() if kind != "files"}
        return AtlasSchemas(atlas, locked["files"]["document"], samples)
    backend, local = open_backend(choice, data_dir)
    try:
        schemas: AtlasSchemas = atlas_errors(lambda: backend.schemas(atlas))
        return schemas
    finally:
        backend.close()
        local.close()


def open_local(data_dir: Path | None) -> LocalBackend:
    from omix_ingest.atlas.backend import LocalBackend

    try:
        return LocalBackend(data_dir)
    except BackendError as exc:
        raise UsageError(str(exc)) from None


def atlas_errors(call: Callable[[], T]) -> T:
    """Map a missing atlas to a usage error (exit 2) with the backend's own explanation."""
    try:
        return call()
    except AtlasNotFound as exc:
        raise UsageError(str(exc)) from None


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain, aligned text table (no colour: it is read in logs and CI too)."""
    cells = [[str(h) for h in headers], *[[("" if c is None else str(c)) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
