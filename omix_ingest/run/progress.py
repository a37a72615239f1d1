"""A progress bar for long runs (many or large files, uploads), where a person is watching: on a terminal or in a
notebook, never under CI, pre-commit or a redirected stderr, and never for runs that finish before it would
matter. rich draws it (and knows Jupyter); it is imported only when a bar is shown, so quick runs pay nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

# Below this many files a bar flickers by before anyone reads it.
MIN_FILES = 200
# Set by CI services (GitHub Actions, GitLab, most others) and by pre-commit for its hooks.
QUIET_ENV = ("CI", "PRE_COMMIT", "OMIX_NO_PROGRESS")

Advance = Callable[[int], None]


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None) if shell is not None else None
    instance = get() if callable(get) else None
    return instance is not None and type(instance).__name__ == "ZMQInteractiveShell"


def wanted(total: int, *, enabled: bool = True, minimum: int = MIN_FILES) -> bool:
    """Whether to draw a bar for `total` units of work (files, or bytes with another `minimum`)."""
    if not enabled or total < minimum or any(os.environ.get(name) for name in QUIET_ENV):
        return False
    return _in_notebook() or sys.stderr.isatty()


class ProgressBar:
    """`with ProgressBar(total, "checking") as advance: ... advance(n)`; a no-op when no bar is wanted."""

    def __init__(self, total: int, label: str, *, enabled: bool = True, minimum: int = MIN_FILES) -> None:
        self.total = total
        self.label = label
        self.show = wanted(total, enabled=enabled, minimum=minimum)
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Advance:
        if not self.show:
            return no_progress
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        self._task = self._progress.add_task(self.label, total=self.total)
        return self._advance

    def _advance(self, count: int) -> None:
        self._progress.advance(self._task, count)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()


def no_progress(count: int) -> None:
    """The `Advance` of a run nobody watches."""
    del count
