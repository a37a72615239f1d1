"""VCF 4.1-4.4, plain or BGZF (OMX5xx), read through pysam/htslib and a streaming pass of our own."""
