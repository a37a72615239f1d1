"""What a file is, read from its first bytes, for files no validator claims: a finding names what was found
(a compression the formats do not use, a known format under another name, or nothing recognisable) instead of the
file being skipped in silence."""

from __future__ import annotations

import stat
from pathlib import Path

from validators.core.model import Finding, Rule, Severity

SUPPORTED = ".json, .h5ad, .gct, .gctx, .vcf, .vcf.gz, .vcf.bgz"

UNSUPPORTED_FILE = Rule(
    "OMX914",
    "unsupported-file",
    Severity.ERROR,
    "No validator can check this file",
    "no validator checks this file: {what}",
    "A file named to be checked that no validator understands cannot be shown to be sound, so it cannot pass. The "
    f"tool checks {SUPPORTED} files; other compressions (bzip2, xz, zip, tar) and other names for these formats are "
    "refused with what their content looks like. In a data folder, a kind Polly ingests as it is but nothing here "
    "checks (.csv, .tsv ...) is a warning: it goes in unchecked.",
    bad="data/GSE1_GPL1.vcf.bz2",
    good="data/GSE1_GPL1.vcf.bgz",
)

# (magic bytes, what they are)
_MAGIC = (
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"PK\x03\x04", "a zip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"##fileformat=VCF", "VCF text"),
    (b"#1.2", "GCT text"),
    (b"#1.3", "GCT text"),
)
_RENAME = {"VCF text": ".vcf", "GCT text": ".gct", "an HDF5 file": ".h5ad or .gctx"}


def describe(path: Path) -> str:
    """What the file's content looks like, with the fix where there is one."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return "it is not a regular file"
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or type(exc).__name__})"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "a tar archive; unpack it"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            rename = _RENAME.get(what)
            if rename:
                return f"{what} under the name {path.name!r}; name it {rename}"
            return f"{what}; the supported files are {SUPPORTED}"
    if head.lstrip()[:1] in (b"{", b"["):
        return f"JSON text under the name {path.name!r}; name it .json"
    return f"an unknown kind of file; the supported files are {SUPPORTED}"


def unsupported(path: Path, display: str, severity: Severity | None = None) -> Finding:
    return UNSUPPORTED_FILE.finding(display, what=describe(path), severity=severity)
