"""Curated fields against the offline ontologies (cellxgene-ontology-guide): each ontology-backed field's real
Polly-style values pass, and synonyms, ids, case slips, misspellings, deprecated and misplaced terms do not, with
a fix that names a value that passes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from omix_ingest.run.ontologies import run_ontologies
from omix_ingest.run.packs import resolve_rule_pack
from omix_ingest.run.templates import load_template_file
from validators.core.jsonread import JsonDocument
from validators.core.model import Finding
from validators.core.ontology_source import OntologyCatalog
from validators.metadata.compiled import compiled_template, value_checker
from validators.metadata.validator import check_document, template_findings
from validators.registry import validation_context

from .conftest import FIXTURES, SINGLE_CELL, good_doc, write_json

CASES = json.loads((FIXTURES / "ontology" / "terms.json").read_text(encoding="utf-8"))["cases"]
TERM_CODES = {"OMX201", "OMX202", "OMX209", "OMX210", "OMX211", "OMX212"}


@pytest.fixture(scope="module")
def pack():
    return resolve_rule_pack("polly-default")


@pytest.fixture(scope="module")
def catalog(pack) -> OntologyCatalog:
    built = run_ontologies(pack, build=True)
    assert built is not None and set(built.releases) >= {"NCBITaxon", "UBERON", "CL", "MONDO", "CVCL", "CHEBI"}
    return built


@pytest.fixture(scope="module")
def ctx(pack, catalog):
    return validation_context(load_template_file(SINGLE_CELL), pack, ontologies=catalog)


def findings_for(doc: dict, ctx) -> list[Finding]:
    text = json.dumps(doc, indent=2)
    document = JsonDocument(doc, text)
    return [f for f in check_document(document, f"{doc['dataset_id']}.json", ctx) if isinstance(f, Finding)]


def with_value(field: str, value: str) -> dict:
    doc = good_doc("GSE1")
    doc[field] = [value]
    return doc


def term_findings_at(findings: list[Finding], field: str) -> list[Finding]:
    return [f for f in findings if f.code in TERM_CODES and f.location.pointer == f"/{field}/0"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['field']}={c['value']}")
def test_curated_value(case, ctx):
    found = term_findings_at(findings_for(with_value(case["field"], case["value"]), ctx), case["field"])
    if case["code"] is None:
        assert found == []
        return
    assert [f.code for f in found] == [case["code"]]
    assert found[0].severity.label == case["severity"]
    if "fix" in case:
        assert found[0].fix == f"write {json.dumps(case['fix'])}"
    if "suggests" in case:
        assert found[0].fix is not None and json.dumps(case["suggests"]) in found[0].fix


@pytest.mark.parametrize("case", [c for c in CASES if "fix" in c], ids=lambda c: f"{c['field']}={c['value']}")
def test_every_fix_leads_to_a_value_that_passes(case, ctx):
    fixed = with_value(case["field"], case["fix"])
    assert term_findings_at(findings_for(fixed, ctx), case["field"]) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['field']}={c['value']}")
def test_fast_and_full_paths_agree_with_ontologies(case, ctx):
    """Ontology terms are checked in Python on the accept path too; the paths must report the same findings."""
    doc = with_value(case["field"], case["value"])
    doc["kw_timestamp_"] = "2020"  # a common warning, so the key-only path is taken as well
    document = JsonDocument(doc, json.dumps(doc))
    compiled, checker = compiled_template(ctx), value_checker(ctx)
    assert compiled is not None and checker is not None
    full = compiled.diagnose(doc, "f", document.locate) + checker.check(doc, "f", document.locate)
    fast = template_findings(doc, "f", document.locate, ctx, with_values=True)
    assert sorted(fast, key=Finding.sort_key) == sorted(full, key=Finding.sort_key)


@pytest.mark.parametrize("value", ["bone matrix secreting cell", "obsolete bone matrix secreting cell"])
def test_a_deprecated_term_names_its_replacement(value, ctx):
    """CL:0000054 is obsolete, replaced by osteoblast; it is found by the label it had in use too."""
    found = term_findings_at(findings_for(with_value("kw_cell_type", value), ctx), "kw_cell_type")
    assert [(f.code, f.fix) for f in found] == [("OMX211", 'write "osteoblast"')]
    assert "CL:0000054" in found[0].message


def test_without_the_ontology_package_only_the_lists_are_consulted(pack, tmp_path):
    """An empty catalog (the extra not installed): an unknown organism is a warning that says why, and a term of
    the bundled list still passes."""
    ctx = validation_context(load_template_file(SINGLE_CELL), pack, ontologies=OntologyCatalog(tmp_path, None, {}))
    found = term_findings_at(findings_for(with_value("organism", "Pan paniscus"), ctx), "organism")
    assert [(f.code, f.severity.label) for f in found] == [("OMX201", "warning")]
    assert "NCBITaxon is not installed" in found[0].message
    assert term_findings_at(findings_for(with_value("organism", "Mus musculus"), ctx), "organism") == []


def test_report_run_block_names_ontology_versions(run_cli, tmp_path, catalog):
    folder = tmp_path / "meta"
    write_json(folder / "GSE1.json", with_value("organism", "human"))
    result = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", folder)
    assert result.code == 1
    report = result.json()
    checked = report["run"]["ontologies"]
    assert checked["source"] == f"cellxgene-ontology-guide {catalog.package_version}"
    assert checked["versions"]["NCBITaxon"] == catalog.releases["NCBITaxon"].version
    assert set(checked["versions"]) == {"NCBITaxon", "UBERON", "CL", "CVCL", "MONDO", "CHEBI"}
    codes = [f["code"] for f in report["files"][0]["findings"]]
    assert "OMX209" in codes


def test_other_ontology_versions_make_another_run_block(pack, catalog, tmp_path):
    """The versions are part of the signed `run` block, which the gate compares before reusing a report: a report
    made against other ontology versions is never taken for this run's."""
    from dataclasses import replace

    from omix_ingest.run.config import RunConfig
    from validators.core.ontology_source import OntologyRelease

    older = {n: OntologyRelease(n, "v1999-01-01", r.data_file) for n, r in catalog.releases.items()}
    now = RunConfig(rule_pack=pack, ontologies=catalog).describe(dataset_mode=False)
    then = replace(RunConfig(rule_pack=pack), ontologies=OntologyCatalog(tmp_path, "0.1", older))
    assert then.describe(dataset_mode=False)["ontologies"]["versions"]["CL"] == "v1999-01-01"
    assert then.describe(dataset_mode=False) != now
    missing = RunConfig(rule_pack=pack).describe(dataset_mode=False)["ontologies"]
    assert missing == {
        "source": None,
        "versions": dict.fromkeys(["CHEBI", "CL", "CVCL", "MONDO", "NCBITaxon", "UBERON"]),
    }


def test_sample_level_cell_types_use_the_same_ontology(pack, catalog):
    from validators.datasets.samples import SampleChecker

    template = load_template_file(SINGLE_CELL)
    checker = SampleChecker(template, pack, (), catalog)
    found = list(checker.check_columns({"kw_cell_type": ["T cell", "nerve cell", "T cell"]}, "x.h5ad", "obs", "obs/"))
    assert [(f.code, f.fix) for f in found] == [("OMX209", 'write "neuron"')]


def test_missing_value_hints_lead_to_values_that_pass(ctx):
    """OMX205's hint depends on the field: its default where it has one, a term of its vocabulary where it has
    none ("None" is no data type), and "None" for free text."""
    doc = good_doc("GSE1")
    doc.update({"kw_data_type": "nan", "dataset_source": "NA", "description": "", "tissue": ["nan"]})
    found = {f.location.pointer: f for f in findings_for(doc, ctx) if f.code == "OMX205"}
    assert set(found) == {"/kw_data_type", "/dataset_source", "/description", "/tissue/0"}
    fixed = copy.deepcopy(doc)
    for pointer, finding in found.items():
        assert finding.fix is not None
        written = re.findall(r'"([^"]+)"', finding.fix)[0]  # `write "X"`, or the first term named as an example
        key, *index = pointer.strip("/").split("/")
        if index:
            fixed[key][int(index[0])] = written
        else:
            fixed[key] = written
    assert [f for f in findings_for(fixed, ctx) if f.severity.label == "error"] == []


def test_pack_extends_the_default_pack(tmp_path, catalog):
    (tmp_path / "our-diseases.txt").write_text("Alzheimers\n", encoding="utf-8")
    pack_file = tmp_path / "ours.yaml"
    pack_file.write_text(
        "name: ours\nextends: polly-default\nvocabularies: {our_diseases: our-diseases.txt}\n"
        "fields:\n  curated_disease: {vocabulary: [diseases, our_diseases]}\n"
        "  curated_organism: {match: {synonym: warning}}\n",
        encoding="utf-8",
    )
    pack = resolve_rule_pack(pack_file)
    assert pack.name == "ours" and "curated_tissue" in {r.field for r in pack.fields}
    ctx = validation_context(load_template_file(SINGLE_CELL), pack, ontologies=catalog)
    assert term_findings_at(findings_for(with_value("disease", "Alzheimers"), ctx), "disease") == []
    synonym = term_findings_at(findings_for(with_value("organism", "human"), ctx), "organism")
    assert [(f.code, f.severity.label) for f in synonym] == [("OMX209", "warning")]
    unknown = term_findings_at(findings_for(with_value("organism", "Homo sapien"), ctx), "organism")
    assert [(f.code, f.severity.label) for f in unknown] == [("OMX201", "error")]  # the rest is the base's


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: a\nextends: a.yaml\n", "a cycle"),
        ("name: a\nextends: no-such-pack\n", "neither a bundled pack"),
        ("name: a\nfields:\n  curated_organism: {ontology: NCBITaxonomy}\n", "curated_organism.ontology"),
    ],
)
def test_bad_pack_extension_is_a_clear_error(tmp_path, text, message):
    from validators.core.rulepack import RulePackError

    path = tmp_path / "a.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulePackError, match=message):
        resolve_rule_pack(path)


def test_bad_pack_through_the_cli_is_exit_2(run_cli, tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("name: a\nextends: a.yaml\n", encoding="utf-8")
    result = run_cli("validate", "--template", SINGLE_CELL, "--rules", path, tmp_path)
    assert result.code == 2 and "a cycle" in result.err and "Traceback" not in result.err


def test_index_is_built_once_and_rebuilt_for_a_new_package_version(tmp_path):
    """A tiny ontology in the offline source's format: the index is built on first use, reused by a new catalog
    (another run), and built again under a new package version."""
    import zstandard

    records = {
        "CL:0000000": {"label": "cell", "ancestors": {}, "deprecated": False},
        "CL:1": {
            "label": "odd cell",
            "ancestors": {"CL:0000000": 1},
            "synonyms": ["strange cell"],
            "deprecated": False,
        },
        "CL:2": {"label": "old cell", "ancestors": {}, "deprecated": True, "replaced_by": "CL:1"},
    }
    data = tmp_path / "CL-ontology-vtest.json.zst"
    data.write_bytes(zstandard.ZstdCompressor().compress(json.dumps(records).encode()))
    from validators.core.ontology_source import OntologyRelease

    releases = {"CL": OntologyRelease("CL", "vtest", data)}
    first = OntologyCatalog(tmp_path / "cache", "1.0", releases).index("CL")
    assert first is not None and first.count() == 3
    built = first.path.stat().st_mtime_ns
    again = OntologyCatalog(tmp_path / "cache", "1.0", releases).index("CL")
    assert again is not None and again.path == first.path and again.path.stat().st_mtime_ns == built
    newer = OntologyCatalog(tmp_path / "cache", "2.0", releases).index("CL")
    assert newer is not None and newer.path != first.path and newer.count() == 3
    assert [t.label for t in newer.by_synonym("Strange  Cell")] == ["odd cell"]
    assert newer.is_under("CL:1", frozenset({"CL:0000000"})) and not newer.is_under("CL:2", frozenset({"CL:0000000"}))
    leftovers = [p.name for p in (tmp_path / "cache").iterdir() if p.name.endswith(".partial")]
    assert leftovers == []


def test_an_unwritable_ontology_cache_is_a_usage_error(run_cli, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("OMIX_ONTOLOGY_DIR", str(blocker / "ontologies"))
    folder = tmp_path / "meta"
    write_json(folder / "GSE1.json", good_doc("GSE1"))
    result = run_cli("validate", "--template", SINGLE_CELL, folder)
    assert result.code == 2
    assert "ontolog" in result.err and "Traceback" not in result.err


def test_catalog_survives_pickling_to_workers(catalog):
    import pickle

    copy_ = pickle.loads(pickle.dumps(catalog))
    index = copy_.index("NCBITaxon")
    assert index is not None and [t.label for t in index.by_synonym("human")] == ["Homo sapiens"]


def test_many_files_in_parallel_workers(run_cli, tmp_path):
    """Enough files for the worker pool: each worker opens the indexes itself."""
    folder = tmp_path / "meta"
    for i in range(300):
        write_json(folder / f"GSE{i}.json", with_value("organism", "human" if i % 100 == 0 else "Homo sapiens"))
        data = json.loads((folder / f"GSE{i}.json").read_text(encoding="utf-8"))
        data["dataset_id"] = f"GSE{i}"
        write_json(folder / f"GSE{i}.json", data)
    report = run_cli("validate", "--template", SINGLE_CELL, "--format", "json", "-j", "2", folder).json()
    failing = sorted(Path(f["path"]).name for f in report["files"] if f["findings"])
    assert failing == ["GSE0.json", "GSE100.json", "GSE200.json"]


def test_null_and_missing_field_hints_never_go_in_a_circle(ctx):
    """null where text is expected, and a missing required field: the hint writes the field's placeholder only
    where that placeholder passes ("None" is no data type and no source)."""
    doc = good_doc("GSE1")
    doc.update({"kw_data_type": None, "description": None})
    del doc["dataset_source"]
    found = {(f.code, f.location.pointer or f.params.get("key")): f.fix for f in findings_for(doc, ctx)}
    assert found[("OMX106", "/description")] == 'write "None" for a value that does not apply'
    assert found[("OMX106", "/kw_data_type")] is None
    assert found[("OMX103", "dataset_source")] == 'add "dataset_source": "..."'
    doc["description"] = "None"
    assert [f for f in findings_for(doc, ctx) if f.location.pointer == "/description"] == []
