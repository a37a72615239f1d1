"""The VCF container, checked from the raw bytes before anything is parsed: compression against the file name,
BGZF rather than plain gzip (only BGZF can be indexed), the BGZF end-of-file block, and the age of an index."""

from __future__ import annotations

from pathlib import Path

from validators.core.capped import CappedFindings
from validators.vcf.rules import COMPRESSION_NAME, NOT_BGZF, STALE_INDEX, TRUNCATED

BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
GZIP_MAGIC = b"\x1f\x8b"
STALE_SLACK_SECONDS = 2.0


def check_container(path: Path, display: str, out: CappedFindings) -> bool:
    """Check compression against the name; returns whether the content is gzip-compressed."""
    with path.open("rb") as handle:
        head = handle.read(18)
        named_compressed = path.name.lower().endswith((".gz", ".bgz"))
        compressed = head.startswith(GZIP_MAGIC)
        if compressed and not named_compressed:
            out.add(COMPRESSION_NAME.finding(display, problem="gzip-compressed content under a .vcf name"))
        if named_compressed and not compressed:
            out.add(COMPRESSION_NAME.finding(display, problem="named as compressed, but the content is not gzip"))
        if not compressed:
            return False
        is_bgzf = len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC"
        if not is_bgzf:
            out.add(NOT_BGZF.finding(display, problem="plain gzip, not BGZF: the file cannot be indexed"))
            return True
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - len(BGZF_EOF)))
        if handle.read() != BGZF_EOF:
            out.add(TRUNCATED.finding(display, problem="no BGZF end-of-file block: the file was cut short"))
    data_mtime = path.stat().st_mtime
    for suffix in (".tbi", ".csi"):
        index = path.with_name(path.name + suffix)
        # A little slack: copies and checkouts write both files within the same second or two.
        if index.exists() and index.stat().st_mtime < data_mtime - STALE_SLACK_SECONDS:
            out.add(STALE_INDEX.finding(display, index=index.name))
    return True
