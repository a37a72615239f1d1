"""The in-process half of bench/fuzz_readers.py: the targets, and the process libFuzzer drives.

A target writes each input to a file with its suffix and runs the registry's validator on it with the context
`omix validate` builds. Imported by bench/fuzz_readers.py (bench/ on sys.path), never by the project.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fuzz.json_mutator import json_mutator

if TYPE_CHECKING:  # imported at run time only inside the worker, after instrumentation starts
    from validators.core.context import ValidationContext

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench" / "out" / "fuzz"
FIXTURES = ROOT / "fixtures"
TEMPLATE = FIXTURES / "templates" / "single_cell_rnaseq_omixatlas.files.schema.json"
JSON_NAME = "GSE100000_fuzzed.json"  # the metadata file's name; its stem is the dataset id the input must match
GZIP_MAGIC = b"\x1f\x8b"


def json_name(data: bytes) -> str:
    return JSON_NAME


def gct_name(data: bytes) -> str:
    return "GSE300000_fuzzed.gct"


def vcf_name(data: bytes) -> str:
    """A gzip stream goes under .vcf.gz, so the container checks and the compressed path are fuzzed too."""
    return "GSE400000_fuzzed.vcf.gz" if data.startswith(GZIP_MAGIC) else "GSE400000_fuzzed.vcf"


@dataclass(frozen=True)
class Target:
    validator: str  # the key in validators.registry.BUILTIN_VALIDATORS
    name: Callable[[bytes], str]  # the file name an input is validated under
    seeds: tuple[str, ...]  # globs under fixtures/
    tokens: tuple[str, ...]  # a libFuzzer dictionary: the format's keywords


TARGETS = {
    "json": Target(
        "metadata",
        json_name,
        ("metadata/*/*.json", "examples/metadata/*.json", "hostile/corpus/*/*/*.json"),
        (
            '{"',
            '":',
            '",',
            "[",
            "]",
            "{}",
            "true",
            "false",
            "null",
            "NaN",
            "-1e999",
            "\\u0000",
            "\\ud800",
            '"__index__"',
            '"validation_check"',
            '"scope"',
            '"advanced"',
            '"basic"',
            '"dataset_id"',
        ),
    ),
    "gct": Target(
        "gct",
        gct_name,
        ("data/*/*.gct", "examples/data/*.gct", "hostile/corpus/*/*/*.gct"),
        (
            "#1.2",
            "#1.3",
            "\t",
            "\r\n",
            "NaN",
            "nan",
            "-666",
            "inf",
            "-Infinity",
            "1e308",
            "id",
            "Name",
            "Description",
            "na",
            "NA",
            "\xef\xbb\xbf",
        ),
    ),
    "vcf": Target(
        "vcf",
        vcf_name,
        ("data/*/*.vcf", "data/*/*.vcf.gz", "examples/data/*.vcf", "hostile/corpus/*/*/*.vcf*"),
        (
            "##fileformat=VCFv4.2",
            "##fileformat=VCFv4.4",
            "##contig=<ID=",
            ",length=",
            "##INFO=<ID=",
            "##FORMAT=<ID=",
            "##FILTER=<ID=",
            "Number=",
            "Type=",
            "Integer",
            "Float",
            "Flag",
            "Character",
            "String",
            "Number=A",
            "Number=R",
            "Number=G",
            "Number=.",
            ',Description="',
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT",
            "\t",
            "PASS",
            "GT",
            "0/1",
            "1|0",
            "./.",
            "<DEL>",
            "END=",
            "\x1f\x8b\x08",
        ),
    ),
}


def signature(exc: BaseException) -> tuple[str, list[str]]:
    """A crash's identity: the exception type and the innermost frame in our code; plus the top frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(ROOT)) and "/bench/" not in f.filename]
    where = ours[-1] if ours else frames[-1]
    place = f"{Path(where.filename).resolve().relative_to(ROOT) if ours else where.filename}:{where.name}"
    top = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames[-6:])]
    return f"{type(exc).__name__} in {place}", top


class ValidatorCrashed(Exception):
    """The validator reported OMX990: whatever it caught must be fixed, not reported."""


def context(target_name: str) -> ValidationContext:
    """The validation context `omix validate FILE --template T` builds (template for metadata only)."""
    from omix_ingest.run.ontologies import run_ontologies
    from omix_ingest.run.packs import resolve_rule_pack
    from omix_ingest.run.templates import load_template_file
    from validators.registry import validation_context

    os.environ.setdefault("OMIX_ONTOLOGY_DIR", str(ROOT / ".test-envs" / "ontologies"))  # the tests' cache
    pack = resolve_rule_pack("polly-default")
    template = load_template_file(TEMPLATE) if target_name == "json" else None
    return validation_context(template, pack, scope="advanced", ontologies=run_ontologies(pack, build=True))


def worker(target_name: str, strict: str | None, libfuzzer_args: list[str]) -> None:
    """The process libFuzzer drives; with `strict` (a crash key), only that crash is raised (for minimising)."""
    import atheris  # type: ignore[import-untyped]

    with atheris.instrument_imports(include=["validators"]):  # before anything imports them
        import validators.gct.gctx  # the registry imports the data-file validators on first use: here, instrumented
        import validators.gct.text
        import validators.h5ad.validator
        import validators.vcf.validator  # noqa: F401
        from validators.core.model import Finding
        from validators.registry import BUILTIN_VALIDATORS

    target = TARGETS[target_name]
    ctx = context(target_name)
    validator = BUILTIN_VALIDATORS[target.validator]()
    scratch = Path(tempfile.mkdtemp(prefix="omix-fuzz-"))
    crashes = OUT / target_name / "crashes"
    crashes.mkdir(parents=True, exist_ok=True)
    seen = {p.stem for p in crashes.glob("*.json")}

    def run(data: bytes) -> None:
        path = scratch / target.name(data)
        path.write_bytes(data)
        try:
            for item in validator.validate(path, ctx):
                if isinstance(item, Finding) and item.code == "OMX990":
                    raise ValidatorCrashed(item.message)
        finally:
            path.unlink()

    def one_input(data: bytes) -> None:
        try:
            run(data)
        except Exception as exc:
            sig, top = signature(exc)
            key = hashlib.sha1(sig.encode()).hexdigest()[:12]
            if strict is not None:  # minimising: only the crash being minimised counts
                if key == strict:
                    raise
                return
            if key in seen:
                return
            seen.add(key)
            (crashes / f"{key}.input").write_bytes(data)
            detail = {
                "signature": sig,
                "exception": f"{type(exc).__name__}: {exc}"[:500],
                "top_frames": top,
                "traceback": "".join(traceback.format_exception(exc))[-4000:],
            }
            (crashes / f"{key}.json").write_text(json.dumps(detail, indent=1) + "\n", encoding="utf-8")
            print(f"FUZZ-CRASH {key} {sig}", file=sys.stderr, flush=True)

    mutator = None
    if target_name == "json" and ctx.template is not None:  # structure-aware: reaches the checks behind parsing
        # looked up at each call: Setup swaps in the Mutate of atheris's custom-mutator core
        mutator = json_mutator(sorted(ctx.template.by_original_name), lambda d, n: atheris.Mutate(d, n))
    atheris.Setup([str(wrapper_path(target_name, strict)), *libfuzzer_args], one_input, custom_mutator=mutator)
    atheris.Fuzz()


def replay(target_name: str, file: Path, timeout: float) -> None:
    """Run one input outside libFuzzer, dumping the Python stack if it runs past `timeout`: where a hang hangs."""
    import faulthandler
    import resource

    from validators.registry import BUILTIN_VALIDATORS

    target, ctx = TARGETS[target_name], context(target_name)
    data = file.read_bytes()
    path = Path(tempfile.mkdtemp(prefix="omix-replay-")) / target.name(data)
    path.write_bytes(data)
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # as libFuzzer's -rss_limit_mb: a MemoryError
    faulthandler.dump_traceback_later(timeout, exit=True)
    findings = [f.code for f in BUILTIN_VALIDATORS[target.validator]().validate(path, ctx) if hasattr(f, "code")]
    print(f"replay ended: {sorted(set(findings))}")


def wrapper_path(target_name: str, strict: str | None) -> Path:
    """The executable libFuzzer runs as argv[0] (crash minimisation re-runs it as a command)."""
    return OUT / target_name / (f"minimize-{strict}.sh" if strict else "run.sh")
