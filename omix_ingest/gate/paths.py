"""The destination folder inside an atlas: a relative path of plain names, never a way out of it."""

from __future__ import annotations

import re

from omix_ingest.errors import UsageError

_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")


def check_destination(destination: str) -> str:
    """The destination with surrounding slashes removed; a usage error (exit 2) for an absolute path, `..`,
    `.`, an empty segment, a backslash, NUL or another control character."""
    if _FORBIDDEN.search(destination):
        raise UsageError(f"destination {destination!r} holds a backslash or a control character; use plain names")
    if destination.startswith("/"):
        raise UsageError(f"destination {destination!r} is absolute; give a folder inside the atlas, such as 'GEO/2024'")
    trimmed = destination.strip("/")
    if not trimmed:
        return ""
    for segment in trimmed.split("/"):
        if segment in ("", ".", ".."):
            raise UsageError(
                f"destination {destination!r} has an empty, '.' or '..' segment; give a folder inside the atlas"
            )
    return trimmed
