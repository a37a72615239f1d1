"""Inputs named by URL (`s3://bucket/key`, any fsspec URL): planned by listing the store, validated from a local copy.

The validators read local files (h5py, htslib and the streaming JSON and GCT readers all need a seekable file), so
a URL is validated by streaming the object into a worker-local temporary file named like the object, running the
same validators on that copy, and writing the URL, not the copy, into the report. The sha256 and size are the
object's bytes. Only the object itself is fetched: a `.tbi` index beside a `.vcf.gz` in the bucket is not, so the
stale-index check does not apply to URL inputs. Credentials and endpoints come from the environment of the process
that reads (`AWS_*` variables, an instance role), on the workers as on the machine that plans.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PosixPath
from typing import Any

from omix_ingest.errors import UsageError
from omix_ingest.report.model import FileReport
from omix_ingest.run.plan import ROLE_DATA, ROLE_METADATA, ROLE_PATH, Plan, PlannedFile
from validators.core.model import Finding
from validators.core.unreadable import MISSING_FILE, UNREADABLE

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
COPY_BUFFER = 8 << 20  # bytes per read while streaming an object to its local copy


class RemotePath(PosixPath):
    """A URL standing where the plan and the runner expect a path: `.name` and the suffixes are the object's (so
    validators claim it and pairing finds its dataset id as for a local file), `str()` is the URL, and it never
    names a local file (`exists()` is False, `stat()` raises)."""

    url: str

    def __new__(cls, url: str) -> RemotePath:
        self = super().__new__(cls, url.split("://", 1)[1])
        self.url = url
        return self

    def __str__(self) -> str:
        return self.url

    def __reduce__(self) -> tuple[type[RemotePath], tuple[str]]:
        return type(self), (self.url,)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePath) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)


def is_url(text: str) -> bool:
    return bool(_URL.match(text)) and not text.startswith("file://")


def as_input(value: str | Path) -> Path:
    """A command-line or API input as the plan takes it: a URL becomes a `RemotePath`, anything else a `Path`."""
    if isinstance(value, Path):
        return value
    return RemotePath(value) if is_url(value) else Path(value)


def _filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path inside it); a missing implementation (s3fs for s3://) is a usage error."""
    try:
        from fsspec.core import url_to_fs  # type: ignore[import-untyped]
    except ImportError:
        raise UsageError(f"{url}: URL inputs need fsspec: pip install 'omix-ingest[s3]'") from None
    try:
        return url_to_fs(url)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise UsageError(f"{url}: {exc}; for s3:// URLs: pip install 'omix-ingest[s3]'") from None
    except ValueError as exc:
        raise UsageError(f"{url}: {exc}") from None


def _walk_key(relative: str) -> tuple[tuple[int, str], ...]:
    """Sort key giving the order a local folder walk gives: a folder's files by name, then its subfolders."""
    parts = relative.split("/")
    return (*((1, p) for p in parts[:-1]), (0, parts[-1]))


def _listing(fs: Any, root: str) -> list[str] | None:
    """The object paths under `root` (hidden names left out, as in a local walk), or None when `root` is an object
    itself. FileNotFoundError when there is nothing there."""
    fs.invalidate_cache(root)  # fsspec keeps listings for the life of the process: a notebook's rerun sees new files
    info = fs.info(root)
    if info.get("type") != "directory":
        return None
    base = root.rstrip("/") + "/"
    found = [p for p in fs.find(root) if p.startswith(base) and not p.endswith("/")]
    kept = [p for p in found if not any(part.startswith(".") for part in p[len(base) :].split("/"))]
    return sorted(kept, key=lambda p: _walk_key(p[len(base) :]))


def add_remote(plan: Plan, url: RemotePath, role: str = ROLE_PATH) -> None:
    """Plan a URL: an object is one explicit file, a prefix is walked like a folder (and with a role it is the
    metadata or data folder of a dataset-mode run). Nothing there is OMX901; a refused listing is OMX909."""
    if role == ROLE_METADATA:
        plan.metadata_folders.append(url.url)
    elif role == ROLE_DATA:
        plan.data_folders.append(url.url)
    fs, root = _filesystem(url.url)
    try:
        listing = _listing(fs, root)
    except FileNotFoundError:
        plan.findings.append(MISSING_FILE.finding(url.url, path=url.url))
        return
    except PermissionError as exc:
        plan.findings.append(UNREADABLE.finding(url.url, detail=str(exc) or type(exc).__name__))
        return
    except OSError as exc:  # the store cannot be reached: a tool error, as an unreachable server is
        raise UsageError(f"{url.url}: cannot list it: {exc}") from None
    if listing is None:
        plan.files.append(PlannedFile(url, role, explicit=True))
        return
    protocol = url.url.split("://", 1)[0]
    plan.files.extend(PlannedFile(RemotePath(f"{protocol}://{p}"), role) for p in listing)


def add_input_folder(plan: Plan, folder: Path, role: str) -> None:
    """`--metadata`/`--data`: a local folder or a URL prefix."""
    if isinstance(folder, RemotePath):
        add_remote(plan, folder, role)
    else:
        plan.add_folder(folder, role)


def relabel(report: FileReport, real: str, shown: str) -> FileReport:
    """`report` as if the file had been validated under the name `shown`: the path a validator saw (`real`, a
    temporary copy or an absolute path) is replaced in the file names, messages, fixes and parameters."""

    def text(value: str) -> str:
        return value.replace(real, shown) if real in value else value

    def params(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: text(v) if isinstance(v, str) else v for k, v in values.items()}

    def finding(f: Finding) -> Finding:
        return dataclasses.replace(
            f,
            file=text(f.file),
            message=text(f.message),
            fix=text(f.fix) if f.fix else f.fix,
            params=params(f.params),
        )

    return FileReport(
        shown, report.validators, report.sha256, report.size, tuple(finding(f) for f in report.findings), report.facts
    )


def inspect_fetched(url: RemotePath, inspect: Callable[[Path], FileReport]) -> FileReport:
    """Stream the object into a temporary folder under its own name, `inspect` the copy, report under the URL. A
    fetch that fails is OMX909 on the URL (OMX901 when the object is gone)."""
    with tempfile.TemporaryDirectory(prefix="omix-fetch-") as folder:
        local = Path(folder) / url.name
        try:
            fs, inner = _filesystem(url.url)
            with fs.open(inner, "rb") as source, local.open("wb") as target:
                shutil.copyfileobj(source, target, COPY_BUFFER)
        except FileNotFoundError:
            return FileReport(url.url, (), None, None, (MISSING_FILE.finding(url.url, path=url.url),))
        except (OSError, UsageError) as exc:
            detail = f"fetching it failed: {type(exc).__name__}: {exc}"
            return FileReport(url.url, (), None, None, (UNREADABLE.finding(url.url, detail=detail),))
        return relabel(inspect(local), str(local), url.url)
