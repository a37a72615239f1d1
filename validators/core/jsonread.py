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
from collections.abc import Callable
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


def unescape_pointer_token(token: str) -> str:
    """The key or index one JSON Pointer token names (RFC 6901: `~1` is `/`, then `~0` is `~`)."""
    return token.replace("~1", "/").replace("~0", "~")


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


_KEY = re.compile(r'[ \t\n\r]*"((?:[^"\\]|\\.)*)"[ \t\n\r]*:[ \t\n\r]*')  # a key and its colon
_AFTER_VALUE = re.compile(r"[ \t\n\r]*(,?)[ \t\n\r]*")
_SCAN_VALUE: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]  # C scanner: (value, end offset) of the JSON value at an offset


def _members(text: str, pos: int) -> dict[str, tuple[int, int | None]]:
    """Token -> (offset of the value, offset of its key or None) for the object or array whose opening bracket is
    at `pos`; empty for a scalar. Each member's value is stepped over whole by the stdlib's C scanner, so indexing
    one container costs one Python step per member, however large its members are. A key written twice keeps its
    last place, as the parsed value keeps its last value."""
    members: dict[str, tuple[int, int | None]] = {}
    is_object = text.startswith("{", pos)
    if not is_object and not text.startswith("[", pos):
        return members
    pos = _skip(text, pos + 1)
    if text.startswith(("}", "]"), pos):
        return members
    index, more = 0, ","
    while more:
        key_pos: int | None = None
        if is_object:
            match = _KEY.match(text, pos)
            assert match is not None  # the text parsed: a key comes next
            key_pos, key = match.start(1) - 1, match.group(1)
            if "\\" in key:
                key = scanstring(text, key_pos + 1)[0]
            pos = match.end()
        else:
            key, index = str(index), index + 1
        members[key] = (pos, key_pos)
        after = _AFTER_VALUE.match(text, _SCAN_VALUE(text, pos)[1])
        assert after is not None  # matches the empty string at worst
        pos, more = after.end(), after.group(1)
    return members


@dataclass
class JsonDocument:
    """A parsed document plus pointer → line/column lookup, computed only for findings. Each container on the way
    to a looked-up pointer is indexed once, on first need, and its index kept: N findings in one document cost
    one pass over the containers they sit in, never a scan from the start per finding."""

    value: Any
    text: str
    _containers: dict[int, dict[str, tuple[int, int | None]]] = field(default_factory=dict, repr=False, compare=False)
    _newlines: list[int] | None = field(default=None, repr=False, compare=False)

    def locate(self, ptr: str, *, key: bool = False) -> Location:
        """Location of a pointer; `key=True` points at the key rather than the value. A pointer that does not
        exist (a missing field) falls back to its nearest existing parent."""
        probe = ptr
        while True:
            spot = self.spot(probe)
            if spot is not None:
                offset = spot[1] if key and spot[1] is not None else spot[0]
                line, column = self._line_column(offset)
                return Location(pointer=ptr, line=line, column=column)
            if not probe:
                return Location(pointer=ptr)
            probe = probe.rsplit("/", 1)[0]
            key = False

    def spot(self, ptr: str) -> tuple[int, int | None] | None:
        """(offset of the value, offset of its key or None) of a pointer, or None when the document lacks it."""
        here: tuple[int, int | None] = (_skip(self.text, 0), None)
        if not ptr:
            return here
        for token in ptr[1:].split("/"):
            offset = here[0]
            members = self._containers.get(offset)
            if members is None:
                members = self._containers[offset] = _members(self.text, offset)
            found = members.get(unescape_pointer_token(token))
            if found is None:
                return None
            here = found
        return here

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
    document = JsonDocument(value, text)
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
