"""htslib speaks on file descriptor 2, not through exceptions: capture what it prints while pysam reads a file,
so that its warnings become findings and nothing leaks to the user's terminal."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_MESSAGES = 200  # read back at most this many lines; the rest is counted


@dataclass
class Captured:
    messages: list[str] = field(default_factory=list)
    dropped: int = 0


@contextlib.contextmanager
def captured_stderr() -> Iterator[Captured]:
    """Redirect fd 2 to a temporary file for the duration, then read back (a bounded number of) its lines."""
    result = Captured()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield result
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            for raw in sink:
                if len(result.messages) < MAX_MESSAGES:
                    result.messages.append(raw.decode("utf-8", errors="replace").rstrip())
                else:
                    result.dropped += 1
