"""The atlas's dataset-level (or sample-level) template: fields keyed by `original_name`.

Loads the three shapes a curator meets: a Polly schema document (`data.attributes.schema → source → datatype →
field_name → attributes`), the bare `schema` mapping, and the flat `dataset_metadata_template` output
(`{original_name: "type" | []}`). Fetching and caching templates is the application's job; this module only turns
a parsed document into a `Template`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# Fields the Polly server fills in itself (polly-api.md). Users never have to write them.
SYSTEM_FIELDS = frozenset(
    {
        "src_uri",
        "data_table_name",
        "data_table_version",
        "timestamp_",
        "file_type",
        "key",
        "src_repo",
        "package",
        "file_location",
        "version",
        "bucket",
        "region",
        "is_current",
    }
)

# Schema `type` → JSON Schema type.
JSON_TYPES = {
    "text": "string",
    "integer": "integer",
    "float": "number",
    "boolean": "boolean",
    "object": "object",
}

INDEX_KEY = "__index__"


class TemplateError(Exception):
    """The template cannot be used as given (bad document, ambiguous source/data type). A usage error."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    original_name: str
    type: str
    is_array: bool
    is_reserved: bool = False
    is_curated: bool = False

    @property
    def is_system(self) -> bool:
        """Server-managed: in the known system list (by field name, or `kw_`-less original name) or reserved."""
        bare = self.original_name.removeprefix("kw_")
        return self.is_reserved or self.name in SYSTEM_FIELDS or bare in SYSTEM_FIELDS

    def json_schema(self) -> dict[str, Any]:
        item: dict[str, Any] = {"type": JSON_TYPES[self.type]}
        if self.is_array:
            return {"type": "array", "items": item, "minItems": 1}
        return item


@dataclass(frozen=True)
class Template:
    """One source/data-type slice of a schema, ready to validate against."""

    template_id: str
    source: str
    data_type: str
    fields: tuple[Field, ...]
    repo_id: str = ""
    schema_type: str = "files"

    @cached_property
    def by_original_name(self) -> dict[str, Field]:
        return {f.original_name: f for f in self.fields}

    @cached_property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}

    def lookup(self, name: str) -> Field | None:
        """A field by original name first, then by field name: rule packs may use either."""
        return self.by_original_name.get(name) or self.by_name.get(name)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def canonical_bytes(self) -> bytes:
        body = {
            "source": self.source,
            "data_type": self.data_type,
            "schema_type": self.schema_type,
            "fields": [[f.name, f.original_name, f.type, f.is_array, f.is_reserved, f.is_curated] for f in self.fields],
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def metadata_template(self) -> dict[str, Any]:
        """The `dataset_metadata_template` shape: original names → type or [], plus the default `__index__`."""
        out: dict[str, Any] = {f.original_name: ([] if f.is_array else f.type) for f in self.fields}
        out[INDEX_KEY] = dict(DEFAULT_INDEX)
        return out


# The `__index__` block Polly's dataset_metadata_template carries: what the atlas indexes by default.
DEFAULT_INDEX: Mapping[str, bool] = {
    "file_metadata": True,
    "col_metadata": True,
    "row_metadata": False,
    "data_required": False,
}


def _field_from_attributes(name: str, attrs: Mapping[str, Any], where: str) -> Field:
    if not isinstance(attrs, Mapping):
        raise TemplateError(f"{where}: field {name!r} is not an object")
    type_ = attrs.get("type", "text")
    if type_ not in JSON_TYPES:
        raise TemplateError(f"{where}: field {name!r} has unknown type {type_!r} (expected {', '.join(JSON_TYPES)})")
    original = attrs.get("original_name") or name
    if not isinstance(original, str):
        raise TemplateError(f"{where}: field {name!r} has a non-text original_name")
    return Field(
        name=name,
        original_name=original,
        type=type_,
        is_array=bool(attrs.get("is_array", False)),
        is_reserved=bool(attrs.get("is_reserved", False)),
        is_curated=bool(attrs.get("is_curated", False)),
    )


def _flat_field(original_name: str, spec: Any, where: str) -> Field:
    if isinstance(spec, list):
        return Field(name=original_name, original_name=original_name, type="text", is_array=True)
    if isinstance(spec, str) and spec in JSON_TYPES:
        return Field(name=original_name, original_name=original_name, type=spec, is_array=False)
    raise TemplateError(f"{where}: key {original_name!r} must map to a type name or [] in a flat template")


def _schema_mapping(document: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, str, str]:
    """Find `source → datatype → fields` in a schema document; None when the document is a flat template."""
    data = document.get("data")
    if isinstance(data, Mapping) and isinstance(data.get("attributes"), Mapping):
        attrs = data["attributes"]
        schema = attrs.get("schema")
        if not isinstance(schema, Mapping):
            raise TemplateError("schema document has data.attributes but no data.attributes.schema object")
        repo = str(attrs.get("repo_id") or data.get("id") or "")
        return schema, repo, str(attrs.get("schema_type") or "files")
    if isinstance(document.get("schema"), Mapping):
        return (
            document["schema"],
            str(document.get("repo_id", "")),
            str(document.get("schema_type") or "files"),
        )
    values = list(document.values())
    if values and all(isinstance(v, Mapping) for v in values):
        inner = [w for v in values for w in v.values()]
        if inner and all(isinstance(w, Mapping) and all(isinstance(a, Mapping) for a in w.values()) for w in inner):
            return document, "", "files"
    return None, "", "files"


def load_template(
    document: Any,
    *,
    name: str,
    source: str | None = None,
    data_type: str | None = None,
) -> Template:
    """Build a Template from any of the supported document shapes; `name` identifies it in reports."""
    if not isinstance(document, Mapping):
        raise TemplateError(f"{name}: a template must be a JSON object")
    schema, repo, schema_type = _schema_mapping(document)
    if schema is None:
        fields = tuple(_flat_field(k, v, name) for k, v in document.items() if k != INDEX_KEY)
        if not fields:
            raise TemplateError(f"{name}: the template defines no fields")
        return Template(f"{name}", source or "all", data_type or "all", fields, repo, schema_type)

    pairs = [(s, d) for s, by_type in schema.items() if isinstance(by_type, Mapping) for d in by_type]
    if not pairs:
        raise TemplateError(f"{name}: the schema has no source/data type entries")
    chosen = [(s, d) for s, d in pairs if (source is None or s == source) and (data_type is None or d == data_type)]
    listing = ", ".join(f"--source {s!r} --data-type {d!r}" for s, d in pairs)
    if not chosen:
        raise TemplateError(f"{name}: no source/data type matches {source!r}/{data_type!r}; available: {listing}")
    if len(chosen) > 1:
        raise TemplateError(f"{name}: the schema holds several source/data type pairs; choose one of: {listing}")
    src, dtype = chosen[0]
    raw_fields = schema[src][dtype]
    if not isinstance(raw_fields, Mapping) or not raw_fields:
        raise TemplateError(f"{name}: {src}/{dtype} defines no fields")
    where = f"{name} [{src}/{dtype}]"
    fields = tuple(_field_from_attributes(k, v, where) for k, v in raw_fields.items())
    originals = [f.original_name for f in fields]
    clashes = sorted({o for o in originals if originals.count(o) > 1})
    if clashes:
        raise TemplateError(f"{where}: several fields share the original_name {', '.join(clashes)}")
    return Template(f"{name}#{src}/{dtype}", src, dtype, fields, repo, schema_type)
