"""`omix` entry point: `main(argv) -> int`, with the one error handler that maps failures to exit codes."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence

import click

from omix_ingest import __version__
from omix_ingest.cli.atlas_cmd import atlas_group, status_command
from omix_ingest.cli.emulator_cmd import emulator_group
from omix_ingest.cli.ingest_cmd import add_command, delete_command, move_command, update_command
from omix_ingest.cli.rules_cmd import rule_command, rules_command
from omix_ingest.cli.template_cmd import template_group
from omix_ingest.cli.validate_cmd import validate_command
from omix_ingest.errors import USAGE_ERRORS, ExitCode


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="omix")
def cli() -> None:
    """Validate OmixAtlas dataset metadata and data files, then ingest only what passes."""


for command in (
    validate_command,
    rule_command,
    rules_command,
    add_command,
    update_command,
    delete_command,
    move_command,
    atlas_group,
    status_command,
    template_group,
    emulator_group,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; never lets a traceback reach the user unless OMIX_DEBUG is set."""
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in a file name or key is printed escaped, not fatal
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            reconfigure(errors="backslashreplace")
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="omix", standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("omix: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.USAGE
    except USAGE_ERRORS as exc:
        click.echo(f"omix: error: {exc}", err=True)
        return ExitCode.USAGE
    except OSError as exc:
        click.echo(f"omix: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        return ExitCode.USAGE
    except Exception as exc:
        if os.environ.get("OMIX_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"omix: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in omix-ingest; set OMIX_DEBUG=1 for the traceback and please report it.",
            err=True,
        )
        return ExitCode.USAGE
    return int(result or 0)


def console_entry() -> None:
    sys.exit(main())
