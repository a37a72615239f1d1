"""`omix emulator serve`: run the Polly API emulator (and its S3 store) on loopback for a dry run."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import click

from omix_ingest.errors import UsageError


@click.group("emulator")
def emulator_group() -> None:
    """A local Polly OmixAtlas API emulator (needs the `emulator` extra: flask, moto)."""


@emulator_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=0, help="API port (default: a free one).")
@click.option("--s3-port", type=int, default=0, help="S3 port (default: a free one).")
@click.option(
    "--schema",
    "schemas",
    type=click.Path(path_type=Path, dir_okay=False),
    multiple=True,
    help="Dataset-level schema document of one atlas; pair each with a --repo.",
)
@click.option("--repo", "repos", multiple=True, help="Atlas as ID or ID:NAME, in the order of --schema.")
def serve_command(host: str, port: int, s3_port: int, schemas: tuple[Path, ...], repos: tuple[str, ...]) -> int:
    """Serve until interrupted; once ready, print one JSON line with the API and S3 URLs. Clients must send the
    token in $POLLY_REFRESH_TOKEN (the emulator reads the same variable)."""
    from omix_ingest.polly.client import TOKEN_ENV

    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise UsageError(f"set {TOKEN_ENV}: the emulator accepts requests carrying that token")
    if len(schemas) != len(repos):
        raise UsageError("give one --repo for each --schema")
    try:
        from omix_ingest.polly.emulator import EmulatorServer
    except ImportError as exc:
        raise UsageError(f"the emulator needs its extra: pip install 'omix-ingest[emulator]' ({exc})") from None
    documents = []
    for path in schemas:
        try:
            documents.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            raise UsageError(f"schema {path} cannot be read: {exc}") from None
    server = EmulatorServer(token=token, host=host, port=port, s3_port=s3_port)
    for spec, document in zip(repos, documents, strict=True):
        repo_id, _, name = spec.partition(":")
        server.add_repo(repo_id, name or f"atlas_{repo_id}", {"files": document})
    click.echo(
        json.dumps({"api_url": server.url, "s3_url": server.s3_url, "repos": [r.partition(":")[0] for r in repos]})
    )
    try:
        threading.Event().wait()
    finally:
        server.stop()
    return 0
