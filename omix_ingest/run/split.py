"""One large file over several Dask tasks, merged into the FileReport one task would have written.

Only with `--executor dask`, only for a local (shared-filesystem) file of at least `split_threshold()` bytes that
only the VCF or only the h5ad validator claims:
- a BGZF VCF, when `split_points` finds a sound container with a plain header: its line pass in parts (see
  `validators.vcf.part`); one more task runs what is checked once (the container, the htslib read, the file's
  SHA-256), and the index is checked here after the merge. A part that cannot be merged exactly (an interleaved or
  unsorted contig across a seam, a line too long, not UTF-8, too many errors) sends the file back to one whole-file
  task, so the report is the same either way; only the time differs;
- an h5ad: the value passes of X, the layers and raw/X in row blocks (see `validators.h5ad.blocks`), then one final
  task runs the validator with those tallies in place of reading the values.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omix_ingest.report.model import FileReport
from omix_ingest.run.remote import RemotePath, relabel
from omix_ingest.run.runner import Task, file_sha256, inspect_file
from validators.core.capped import CappedFindings
from validators.core.context import Fact
from validators.core.model import Finding
from validators.core.unreadable import not_a_regular_file
from validators.h5ad.blocks import Block, TalliedH5adValidator, TallyKey, plan_blocks, tally_block
from validators.h5ad.tally import Tally
from validators.h5ad.validator import H5adValidator
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
    points: tuple[int, ...] = ()  # a VCF: the BGZF block offsets at which the parts start
    blocks: tuple[Block, ...] = ()  # an h5ad: the row blocks of its matrices

    @property
    def bounds(self) -> list[tuple[int, int | None]]:
        return list(zip(self.points, [*self.points[1:], None], strict=True))


def _builtin(validator: Validator) -> type | None:
    """VcfValidator or H5adValidator when `validator` is that built-in one (or the registry's deferred stand-in
    for it, which names its class as `module:Class`), else None: plugins are never split."""
    for kind in (VcfValidator, H5adValidator):
        if type(validator) is kind or getattr(validator, "target", None) == f"{kind.__module__}:{kind.__qualname__}":
            return kind
    return None


def _split(task: Task, validators: Sequence[Validator], cwd: str, threads: int, threshold: int) -> FileSplit | None:
    path, chosen = task
    kind = _builtin(validators[chosen[0]]) if len(chosen) == 1 else None
    if isinstance(path, RemotePath) or kind not in (VcfValidator, H5adValidator):
        return None
    real = path if path.is_absolute() else Path(cwd) / path
    if not real.name.lower().endswith((".vcf.gz", ".vcf.bgz", ".h5ad")) or not_a_regular_file(real, str(real)):
        return None
    try:
        size = real.stat().st_size
        if size < threshold:
            return None
        smallest = min(MIN_PART_BYTES, threshold or 1)
        parts = max(2, min(MAX_PARTS, threads * PARTS_PER_THREAD, size // smallest))
        if kind is H5adValidator:
            blocks = plan_blocks(real, parts, min_bytes=2 * smallest)
            return FileSplit(task, real, blocks=tuple(blocks)) if blocks else None
        points = split_points(real, parts)
    except OSError:
        return None  # the whole-file task says what is wrong
    return FileSplit(task, real, points=tuple(points)) if points is not None else None


def plan_splits(tasks: list[Task], validators: Sequence[Validator], cwd: str, threads: int) -> dict[int, FileSplit]:
    """The tasks (by position) whose file is split, and where."""
    threshold = split_threshold()
    splits = {}
    for number, task in enumerate(tasks):
        try:
            found = _split(task, validators, cwd, threads, threshold)
        except Exception:  # whatever stops the planning, the whole-file task meets and reports
            found = None
        if found is not None:
            splits[number] = found
    return splits


def vcf_part(real: str, start: int, stop: int | None) -> PartResult:
    """Runs on a worker: one part's line pass."""
    try:
        return check_part(Path(real), real, start, stop)
    except Exception as exc:  # the whole-file task meets it again and reports it as one pass does
        return PartResult(abnormal=f"{type(exc).__name__}: {exc}")


def vcf_once(real: str) -> tuple[CappedFindings, str | None, int | None] | None:
    """Runs on a worker: what is checked once per split file, and its digest (None: validate the file whole)."""
    path = Path(real)
    try:
        once = whole_file_checks(path, real)
    except Exception:  # as in vcf_part
        return None
    sha256, size = file_sha256(path)
    return once, sha256, size


def h5ad_block(real: str, block: Block) -> Tally | None:
    """Runs on a worker: one row block's tally, or None when it cannot be read (the final pass reads it then)."""
    try:
        return tally_block(Path(real), block)
    except Exception:  # any storage error: the final pass meets it again and reports it as one pass does
        return None


def h5ad_final(task: Task, real: str, tallies: dict[TallyKey, Tally], shared: tuple[Any, Any]) -> FileReport:
    """Runs on a worker: the h5ad validator over the whole file, with the blocks' tallies."""
    ctx, _ = shared
    if not os.path.lexists(real):  # as for any task: a cluster without the shared filesystem stops the run
        from omix_ingest.run.dask_executor import NotOnWorker

        raise NotOnWorker(f"worker on {socket.gethostname()} cannot see {real}")
    report = inspect_file((Path(real), (0,)), ctx, [TalliedH5adValidator(tallies)])
    return report if Path(real) == task[0] else relabel(report, real, str(task[0]))


def _tallies(blocks: tuple[Block, ...], found: list[Tally | None]) -> dict[TallyKey, Tally]:
    """Each matrix's blocks added up; a matrix with a block that could not be read is left to the final pass."""
    sums: dict[TallyKey, Tally] = {}
    failed = set()
    for block, tally in zip(blocks, found, strict=True):
        if tally is None:
            failed.add(block.key)
        else:
            sums.setdefault(block.key, Tally())
            sums[block.key] += tally
    return {key: tally for key, tally in sums.items() if key not in failed}


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
        if split.blocks:
            parts = [client.submit(h5ad_block, real, block, pure=False) for block in split.blocks]
            submitted[number] = Submitted(parts, None)
        else:
            parts = [client.submit(vcf_part, real, start, stop, pure=False) for start, stop in split.bounds]
            submitted[number] = Submitted(parts, client.submit(vcf_once, real, pure=False))
        last_stats.files_split += 1
        last_stats.part_tasks += len(parts)
    return submitted


def _vcf_report(split: FileSplit, parts: list[PartResult], checked_once: Any) -> FileReport | str:
    """The split VCF's report, or why the file must be validated whole after all."""
    if checked_once is None:
        return "the once-per-file checks failed"
    merged = merge_parts(str(split.real), parts)
    if isinstance(merged, str):
        return merged
    once, sha256, size = checked_once
    try:
        items = finish(split.real, str(split.real), once, merged)
    except Exception as exc:  # the index check, as in vcf_part
        return f"{type(exc).__name__}: {exc}"
    return _report(split, VcfValidator.name, items, sha256, size)


def collect(
    client: Any, splits: dict[int, FileSplit], submitted: dict[int, Submitted], shared: Any
) -> tuple[dict[int, FileReport], list[int]]:
    """The merged reports by task position, and the positions whose file must be validated whole after all."""
    reports: dict[int, FileReport] = {}
    whole: list[int] = []
    finals = {}
    for number, split in splits.items():
        parts = client.gather(submitted[number].parts)
        if split.blocks:
            tallies = _tallies(split.blocks, parts)
            finals[number] = client.submit(h5ad_final, split.task, str(split.real), tallies, shared, pure=False)
            continue
        report = _vcf_report(split, parts, client.gather(submitted[number].once))
        if isinstance(report, str):
            last_stats.validated_whole[str(split.task[0])] = report
            whole.append(number)
        else:
            reports[number] = report
    reports.update(zip(finals, client.gather(list(finals.values())), strict=True))
    return reports, whole
