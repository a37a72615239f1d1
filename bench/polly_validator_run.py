"""Run polly-validator 0.0.2's dataset-level validation over a folder of metadata files, as the Polly SDK does.

Runs with the Python of polly-validator's own venv (see polly_validator_env.py), never with ours, and imports
nothing of this project. Follows the SDK's `Validation.validate_datasets` path: read every `*.json` of the folder,
group the documents by their `__index__.validation_check.dataset.scope` ("advanced" -> validate_on="value",
"basic" -> "schema"), and call `dataset_metadata_validator.check_metadata_for_errors` once per group with the
repository's schema. One difference: `print_table=False` (the SDK prints every error as a grid table, which only
adds time).

polly-validator downloads two short lists (accepted data types and dataset sources) when `polly_validator.settings`
is imported and falls back to empty lists when it cannot; here the download fails at once and the lists given in
--lists are put in their place before the validators are built from them, so no file fails for that reason alone.

Usage: python polly_validator_run.py --schema SCHEMA.json --lists LISTS.json --out RESULT.json [--limit N] FOLDER
Writes {"files", "failing", "errors", "import_seconds", "validate_seconds"} to RESULT.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from pathlib import Path

SCOPES = {"advanced": "value", "basic": "schema"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--schema", type=Path, required=True)
    parser.add_argument("--lists", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None, help="validate only the first N files (sorted by name)")
    args = parser.parse_args()

    started = time.perf_counter()
    chatter = io.StringIO()  # the library prints progress and the tracebacks of its failed downloads
    with contextlib.redirect_stdout(chatter):
        from polly_validator import settings

        lists = json.loads(args.lists.read_text(encoding="utf-8"))
        settings.VALID_NAMES["data_type"] = lists["data_type"]
        settings.VALID_NAMES["dataset_source"] = lists["dataset_source"]
        from polly_validator.validators import dataset_metadata_validator
    imported = time.perf_counter()

    schema = json.loads(args.schema.read_text(encoding="utf-8"))
    groups: dict[str, list[dict]] = {}
    paths = sorted(p for p in args.folder.iterdir() if p.suffix == ".json")[: args.limit]
    for path in paths:
        with path.open(encoding="utf-8") as handle:
            doc = json.load(handle)
        scope = doc.get("__index__", {}).get("validation_check", {}).get("dataset", {}).get("scope", "advanced")
        groups.setdefault(SCOPES.get(scope, "value"), []).append(doc)
    failing = errors = 0
    with contextlib.redirect_stdout(chatter):
        for validate_on, docs in groups.items():
            error_df, status = dataset_metadata_validator.check_metadata_for_errors(
                "single_cell_rnaseq_omixatlas", schema, docs, validate_on=validate_on, print_table=False
            )
            failing += sum(1 for passed in status.values() if not passed)
            errors += len(error_df)
    done = time.perf_counter()
    result = {
        "files": len(paths),
        "failing": failing,
        "errors": errors,
        "import_seconds": imported - started,
        "validate_seconds": done - imported,
    }
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
