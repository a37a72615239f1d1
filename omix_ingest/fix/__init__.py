"""Correcting metadata files: the edits findings carry, applied to the text with its formatting kept."""
