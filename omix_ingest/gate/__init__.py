"""The gate: the pure decision policy and the orchestration that calls add/update only for passing datasets."""
