"""GCT text and GCTX (OMX4xx), checked as cmapPy reads them."""
