"""Rule packs and vocabularies, shipped as data. Importable only to locate the files."""

from __future__ import annotations

from pathlib import Path

PACKS_DIR = Path(__file__).parent / "packs"
DEFAULT_PACK = "polly-default"


def pack_path(name: str) -> Path | None:
    """The bundled pack with this name, or None."""
    candidate = PACKS_DIR / f"{name}.yaml"
    return candidate if candidate.is_file() else None


def bundled_packs() -> list[str]:
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))
