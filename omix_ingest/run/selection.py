"""Which rule codes apply: ruff-style `--select`/`--ignore` prefixes plus per-file ignores from the config."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from omix_ingest.errors import UsageError
from validators.core.model import Finding


@dataclass(frozen=True)
class Selection:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        known_codes: Iterable[str],
        *,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        per_file_ignores: Mapping[str, Sequence[str]] | None = None,
    ) -> Selection:
        """Normalise and check every prefix against the known codes: a typo must not silently select nothing."""
        codes = list(known_codes)
        per_file = {glob: tuple(_norm(p) for p in prefixes) for glob, prefixes in (per_file_ignores or {}).items()}
        for prefix in [*select, *ignore, *(p for ps in per_file.values() for p in ps)]:
            norm = _norm(prefix)
            if norm != "ALL" and not any(code.startswith(norm) for code in codes):
                raise UsageError(f"{prefix!r} selects no rule; codes look like OMX101, families like OMX1 or OMX")
        return cls(tuple(_norm(s) for s in select), tuple(_norm(i) for i in ignore), per_file)

    @property
    def is_empty(self) -> bool:
        return not (self.select or self.ignore or self.per_file_ignores)

    def enabled(self, code: str, path: str = "") -> bool:
        if self.select and not any(_matches(code, p) for p in self.select):
            return False
        if any(_matches(code, p) for p in self.ignore):
            return False
        for glob, prefixes in self.per_file_ignores.items():
            if _path_matches(path, glob) and any(_matches(code, p) for p in prefixes):
                return False
        return True

    def keep(self, findings: Iterable[Finding]) -> tuple[Finding, ...]:
        return tuple(f for f in findings if self.enabled(f.code, f.file))


def _norm(prefix: str) -> str:
    return prefix.strip().upper()


def _matches(code: str, prefix: str) -> bool:
    return prefix == "ALL" or code.startswith(prefix)


def _path_matches(path: str, glob: str) -> bool:
    path = path.replace("\\", "/")
    return fnmatch.fnmatch(path, glob) or fnmatch.fnmatch(path.rsplit("/", 1)[-1], glob)
