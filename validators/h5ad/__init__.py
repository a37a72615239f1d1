"""AnnData .h5ad files (OMX3xx): structure, encodings and matrices, streamed."""
