"""The shape of a rule pack file (JSON Schema), checked before anything in it is used."""

from __future__ import annotations

from typing import Any

# Ontologies a field may name; the offline source may lack some, which the report then says.
KNOWN_ONTOLOGIES = (
    "NCBITaxon",
    "UBERON",
    "CL",
    "MONDO",
    "CVCL",
    "CHEBI",
    "EFO",
    "PATO",
    "HANCESTRO",
    "HsapDv",
    "MmusDv",
)
# How a value can relate to a field's vocabulary; the pack sets a severity (or "accept") for each.
MATCH_KINDS = ("unknown", "case", "synonym", "curie", "deprecated", "outside")

PACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "extends": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "version": {"type": ["integer", "string"]},
        "required": {"type": "array", "items": {"type": "string"}},
        "user_fields": {"type": "array", "items": {"type": "string"}},
        "sample_required": {"type": "array", "items": {"type": "string"}},
        "nan_like": {"type": "array", "items": {"type": "string"}},
        "severities": {
            "type": "object",
            "propertyNames": {"pattern": "^OMX[0-9]{3}$"},
            "additionalProperties": {"enum": ["error", "warning", "info"]},
        },
        "vocabularies": {"type": "object", "additionalProperties": {"type": "string"}},
        "tables": {"type": "object", "additionalProperties": {"type": "string"}},
        "fields": {
            "type": "object",
            "additionalProperties": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "properties": {
                    "vocabulary": {
                        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]
                    },
                    "vocabulary_severity": {"enum": ["error", "warning", "info"]},
                    "ontology": {"enum": list(KNOWN_ONTOLOGIES)},
                    "under": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                    "match": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {kind: {"enum": ["error", "warning", "info", "accept"]} for kind in MATCH_KINDS},
                    },
                    "pattern": {"type": "string"},
                    "range": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "min": {"type": ["number", "string"]},
                            "max": {"type": ["number", "string"]},
                            "integer": {"type": "boolean"},
                        },
                    },
                    "allow": {"type": "array", "items": {"type": "string"}},
                    "defaults": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "consistency": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "sample_count": {"type": "string"},
                "cell_count": {"type": "string"},
                "data_type": {"type": "string"},
                "data_type_formats": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "cross_field": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "table", "key", "attribute", "field"],
                "properties": {
                    "name": {"type": "string"},
                    "table": {"type": "string"},
                    "key": {"type": "string"},
                    "attribute": {"type": "string"},
                    "field": {"type": "string"},
                    "severity": {"enum": ["error", "warning", "info"]},
                },
            },
        },
    },
}
