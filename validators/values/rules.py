"""The value rules (OMX2xx), declared apart from their checks; the fast accept schema and the full checks
report against the same declarations."""

from __future__ import annotations

from validators.core.model import Rule, Severity

NOT_IN_VOCABULARY = Rule(
    "OMX201",
    "value-not-in-vocabulary",
    Severity.ERROR,
    "Value not in the controlled vocabulary",
    "{value!r} is not in the {vocabulary} vocabulary",
    "Curated fields take terms from a controlled vocabulary so that the atlas's filters group datasets correctly. "
    'A term outside it creates a facet value nobody searches for. Use the vocabulary\'s spelling, or "None" when '
    "the field does not apply.",
    bad='"organism": ["Human"]',
    good='"organism": ["Homo sapiens"]',
)
VOCABULARY_CASE = Rule(
    "OMX202",
    "vocabulary-case-mismatch",
    Severity.ERROR,
    "Vocabulary term spelled with different case or spacing",
    "{value!r} matches the {vocabulary} term {term!r} only when case and spacing are ignored",
    'Atlas filters compare terms exactly: "geo" and "GEO" become two different sources. Write the term exactly '
    "as the vocabulary spells it.",
    bad='"dataset_source": "geo"',
    good='"dataset_source": "GEO"',
    autofix="writes the term exactly as the vocabulary spells it",
)
PATTERN_MISMATCH = Rule(
    "OMX203",
    "pattern-mismatch",
    Severity.ERROR,
    "Value does not match the required pattern",
    "{value!r} does not match the pattern {pattern}",
    "The rule pack requires this field to match a regular expression (the whole value must match).",
    bad='"publication": "pubmed 123"',
    good='"publication": "https://pubmed.ncbi.nlm.nih.gov/123"',
)
OUT_OF_RANGE = Rule(
    "OMX204",
    "value-out-of-range",
    Severity.ERROR,
    "Number missing or out of range",
    "{value!r} {problem}",
    "The rule pack bounds this numeric field (for example `year` between 1900 and the current year). Numbers may "
    "be written as JSON numbers or, where the template says text, as digits in a string; the pack may also allow "
    'literal placeholders such as "None".',
    bad='"year": "18"',
    good='"year": "2018"',
)
NAN_LIKE = Rule(
    "OMX205",
    "nan-like-value",
    Severity.ERROR,
    'Missing value written as a "nan"-like string',
    "{value!r} stands for a missing value",
    'Strings such as "nan", "NA", "null" or "" come from spreadsheet and pandas exports. The atlas indexes '
    'them as real terms. Polly\'s convention for "not applicable" is the string "None".',
    bad='"tissue": ["nan"]',
    good='"tissue": ["None"]',
    autofix="writes the field's default (\"None\", or the pack's) where the field has one; a field whose "
    "vocabulary has no default is left for a person",
)
DEFAULT_MIXED = Rule(
    "OMX206",
    "default-mixed-with-values",
    Severity.ERROR,
    "Default value mixed with real values",
    "{defaults} mixed with real values in one array: {values}",
    'A default such as "None" (or "Normal" for disease) means "nothing applies"; next to real terms it '
    "contradicts them and pollutes filters. Keep either the default alone or only real terms.",
    bad='"disease": ["Normal", "Breast Neoplasms"]',
    good='"disease": ["Breast Neoplasms"]',
)
CROSS_FIELD = Rule(
    "OMX207",
    "cross-field-inconsistent",
    Severity.ERROR,
    "Fields disagree with each other",
    "{key_field} {key!r} implies {field} {expected}, but the file says {actual}",
    "Some facts follow from others: a cell line comes from one organism and models known diseases. When the "
    "metadata contradicts the reference table, one of the two fields is probably wrong.",
    bad='"kw_cell_line": ["HeLa"], "organism": ["Mus musculus"]',
    good='"kw_cell_line": ["HeLa"], "organism": ["Homo sapiens"]',
)
SURROUNDING_SPACE = Rule(
    "OMX208",
    "surrounding-whitespace",
    Severity.WARNING,
    "Value has leading or trailing white space",
    "{value!r} has leading or trailing white space",
    "Invisible spaces make otherwise equal terms differ in the atlas's filters and exact searches.",
    bad='"tissue": ["liver "]',
    good='"tissue": ["liver"]',
    autofix="removes the surrounding white space",
)

TERM_SYNONYM = Rule(
    "OMX209",
    "term-is-synonym",
    Severity.ERROR,
    "Synonym or common name instead of the preferred label",
    "{value!r} is a synonym in {vocabulary}; the preferred label is {labels}",
    'Ontologies list many names for one concept ("human", "flu"); the atlas indexes only the preferred '
    "label, so a synonym splits one concept into several facet values. The rule pack decides whether this is an "
    "error or a warning for each field.",
    bad='"curated_organism": ["human"]',
    good='"curated_organism": ["Homo sapiens"]',
    autofix="writes the preferred label when the synonym names one term; an ambiguous synonym is left for a person",
)
TERM_ID_FOR_LABEL = Rule(
    "OMX210",
    "term-id-instead-of-label",
    Severity.ERROR,
    "Ontology term id written instead of its label",
    "{value!r} is the id of the {vocabulary} term {labels}",
    "Curated fields hold labels, not identifiers: filters and searches compare the label. The rule pack may "
    "accept ids (CURIEs) for a field; otherwise write the label the id stands for.",
    bad='"curated_organism": ["NCBITaxon:9606"]',
    good='"curated_organism": ["Homo sapiens"]',
    autofix="writes the label of the term the id names",
)
DEPRECATED_TERM = Rule(
    "OMX211",
    "deprecated-term",
    Severity.ERROR,
    "Deprecated ontology term",
    "{value!r} is the label of the deprecated {vocabulary} term {term_id}{replacement}",
    "Ontologies retire terms that were wrong or duplicated, and usually name the term that replaces them. A "
    "retired term no longer groups with current data.",
    bad='"curated_cell_type": ["bone matrix secreting cell"]',
    good='"curated_cell_type": ["osteoblast"]',
    autofix="writes the label of the replacing term, where the ontology names one",
)
TERM_OUTSIDE_BRANCH = Rule(
    "OMX212",
    "term-outside-branch",
    Severity.ERROR,
    "Ontology term from the wrong branch",
    "{value!r} is a {vocabulary} term ({term_id}) but not under {under}",
    "Some fields take only part of an ontology: a tissue is an anatomical entity, a cell type is a cell. A real "
    "term from elsewhere in the ontology (a developmental stage in a tissue field) is still the wrong kind of "
    "value.",
    bad='"curated_tissue": ["life cycle"]',
    good='"curated_tissue": ["liver"]',
)

INVISIBLE_CHARACTERS = Rule(
    "OMX213",
    "invisible-characters",
    Severity.WARNING,
    "Value holds invisible or direction-changing characters",
    "{value!r} holds {count} invisible or bidirectional control character(s) ({names})",
    "Zero-width spaces and joiners, byte order marks and bidirectional overrides come from copying out of web "
    "pages, PDFs and spreadsheets. They make equal-looking terms differ, and overrides can make a value display "
    'differently from what it is (the trick of "Trojan Source"). Control characters (a NUL, an escape) are legal '
    "JSON when written as \\u escapes, but never part of a real value, and a NUL cuts the value short wherever "
    "it meets a C string.",
    bad='"tissue": ["liver\u200b"]',
    good='"tissue": ["liver"]',
    autofix="removes the invisible characters",
)

RULES = (
    NOT_IN_VOCABULARY,
    VOCABULARY_CASE,
    PATTERN_MISMATCH,
    OUT_OF_RANGE,
    NAN_LIKE,
    DEFAULT_MIXED,
    CROSS_FIELD,
    SURROUNDING_SPACE,
    TERM_SYNONYM,
    TERM_ID_FOR_LABEL,
    DEPRECATED_TERM,
    TERM_OUTSIDE_BRANCH,
    INVISIBLE_CHARACTERS,
)
