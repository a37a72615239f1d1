"""Rule packs: loading, errors that name the line, and the rules a custom pack adds."""

from __future__ import annotations

from pathlib import Path

import pytest

import rules
from omix_ingest.run.packs import resolve_rule_pack
from validators.core.rulepack import RulePackError, load_rule_pack

from .conftest import FIXTURES, SINGLE_CELL, good_doc, write_json

CUSTOM = FIXTURES / "rulepacks" / "publication-links.yaml"


def test_bundled_pack_loads_with_its_vocabularies():
    pack = resolve_rule_pack("polly-default")
    assert pack.name == "polly-default"
    assert "GEO" in pack.vocabularies["dataset_sources"].terms
    assert "Single cell" in pack.vocabularies["data_types"].terms
    assert pack.tables["cell_line_facts"].rows["HeLa"]["organism"] == frozenset({"Homo sapiens"})
    assert rules.bundled_packs() == ["polly-default"]


def test_custom_pack_pattern_rule(run_cli, tmp_path):
    doc = good_doc("GSE7_GPL1")
    doc["publication"] = "pubmed 34000000"
    bad = write_json(tmp_path / "GSE7_GPL1.json", doc)
    result = run_cli("validate", "--template", SINGLE_CELL, "--rules", CUSTOM, "--format", "json", bad)
    assert result.code == 1
    findings = result.json()["files"][0]["findings"]
    assert [(f["code"], f["pointer"]) for f in findings] == [("OMX203", "/publication")]
    good = write_json(tmp_path / "ok" / "GSE7_GPL1.json", good_doc("GSE7_GPL1"))
    assert run_cli("validate", "--template", SINGLE_CELL, "--rules", CUSTOM, good).code == 0


def test_custom_pack_required_fields_replace_the_defaults(run_cli, tmp_path):
    doc = good_doc("GSE8_GPL1")
    del doc["organism"]  # required by polly-default, not by the custom pack
    path = write_json(tmp_path / "GSE8_GPL1.json", doc)
    assert run_cli("validate", "--template", SINGLE_CELL, path).code == 1
    assert run_cli("validate", "--template", SINGLE_CELL, "--rules", CUSTOM, path).code == 0


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("name: x\nfields:\n  year: [unclosed\n", 4, "not valid YAML"),
        ("name: x\nrequired: dataset_id\n", 2, 'is not of type "array"'),
        ("fields: {}\n", 1, '"name" is a required property'),
        ("name: x\nfields:\n  year:\n    pattern: '([a-z'\n", 4, "invalid regular expression"),
        ("name: x\nfields:\n  organism:\n    vocabulary: organisms\n", 4, "unknown vocabulary 'organisms'"),
    ],
)
def test_pack_errors_name_file_and_line(tmp_path: Path, text: str, line: int, words: str):
    pack = tmp_path / "pack.yaml"
    pack.write_text(text, encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_rule_pack(pack)
    assert str(caught.value).startswith(f"{pack}:{line}:")
    assert words in str(caught.value)


def test_missing_vocabulary_file_is_a_pack_error(tmp_path: Path):
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: x\nvocabularies:\n  a: missing.txt\n", encoding="utf-8")
    with pytest.raises(RulePackError, match="vocabulary 'a' cannot be read"):
        load_rule_pack(pack)


def test_unknown_pack_name(tmp_path: Path):
    with pytest.raises(RulePackError, match="neither a bundled pack"):
        resolve_rule_pack("polly-defualt")
