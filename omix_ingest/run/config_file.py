"""Project configuration: `[tool.omix]` in pyproject.toml or a `.omix.toml`, found from the working folder
upwards. Command-line flags win over the file; paths in the file are relative to the file."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omix_ingest.errors import UsageError

KNOWN_KEYS = {
    "template": str,
    "source": str,
    "data-type": str,
    "rules": str,
    "sample-template": str,
    "select": list,
    "ignore": list,
    "per-file-ignores": dict,
    "fail-on": str,
    "jobs": int,
    "max-file-size": int,
    "max-depth": int,
    "format": str,
    "scope": str,
    "docs-url": str,
    "executor": str,
    "scheduler": str,
}
PATH_KEYS = ("template", "rules", "sample-template")
# Where reports link rule codes to (`{docs-url}rules/OMX106/`): the published docs site, which `mkdocs.yml` names as
# its site_url too. A team that hosts the docs elsewhere (an intranet, a fork) sets `docs-url`, `$OMIX_DOCS_URL` or
# `--docs-url`; a link relative to the repository (`docs/rules/…`) would break wherever a report is read.
DEFAULT_DOCS_URL = "https://omix-ingest.readthedocs.io/en/latest/"
DOCS_URL_ENV = "OMIX_DOCS_URL"
_DOCS_URL_SCHEMES = ("https://", "http://", "file://")
_DOCS_URL_FORBIDDEN = frozenset(" \t\r\n()<>[]\"'`|\\")


@dataclass(frozen=True)
class Config:
    values: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _read_table(path: Path, *, pyproject: bool) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"configuration file {path} cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"configuration file {path} is not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("omix") if pyproject else data.get("tool", {}).get("omix", data)
    return table if isinstance(table, dict) else None


def find_config(start: Path) -> Path | None:
    for folder in [start, *start.parents]:
        for name in (".omix.toml", "pyproject.toml"):
            candidate = folder / name
            if candidate.is_file() and (name == ".omix.toml" or _has_tool_omix(candidate)):
                return candidate
    return None


def _has_tool_omix(path: Path) -> bool:
    try:
        return "[tool.omix" in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    path = explicit or find_config((start or Path.cwd()).resolve())
    if path is None:
        return Config()
    if explicit is not None and not explicit.is_file():
        raise UsageError(f"configuration file {explicit} does not exist")
    table = _read_table(path, pyproject=path.name == "pyproject.toml") or {}
    values: dict[str, Any] = {}
    for key, value in table.items():
        expected = KNOWN_KEYS.get(key)
        if expected is None:
            raise UsageError(f"{path}: unknown key {key!r} in [tool.omix]; known keys: {', '.join(sorted(KNOWN_KEYS))}")
        if not isinstance(value, expected) or (isinstance(value, bool) and expected is int):
            raise UsageError(f"{path}: [tool.omix] {key} must be a {expected.__name__}")
        if key in PATH_KEYS and isinstance(value, str) and _looks_like_path(value):
            value = str(path.parent / value)
        values[key] = value
    return Config(values, path)


def _looks_like_path(value: str) -> bool:
    """Rule packs may be named ("polly-default") or given as paths; templates are always paths."""
    return "/" in value or bool(Path(value).suffix)


def docs_url(config: Config, flag: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """The docs site base URL, always ending in "/": the flag, then $OMIX_DOCS_URL, then `docs-url`, then the
    default. Checked, because it is pasted into Markdown links and SARIF: only http(s) and file URLs, and no
    characters that would end a Markdown link early."""
    for value, origin in (
        (flag, "--docs-url"),
        (environ.get(DOCS_URL_ENV), DOCS_URL_ENV),
        (config.get("docs-url"), None),
    ):
        if not value:
            continue
        where = origin or f"{config.path}: [tool.omix] docs-url"
        if not value.startswith(_DOCS_URL_SCHEMES) or not value.partition("://")[2].strip("/"):
            raise UsageError(f"{where} must be an http(s):// or file:// URL, not {value!r}")
        if any(c in _DOCS_URL_FORBIDDEN or not c.isprintable() for c in value):
            raise UsageError(f"{where} must not contain spaces, quotes, brackets or control characters: {value!r}")
        return value if value.endswith("/") else value + "/"
    return DEFAULT_DOCS_URL
