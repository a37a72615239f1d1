"""The built-in data-file validators, described without importing their code. A run over metadata files only (a
pre-commit hook on staged JSON) then never loads the h5ad, GCT(X) and VCF readers nor the libraries behind them
(numpy, h5py, pysam): a description claims files by suffix and declares its validator's rules from the family's
rules modules; the validator itself is imported and built on the first file it is asked to check.

tests/test_startup_registry.py holds every description to its validator (name, kind, rules, claimed files).
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validators.core import hdf5, unreadable
from validators.core.context import Fact, ValidationContext
from validators.core.model import Finding, Rule
from validators.gct import gctx
from validators.gct import rules as gct_rules
from validators.h5ad import rules as h5ad_rules
from validators.vcf import rules as vcf_rules


@dataclass
class DeferredValidator:
    """A built-in validator that is imported when it first checks a file."""

    name: str
    target: str  # module:Class
    suffixes: tuple[str, ...]  # the file names it claims end in one of these (case-insensitive)
    rules: tuple[Rule, ...]
    kind: str = "data"
    _validator: Any = field(default=None, init=False, repr=False, compare=False)

    def claims(self, path: Path) -> bool:
        return path.name.lower().endswith(self.suffixes)

    def build(self) -> Any:
        """A new instance of the validator itself."""
        return pkgutil.resolve_name(self.target)()

    def validator(self) -> Any:
        if self._validator is None:
            self._validator = self.build()
        return self._validator

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        yield from self.validator().validate(path, ctx)


UNREADABLE_TEXT = (
    unreadable.MISSING_FILE,
    unreadable.NOT_UTF8,
    unreadable.UNREADABLE,
    unreadable.UTF8_BOM,
    unreadable.EMPTY_FILE,
    unreadable.LINE_TOO_LONG,
)

DATA_VALIDATORS: dict[str, DeferredValidator] = {
    "gct": DeferredValidator("gct", "validators.gct.text:GctValidator", (".gct",), gct_rules.RULES),
    "vcf": DeferredValidator(
        "vcf",
        "validators.vcf.validator:VcfValidator",
        (".vcf", ".vcf.gz", ".vcf.bgz"),
        (*vcf_rules.RULES, *UNREADABLE_TEXT),
    ),
    "gctx": DeferredValidator(
        "gctx", "validators.gct.gctx:GctxValidator", (".gctx",), (*gctx.RULES, *hdf5.RULES, unreadable.NOT_UTF8)
    ),
    "h5ad": DeferredValidator(
        "h5ad", "validators.h5ad.validator:H5adValidator", (".h5ad",), (*h5ad_rules.RULES, *hdf5.RULES)
    ),
}
