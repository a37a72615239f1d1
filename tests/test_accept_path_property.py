"""Property test: for any mutation of a valid document, the fast accept path reports exactly what full diagnosis
reports. This is what makes the fast path safe to use."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.templates import load_template_file
from validators.core.context import ValidationContext
from validators.core.model import Location

from .conftest import SINGLE_CELL, good_doc
from .test_metadata_fixtures import fast_and_full

CTX = ValidationContext(load_template_file(SINGLE_CELL), resolve_rule_pack("polly-default"))
KEYS = [*sorted(good_doc("x")), "organsim", "curated_organism", "kw_src_uri", "extra"]
TRICKY_TEXT = st.sampled_from(
    [
        "None",
        "Normal",
        "nan",
        "NA",
        "",
        " lung",
        "lung ",
        "lung\\u3000",
        "GEO",
        "geo",
        "Single cell",
        "single cell",
        "Homo sapiens",
        "homo  sapiens",
        "HeLa",
        "MCF-7",
        "Mus musculus",
        "Obesity",
        "1850",
        "2021",
        "2999",
        "abc",
        "12",
        "x\\x1c",
    ]
).map(lambda s: s.encode().decode("unicode_escape"))
SCALARS = st.one_of(
    TRICKY_TEXT, st.text(max_size=8), st.integers(-10, 3000), st.floats(allow_nan=False), st.booleans(), st.none()
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.lists(TRICKY_TEXT, max_size=4))


def locate(ptr: str, *, key: bool = False) -> Location:
    return Location(pointer=ptr)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5), st.sets(st.sampled_from(KEYS), max_size=3))
def test_fast_path_equals_full_diagnosis(changes, removed):
    doc = good_doc("GSE1_GPL1")
    for key in removed:
        doc.pop(key, None)
    doc.update(changes)
    fast, full = fast_and_full(doc, CTX, locate)
    assert fast == full
