"""Whether a .tbi or .csi beside a BGZF VCF belongs to it: htslib can load it, it names the contigs the records are
on, and for each of them it leads to a record of that contig. htslib only reads an index for a region query, so a
foreign or broken one passes every other check and fails later, in every query."""

from __future__ import annotations

from pathlib import Path

from validators.core.capped import CappedFindings
from validators.vcf.htslib import captured_stderr
from validators.vcf.rules import INDEX_MISMATCH

MAX_CONTIGS_PROBED = 1_000  # one seek and one record each
MAX_NAMES_SHOWN = 5


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMES_SHOWN])
    return shown + (f" and {len(names) - MAX_NAMES_SHOWN} more" if len(names) > MAX_NAMES_SHOWN else "")


def index_problem(path: Path, index: Path, chroms: list[str]) -> str | None:
    """What is wrong with `index` for the data file `path` whose records are on `chroms`, or None."""
    import pysam

    if index.stat().st_size == 0:
        return "is empty"
    with captured_stderr() as said:
        try:
            tabix = pysam.TabixFile(str(path), index=str(index))
        except (OSError, ValueError) as exc:
            tabix = None
            failure = str(exc) or type(exc).__name__
    if tabix is None:
        detail = next((m for m in said.messages if m.startswith("[E::")), failure)
        return f"cannot be read by htslib: {detail}"
    with tabix:
        named = list(tabix.contigs)
        missing = [c for c in chroms if c not in named]
        extra = [c for c in named if c not in chroms]
        if missing or extra:
            what = [f"has no entry for {_names(missing)}" if missing else "", f"names {_names(extra)}" if extra else ""]
            return f"{' and '.join(w for w in what if w)}, which the records are not on"
        for contig in named[:MAX_CONTIGS_PROBED]:
            with captured_stderr():
                try:
                    first = next(iter(tabix.fetch(contig)), None)
                except (OSError, ValueError, StopIteration):
                    first = None
            if first is None or first.split("\t", 1)[0] != contig:
                return f"does not lead to the records of {contig}: it was made for another file or an earlier version"
    return None


def check_index(path: Path, display: str, out: CappedFindings, chroms: list[str]) -> None:
    for suffix in (".tbi", ".csi"):
        index = path.with_name(path.name + suffix)
        if not index.is_file():
            continue
        problem = index_problem(path, index, chroms)
        if problem is not None:
            out.add(INDEX_MISMATCH.finding(display, index=index.name, problem=problem))
