"""The docs site: `mkdocs build --strict` passes, its pages exist and their links resolve; and the reports link rule
codes to that site by a configurable base URL, never by a path that only exists in this repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from omix_ingest.docs import rule_links
from omix_ingest.errors import UsageError
from omix_ingest.run.config_file import DEFAULT_DOCS_URL, Config, docs_url

from .conftest import METADATA, ROOT, SINGLE_CELL

BROKEN = METADATA / "negative" / "GSE100017_string_for_integer.json"  # one OMX106 finding


# ------------------------------------------------------------------------------------------------ the link base


def test_docs_url_precedence_flag_then_env_then_file_then_default():
    project = Config({"docs-url": "https://file.example/docs"}, ROOT / "pyproject.toml")
    env = {"OMIX_DOCS_URL": "https://env.example/"}
    assert docs_url(project, "https://flag.example", env) == "https://flag.example/"
    assert docs_url(project, None, env) == "https://env.example/"
    assert docs_url(project, None, {}) == "https://file.example/docs/"
    assert docs_url(Config(), None, {}) == DEFAULT_DOCS_URL


@pytest.mark.parametrize(
    "bad",
    [
        "docs/rules",
        "javascript:alert(1)",
        "https://",
        "https://x.example/a b",
        "https://x.example/a)b",
        "http://x/\x07",
    ],
)
def test_a_docs_url_that_would_break_or_inject_a_link_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="--docs-url must"):
        docs_url(Config(), bad, {})


def test_rule_links_name_built_in_rules_only():
    links = rule_links("https://docs.example/")
    assert links["OMX106"] == "https://docs.example/rules/OMX106/"
    assert "OMX701" not in links  # no built-in rule: a plugin's code would have no page on the site
    assert rule_links("file:///srv/site/")["OMX106"] == "file:///srv/site/rules/OMX106/index.html"


def test_markdown_and_sarif_link_to_the_configured_site(run_cli, tmp_path, monkeypatch):
    (tmp_path / ".omix.toml").write_text('docs-url = "https://omix.intranet.example/docs"\n', encoding="utf-8")
    markdown = run_cli("validate", "--template", SINGLE_CELL, "--format", "markdown", BROKEN)
    assert markdown.code == 1
    assert "| error | [OMX106](https://omix.intranet.example/docs/rules/OMX106/) |" in markdown.out
    assert "docs/rules/" not in markdown.out.replace("example/docs/rules/", "")

    monkeypatch.setenv("OMIX_DOCS_URL", "https://env.example/omix/")
    sarif = run_cli("validate", "--template", SINGLE_CELL, "--format", "sarif", BROKEN).json()
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["OMX106"]["helpUri"] == "https://env.example/omix/rules/OMX106/"

    flagged = run_cli(
        "validate", "--template", SINGLE_CELL, "--format", "markdown", "--docs-url", "http://localhost:8000", BROKEN
    )
    assert "[OMX106](http://localhost:8000/rules/OMX106/)" in flagged.out


def test_reports_link_to_the_default_site_without_configuration(run_cli):
    sarif = run_cli("validate", "--template", SINGLE_CELL, "--format", "sarif", BROKEN).json()
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(r["helpUri"] == f"{DEFAULT_DOCS_URL}rules/{r['id']}/" for r in rules)


def test_a_bad_docs_url_in_the_config_is_one_line_and_exit_2(run_cli, tmp_path):
    (tmp_path / ".omix.toml").write_text('docs-url = "docs/rules"\n', encoding="utf-8")
    result = run_cli("validate", "--template", SINGLE_CELL, "--format", "markdown", BROKEN)
    assert result.code == 2 and result.out == ""
    assert result.err.count("\n") == 1 and "[tool.omix] docs-url must be an http(s):// or file:// URL" in result.err


# ------------------------------------------------------------------------------------------------ the site


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        for name in ("href", "src"):
            if values.get(name) and tag in {"a", "img", "script", "link"}:
                self.hrefs.append(str(values[name]))


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _target(page: Path, href: str) -> tuple[Path, str]:
    parts = urlsplit(href)
    path = (page.parent / unquote(parts.path)).resolve() if parts.path else page
    return (path / "index.html" if path.is_dir() else path), parts.fragment


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site as CI builds it: strict, so a broken link, a missing nav page or a failed docstring fails."""
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"), "-d", out],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    return out


def test_the_site_has_its_pages(site):
    for page in (
        "index.html",
        "getting-started/index.html",
        "migrating-from-polly-python/index.html",
        "cli/index.html",
        "python-api/index.html",
        "configuration/index.html",
        "rule-packs/index.html",
        "pre-commit-and-ci/index.html",
        "report-schema/index.html",
        "rules/index.html",
        "rules/OMX106/index.html",
    ):
        assert (site / page).is_file(), page
    rules = [p.stem for p in (ROOT / "docs" / "rules").glob("OMX*.md")]
    assert rules and all((site / "rules" / code / "index.html").is_file() for code in rules)


def test_generated_pages_hold_what_they_are_generated_from(site):
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("omix validate", "omix add", "omix template lock", "omix atlas create", "--docs-url"):
        assert command in cli, command
    api = (site / "python-api" / "index.html").read_text(encoding="utf-8")
    assert "validate_datasets" in api and "source_folder_path" in api and "add_datasets" in api
    schema = (site / "report-schema" / "index.html").read_text(encoding="utf-8")
    published = json.loads((ROOT / "omix_ingest" / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert published["title"] in schema and all(key in schema for key in published["properties"])
    rule = (site / "rules" / "OMX106" / "index.html").read_text(encoding="utf-8")
    assert "OMX106" in rule


def test_internal_links_resolve(site):
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue
        for href in _parse(page).hrefs:
            if re.match(r"^[a-z][a-z0-9+.-]*:", href) or href.startswith("//"):
                continue  # another site
            target, fragment = _target(page, href)
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {href}")
            elif fragment and target.suffix == ".html" and fragment not in _parse(target).ids:
                broken.append(f"{page.relative_to(site)}: {href} (no #{fragment})")
    assert not broken, "\n".join(broken[:20])


def test_the_links_reports_write_land_on_built_pages(site, run_cli):
    out = run_cli(
        "validate", "--template", SINGLE_CELL, "--format", "markdown", "--docs-url", site.as_uri(), BROKEN
    ).out
    [url] = re.findall(r"\[OMX106\]\(([^)]+)\)", out)
    assert Path(unquote(urlsplit(url).path)).is_file()


def test_the_default_docs_url_is_the_sites_own_address():
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_IgnoreTags)
    assert config["site_url"] == DEFAULT_DOCS_URL
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert set(extras["docs"]) <= set(extras["dev"])  # CI installs '.[dev]', so it can build the site


class _IgnoreTags(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:` tags (material's emoji); reading site_url needs none of them."""


_IgnoreTags.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def test_the_site_folder_mkdocs_builds_by_default_is_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    check = subprocess.run(["git", "check-ignore", "-q", "site/index.html"], cwd=ROOT, check=False)
    assert check.returncode == 0, "site/ (mkdocs.yml's site_dir) must be ignored by git"
