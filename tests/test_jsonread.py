"""Strict JSON reading: positions for pointers, duplicate keys, limits."""

from __future__ import annotations

import pytest

from validators.core.jsonread import parse_json_text, pointer
from validators.core.model import Location
from validators.core.unreadable import ReadLimits, decode_utf8

TEXT = """{
  "a": 1,
  "b/c": {"x~y": [10, [20, 21], {"k": "v"}]},
  "a": [1, 2]
}
"""


@pytest.mark.parametrize(
    ("ptr", "key", "expected"),
    [
        ("/a", False, (4, 8)),  # the last of two duplicate keys, as parsed
        ("/a", True, (4, 3)),
        ("/a/1", False, (4, 12)),
        (pointer("b/c", "x~y", 1, 0), False, (3, 24)),
        (pointer("b/c", "x~y", 2, "k"), False, (3, 39)),
        (pointer("b/c", "x~y", 2, "k"), True, (3, 34)),
        ("/missing", False, (1, 1)),  # falls back to the nearest existing parent: the root
        ("/a/9", False, (4, 8)),
    ],
)
def test_locate(ptr, key, expected):
    document, _ = parse_json_text(TEXT, "f.json", ReadLimits())
    assert document is not None
    assert document.locate(ptr, key=key) == Location(ptr, *expected)


def test_duplicate_keys_reported_at_the_second_occurrence():
    _document, findings = parse_json_text(TEXT, "f.json", ReadLimits())
    assert [(f.code, f.location.pointer, f.location.line) for f in findings] == [("OMX102", "/a", 4)]


def test_nested_duplicate_keys():
    _, findings = parse_json_text('{"x": [{"k": 1, "k": 2}]}', "f.json", ReadLimits())
    assert [(f.code, f.location.pointer) for f in findings] == [("OMX102", "/x/0/k")]


def test_depth_limit_is_a_finding():
    text = "[" * 50 + "]" * 50
    document, findings = parse_json_text(text, "f.json", ReadLimits(max_depth=20))
    assert document is None and [f.code for f in findings] == ["OMX907"]
    very_deep = "[" * 100_000 + "]" * 100_000
    document, findings = parse_json_text(very_deep, "f.json", ReadLimits())
    assert document is None and [f.code for f in findings] == ["OMX907"]


def test_infinity_is_not_json():
    document, findings = parse_json_text('{"a": -Infinity}', "f.json", ReadLimits())
    assert document is None
    assert [(f.code, f.location.line, f.location.column) for f in findings] == [("OMX905", 1, 7)]


def test_bom_is_reported_and_skipped():
    text, findings = decode_utf8(b'\xef\xbb\xbf{"a": 1}', "f.json")
    assert text == '{"a": 1}' and [f.code for f in findings] == ["OMX903"]


def test_locate_reads_escaped_keys_and_any_json_whitespace():
    """Keys are matched after unescaping, and every JSON whitespace character may sit around colons and commas."""
    text = '{\r\n\t"q\\"t" \t:\r\n 1 ,\n "\\u00e9t\\u00e9"\t:[ 2 ,\t3 ] ,"":{ } }'
    document, _ = parse_json_text(text, "f.json", ReadLimits())
    assert document is not None
    assert document.locate(pointer('q"t'), key=True) == Location(pointer('q"t'), 2, 2)
    assert document.locate(pointer('q"t')) == Location(pointer('q"t'), 3, 2)
    assert document.locate(pointer("été", 1)) == Location(pointer("été", 1), 4, 25)
    assert document.locate("/") == Location("/", 4, 33)
