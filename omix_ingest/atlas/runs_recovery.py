"""What the run log says of a run whose process died: so that `omix status` agrees with what is in the atlas.

An ingestion writes all its rows in one transaction, so a killed run has either committed every dataset it was
going to store or none; the rows carry the run's id, which tells the two apart afterwards. Its per-file events
were never written (they follow the commit), and none are made up here.
"""

from __future__ import annotations

import sqlite3

SHOWN = 5


def interrupted_summary(db: sqlite3.Connection, run_id: int) -> str:
    row = db.execute("SELECT action FROM runs WHERE id = ?", (run_id,)).fetchone()
    action = row[0] if row else ""
    ids = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT dataset_id FROM dataset_versions WHERE run_id = ? ORDER BY dataset_id", (run_id,)
        )
    ]
    if action == "delete":
        return "interrupted: whether its deletions were committed is not recorded; see `omix atlas show`"
    if not ids:
        return "interrupted before committing: no dataset of this run is in the local atlas; run it again"
    shown = ", ".join(ids[:SHOWN]) + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")
    return f"interrupted after committing {len(ids)} dataset(s) ({shown}); its per-file events were not recorded"
