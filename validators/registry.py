"""The plugin registry: built-in validators listed explicitly, third-party ones from an entry-point group.

A third-party package exposes a zero-argument callable (usually the class) under `omix_ingest.validators`:

    [project.entry-points."omix_ingest.validators"]
    biom = "my_package.biom:BiomValidator"
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Protocol, runtime_checkable

from validators.core.context import Fact, ValidationContext
from validators.core.kinds import UNSUPPORTED_FILE
from validators.core.model import Finding, Rule, Severity
from validators.core.ontology_source import OntologyCatalog
from validators.core.rulepack import RulePack
from validators.core.template import Template
from validators.core.unreadable import ReadLimits
from validators.datasets import pairing, samples
from validators.gct.gctx import GctxValidator
from validators.gct.text import GctValidator
from validators.h5ad.validator import H5adValidator
from validators.metadata import identity
from validators.metadata.validator import MetadataValidator
from validators.vcf.validator import VcfValidator

ENTRY_POINT_GROUP = "omix_ingest.validators"


@runtime_checkable
class Validator(Protocol):
    """A check for one kind of file. An optional `kind = "metadata"` marks validators of dataset metadata files;
    in dataset mode they see only the metadata folder, and the others only the data folder."""

    name: str
    rules: tuple[Rule, ...]

    def claims(self, path: Path) -> bool: ...

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]: ...


def validator_kind(validator: Validator) -> str:
    """ "metadata" for validators of dataset metadata files, "data" (the default, for plugins too) otherwise."""
    return str(getattr(validator, "kind", "data"))


class PluginError(Exception):
    """A third-party validator failed to load or does not follow the protocol."""


BUILTIN_VALIDATORS: dict[str, Callable[[], Validator]] = {
    "metadata": MetadataValidator,
    "gct": GctValidator,
    "vcf": VcfValidator,
    "gctx": GctxValidator,
    "h5ad": H5adValidator,
}

VALIDATOR_CRASHED = Rule(
    "OMX990",
    "validator-crashed",
    Severity.ERROR,
    "A validator failed on this file",
    "validator {name!r} failed on this file: {error}",
    "A check raised an unexpected error, so the file was not fully validated and cannot pass. This is a defect "
    "in the validator (built-in or plugin), not necessarily in the file: please report it with the file.",
    bad="(a plugin raising KeyError)",
    good="(validators report findings, never raise)",
)

# Rules emitted by the run itself or by cross-file checks rather than by one validator.
CROSS_FILE_RULES: tuple[Rule, ...] = (
    identity.DUPLICATE_DATASET_ID,
    VALIDATOR_CRASHED,
    UNSUPPORTED_FILE,
    *pairing.RULES,
    *samples.RULES,
)


def load_validators(*, plugins: bool = True) -> list[Validator]:
    loaded = [factory() for factory in BUILTIN_VALIDATORS.values()]
    if not plugins:
        return loaded
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            candidate = entry.load()()
        except Exception as exc:  # a broken plugin must not look like a broken dataset
            raise PluginError(f"validator plugin {entry.name!r} ({entry.value}) failed to load: {exc}") from exc
        if not isinstance(candidate, Validator):
            raise PluginError(
                f"validator plugin {entry.name!r} ({entry.value}) does not implement the Validator protocol"
            )
        loaded.append(candidate)
    return loaded


def collect_rules(validators: Iterable[Validator]) -> dict[str, Rule]:
    """Every rule by code, sorted; two different rules with one code is a programming error."""
    rules: dict[str, Rule] = {}
    for rule in [*CROSS_FILE_RULES, *(r for v in validators for r in v.rules)]:
        known = rules.setdefault(rule.code, rule)
        if known != rule:
            raise PluginError(f"rule code {rule.code} is declared twice ({known.slug!r} and {rule.slug!r})")
    return dict(sorted(rules.items()))


def validation_context(
    template: Template | None = None,
    rule_pack: RulePack | None = None,
    limits: ReadLimits | None = None,
    scope: str | None = None,
    sample_templates: Mapping[str, Template] | None = None,
    ontologies: OntologyCatalog | None = None,
) -> ValidationContext:
    """A context wired to the built-in families: sample tables are checked by the datasets family's checker."""
    return ValidationContext(
        template,
        rule_pack,
        limits if limits is not None else ReadLimits(),
        scope,
        sample_templates=dict(sample_templates or {}),
        column_check_builder=samples.SampleChecker,
        ontologies=ontologies,
    )
