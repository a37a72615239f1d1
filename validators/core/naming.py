"""How a file name maps to a dataset id: the stem, with compression suffixes stripped.

Pairing metadata and data files, the identity check and the gate all use this one definition.
"""

from __future__ import annotations

import re

# Data extensions Polly accepts (polly-api.md), longest first so that `.vcf.bgz` wins over `.bgz`.
ACCEPTED_DATA_EXTENSIONS = (
    ".vcf.bgz",
    ".gct.bz",
    ".tar.gz",
    ".h5seurat",
    ".mmcif",
    ".h5ad",
    ".biom",
    ".gct",
    ".vcf",
    ".csv",
    ".fcs",
    ".zip",
    ".fs",
)
COMPRESSION_SUFFIXES = (".gz", ".bgz", ".bz2", ".bz", ".xz", ".zst")
METADATA_EXTENSION = ".json"

# `\Z`, not `$`: `$` also matches before a final newline, which would let "GSE1\n" through.
DATASET_ID_PATTERN = re.compile(r"^[0-9A-Za-z_-]+\Z")


def dataset_id_of(name: str) -> str:
    """`GSE1_GPL2.vcf.gz` → `GSE1_GPL2`; `GSE1_GPL2.json` → `GSE1_GPL2`; unknown extensions lose one suffix."""
    lowered = name.lower()
    for ext in ACCEPTED_DATA_EXTENSIONS:
        if lowered.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)]
    for suffix in COMPRESSION_SUFFIXES:
        if lowered.endswith(suffix):
            name, lowered = name[: -len(suffix)], lowered[: -len(suffix)]
            break
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def is_metadata_name(name: str) -> bool:
    return name.lower().endswith(METADATA_EXTENSION)
