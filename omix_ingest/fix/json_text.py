"""Applying JSON Patch operations to JSON *text*, touching only the bytes each operation is about.

A fixed metadata file must read as the curator wrote it: same key order, indentation, line endings and spacing
everywhere but where a value changed. So an operation is not applied to the parsed document and re-serialised; it
becomes a splice of the text at the span of the value (or member) it targets, found with the same pointer scanner
that locates findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from validators.core.jsonread import JsonDocument, unescape_pointer_token

_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"


class EditError(ValueError):
    """The operation cannot be applied to this text (the pointer is gone, or the operation is not supported)."""


@dataclass(frozen=True)
class Splice:
    """Replace text[start:end] with `text`."""

    start: int
    end: int
    text: str


def _render(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def value_span(document: JsonDocument, ptr: str) -> tuple[int, int, int | None]:
    """(start, end) of the value at `ptr` in the text, and where its key starts (None for array items)."""
    spot = document.spot(ptr)
    if spot is None:
        raise EditError(f"{ptr or '/'} is not in the document")
    start, key_start = spot
    _, end = _DECODER.raw_decode(document.text, start)
    return start, end, key_start


def _root_member(ptr: str) -> str:
    if ptr.count("/") != 1:
        raise EditError(f"only top-level members can be added, removed or renamed, not {ptr}")
    return unescape_pointer_token(ptr[1:])


def splice_for(document: JsonDocument, op: Mapping[str, Any]) -> Splice:
    """The text change one operation makes: replace (any pointer), remove / move (a top-level member), add (a
    top-level member that is not there yet)."""
    kind, ptr = op.get("op"), str(op.get("path", ""))
    text = document.text
    if kind == "replace":
        start, end, _ = value_span(document, ptr)
        return Splice(start, end, _render(op["value"]))
    if kind == "move":
        source = str(op.get("from", ""))
        _root_member(source)
        if _root_member(ptr) in document.value:
            raise EditError(f"{ptr} is already in the document")
        _, _, key_start = value_span(document, source)
        if key_start is None:
            raise EditError(f"{source} is not a member")
        _, key_end = _DECODER.raw_decode(text, key_start)
        return Splice(key_start, key_end, _render(_root_member(ptr)))
    if kind == "remove":
        _root_member(ptr)
        return _removal(document, ptr)
    if kind == "add":
        if _root_member(ptr) in document.value:
            raise EditError(f"{ptr} is already in the document")
        return _addition(text, _root_member(ptr), op["value"])
    raise EditError(f"unsupported operation {kind!r}")


def _removal(document: JsonDocument, ptr: str) -> Splice:
    """The member with its separating comma: the preceding one when there is one (so the previous member's line
    keeps its own ending), else the following one and the space up to the next member."""
    text = document.text
    _, end, key_start = value_span(document, ptr)
    assert key_start is not None
    before = key_start
    while before > 0 and text[before - 1] in _SPACE:
        before -= 1
    if text[before - 1] == ",":
        return Splice(before - 1, end, "")
    after = end
    while after < len(text) and text[after] in _SPACE:
        after += 1
    if after < len(text) and text[after] == ",":
        after += 1
        while after < len(text) and text[after] in _SPACE:
            after += 1
        return Splice(key_start, after, "")
    return Splice(key_start, end, "")  # the only member


def _addition(text: str, key: str, value: Any) -> Splice:
    """A new last member, indented and line-ended like the first member (inline for one-line documents)."""
    close = text.rstrip(_SPACE).rfind("}")
    last = close
    while last > 0 and text[last - 1] in _SPACE:
        last -= 1
    newline = "\r\n" if "\r\n" in text else "\n"
    first = re.search(r"\{([ \t]*\r?\n)?([ \t]*)\"", text)
    multiline = bool(first and first.group(1))
    indent = first.group(2) if first and multiline else ""
    if multiline:
        body = json.dumps(value, ensure_ascii=False, indent=indent or 2).replace("\n", newline + indent)
        member = f"{newline}{indent}{json.dumps(key, ensure_ascii=False)}: {body}"
    else:
        member = f" {json.dumps(key, ensure_ascii=False)}: {_render(value)}"
    empty = text[last - 1] == "{"
    return Splice(last, last, member if empty else "," + member)


def apply_splices(text: str, splices: Sequence[Splice]) -> str:
    """Apply non-overlapping splices (last first, so earlier offsets stay valid)."""
    for splice in sorted(splices, key=lambda s: s.start, reverse=True):
        text = text[: splice.start] + splice.text + text[splice.end :]
    return text
