"""The per-file tasks on a Dask distributed cluster: the same `inspect_file` the local runner calls, in chunks, on
the workers of a scheduler (`--scheduler tcp://HOST:8786`) or of a LocalCluster started for the run.

Results come back in the order the tasks were planned, so the report is the one a local run writes. What the
workers need: the same omix-ingest version (checked before any file is sent), the inputs under the same paths (a
shared filesystem; relative paths are taken from this process's working folder) or as URLs (see `remote`), and
for plugins the same plugins installed. A worker that cannot see a planned file stops the run with a usage error
rather than reporting the file as missing, which a local run would not. A large BGZF VCF is split into several
tasks (see `split`). Imported only when Dask is chosen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from omix_ingest import __version__
from omix_ingest.errors import UsageError
from omix_ingest.report.model import FileReport
from omix_ingest.run import split
from omix_ingest.run.executors import MISSING_DASK
from omix_ingest.run.remote import RemotePath, relabel
from omix_ingest.run.runner import Task, inspect_file
from validators.core.context import ValidationContext
from validators.registry import Validator

# At most this many files per Dask task (fewer when that leaves a worker thread idle): enough to amortise the
# scheduler's per-task cost (about a millisecond) over small metadata files, few enough to balance large ones.
CHUNK_FILES = 64
CHUNKS_PER_THREAD = 4
# How long to wait for the first worker of a scheduler that has none yet (an adaptive cluster scaling up).
WORKER_WAIT_SECONDS = 60.0


class NotOnWorker(Exception):
    """A planned file that a worker cannot see: the cluster does not share this machine's filesystem."""


def _tool_version() -> str:
    return __version__


def _inspect_on_worker(task: Task, ctx: ValidationContext, validators: Sequence[Validator], cwd: str) -> FileReport:
    path, chosen = task
    if isinstance(path, RemotePath):
        return inspect_file(task, ctx, validators)
    real = path if path.is_absolute() else Path(cwd) / path
    if not os.path.lexists(real):
        raise NotOnWorker(f"worker on {socket.gethostname()} cannot see {real}")
    if real == path:
        return inspect_file(task, ctx, validators)
    return relabel(inspect_file((real, chosen), ctx, validators), str(real), str(path))


def inspect_chunk(
    tasks: list[Task], shared: tuple[ValidationContext, Sequence[Validator]], cwd: str
) -> list[FileReport]:
    """Runs on a worker: one chunk of (path, validator indexes) tasks."""
    ctx, validators = shared
    return [_inspect_on_worker(task, ctx, validators, cwd) for task in tasks]


def _chunks(tasks: list[Task], threads: int) -> list[list[Task]]:
    size = max(1, min(CHUNK_FILES, len(tasks) // max(1, threads * CHUNKS_PER_THREAD)))
    return [tasks[i : i + size] for i in range(0, len(tasks), size)]


def _connect_timeout() -> float:
    """Dask's own connect timeout (`distributed.comm.timeouts.connect`, 30 s unless configured)."""
    import dask
    from dask.utils import parse_timedelta

    return float(parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), default="seconds"))


async def _identify(address: str, timeout: float) -> Any:
    """The scheduler's answer to `identity`, the first message a Dask client sends."""
    from distributed.comm import core

    comm = await core.connect(address, timeout=timeout)  # type: ignore[no-untyped-call]
    try:
        await comm.write({"op": "identity", "reply": True})
        return await comm.read()
    finally:
        comm.abort()


def _probe(address: str, timeout: float) -> None:
    """Ask the scheduler who it is, under one deadline, before a Client connects: Dask's Client waits forever on
    a port that accepts connections and never answers (a firewall, another service)."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):  # refused at once, rather than after Dask's retries for the whole timeout
            socket.create_connection(parse_host_port(location), timeout=timeout).close()
        answer = asyncio.run(asyncio.wait_for(_identify(address, timeout), timeout))
    except ValueError as exc:
        raise UsageError(f"--scheduler {address!r} is not a scheduler address (tcp://HOST:8786): {exc}") from None
    except TimeoutError:
        raise UsageError(f"the Dask scheduler at {address} did not answer within {timeout:g} s") from None
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc} (timeout {timeout:g} s)") from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise UsageError(f"{address} answered, but it is not a Dask scheduler")


@contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    try:
        import distributed as imported
    except ImportError:
        raise UsageError(MISSING_DASK) from None
    distributed: Any = imported  # untyped
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        )
        with cluster, distributed.Client(cluster, set_as_default=False) as client:
            yield client
        return
    timeout = _connect_timeout()
    _probe(scheduler, timeout)
    try:
        client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
    except Exception as exc:  # a timeout, or something that is not a Dask scheduler answering
        raise UsageError(f"cannot connect to the Dask scheduler at {scheduler} within {timeout:g} s: {exc}") from None
    with client:
        yield client


def _check_workers(client: Any) -> None:
    """At least one worker, each running this omix-ingest version: another version may check differently."""
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        raise UsageError(f"no Dask worker joined the scheduler within {WORKER_WAIT_SECONDS:g} s") from None
    try:
        versions: dict[str, str] = client.run(_tool_version)
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise UsageError(f"the Dask workers cannot run omix-ingest ({problem}); install it there") from None
    other = {worker: v for worker, v in versions.items() if v != __version__}
    if other:
        listed = ", ".join(f"{w} has {v}" for w, v in sorted(other.items()))
        raise UsageError(f"Dask workers must run omix-ingest {__version__}: {listed}")


def inspect_on_dask(
    tasks: list[Task], ctx: ValidationContext, validators: Sequence[Validator], *, scheduler: str | None, workers: int
) -> list[FileReport]:
    """Every task's FileReport, in task order, computed on the cluster at `scheduler` (or a LocalCluster of
    `workers` single-threaded processes)."""
    with _client(scheduler, workers) as client:
        from distributed import KilledWorker

        _check_workers(client)
        if not tasks:
            return []
        threads = sum(client.nthreads().values())
        cwd = str(Path.cwd())
        split.last_stats = split.SplitStats()
        splits = split.plan_splits(tasks, validators, cwd, threads)
        rest = [task for number, task in enumerate(tasks) if number not in splits]
        # The context (templates, rule pack) and validators go to every worker once, not with every chunk.
        [shared] = client.scatter([(ctx, list(validators))], broadcast=True, hash=False)
        try:
            submitted = split.submit(client, splits)
            futures = client.map(inspect_chunk, _chunks(rest, threads), shared=shared, cwd=cwd, pure=False)
            chunks: list[list[FileReport]] = client.gather(futures)
            merged, whole = split.collect(client, splits, submitted, shared)
            again = client.map(inspect_chunk, [[tasks[number]] for number in whole], shared=shared, cwd=cwd, pure=False)
            merged.update({number: report for number, [report] in zip(whole, client.gather(again), strict=True)})
        except NotOnWorker as exc:
            raise UsageError(
                f"{exc}: the workers need the inputs on a shared filesystem under the same path, or as s3:// URLs"
            ) from None
        except KilledWorker as exc:
            raise UsageError(f"a Dask worker died while validating ({exc}); see the worker logs") from None
    others = iter(report for chunk in chunks for report in chunk)
    return [merged[number] if number in merged else next(others) for number in range(len(tasks))]
