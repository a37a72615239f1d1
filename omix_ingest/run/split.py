"""One large file over several Dask tasks: a BGZF VCF's line pass in parts (see `validators.vcf.part`), merged into
the FileReport one task would have written.

Only with `--executor dask`, only for a local (shared-filesystem) file of at least `split_threshold()` bytes that
only the VCF validator claims, and only when `split_points` finds a sound BGZF container with a plain header. Each
part is a task; one more task runs what is checked once (the container, the htslib read, the file's SHA-256), and
the index is checked here after the merge. A part that cannot be merged exactly (an interleaved or unsorted contig
across a seam, a line too long, not UTF-8, too many errors) sends the file back to one whole-file task, so the report
is the same either way; only the time differs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omix_ingest.report.model import FileReport
from omix_ingest.run.remote import RemotePath, relabel
from omix_ingest.run.runner import Task, file_sha256
from validators.core.capped import CappedFindings
from validators.core.context import Fact
from validators.core.model import Finding
from validators.core.unreadable import not_a_regular_file
from validators.registry import Validator
from validators.vcf.part import PartResult, check_part, finish, merge_parts, split_points, whole_file_checks
from validators.vcf.validator import VcfValidator

# Below this size one task is quicker than parts, a merge and an htslib pass beside them. OMIX_SPLIT_MIN_BYTES
# overrides it (tests split small files with it).
SPLIT_MIN_BYTES = 512 * 1024 * 1024
SPLIT_ENV = "OMIX_SPLIT_MIN_BYTES"
PARTS_PER_THREAD = 2  # a little slack for parts of uneven cost
MAX_PARTS = 512
MIN_PART_BYTES = 1 << 20  # no smaller parts (the tests' threshold goes lower, and so does this)


@dataclass
class SplitStats:
    """What the latest Dask run in this process did with large files (tests and benchmarks read it)."""

    files_split: int = 0
    part_tasks: int = 0  # part tasks submitted, not counting the once-per-file task
    validated_whole: dict[str, str] = field(default_factory=dict)  # split, then validated whole: path -> why


last_stats = SplitStats()


def split_threshold() -> int:
    text = os.environ.get(SPLIT_ENV, "").strip()
    return int(text) if text.isdigit() else SPLIT_MIN_BYTES


@dataclass(frozen=True)
class FileSplit:
    task: Task
    real: Path  # where the file is read (the task's path, under the caller's folder when relative)
    points: tuple[int, ...]  # BGZF block offsets at which the parts start

    @property
    def bounds(self) -> list[tuple[int, int | None]]:
        return list(zip(self.points, [*self.points[1:], None], strict=True))


def plan_splits(tasks: list[Task], validators: Sequence[Validator], cwd: str, threads: int) -> dict[int, FileSplit]:
    """The tasks (by position) whose file is split, and where."""
    threshold = split_threshold()
    splits: dict[int, FileSplit] = {}
    for number, task in enumerate(tasks):
        path, chosen = task
        if isinstance(path, RemotePath) or len(chosen) != 1 or not isinstance(validators[chosen[0]], VcfValidator):
            continue
        real = path if path.is_absolute() else Path(cwd) / path
        if not real.name.lower().endswith((".vcf.gz", ".vcf.bgz")) or not_a_regular_file(real, str(real)):
            continue
        try:
            size = real.stat().st_size
            if size < threshold:
                continue
            parts = max(2, min(MAX_PARTS, threads * PARTS_PER_THREAD, size // min(MIN_PART_BYTES, threshold or 1)))
            points = split_points(real, parts)
        except OSError:
            continue  # the whole-file task says what is wrong
        if points is not None:
            splits[number] = FileSplit(task, real, tuple(points))
    return splits


def vcf_part(real: str, start: int, stop: int | None) -> PartResult:
    """Runs on a worker: one part's line pass."""
    return check_part(Path(real), real, start, stop)


def vcf_once(real: str) -> tuple[CappedFindings, str | None, int | None]:
    """Runs on a worker: what is checked once per split file, and its digest."""
    path = Path(real)
    once = whole_file_checks(path, real)
    sha256, size = file_sha256(path)
    return once, sha256, size


def _report(
    split: FileSplit, validator: str, items: list[Finding | Fact], sha256: str | None, size: int | None
) -> FileReport:
    """The FileReport `runner.inspect_file` makes from the same output, named as the task names the file."""
    facts = {item.name: item.value for item in items if isinstance(item, Fact)}
    findings = sorted((item for item in items if isinstance(item, Finding)), key=Finding.sort_key)
    report = FileReport(str(split.real), (validator,), sha256, size, tuple(findings), facts)
    shown = split.task[0]
    return report if split.real == shown else relabel(report, str(split.real), str(shown))


@dataclass
class Submitted:
    parts: list[Any]  # futures of PartResult
    once: Any  # future of vcf_once's answer


def submit(client: Any, splits: dict[int, FileSplit]) -> dict[int, Submitted]:
    submitted = {}
    for number, split in splits.items():
        real = str(split.real)
        parts = [client.submit(vcf_part, real, start, stop, pure=False) for start, stop in split.bounds]
        submitted[number] = Submitted(parts, client.submit(vcf_once, real, pure=False))
        last_stats.files_split += 1
        last_stats.part_tasks += len(parts)
    return submitted


def collect(
    client: Any, splits: dict[int, FileSplit], submitted: dict[int, Submitted], validators: Sequence[Validator]
) -> tuple[dict[int, FileReport], list[int]]:
    """The merged reports by task position, and the positions whose file must be validated whole after all."""
    reports: dict[int, FileReport] = {}
    whole: list[int] = []
    for number, split in splits.items():
        parts: list[PartResult] = client.gather(submitted[number].parts)
        once, sha256, size = client.gather(submitted[number].once)
        merged = merge_parts(str(split.real), parts)
        if isinstance(merged, str):
            last_stats.validated_whole[str(split.task[0])] = merged
            whole.append(number)
            continue
        items = finish(split.real, str(split.real), once, merged)
        reports[number] = _report(split, validators[split.task[1][0]].name, items, sha256, size)
    return reports, whole
