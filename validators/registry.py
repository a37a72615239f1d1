"""The plugin registry: built-in validators listed explicitly, third-party ones from an entry-point group.

A third-party package exposes a zero-argument callable (usually the class) under `omix_ingest.validators`:

    [project.entry-points."omix_ingest.validators"]
    biom = "my_package.biom:BiomValidator"
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
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
from validators.deferred import DATA_VALIDATORS
from validators.metadata import identity
from validators.metadata.validator import MetadataValidator

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


# Name → a new instance of the validator itself (imported on the call). Runs use `load_validators`, where the
# data-file validators stay descriptions until they meet a file (validators/deferred.py).
BUILTIN_VALIDATORS: dict[str, Callable[[], Validator]] = {
    "metadata": MetadataValidator,
    **{name: described.build for name, described in DATA_VALIDATORS.items()},
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


def _search_path_state() -> tuple[tuple[str, int], ...]:
    """Each import path entry with its modification time: installing or removing a distribution changes it."""
    state = []
    for entry in sys.path:
        where = Path(entry).absolute()
        try:
            state.append((str(where), where.stat().st_mtime_ns))
        except (OSError, ValueError):
            state.append((str(where), -1))
    return tuple(state)


@lru_cache(maxsize=8)
def _plugin_entry_points(_state: tuple[tuple[str, int], ...]) -> tuple[EntryPoint, ...]:
    """Discovery reads every installed distribution's metadata (milliseconds per call, and a run asks twice: for
    the rule codes, then for the checks); it is redone when the import path or its folders change."""
    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def load_validators(*, plugins: bool = True) -> list[Validator]:
    """The built-in validators, then the plugins'; each call builds new ones."""
    loaded: list[Validator] = [MetadataValidator(), *(replace(d) for d in DATA_VALIDATORS.values())]
    if not plugins:
        return loaded
    for entry in _plugin_entry_points(_search_path_state()):
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
