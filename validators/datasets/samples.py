"""Sample-level schema conformance (OMX620-OMX622, plus the value rules OMX201/202/205/208 at sample level).

GCT column metadata and h5ad `obs` are checked against the atlas's sample-level template (`gct_metadata`,
`h5ad_metadata`) with pandera: required columns by original name, types, and the rule pack's vocabularies and
"nan"-like strings. Checks run on each column's distinct values, so the cost follows the number of distinct
values, not the number of cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from validators.core.model import Finding, Location, Rule, Severity
from validators.core.ontology_source import OntologyCatalog
from validators.core.rulepack import FieldRule, RulePack
from validators.core.template import Field, Template
from validators.values.checks import field_terms
from validators.values.rules import NAN_LIKE, NOT_IN_VOCABULARY, SURROUNDING_SPACE
from validators.values.term_findings import term_finding
from validators.values.terms import Match, TermResolver

MISSING_COLUMN = Rule(
    "OMX620",
    "missing-sample-column",
    Severity.ERROR,
    "Required sample-level column missing",
    "required sample column {key!r} is missing from the {where}",
    "The rule pack requires this sample-level field (for example the cell type of each cell); the atlas "
    "cannot filter samples on a column that is not there.",
    bad="obs columns: cell_type_label",
    good="obs columns: kw_curated_cell_type",
)
COLUMN_FIELD_NAME = Rule(
    "OMX621",
    "sample-column-field-name",
    Severity.ERROR,
    "Sample column named by the schema's field name",
    "column {key!r} is the schema's field name; sample metadata uses its original name {original!r}",
    "As at dataset level, sample metadata columns use each field's `original_name`.",
    bad="obs['curated_cell_type']",
    good="obs['kw_curated_cell_type']",
)
COLUMN_TYPE = Rule(
    "OMX622",
    "sample-column-type",
    Severity.ERROR,
    "Sample column values of the wrong type",
    "column {key!r} should hold {expected} values; {value!r} is not one",
    "The sample-level template fixes each column's type; text in a numeric column fails indexing.",
    bad="obs['umi_counts'] = ['12', 'many']",
    good="obs['umi_counts'] = [12, 40]",
)

RULES = (MISSING_COLUMN, COLUMN_FIELD_NAME, COLUMN_TYPE)


def _is_type(value: Any, field_type: str) -> bool:
    """Whether a cell fits the template type; GCT metadata arrives as text, so numbers may be written as digits."""
    if field_type in ("text", "object"):
        return True
    if field_type == "boolean":
        return isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))
    if isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return field_type == "float" or number.is_integer()


class SampleChecker:
    """A sample-level template plus a rule pack, compiled into one pandera schema per column."""

    def __init__(
        self,
        template: Template,
        pack: RulePack | None,
        required: Sequence[str] = (),
        ontologies: OntologyCatalog | None = None,
    ) -> None:
        self.template = template
        self.pack = pack
        self.required = [f for f in (template.lookup(n) for n in required) if f is not None]
        self.nan_like = frozenset(pack.nan_like) if pack else frozenset()
        # Original column name → (the field's rule, its vocabulary): the same resolver as at dataset level.
        self.vocabularies: dict[str, tuple[FieldRule, TermResolver]] = {}
        for rule in pack.fields if pack else ():
            field = template.lookup(rule.field)
            terms = field_terms(pack, rule, ontologies) if pack is not None and field is not None else None
            if field is not None and terms is not None:
                self.vocabularies[field.original_name] = (rule, terms)

    def _schema(self, field: Field) -> Any:
        import pandera.pandas as pa

        nan_like, field_type = self.nan_like, field.type
        checks = [
            pa.Check(lambda s: ~s.isin(nan_like), name=NAN_LIKE.code),
            pa.Check(lambda s: s.map(lambda v: not isinstance(v, str) or v == v.strip()), name=SURROUNDING_SPACE.code),
            pa.Check(lambda s: s.map(lambda v: v in nan_like or _is_type(v, field_type)), name=COLUMN_TYPE.code),
        ]
        vocabulary = self.vocabularies.get(field.original_name)
        if vocabulary is not None:
            rule, terms = vocabulary
            allowed = frozenset({*rule.allow, *rule.defaults}) | nan_like

            def passes(value: Any) -> bool:
                return not isinstance(value, str) or value in allowed or terms.resolve(value).match is Match.EXACT

            checks.append(pa.Check(lambda s: s.map(passes), name=NOT_IN_VOCABULARY.code))
        return pa.DataFrameSchema({field.original_name: pa.Column(checks=checks, nullable=True, coerce=False)})

    def check_columns(
        self, columns: Mapping[str, Iterable[Any]], display: str, where: str, prefix: str = ""
    ) -> Iterator[Finding]:
        """Findings for a table given as column name → values (distinct values are enough)."""
        import pandas as pd
        import pandera.pandas as pa

        by_original = self.template.by_original_name
        for field in self.required:
            if field.original_name in columns:
                continue
            if field.name in columns and field.name != field.original_name:
                yield COLUMN_FIELD_NAME.finding(
                    display,
                    Location(pointer=f"{prefix}{field.name}"),
                    key=field.name,
                    original=field.original_name,
                    fix=f"rename the column to {field.original_name!r}",
                )
            else:
                yield MISSING_COLUMN.finding(
                    display, Location(pointer=prefix.rstrip("/")), key=field.original_name, where=where
                )
        for name, values in columns.items():
            known = by_original.get(name)
            if known is None:
                continue  # extra analysis columns are allowed
            distinct = pd.Series(pd.unique(pd.Series(list(values), dtype=object)), dtype=object).dropna()
            frame = pd.DataFrame({name: distinct.reset_index(drop=True)})
            try:
                self._schema(known).validate(frame, lazy=True)
            except pa.errors.SchemaErrors as errors:
                yield from self._findings(errors.failure_cases, known, display, prefix)

    def _findings(self, failures: Any, field: Field, display: str, prefix: str) -> Iterator[Finding]:
        where = Location(pointer=f"{prefix}{field.original_name}")
        for row in failures.itertuples(index=False):
            code, value = str(row.check), row.failure_case
            if code == NAN_LIKE.code:
                yield NAN_LIKE.finding(display, where, value=value, fix='write "None"')
            elif code == SURROUNDING_SPACE.code:
                yield SURROUNDING_SPACE.finding(display, where, value=value)
            elif code == COLUMN_TYPE.code:
                yield COLUMN_TYPE.finding(display, where, key=field.original_name, expected=field.type, value=value)
            elif code == NOT_IN_VOCABULARY.code and value not in self.nan_like:
                rule, terms = self.vocabularies[field.original_name]
                finding = term_finding(terms, rule, str(value), display, lambda: where)
                if finding is not None:
                    yield finding
