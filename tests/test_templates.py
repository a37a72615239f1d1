"""Templates: the three document shapes, source/data-type selection and system fields."""

from __future__ import annotations

import json

import pytest

from omix_ingest.run.templates import load_template_file
from validators.core.template import TemplateError, load_template
from validators.metadata.conformance import CompiledTemplate

from .conftest import SINGLE_CELL, TEMPLATES


def test_schema_document_fields_are_keyed_by_original_name():
    template = load_template_file(SINGLE_CELL)
    assert template.template_id == "single_cell_rnaseq_omixatlas.files.schema.json#all/all"
    assert template.repo_id == "1673411159486"
    organism = template.by_original_name["organism"]
    assert (organism.name, organism.type, organism.is_array) == ("curated_organism", "text", True)
    assert template.lookup("curated_organism") is organism


def test_flat_and_schema_forms_agree_on_types():
    schema = load_template_file(SINGLE_CELL)
    flat = load_template_file(TEMPLATES / "single_cell_rnaseq_omixatlas.dataset_metadata_template.json")
    as_flat = schema.metadata_template()
    assert {f.original_name: ([] if f.is_array else f.type) for f in flat.fields} == {
        k: v for k, v in as_flat.items() if k != "__index__"
    }


def test_template_output_matches_the_sdk_shape():
    reference = json.loads(
        (TEMPLATES / "single_cell_rnaseq_omixatlas.dataset_metadata_template.json").read_text(encoding="utf-8")
    )
    assert load_template_file(SINGLE_CELL).metadata_template() == reference


def test_system_and_reserved_fields_are_never_required_and_not_allowed():
    compiled = CompiledTemplate.build(load_template_file(SINGLE_CELL), None)
    for key in ("kw_src_uri", "kw_timestamp_", "version", "is_current", "data_table_name", "kw_bucket"):
        assert key not in compiled.allowed
    assert compiled.required == ()


def test_sha256_is_stable_and_content_bound():
    a = load_template_file(SINGLE_CELL)
    b = load_template_file(SINGLE_CELL)
    assert a.sha256 == b.sha256
    doc = json.loads(SINGLE_CELL.read_text(encoding="utf-8"))
    doc["data"]["attributes"]["schema"]["all"]["all"]["year"]["type"] = "integer"
    assert load_template(doc, name="x").sha256 != a.sha256


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "must be a JSON object"),
        ({"data": {"attributes": {}}}, "no data.attributes.schema"),
        ({"schema": {}}, "no source/data type"),
        ({"schema": {"all": {"all": {"f": {"type": "date"}}}}}, "unknown type 'date'"),
        ({"a": "text", "b": 3}, "must map to a type name"),
        (
            {"schema": {"all": {"all": {"a": {"original_name": "x"}, "b": {"original_name": "x"}}}}},
            "share the original_name x",
        ),
    ],
)
def test_bad_templates_are_clear_errors(document, message):
    with pytest.raises(TemplateError, match=message):
        load_template(document, name="t.json")


def test_unknown_source_lists_what_exists():
    with pytest.raises(TemplateError, match="available: --source 'all' --data-type 'all'"):
        load_template_file(SINGLE_CELL, source="GEO")
