"""omix-ingest's checks: the rule/finding model, the validator registry and one module per validator.

This package never imports `omix_ingest`. (It shares its import name with an unrelated PyPI package; install
omix-ingest in its own virtual environment.)
"""

from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding, Location, Rule, Severity

__all__ = ["Fact", "Finding", "Location", "Rule", "Severity", "ValidationContext"]
