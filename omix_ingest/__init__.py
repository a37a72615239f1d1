"""omix-ingest: validate dataset metadata and data files against an OmixAtlas template, then ingest only what
passes. Importing this package is cheap: heavy modules load when first used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

if TYPE_CHECKING:
    from omix_ingest.api import validate_datasets
    from omix_ingest.omixatlas import OmixAtlas

__all__ = ["OmixAtlas", "__version__", "validate_datasets"]


def __getattr__(name: str) -> Any:
    if name == "validate_datasets":
        from omix_ingest.api import validate_datasets

        return validate_datasets
    if name == "OmixAtlas":
        from omix_ingest.omixatlas import OmixAtlas

        return OmixAtlas
    raise AttributeError(f"module 'omix_ingest' has no attribute {name!r}")
