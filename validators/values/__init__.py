"""Value rules and vocabularies (OMX2xx): a rule pack compiled against a template, applied alike to dataset
metadata and to sample tables."""
