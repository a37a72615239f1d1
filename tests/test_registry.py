"""The registry: rule codes, docs pages, fixtures per code, and third-party validators via entry points."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from omix_ingest.docs import render_pages
from validators.core.model import CODE_PATTERN, Rule, Severity
from validators.registry import PluginError, collect_rules, load_validators

from .conftest import METADATA, ROOT

TESTS = Path(__file__).parent


def test_codes_and_slugs_are_unique_and_well_formed():
    rules = collect_rules(load_validators(plugins=False))
    assert all(CODE_PATTERN.match(code) for code in rules)
    slugs = [r.slug for r in rules.values()]
    assert len(slugs) == len(set(slugs))
    assert all(r.explanation and r.bad and r.good for r in rules.values())


def test_docs_pages_are_in_sync_with_the_registry():
    pages = render_pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "rules").glob("*.md")}
    assert on_disk == pages, "run: python -m omix_ingest.docs docs/rules"


def test_every_rule_is_exercised_by_a_fixture_or_a_test():
    """Each code appears in the fixture expectations or is asserted by name in a test module."""
    covered = set()
    for expected_file in (METADATA / "expected.json", METADATA.parent / "data" / "expected.json"):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        covered |= {code for codes in expected.values() for code in codes}
    test_text = "".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py"))
    for code in collect_rules(load_validators(plugins=False)):
        assert code in covered or f'"{code}"' in test_text, f"{code} has no fixture or test"


def test_duplicate_code_is_refused():
    a = Rule("OMX150", "one", Severity.ERROR, "t", "m", "e")
    b = Rule("OMX150", "two", Severity.ERROR, "t", "m", "e")

    class V:
        name = "v"
        rules = (a, b)

    with pytest.raises(PluginError, match="declared twice"):
        collect_rules([V()])  # type: ignore[list-item]


PLUGIN = """
from validators.core.context import Fact
from validators.core.model import Location, Rule, Severity

ODD = Rule("OMX700", "odd-biom", Severity.WARNING, "Odd", "odd file {name}", "why", bad="b", good="g")


class BiomValidator:
    name = "biom"
    rules = (ODD,)

    def claims(self, path):
        return path.suffix == ".biom"

    def validate(self, path, ctx):
        yield Fact("dataset_id", path.stem)
        if path.read_text() == "boom":
            raise KeyError("boom")
        yield ODD.finding(str(path), Location(line=1, column=1), name=path.name)
"""


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A real distribution on sys.path that declares an `omix_ingest.validators` entry point."""
    site = tmp_path / "site"
    (site / "omix_biom_plugin").mkdir(parents=True)
    (site / "omix_biom_plugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    dist = site / "omix_biom_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: omix-biom-plugin\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(
        "[omix_ingest.validators]\nbiom = omix_biom_plugin:BiomValidator\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("omix_biom_plugin", None)


def test_entry_point_plugin_is_loaded_and_its_findings_reported(installed_plugin, run_cli, tmp_path):
    assert "biom" in [v.name for v in load_validators()]
    data = tmp_path / "d"
    data.mkdir()
    (data / "GSE1.biom").write_text("ok", encoding="utf-8")
    (data / "GSE2.biom").write_text("boom", encoding="utf-8")
    result = run_cli("validate", "--format", "json", data)
    files = {Path(f["path"]).name: f for f in result.json()["files"]}
    assert [f["code"] for f in files["GSE1.biom"]["findings"]] == ["OMX700"]
    crashed = files["GSE2.biom"]["findings"]
    assert [f["code"] for f in crashed] == ["OMX990"]  # a crashing validator fails the file, the run goes on
    assert "KeyError" in crashed[0]["message"]
    assert result.code == 1
    assert run_cli("rule", "OMX700").code == 0


def test_broken_plugin_is_a_usage_error(installed_plugin, run_cli, tmp_path):
    module = installed_plugin / "omix_biom_plugin" / "__init__.py"
    module.write_text("raise ImportError('missing dependency biom-format')\n", encoding="utf-8")
    result = run_cli("validate", "--format", "json", tmp_path)
    assert result.code == 2
    assert "validator plugin 'biom'" in result.err and "biom-format" in result.err
