"""polly-validator 0.0.2 (the Polly SDK's validator), set up to run here offline, and timed end to end.

Online, the library fetches its vocabularies on first import (OBO files and an organism table from GitHub, parsed
with pronto into `<user config dir>/polly-validator/valid_names.json`) and, on every import, two short lists of
accepted data types and dataset sources. This machine has no internet, so instead:
  * its venv (bench/out/polly-validator-venv) holds polly-validator 0.0.2 installed without its declared pins and
    the nearest versions that install on Python 3.11 (rapidfuzz 2.1.1 needs `jarowinkler`, which has no wheel
    for 3.11, so rapidfuzz 2.13.7; pydantic 1.10, as the library uses pydantic 1's `validator`; pronto is left
    out, as it is only used to build valid_names.json);
  * valid_names.json is written by us, in the structure `collect_valid_names()` writes, under a config folder of
    the peer's own (its XDG_CONFIG_HOME), from the offline ontologies `omix validate` checks against
    (cellxgene-ontology-guide: UBERON labels for tissue (all of them: polly keeps only UBERON's "tissue" subset,
    which the offline files do not mark), CL for cell type, MONDO for disease (polly uses MeSH), ChEBI for drug,
    NCBITaxon for organism, Cellosaurus for cell line), joined with the polly-default rule pack's own lists; the
    cell line -> organism / disease maps come from the pack's cell-line table (Cellosaurus cross-references are not
    in the offline files);
  * the data-type and dataset-source lists are the pack's (which copy polly-validator's), handed to the runner;
  * its process gets HTTP(S)_PROXY pointing at a local port that refuses connections, so each download it still
    tries fails at once (no DNS, no waiting) and it falls back as it does offline.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from peer_venv import OUT, peer_venv

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "polly-validator==0.0.2"
REQUIREMENTS = (
    "appdirs==1.4.4",
    "requests==2.25.1",
    "tabulate==0.8.10",
    "rapidfuzz==2.13.7",
    "pydantic==1.10.21",
    "pandas==1.5.3",
    "numpy==1.26.4",
)
CONFIG_HOME = OUT / "polly-validator-config"
RUNNER = Path(__file__).resolve().parent / "polly_validator_run.py"
# valid_names.json key -> the schema field whose pack rule names the ontology and lists.
VOCABULARY_FIELDS = {
    "tissue": "curated_tissue",
    "cell_type": "curated_cell_type",
    "disease": "curated_disease",
    "drug": "curated_drug",
    "organism": "curated_organism",
}
# Fields the SDK leaves out of the schema it hands to the library (polly.constants.NOT_NEEDED_SCHEMA_FIELDS).
NOT_NEEDED_SCHEMA_FIELDS = ("is_current", "data_table_version", "data_table_name", "timestamp_")


@dataclass(frozen=True)
class PeerRun:
    files: int
    seconds: float  # end to end: process start, imports, reading and validating every file
    import_seconds: float
    failing: int
    errors: int


@dataclass(frozen=True)
class PollyValidator:
    python: Path
    lists: Path
    vocabulary: str  # what valid_names.json was made from

    @staticmethod
    def result_file(folder: Path) -> Path:
        return folder.parent / "polly-validator-result.json"

    def command(self, folder: Path, schema: Path, limit: int | None) -> list[str]:
        command = [str(self.python), str(RUNNER), "--schema", str(schema), "--lists", str(self.lists)]
        out = ["--out", str(self.result_file(folder))]
        return [*command, *out, *(["--limit", str(limit)] if limit else []), str(folder)]

    def run(self, folder: Path, schema: Path, limit: int | None = None) -> PeerRun:
        """One timed run in a fresh process whose every network call is refused."""
        out = self.result_file(folder)
        with _refusing_port() as port:
            proxy = f"http://127.0.0.1:{port}"
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(CONFIG_HOME),
                "XDG_CONFIG_HOME": str(CONFIG_HOME),
                **{name: proxy for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")},
            }
            start = time.perf_counter()
            proc = subprocess.run(
                self.command(folder, schema, limit), env=env, capture_output=True, text=True, check=False
            )
            seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"polly-validator failed ({proc.returncode}): {proc.stderr[-2000:]}")
        result = json.loads(out.read_text(encoding="utf-8"))
        out.unlink()
        return PeerRun(result["files"], seconds, result["import_seconds"], result["failing"], result["errors"])


@contextmanager
def _refusing_port() -> Iterator[int]:
    """A local TCP port that is bound but not listening: a connection to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def polly_schema(template: Path, target: Path) -> Path:
    """The repository schema as polly-validator 0.0.2 takes it: schema field name -> its attributes (type,
    is_array, original_name, ...), from every source and data type of the template, less the SDK's unneeded
    fields."""
    body = json.loads(template.read_text(encoding="utf-8"))["data"]["attributes"]["schema"]
    fields = {
        name: attributes
        for by_type in body.values()
        for by_field in by_type.values()
        for name, attributes in by_field.items()
        if name not in NOT_NEEDED_SCHEMA_FIELDS
    }
    target.write_text(json.dumps(fields, indent=1), encoding="utf-8")
    return target


def _valid_names() -> tuple[dict[str, object], dict[str, list[str]], str]:
    """(valid_names.json body, data-type and dataset-source lists, a description of the sources)."""
    from omix_ingest.run.ontologies import run_ontologies
    from omix_ingest.run.packs import resolve_rule_pack

    pack = resolve_rule_pack("polly-default")
    catalog = run_ontologies(pack, build=True)
    rules = {rule.field: rule for rule in pack.fields}

    def names(field: str) -> list[str]:
        rule = rules[field]
        found = {term for vocabulary in rule.vocabularies for term in pack.vocabularies[vocabulary].terms}
        index = catalog.index(rule.ontology) if catalog is not None and rule.ontology else None
        if index is not None:
            found.update(index.labels()[1])
        return sorted(found)

    body: dict[str, object] = {key: names(field) for key, field in VOCABULARY_FIELDS.items()}
    organism_map: dict[str, set[str]] = {}
    disease_map: dict[str, set[str]] = {}
    for cell_line, facts in pack.tables["cell_line_facts"].rows.items():
        for value in facts.get("organism", ()):
            organism_map.setdefault(value, set()).add(cell_line)
        for value in facts.get("disease", ()):
            disease_map.setdefault(value, set()).add(cell_line)
    body["cell_line"] = {
        "valid_cell_line_names": names("curated_cell_line"),
        "organism": {k: sorted(v) for k, v in sorted(organism_map.items())},
        "disease": {k: sorted(v) for k, v in sorted(disease_map.items())},
    }
    lists = {
        "data_type": sorted(pack.vocabularies[rules["data_type"].vocabularies[0]].terms),
        "dataset_source": sorted(pack.vocabularies[rules["dataset_source"].vocabularies[0]].terms),
    }
    used = [rules[f].ontology for f in [*VOCABULARY_FIELDS.values(), "curated_cell_line"]]
    described = catalog.describe(o for o in used if o) if catalog is not None else {"source": None}
    return body, lists, json.dumps(described, sort_keys=True)


def seed_vocabularies() -> tuple[Path, str]:
    """Write valid_names.json where the peer looks for it (once per ontology version) and the two lists beside
    it; (lists file, description of the vocabulary source)."""
    from omix_ingest.atomic import write_atomically

    folder = CONFIG_HOME / "polly-validator"
    target, lists_file, stamp_file = folder / "valid_names.json", folder / "lists.json", folder / "source.json"
    pack_stamp = _pack_stamp()
    try:
        stamp = json.loads(stamp_file.read_text(encoding="utf-8"))
        if stamp["pack"] == pack_stamp and target.is_file() and lists_file.is_file():
            return lists_file, stamp["source"]
    except (OSError, ValueError, KeyError):
        pass
    print("writing polly-validator's valid_names.json from the offline ontologies ...", flush=True)
    body, lists, source = _valid_names()
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(target, json.dumps(body, indent=4))
    write_atomically(lists_file, json.dumps(lists))
    write_atomically(stamp_file, json.dumps({"pack": _pack_stamp(), "source": source}))
    return lists_file, source


def _pack_stamp() -> str:
    """What the vocabulary is made from, cheaply: the pack's files and the ontology catalog's release record."""
    from omix_ingest.paths import ontology_dir

    parts = [ROOT / "rules" / "packs" / "polly-default.yaml", *sorted((ROOT / "rules" / "vocabularies").iterdir())]
    parts.append(ontology_dir() / "releases.json")
    return ";".join(f"{p.name}:{p.stat().st_mtime_ns}" if p.exists() else f"{p.name}:-" for p in parts)


def polly_validator() -> PollyValidator | None:
    """The peer, installed and seeded; None when its venv cannot be built here."""
    bin_dir = peer_venv("polly-validator-venv", REQUIREMENTS, no_deps=(PACKAGE,))
    if bin_dir is None:
        return None
    lists, source = seed_vocabularies()
    return PollyValidator(bin_dir / "python", lists, source)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    peer = polly_validator()
    print(peer)
