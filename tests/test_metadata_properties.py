"""Property tests of the metadata validator against the single-cell template, on generated and mutated documents:
it never crashes (no OMX990) whatever the bytes; every location it reports lies inside the input, at a token;
a document built to satisfy the template passes; and losing or retyping one required key fails with that key's
code. The mutation strategies are the accept-path property's (test_accept_path_property), plus byte-level damage.
"""

from __future__ import annotations

import codecs
import json
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omix_ingest.run.runner import inspect_file
from validators.core.model import Finding, Severity
from validators.metadata.compiled import compiled_template
from validators.metadata.validator import MetadataValidator

from .conftest import METADATA, good_doc
from .test_accept_path_property import CTX, KEYS, SCALARS, TRICKY_TEXT, VALUES

VALIDATORS = [MetadataValidator()]
COMPILED = compiled_template(CTX)
assert COMPILED is not None
REQUIRED = ("dataset_id", *COMPILED.required)
NAME = "GSE1_GPL1.json"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKEN_STARTS = set('"[{-0123456789tfn')  # where a JSON value or key begins


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:  # hypothesis reruns a test body: no function-scoped tmp_path
        yield Path(folder)


def validate(folder: Path, data: bytes, name: str = NAME) -> list[Finding]:
    """The findings of the real validator on these bytes, through the runner's per-file entry point, which turns
    any exception into OMX990."""
    path = folder / name
    path.write_bytes(data)
    return list(inspect_file((path, (0,)), CTX, VALIDATORS).findings)


# --------------------------------------------------------------------------------------------- strategies

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6) | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
ODD_KEYS = st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.sampled_from(["", "~0/1", "__index__", "a/b"]))
SNIPPETS = [
    b"\x00",
    b"\xff",
    b"\xc3",
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    b"//",
    b",",
    b"]",
    b"}",
    b"{",
    b'"',
    b"\\",
    b"\\ud800",
    b"NaN",
    b"1e400",
    b"9" * 400,
    b"\n",
    b"\r\n",
    "\u202e".encode(),
    b"[" * 70,
]


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """The valid document with keys replaced, removed and added (the accept-path mutations, and odd keys and
    nested values besides)."""
    doc = good_doc("GSE1_GPL1")
    for key in draw(st.sets(st.sampled_from(KEYS), max_size=3)):
        doc.pop(key, None)
    doc.update(draw(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4)))
    doc.update(draw(st.dictionaries(ODD_KEYS, JSON_VALUES, max_size=2)))
    return doc


def serialize(doc: Any, style: int) -> bytes:
    indent, ascii_only = [(None, False), (2, False), (1, True), ("\t", True)][style]
    return json.dumps(doc, indent=indent, ensure_ascii=ascii_only).encode("utf-8")


# Whole members written first in the object, as no json.dumps would write them: a duplicate key, numbers no
# double holds, nesting past the limit, a lone surrogate.
MEMBERS = [
    b'"organism": ["Mus musculus"], ',
    b'"total_num_cells": 1e400, ',
    b'"total_num_cells": -1e-400, ',
    b'"total_num_samples": ' + b"7" * 400 + b", ",
    b'"x": ' + b"[" * 70 + b"]" * 70 + b", ",
    b'"summary": "\\ud800", ',
    b'"\\udc00": 1, ',
    b'"tissue": NaN, ',
]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A serialized document, maybe with a raw member first, then up to three byte-level injuries: a cut, a
    deleted run, an inserted snippet."""
    data = serialize(draw(documents()), draw(st.integers(0, 3)))
    if draw(st.booleans()):
        data = b"{" + draw(st.sampled_from(MEMBERS)) + data[1:]
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["cut", "delete", "insert", "insert"]))
        if kind == "cut":
            data = data[:at]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 8)) :]
        else:
            data = data[:at] + draw(st.sampled_from(SNIPPETS)) + data[at:]
    return data


# ------------------------------------------------------------------------------------------ location checks


def _text_of(data: bytes) -> str:
    """The text positions are counted in: after a UTF-8 BOM (reported and skipped), invalid bytes as one
    character each (positions of a decoding error are counted in the valid part before it)."""
    return data.removeprefix(codecs.BOM_UTF8).decode("utf-8", "replace")


def _resolve(doc: Any, ptr: str) -> tuple[bool, Any]:
    node = doc
    for raw in ptr.split("/")[1:] if ptr else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def _parsed(text: str) -> Any:
    """The document as Python's json reads it (the last of duplicate keys wins, as in the validator), or None."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def assert_locations_inside(data: bytes, findings: list[Finding]) -> None:
    """Every line and column lies within the text; every pointer names a place in the parsed document (or, for a
    missing key, its parent), and where it has a line and column too, they point at the start of a key or value."""
    text = _text_of(data)
    lines = text.split("\n")
    doc = _parsed(text)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for finding in findings:
        where = finding.location
        if where.line is not None:
            assert 1 <= where.line <= len(lines), finding
            if where.column is not None:
                assert 1 <= where.column <= len(lines[where.line - 1]) + 1, finding
        if where.pointer and isinstance(doc, dict):
            found, _ = _resolve(doc, where.pointer)
            parent_found, _ = _resolve(doc, where.pointer.rsplit("/", 1)[0])
            assert found or parent_found, finding  # a missing key points at its parent object
            if found and where.line is not None and where.column is not None:
                char = text[offsets[where.line - 1] + where.column - 1]
                assert char in TOKEN_STARTS, (finding, char)


# ------------------------------------------------------------------------------------------------ properties


@SETTINGS
@given(damaged())
def test_no_input_crashes_the_validator_and_every_location_is_inside_it(workdir, data):
    findings = validate(workdir, data)
    assert "OMX990" not in {f.code for f in findings}, findings
    assert_locations_inside(data, findings)


@SETTINGS
@given(documents(), st.integers(0, 3))
def test_every_pointer_of_a_parsed_document_names_a_place_in_it(workdir, doc, style):
    data = serialize(doc, style)
    findings = validate(workdir, data)
    assert "OMX990" not in {f.code for f in findings}
    assert_locations_inside(data, findings)


def _positive_values() -> dict[str, list[Any]]:
    """Every value each key takes in the passing fixtures: all accepted by the template and the value rules."""
    pools: dict[str, list[Any]] = {}
    for path in sorted((METADATA / "positive").glob("*.json")):
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            if value not in pools.setdefault(key, []):
                pools[key].append(value)
    return pools


POOLS = _positive_values()
LINKED = ("kw_cell_line", "organism", "disease")  # cross-field rules: taken together from one passing fixture
POSITIVE_DOCS = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((METADATA / "positive").glob("*.json"))]
FREE_TEXT = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"), exclude_characters="\u3000\xa0"),
    min_size=1,
    max_size=30,
).filter(lambda s: s == s.strip() and s not in CTX.rule_pack.nan_like)


RULED = {rule.field for rule in CTX.rule_pack.fields}  # fields with value rules (by field or original name)


def _value_for(key: str) -> st.SearchStrategy[Any]:
    """Values the key's field accepts: any whole number for counts, any tidy text for fields without value rules,
    and for ruled fields (vocabularies, ranges) the values the passing fixtures hold."""
    field = COMPILED.allowed[key]
    if field.type == "integer":
        return st.integers(0, 10**12)
    if field.name in RULED or field.original_name in RULED:
        return st.sampled_from(POOLS[key])
    return st.lists(FREE_TEXT, min_size=1, max_size=3) if field.is_array else FREE_TEXT


OPTIONAL = sorted(k for k in COMPILED.allowed if k not in REQUIRED and k not in LINKED)


@st.composite
def template_documents(draw: st.DrawFn) -> dict[str, Any]:
    """A document written to the template: the required keys, some optional ones, each with a value of its
    field's type that the value rules accept, and the default __index__ block."""
    doc: dict[str, Any] = {"dataset_id": "GSE1_GPL1"}
    for key in REQUIRED[1:]:
        if key not in LINKED:
            doc[key] = draw(_value_for(key))
    source = draw(st.sampled_from(POSITIVE_DOCS))
    doc.update({key: source[key] for key in LINKED if key in source})
    for key in draw(st.sets(st.sampled_from(OPTIONAL))):
        doc[key] = draw(_value_for(key))
    doc["__index__"] = good_doc("x")["__index__"]
    return doc


@SETTINGS
@given(template_documents(), st.integers(0, 3))
def test_a_document_built_to_the_template_passes(workdir, doc, style):
    findings = validate(workdir, serialize(doc, style))
    assert findings == [], [(f.code, f.message) for f in findings]


FINITE = SCALARS.filter(lambda v: not (isinstance(v, float) and math.isinf(v)))  # json.dumps writes Infinity
WRONG_TYPED = st.one_of(FINITE, st.lists(FINITE, max_size=2), st.dictionaries(st.text(max_size=3), FINITE))


def _fits(field_type: str, is_array: bool, value: Any) -> bool:
    """The value has the field's JSON shape and type (JSON Schema's: 2.0 is an integer, True is not)."""
    if is_array:
        return isinstance(value, list) and bool(value) and all(_fits(field_type, False, v) for v in value)
    if field_type == "text":
        return isinstance(value, str)
    if field_type == "integer":
        return type(value) is int or (type(value) is float and value.is_integer())
    return False


def expected_code(key: str, value: Any) -> str:
    """The code for one retyped key, by what the value is against what the template wants."""
    field = COMPILED.allowed[key]
    if field.is_array and not isinstance(value, list):
        return "OMX107"  # a single value where an array is expected
    if not field.is_array and isinstance(value, list):
        return "OMX108"
    if field.is_array and value == []:
        return "OMX109"
    return "OMX106"


REMOVE = object()  # drawn instead of a value: delete the key


@SETTINGS
@given(st.sampled_from(REQUIRED), st.just(REMOVE) | WRONG_TYPED)
def test_losing_or_retyping_a_required_key_fails_with_its_code(workdir, key, value):
    doc = good_doc("GSE1_GPL1")
    field = COMPILED.allowed[key]
    if value is not REMOVE and _fits(field.type, field.is_array, value):
        return  # the drawn value happens to be of the right type: not a retyping
    if value is REMOVE:
        del doc[key]
        wanted, where = ("OMX115" if key == "dataset_id" else "OMX103"), ""
    else:
        doc[key] = value
        wanted, where = expected_code(key, value), f"/{key}"
    findings = validate(workdir, serialize(doc, 2))
    errors = [f for f in findings if f.severity >= Severity.ERROR]
    shown = [(f.code, f.location.pointer, f.message) for f in findings]
    assert any(f.code == wanted and f.location.pointer.startswith(where) for f in errors), shown
    if value is REMOVE and key != "dataset_id":
        assert any(f.code == "OMX103" and f.params.get("key") == key for f in errors), shown
