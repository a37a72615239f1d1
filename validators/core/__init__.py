"""The core every family builds on: the Finding/Rule model, the run context, reading limits and safe reading
(OMX9xx), file naming, templates, rule packs, strict JSON, safe HDF5 opening. It imports no family."""
