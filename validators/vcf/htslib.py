"""htslib speaks on file descriptor 2, not through exceptions: capture what it prints while pysam reads a file,
so that its warnings become findings and nothing leaks to the user's terminal. The pysam pass itself lives here
too (`htslib_pass`): it reads the file as Polly's tools will and reports what htslib said."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from validators.core.capped import CappedFindings
from validators.core.model import Severity
from validators.vcf.rules import HTSLIB_MESSAGE

MAX_MESSAGES = 200  # read back at most this many messages; the rest is counted
MAX_MESSAGE_CHARS = 300  # one message, continuation lines included
# htslib messages that repeat a finding the line pass makes with more detail.
_DUPLICATES_OUR_OWN = (
    "is not defined in the header",
    "Missing headers may cause later processing to fail",
    "The index file is older than the data file",
    "should be declared as",  # htslib's sanity check of reserved keys, printed once per process; OMX522 says it
)
# htslib messages about what the spec leaves optional: shown as info, never a reason to fail.
_OPTIONAL = {"Could not retrieve index file": "no index (.tbi or .csi) beside the file; an index is optional"}


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
                line = raw.decode("utf-8", errors="replace").rstrip()
                if result.messages and not line.startswith("["):
                    # htslib continues a message on following lines (it quotes the header it could not parse)
                    result.messages[-1] = f"{result.messages[-1]} {line.strip()}"[:MAX_MESSAGE_CHARS]
                elif len(result.messages) < MAX_MESSAGES:
                    result.messages.append(line)
                else:
                    result.dropped += 1


def htslib_pass(path: Path, display: str, out: CappedFindings) -> None:
    """Read every record with pysam; what htslib prints (less what the line pass reports better) becomes findings."""
    import pysam

    failure = None
    with captured_stderr() as captured:
        try:
            with pysam.VariantFile(str(path)) as variants:
                for _ in variants:
                    pass
        except Exception as exc:  # pysam raises OSError, ValueError, NotImplementedError... all mean "stopped"
            failure = str(exc) or type(exc).__name__
    for message in captured.messages:
        if not message or any(part in message for part in _DUPLICATES_OUR_OWN):
            continue
        optional = next((say for part, say in _OPTIONAL.items() if part in message), None)
        if optional is not None:
            out.add(HTSLIB_MESSAGE.finding(display, message=optional, severity=Severity.INFO))
            continue
        severity = Severity.ERROR if message.startswith("[E::") else Severity.WARNING
        out.add(HTSLIB_MESSAGE.finding(display, message=message, severity=severity))
    if captured.dropped:
        out.add(HTSLIB_MESSAGE.finding(display, message=f"{captured.dropped} more lines not shown"))
    said_why = any(m.startswith("[E::") and not any(p in m for p in _OPTIONAL) for m in captured.messages)
    if failure is not None and not said_why:  # htslib's own error already says why reading stopped
        out.add(HTSLIB_MESSAGE.finding(display, message=f"reading stopped: {failure}", severity=Severity.ERROR))
