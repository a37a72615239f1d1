"""What every validator may consult for one run: the template, the rule pack, read limits and the scope.

Built once per run and shared (by pickling) with worker processes. Families cache what they compile from it
(schemas, value checkers) with `memo`; the cache is rebuilt in each worker. The context knows no family: the
sample-level checker that data-file validators call is built by a function the caller supplies
(`validators.registry.validation_context` wires in the datasets family's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from validators.core.model import Finding
from validators.core.ontology_source import OntologyCatalog
from validators.core.rulepack import RulePack
from validators.core.template import Template
from validators.core.unreadable import ReadLimits

# Facts a validator that read a whole file may report: the sha256 and size of exactly the bytes it validated.
DIGEST_FACT, SIZE_FACT = "sha256", "size"

T = TypeVar("T")


@dataclass(frozen=True)
class Fact:
    """Something a validator learnt about a file that a cross-file check needs (dataset id, sample count...)."""

    name: str
    value: Any


class ColumnCheck(Protocol):
    """Checks a sample table (h5ad `obs`, GCT column metadata) given as column name → values."""

    def check_columns(
        self, columns: Mapping[str, Iterable[Any]], display: str, where: str, prefix: str = ""
    ) -> Iterator[Finding]: ...


# Builds the column check for one sample-level template: (template, rule pack, required original names, the
# offline ontologies).
ColumnCheckBuilder = Callable[[Template, RulePack | None, Sequence[str], OntologyCatalog | None], ColumnCheck]


@dataclass(frozen=True)
class ValidationContext:
    template: Template | None = None
    rule_pack: RulePack | None = None
    limits: ReadLimits = field(default_factory=ReadLimits)
    # "basic" or "advanced" forces a scope; None honours each file's __index__.validation_check.dataset.scope.
    scope: str | None = None
    # The atlas's sample-level templates by data format ("h5ad", "gct", "gctx"), when known.
    sample_templates: Mapping[str, Template] = field(default_factory=dict)
    column_check_builder: ColumnCheckBuilder | None = None
    # The offline ontologies the rule pack's fields are checked against (None: the pack's lists only).
    ontologies: OntologyCatalog | None = None
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.sample_templates and self.column_check_builder is None:
            raise ValueError(
                "sample templates need a column check builder: build the context with "
                "validators.registry.validation_context"
            )

    def memo(self, name: str, build: Callable[[], T]) -> T:
        """The value `build()` returns, computed once per context (per worker process)."""
        if name not in self._memo:
            self._memo[name] = build()
        value: T = self._memo[name]
        return value

    def sample_checker(self, data_format: str) -> ColumnCheck | None:
        """The sample-level checker for a data format, or None when the atlas has no such template."""
        return self.memo("sample_checkers", self._build_sample_checkers).get(data_format)

    def _build_sample_checkers(self) -> dict[str, ColumnCheck]:
        if self.column_check_builder is None:
            return {}
        required = self.rule_pack.sample_required if self.rule_pack else ()
        built: dict[int, ColumnCheck] = {}  # one checker per distinct template
        checkers = {}
        for data_format, template in self.sample_templates.items():
            if id(template) not in built:
                built[id(template)] = self.column_check_builder(template, self.rule_pack, required, self.ontologies)
            checkers[data_format] = built[id(template)]
        return checkers

    def __getstate__(self) -> dict[str, Any]:
        # Compiled forms are rebuilt in each worker; the Rust validators cannot be pickled.
        return {k: v for k, v in self.__dict__.items() if k != "_memo"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__["_memo"] = {}
