"""`python -m omix_ingest.cli`: the same as the `omix` console script."""

from omix_ingest.cli.main import console_entry

console_entry()
