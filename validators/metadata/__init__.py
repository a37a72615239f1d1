"""Dataset-level metadata JSON (OMX1xx): reading, identity, the `__index__` block, template conformance."""
