"""Settling unconfirmed Polly ingestions into the run log: what `omix status --resolve` does, for scripts too.

Each settled dataset gets a new event in the run that left it unconfirmed (the log is append-only: the
`unconfirmed` event stays as history, the newer one says what became of it), so `omix status` shows the outcome.
"""

from __future__ import annotations

from omix_ingest.atlas.store import LocalStore
from omix_ingest.gate.result import NOT_UPLOADED, UPLOADED
from omix_ingest.polly.backend import PollyBackend
from omix_ingest.polly.client import PollyError
from omix_ingest.polly.pending import Settled
from omix_ingest.polly.s3 import S3_ERRORS

CONFIRMED = f"{UPLOADED}, Confirmed Later"
WITHDRAWN = f"{NOT_UPLOADED}, Withdrawn"


class SettleError(Exception):
    """Polly or S3 did not answer while settling; what was settled before is recorded."""


def resolve_unconfirmed(backend: PollyBackend, store: LocalStore) -> list[Settled]:
    """Settle every pending ingestion sent to the backend's API and record the outcomes in `store`'s runs."""
    known = {int(r["id"]) for r in store.runs(None, 1 << 62)}
    done: list[Settled] = []

    def record(settled: list[Settled]) -> None:
        for run_id in sorted({s.run_id for s in settled} & known):
            rows = [
                (
                    s.dataset_id,
                    name,
                    "ingested" if s.ingested else "refused",
                    CONFIRMED if s.ingested else WITHDRAWN,
                    s.detail,
                )
                for s in settled
                if s.run_id == run_id
                for name in s.files
            ]
            with store.transaction() as db:
                store.record_events(db, run_id, rows)
        done.extend(settled)

    try:
        backend.settle_pending(record)
    except (PollyError, *S3_ERRORS) as exc:  # type: ignore[misc]
        raise SettleError(f"{len(done)} dataset(s) settled, then no answer: {exc}; run it again later") from None
    return done
