"""Resolving one curated value against a field's vocabulary: the rule pack's own lists and, where the pack names
one, an offline ontology.

The answer says how the value relates to the vocabulary (an exact term, a CURIE, a synonym, a case slip, a
deprecated or misplaced term, or nothing known) and which preferred label would be right, so that every hint leads
to a value that passes. Answers are remembered: a folder repeats the same few terms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from validators.core.ontology_index import OntologyIndex, Term
from validators.core.ontology_source import ID_FORMATS
from validators.core.rulepack import Vocabulary, fold

MEMO_LIMIT = 20_000  # answers kept per field (bounded memory)
SUGGESTIONS = 3
SUGGESTION_CUTOFF = 80.0  # rapidfuzz ratio (0-100) below which a label is not worth suggesting


class Match(Enum):
    """How a value relates to the field's vocabulary; each kind but EXACT has its own rule code."""

    EXACT = "exact"
    CASE = "case"  # equal to a term but for case or spacing
    SYNONYM = "synonym"  # a synonym or common name of one or more terms
    CURIE = "curie"  # a term id (NCBITaxon:9606) rather than its label
    DEPRECATED = "deprecated"  # the label of an obsolete term
    OUTSIDE = "outside"  # a real term, but not under the branch the field requires
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Resolution:
    match: Match
    # The preferred labels that would be right, best first; one label means the fix is unambiguous.
    labels: tuple[str, ...] = ()
    term_id: str | None = None

    @property
    def fix(self) -> str | None:
        return self.labels[0] if len(self.labels) == 1 else None


_EXACT = Resolution(Match.EXACT)


class TermResolver:
    """One field's vocabulary: pack lists (trusted as they are) plus an optional ontology and required branch."""

    def __init__(
        self,
        lists: Sequence[Vocabulary],
        ontology: OntologyIndex | None,
        under: frozenset[str] = frozenset(),
        *,
        missing_ontology: str | None = None,
    ) -> None:
        self.lists = tuple(lists)
        # The ontology the pack names but this installation lacks: only the lists were checked, and an unknown
        # term cannot be called wrong with confidence.
        self.missing_ontology = missing_ontology
        self.terms = frozenset().union(*(v.terms for v in self.lists)) if self.lists else frozenset()
        self.folded = {k: t for v in self.lists for k, t in v.folded.items()}
        self.ontology = ontology
        self.under = under
        self._memo: dict[str, Resolution] = {}
        self._suggested: dict[str, tuple[str, ...]] = {}

    @property
    def name(self) -> str:
        names = [v.name for v in self.lists]
        if self.ontology is not None:
            names.append(self.ontology.name)
        return " + ".join(names) or (self.missing_ontology or "")

    def resolve(self, value: str) -> Resolution:
        if value in self.terms:
            return _EXACT
        known = self._memo.get(value)
        if known is None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            known = self._memo[value] = self._resolve(value)
        return known

    def _resolve(self, value: str) -> Resolution:
        onto = self.ontology
        if onto is not None:
            exact = onto.by_label(value)
            if exact:
                return self._judge(exact, Match.EXACT)
            term = self._term_by_id(onto, value)
            if term is not None:
                return self._judge([term], Match.CURIE)
        listed = self.folded.get(fold(value))
        if listed is not None:
            return Resolution(Match.CASE, (listed,))
        if onto is not None:
            folded = onto.by_folded_label(value)  # a case slip, or the label an obsolete term had in use
            if folded:
                return self._judge(folded, Match.CASE)
            synonyms = [t for t in onto.by_synonym(value) if not t.deprecated]
            if synonyms:
                return self._judge(synonyms, Match.SYNONYM)
        return Resolution(Match.UNKNOWN)  # suggestions cost a fuzzy search of every label: see `suggested`

    def _judge(self, found: list[Term], kind: Match) -> Resolution:
        """Deprecation and the required branch, for terms found by label, id, case or synonym."""
        current = [t for t in found if not t.deprecated]
        if not current:
            return self._deprecated(found[0])
        placed = [t for t in current if self._placed(t)]
        if not placed:
            return Resolution(Match.OUTSIDE, (), current[0].id)
        if kind is Match.EXACT:
            return _EXACT
        labels = tuple(dict.fromkeys(t.label for t in placed))
        return Resolution(kind, labels, placed[0].id if len(placed) == 1 else None)

    def _deprecated(self, term: Term) -> Resolution:
        onto = self.ontology
        replacement = onto.term(term.replaced_by) if onto is not None and term.replaced_by else None
        labels = (replacement.label,) if replacement is not None and not replacement.deprecated else ()
        return Resolution(Match.DEPRECATED, labels, term.id)

    def _placed(self, term: Term) -> bool:
        return not self.under or (self.ontology is not None and self.ontology.is_under(term.id, self.under))

    @staticmethod
    def _term_by_id(onto: OntologyIndex, value: str) -> Term | None:
        """The term a CURIE names (`NCBITaxon:9606`, `ncbitaxon_9606`, `CVCL_0030`; a bare taxon number too)."""
        prefix, separator = ID_FORMATS.get(onto.name, (onto.name, ":"))
        match = re.fullmatch(r"\s*([A-Za-z][A-Za-z0-9]*)[:_](\w+)\s*", value)
        if match and match.group(1).casefold() == prefix.casefold():
            return onto.term(f"{prefix}{separator}{match.group(2)}")
        if onto.name == "NCBITaxon" and value.strip().isdecimal() and value.strip().isascii():
            return onto.term(f"NCBITaxon:{value.strip()}")
        return None

    def suggested(self, value: str) -> tuple[str, ...]:
        """`suggestions`, memoized, and asked only when a finding for an unknown term is built: 700,000 distinct
        unknown terms past the findings cap must not cost 700,000 fuzzy searches."""
        known = self._suggested.get(value)
        if known is None:
            if len(self._suggested) >= MEMO_LIMIT:
                self._suggested.clear()
            known = self._suggested[value] = tuple(self.suggestions(value))
        return known

    def suggestions(self, value: str) -> list[str]:
        """The closest labels by string distance (case and spacing aside), over the pack's lists and the whole
        ontology."""
        from rapidfuzz import fuzz, process

        listed = sorted(self.terms)
        folded, labels = [fold(t) for t in listed], listed
        if self.ontology is not None:
            onto_folded, onto_labels = self.ontology.labels()
            folded, labels = folded + onto_folded, labels + onto_labels
        found = process.extract(
            fold(value), folded, scorer=fuzz.ratio, limit=SUGGESTIONS * 3, score_cutoff=SUGGESTION_CUTOFF
        )
        best = sorted(found, key=lambda hit: (-hit[1], labels[hit[2]]))
        return list(dict.fromkeys(labels[index] for _, _, index in best))[:SUGGESTIONS]
