"""What every validator may consult for one run: the template, the rule pack, read limits and the scope.

Built once per run and shared (by pickling) with worker processes; the compiled forms are cached on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from validators.core.rulepack import RulePack
from validators.core.template import Template
from validators.core.unreadable import ReadLimits
from validators.datasets.samples import SampleChecker
from validators.metadata.conformance import CompiledTemplate
from validators.values.checks import ValueChecker

# Facts a validator that read a whole file may report: the sha256 and size of exactly the bytes it validated.
DIGEST_FACT, SIZE_FACT = "sha256", "size"


@dataclass(frozen=True)
class Fact:
    """Something a validator learnt about a file that a cross-file check needs (dataset id, sample count...)."""

    name: str
    value: Any


@dataclass(frozen=True)
class ValidationContext:
    template: Template | None = None
    rule_pack: RulePack | None = None
    limits: ReadLimits = field(default_factory=ReadLimits)
    # "basic" or "advanced" forces a scope; None honours each file's __index__.validation_check.dataset.scope.
    scope: str | None = None
    # The atlas's sample-level templates by data format ("h5ad", "gct", "gctx"), when known.
    sample_templates: Mapping[str, Template] = field(default_factory=dict)

    @cached_property
    def compiled(self) -> CompiledTemplate | None:
        return CompiledTemplate.build(self.template, self.rule_pack) if self.template else None

    @cached_property
    def consistency_keys(self) -> dict[str, str]:
        """Fact name → original name of the metadata field the pack compares with the data file."""
        if self.rule_pack is None or self.template is None:
            return {}
        rules = self.rule_pack.consistency
        keys = {}
        for fact, name in (
            ("sample_count", rules.sample_count),
            ("cell_count", rules.cell_count),
            ("data_type", rules.data_type),
        ):
            field = self.template.lookup(name) if name else None
            if field is not None:
                keys[fact] = field.original_name
        return keys

    @cached_property
    def _sample_checkers(self) -> dict[str, SampleChecker]:
        required = self.rule_pack.sample_required if self.rule_pack else ()
        built: dict[int, SampleChecker] = {}  # one checker per distinct template
        checkers = {}
        for data_format, template in self.sample_templates.items():
            if id(template) not in built:
                built[id(template)] = SampleChecker(template, self.rule_pack, required)
            checkers[data_format] = built[id(template)]
        return checkers

    def sample_checker(self, data_format: str) -> SampleChecker | None:
        """The sample-level checker for a data format, or None when the atlas has no such template."""
        return self._sample_checkers.get(data_format)

    @cached_property
    def value_checker(self) -> ValueChecker | None:
        if self.template is None or self.rule_pack is None:
            return None
        return ValueChecker(self.rule_pack, self.template)

    @cached_property
    def structure(self) -> Any:
        """A compiled (Rust) validator of the structural template schema alone: when it accepts a document that the
        accept test rejected, only value rules failed and the detailed structural diagnosis can be skipped."""
        import jsonschema_rs

        compiled = self.compiled
        return jsonschema_rs.validator_for(compiled.schema) if compiled else None

    @cached_property
    def accept(self) -> Any:
        """A compiled (Rust) validator of the template schema tightened with the value rules it can express: the
        fast accept test. Documents it rejects are diagnosed in detail; it never decides a finding on its own."""
        import jsonschema_rs

        compiled = self.compiled
        if compiled is None:
            return None
        checker = self.value_checker
        schema = checker.accept_schema(compiled.schema) if checker is not None else compiled.schema
        return jsonschema_rs.validator_for(schema)

    def __getstate__(self) -> dict[str, Any]:
        # Compiled forms are rebuilt in each worker; the Rust validators cannot be pickled.
        cached = {n for n, attr in type(self).__dict__.items() if isinstance(attr, cached_property)}
        return {k: v for k, v in self.__dict__.items() if k not in cached}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
