"""Cross-file checks (OMX6xx): pairing metadata with data files, metadata-data consistency, sample-level schemas."""
