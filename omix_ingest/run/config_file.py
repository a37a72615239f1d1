"""Project configuration: `[tool.omix]` in pyproject.toml or a `.omix.toml`, found from the working folder
upwards. Command-line flags win over the file; paths in the file are relative to the file."""

from __future__ import annotations

import tomllib
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
}
PATH_KEYS = ("template", "rules", "sample-template")


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
