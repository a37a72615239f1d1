"""The layout is the architecture: dependencies point `omix_ingest` → `validators` → `rules` only, the core of
`validators` imports no family, families do not import one another (except the value-rule engine that both the
dataset-level and the sample-level checks apply), and no module grows past what a newcomer can read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGES = ("omix_ingest", "validators", "rules")
FAMILIES = ("metadata", "values", "h5ad", "gct", "vcf", "datasets")
# Family → families it may import besides itself and core.
FAMILY_EDGES = {"metadata": {"values"}, "datasets": {"values"}}
MAX_MODULE_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every absolute module name the file imports, at top level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _family(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "validators" and parts[1] in (*FAMILIES, "core") else None


def _violations(module: str, imported: str) -> str | None:
    top, target = module.split(".")[0], imported.split(".")[0]
    if top == "rules" and target in ("validators", "omix_ingest"):
        return "rules is data and imports no code"
    if top == "validators" and target == "omix_ingest":
        return "validators never imports omix_ingest"
    source, dest = _family(module), _family(imported)
    if source is None or dest is None or source == dest:
        return None
    if source == "core":
        return "validators.core imports no family"
    if dest != "core" and dest not in FAMILY_EDGES.get(source, set()):
        return f"family {source} may not import family {dest}"
    return None


def test_dependencies_point_one_way():
    broken = []
    for path in _modules():
        module = _module_name(path)
        for imported in sorted(_imports(path)):
            reason = _violations(module, imported)
            if reason:
                broken.append(f"{module} imports {imported}: {reason}")
    assert broken == []


@pytest.mark.parametrize(
    ("module", "imported", "allowed"),
    [
        ("validators.core.context", "validators.metadata.conformance", False),
        ("validators.h5ad.checks", "validators.datasets.samples", False),
        ("validators.gct.text", "omix_ingest.report.model", False),
        ("rules", "validators.core.model", False),
        ("validators.metadata.validator", "validators.values.checks", True),
        ("validators.registry", "validators.datasets.samples", True),
        ("omix_ingest.gate.ingestion", "validators.core.model", True),
    ],
)
def test_the_dependency_rule_itself(module, imported, allowed):
    assert (_violations(module, imported) is None) is allowed


def test_no_module_is_too_long_to_read():
    long = {
        _module_name(p): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
