"""Strict JSON reading with positions.

Python's json keeps the last of two duplicate keys and accepts `NaN`/`Infinity`; both hide real mistakes in
hand-edited metadata, so this reader reports them. Positions (line/column for a JSON Pointer) come from a source map
that is only computed when a finding needs one, keeping the accept path fast.
"""

from __future__ import annotations

import bisect
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]  # public since 2.6, not in typeshed
from pathlib import Path
from typing import Any

from validators.core.jsonnumbers import NUMBER_NOT_REPRESENTABLE as NUMBER_NOT_REPRESENTABLE  # re-exported
from validators.core.jsonnumbers import float_reader, int_reader, unrepresentable
from validators.core.model import Finding, Location, Rule, Severity
from validators.core.unreadable import ReadLimits, decode_utf8, line_column, read_bytes

INVALID_JSON = Rule(
    "OMX905",
    "invalid-json",
    Severity.ERROR,
    "Invalid JSON",
    "invalid JSON: {detail}",
    "The file does not parse as JSON (RFC 8259). Common causes: a trailing comma, single quotes, comments, "
    "unquoted keys, or NaN/Infinity, which Python writes but JSON does not allow.",
    bad='{"year": 2018,}',
    good='{"year": 2018}',
)
TOO_DEEP = Rule(
    "OMX907",
    "nesting-too-deep",
    Severity.ERROR,
    "JSON nested deeper than the configured limit",
    "objects and arrays are nested {depth} levels deep, over the limit of {limit}",
    "Dataset metadata is shallow (a few levels for `__index__`). Very deep nesting is a generated or hostile file "
    "and can exhaust the parser's stack. Raise `max-depth` in `[tool.omix]` if it is genuine.",
    bad='{"a": [[[[[[[[ ... ]]]]]]]]}',
    good='{"a": ["x"]}',
)
ROOT_NOT_OBJECT = Rule(
    "OMX101",
    "root-not-object",
    Severity.ERROR,
    "Metadata root is not an object",
    "the metadata must be a JSON object, found {kind}",
    "A dataset-level metadata file holds one JSON object whose keys are the template's original names. A list "
    "(several datasets in one file) or a bare value cannot be ingested: write one file per dataset.",
    bad='[{"dataset_id": "GSE1_GPL1"}]',
    good='{"dataset_id": "GSE1_GPL1"}',
)
DUPLICATE_KEY = Rule(
    "OMX102",
    "duplicate-key",
    Severity.ERROR,
    "Duplicate key in one object",
    "key {key!r} appears more than once in the same object; parsers silently keep only the last value",
    "JSON parsers differ on duplicate keys and most keep the last one without a word, so one of the two values is "
    "lost. Merge the values into one key.",
    bad='{"organism": ["Homo sapiens"], "organism": ["Mus musculus"]}',
    good='{"organism": ["Homo sapiens", "Mus musculus"]}',
)

RULES = (INVALID_JSON, TOO_DEEP, ROOT_NOT_OBJECT, DUPLICATE_KEY, NUMBER_NOT_REPRESENTABLE)

_CONSTANT = re.compile(r"-?Infinity|NaN")


def json_kind(value: Any) -> str:
    """The JSON name of a Python value's type, with its article, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def escape_pointer_token(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    return "".join("/" + escape_pointer_token(t) for t in tokens)


class _NonStandardConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


class _DuplicateKeys(dict[str, Any]):
    """A dict that remembers which of its keys were written twice (only built when that happens)."""

    duplicates: tuple[str, ...] = ()


def _pairs_hook(seen: list[bool]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) == len(pairs):
            return obj
        counts: dict[str, int] = {}
        for key, _ in pairs:
            counts[key] = counts.get(key, 0) + 1
        marked = _DuplicateKeys(obj)
        marked.duplicates = tuple(k for k, n in counts.items() if n > 1)
        seen.append(True)
        return marked

    return build


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in node)
    return deepest


def _duplicate_pointers(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(pointer of the duplicated key, key) for every object that had duplicates."""
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if isinstance(value, _DuplicateKeys):
            out.extend((prefix + pointer(k), k) for k in value.duplicates)
        for k, v in value.items():
            out.extend(_duplicate_pointers(v, prefix + pointer(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_duplicate_pointers(v, prefix + pointer(i)))
    return out


_SPACE = re.compile(r"[ \t\n\r]*")
_NEWLINE = re.compile("\n")
_DECODER = json.JSONDecoder()


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _scan(text: str) -> Iterator[tuple[str, int, int | None]]:
    """(pointer, offset of the value, offset of its key or None) of every value of a (valid) JSON text, in
    document order, stepping over scalars with the stdlib's C decoder. Iterative: depth costs no recursion."""
    pos, ptr, key_pos = _skip(text, 0), "", None
    open_containers: list[list[Any]] = []  # [kind, pointer of the container, next array index]
    while True:
        yield ptr, pos, key_pos
        if text.startswith(("{", "["), pos):
            open_containers.append([text[pos], ptr, 0])
            pos = _skip(text, pos + 1)
        else:
            pos = _skip(text, _DECODER.raw_decode(text, pos)[1])
            if open_containers and text.startswith(",", pos):
                pos = _skip(text, pos + 1)
        while open_containers:  # to the next value, closing finished containers on the way
            kind, base, index = open_containers[-1]
            if kind == "{" and text.startswith('"', pos):
                key_pos = pos
                key, pos = scanstring(text, pos + 1)
                pos = _skip(text, _skip(text, pos) + 1)  # past the colon
                ptr = f"{base}/{escape_pointer_token(key)}"
                break
            if kind == "[" and not text.startswith("]", pos):
                ptr, key_pos = f"{base}/{index}", None
                open_containers[-1][2] = index + 1
                break
            open_containers.pop()
            pos = _skip(text, pos + 1)  # past the closing brace or bracket
            if open_containers and text.startswith(",", pos):
                pos = _skip(text, pos + 1)
        else:
            return


@dataclass
class JsonDocument:
    """A parsed document plus pointer → line/column lookup, computed only for findings. The text is scanned once,
    lazily and only as far as the lookups need; every pointer met is remembered, so N findings cost one pass at
    most, never N passes. `duplicate_keys`: a key is written twice somewhere, and the last one must win (as in the
    parsed value), so the first lookup scans to the end."""

    value: Any
    text: str
    duplicate_keys: bool = False
    _seen: dict[str, tuple[int, int | None]] = field(default_factory=dict, repr=False, compare=False)
    _scanner: Iterator[tuple[str, int, int | None]] | None = field(default=None, repr=False, compare=False)
    _newlines: list[int] | None = field(default=None, repr=False, compare=False)

    def locate(self, ptr: str, *, key: bool = False) -> Location:
        """Location of a pointer; `key=True` points at the key rather than the value. A pointer that does not
        exist (a missing field) falls back to its nearest existing parent."""
        probe = ptr
        while True:
            spot = self._spot(probe)
            if spot is not None:
                offset = spot[1] if key and spot[1] is not None else spot[0]
                line, column = self._line_column(offset)
                return Location(pointer=ptr, line=line, column=column)
            if not probe:
                return Location(pointer=ptr)
            probe = probe.rsplit("/", 1)[0]
            key = False

    def _spot(self, ptr: str) -> tuple[int, int | None] | None:
        if ptr in self._seen:
            return self._seen[ptr]
        if self._scanner is None:
            self._scanner = _scan(self.text)
        for found, pos, key_pos in self._scanner:
            self._seen[found] = (pos, key_pos)
            if found == ptr and not self.duplicate_keys:
                return self._seen[found]
        return self._seen.get(ptr)  # scanned to the end

    def _line_column(self, offset: int) -> tuple[int, int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(self.text)]
        before = bisect.bisect_left(self._newlines, offset)  # newlines before the offset
        line_start = self._newlines[before - 1] + 1 if before else 0
        return before + 1, offset - line_start + 1


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # only then can the parsed text hold a lone surrogate


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def _lone_surrogate(value: Any, ptr: str = "") -> tuple[str, bool] | None:
    """(pointer, is a key) of the first string holding a lone surrogate, which RFC 8259 lets JSON spell but no
    UTF-8 text can hold; None when every pair was complete."""
    if isinstance(value, str):
        return (ptr, False) if _has_surrogate(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{ptr}/{key.replace('~', '~0').replace('/', '~1')}"
            if _has_surrogate(key):
                return here, True
            found = _lone_surrogate(item, here)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate(item, f"{ptr}/{index}")
            if found is not None:
                return found
    return None


def parse_json_text(text: str, display: str, limits: ReadLimits) -> tuple[JsonDocument | None, list[Finding]]:
    seen: list[bool] = []
    lossy: list[str] = []
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs_hook(seen),
            parse_constant=_reject_constant,
            parse_float=float_reader(lossy),
            parse_int=int_reader(lossy),
        )
    except json.JSONDecodeError as exc:
        where = Location(line=exc.lineno, column=exc.colno)
        return None, [INVALID_JSON.finding(display, where, detail=f"{exc.msg} (line {exc.lineno}, column {exc.colno})")]
    except _NonStandardConstant as exc:
        match = _CONSTANT.search(text)
        line, column = line_column(text, match.start()) if match else (None, None)
        detail = f"{exc} is not a JSON value"
        fix = 'write null, or "None" for a missing value'
        return None, [INVALID_JSON.finding(display, Location(line=line, column=column), detail=detail, fix=fix)]
    except RecursionError:  # deeper than the parser's stack, which can be below a limit raised by hand
        limit = min(limits.max_depth, sys.getrecursionlimit())
        return None, [TOO_DEEP.finding(display, depth="too many", limit=limit)]
    if lossy:
        return None, unrepresentable(text, display, lossy)
    # Cheap bound first: nesting cannot exceed the number of opening brackets.
    if text.count("{") + text.count("[") > limits.max_depth:
        depth = _depth(value)
        if depth > limits.max_depth:
            return None, [TOO_DEEP.finding(display, depth=depth, limit=limits.max_depth)]
    if _SURROGATE_ESCAPE.search(text):
        found = _lone_surrogate(value)
        if found is not None:
            where = JsonDocument(value, text).locate(found[0], key=found[1])
            detail = "a \\u escape of half a UTF-16 surrogate pair (a lone surrogate) is not a character"
            fix = "remove the escape or complete the pair"
            return None, [INVALID_JSON.finding(display, where, detail=detail, fix=fix)]
    document = JsonDocument(value, text, duplicate_keys=bool(seen))
    findings: list[Finding] = []
    if seen:
        for ptr, key in _duplicate_pointers(value):
            findings.append(DUPLICATE_KEY.finding(display, document.locate(ptr, key=True), key=key))
    return document, findings


def read_json_object(
    path: Path, display: str, limits: ReadLimits
) -> tuple[JsonDocument | None, bytes | None, list[Finding]]:
    """Read and parse a metadata file. Returns the document only when its root is an object, plus the raw bytes
    (for hashing) and the findings made on the way."""
    data, findings = read_bytes(path, display, limits)
    if data is None:
        return None, None, findings
    text, more = decode_utf8(data, display)
    findings += more
    if text is None:
        return None, data, findings
    document, more = parse_json_text(text, display, limits)
    findings += more
    if document is None:
        return None, data, findings
    if not isinstance(document.value, dict):
        findings.append(ROOT_NOT_OBJECT.finding(display, Location(line=1, column=1), kind=json_kind(document.value)))
        return None, data, findings
    return document, data, findings
