"""`omix` entry point: `main(argv) -> int`, with the one error handler that maps failures to exit codes."""

from __future__ import annotations

import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

import click

from omix_ingest import __version__

# command name → (module, attribute): each command's module is imported only when that command runs, so that
# `omix validate` in a pre-commit hook does not pay for the gate, the atlas store and the Polly client.
COMMANDS = {
    "validate": ("omix_ingest.cli.validate_cmd", "validate_command"),
    "fix": ("omix_ingest.cli.fix_cmd", "fix_command"),
    "rule": ("omix_ingest.cli.rules_cmd", "rule_command"),
    "rules": ("omix_ingest.cli.rules_cmd", "rules_command"),
    "add": ("omix_ingest.cli.ingest_cmd", "add_command"),
    "update": ("omix_ingest.cli.ingest_cmd", "update_command"),
    "delete": ("omix_ingest.cli.ingest_cmd", "delete_command"),
    "move": ("omix_ingest.cli.ingest_cmd", "move_command"),
    "atlas": ("omix_ingest.cli.atlas_cmd", "atlas_group"),
    "status": ("omix_ingest.cli.atlas_cmd", "status_command"),
    "template": ("omix_ingest.cli.template_cmd", "template_group"),
    "emulator": ("omix_ingest.cli.emulator_cmd", "emulator_group"),
}


class LazyGroup(click.Group):
    """A click group whose commands load on first use (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        spec = COMMANDS.get(cmd_name)
        if spec is None:
            return None
        command = getattr(importlib.import_module(spec[0]), spec[1])
        _end_of_start_up()
        return command if isinstance(command, click.Command) else None


_start_up = {"collector_paused": False}


def _pause_collector() -> None:
    """Loading the code of a command allocates hundreds of thousands of objects that live as long as the process,
    and the cyclic garbage collector would walk them again and again (a tenth of a pre-commit run). It is paused
    while the command's code loads, from the console script only (a program calling `main` keeps its own)."""
    if gc.isenabled():
        gc.disable()
        _start_up["collector_paused"] = True


def _end_of_start_up() -> None:
    """Resume collection; what was loaded is moved out of the collector's sight for good (`gc.freeze`): modules,
    classes and functions are never garbage, and the validation run's collections no longer walk them."""
    if _start_up["collector_paused"]:
        _start_up["collector_paused"] = False
        gc.freeze()
        gc.enable()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="omix")
def cli() -> None:
    """Validate OmixAtlas dataset metadata and data files, then ingest only what passes."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; never lets a traceback reach the user unless OMIX_DEBUG is set."""
    from omix_ingest.errors import USAGE_ERRORS, ExitCode  # with the registry: loaded once the collector is paused
    from omix_ingest.secrets import redact

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
        click.echo(redact(f"omix: error: {exc}"), err=True)
        return ExitCode.USAGE
    except OSError as exc:
        click.echo(redact(f"omix: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")), err=True)
        return ExitCode.USAGE
    except Exception as exc:
        if os.environ.get("OMIX_DEBUG"):
            traceback.print_exc()
        click.echo(
            redact(f"omix: internal error: {type(exc).__name__}: {exc}\n")
            + "This is a bug in omix-ingest; set OMIX_DEBUG=1 for the traceback and please report it.",
            err=True,
        )
        return ExitCode.USAGE
    finally:
        _end_of_start_up()  # a command that never loaded (--help, a usage error)
    return int(result or 0)


def console_entry() -> None:
    _pause_collector()
    sys.exit(main())
