"""omix-ingest's checks: the rule/finding model, the validator registry and one module per validator.

This package never imports `omix_ingest`. (It shares its import name with an unrelated PyPI package; install
omix-ingest in its own virtual environment.) Importing one module of it does not load the others: the names below
load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validators.core.context import Fact, ValidationContext
    from validators.core.model import Finding, Location, Rule, Severity

__all__ = ["Fact", "Finding", "Location", "Rule", "Severity", "ValidationContext"]


def __getattr__(name: str) -> Any:
    if name in ("Fact", "ValidationContext"):
        from validators.core import context

        return getattr(context, name)
    if name in ("Finding", "Location", "Rule", "Severity"):
        from validators.core import model

        return getattr(model, name)
    raise AttributeError(f"module 'validators' has no attribute {name!r}")
