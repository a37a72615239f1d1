"""Named points in the local atlas's write path where a crash test can have the process killed outright.

A random kill seldom lands in the narrow windows that matter (objects linked but rows not committed; rows
committed but the run not recorded), so `OMIX_CRASH_AT=<point>[:<n>]` sends SIGKILL to this process the n-th time
(default: the first) it reaches `<point>`. Unset, the check is one dictionary look-up.

Points, in the order an ingestion meets them: `partial` (a data file half copied into the staging area),
`staged` (a file complete in the staging area), `published` (objects linked into the store inside the transaction,
rows not yet committed), `committed` (rows committed, staging area not yet removed), `recorded` (the staging area
removed, the run's events and end not yet written).
"""

from __future__ import annotations

import os
import signal

CRASH_ENV = "OMIX_CRASH_AT"
POINTS = ("partial", "staged", "published", "committed", "recorded")
_seen: dict[str, int] = {}


def crash_point(name: str) -> None:
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)
