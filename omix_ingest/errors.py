"""Errors that end a command, and the one place that maps them to exit codes.

Exit codes: 0 clean, 1 findings at or above the failing severity (or datasets refused), 2 tool or usage error,
130 interrupted. "Bad data" (1) and "the tool could not do its job" (2) are never conflated.
"""

from __future__ import annotations

import enum

from omix_ingest.backend import AtlasNotFound, BackendError
from validators.core.rulepack import RulePackError
from validators.core.template import TemplateError
from validators.registry import PluginError


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    INTERRUPTED = 130


class UsageError(Exception):
    """The command cannot run as asked; the message says what to do instead."""


# Exceptions that mean "the user must change the command, the config or an input the tool depends on".
USAGE_ERRORS: tuple[type[Exception], ...] = (
    UsageError,
    TemplateError,
    RulePackError,
    PluginError,
    BackendError,
    AtlasNotFound,
)
