"""One data file to S3, bound to the bytes that were validated.

The file is read once: what is hashed is what is sent. It goes to a staging key first; only when its sha256 equals
the validated one is it copied (server side) to its real key, so a file that changed after validation never
replaces what the atlas holds, and the commit never sees it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, BinaryIO

from omix_ingest.polly.s3 import error_code
from omix_ingest.run.progress import ProgressBar

MULTIPART_THRESHOLD = 25 * 1024 * 1024  # as the SDK: multipart above 25 MB
UPLOAD_BAR_BYTES = 8 * 1024 * 1024  # smaller uploads finish before a bar is worth drawing
STAGING_SUFFIX = ".omix-staging"
PREVIOUS_SUFFIX = ".omix-previous"  # an update's copy of the data file it replaces, until its commit settles
CHANGED = "the data file changed after it was validated; validate it again"


class HashingReader:
    """A read-once, non-seekable view of a file that hashes every byte handed out (so S3 transfer reads it in
    order, exactly once)."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._digest.update(chunk)
        return chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def upload_verified(s3: Any, bucket: str, key: str, path: Path, expected_sha256: str | None) -> str | None:
    """Upload `path` to `key`; None on success, else why it was refused. Raises S3 errors (the caller retries on
    expired credentials, so running it twice must be harmless)."""
    config = _transfer_config()
    staging = key + STAGING_SUFFIX
    size = path.stat().st_size
    with path.open("rb") as handle, ProgressBar(size, f"uploading {path.name}", minimum=UPLOAD_BAR_BYTES) as advance:
        reader = HashingReader(handle)
        s3.upload_fileobj(reader, bucket, staging, Config=config, Callback=advance)
    try:
        if expected_sha256 is not None and reader.hexdigest() != expected_sha256:
            return CHANGED
        s3.copy({"Bucket": bucket, "Key": staging}, bucket, key, Config=config)
    finally:
        s3.delete_object(Bucket=bucket, Key=staging)
    return None


def copy_if_present(s3: Any, bucket: str, source: str, target: str) -> None:
    """Copy one object server side; nothing when `source` does not exist (nothing to keep or to put back)."""
    from botocore.exceptions import ClientError

    try:
        s3.copy({"Bucket": bucket, "Key": source}, bucket, target, Config=_transfer_config())
    except ClientError as exc:
        if error_code(exc) not in ("404", "NoSuchKey"):
            raise


def _transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_THRESHOLD)
