"""Property tests: on generated and mutated files, the verdict agrees with the reader Polly uses. A GCT that passes
parses with cmapPy and one cmapPy refuses fails; a VCF that passes is read to the end by pysam; an h5ad that passes
loads with anndata. Fixtures only show the cases someone thought of; these find the rest."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validators.core.context import ValidationContext
from validators.core.model import Finding, Severity
from validators.gct.text import GctValidator
from validators.h5ad.validator import H5adValidator
from validators.vcf.validator import VcfValidator

from .test_gct_cmappy import cmappy_parses

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _errors(validator: object, path: Path) -> list[str]:
    found = validator.validate(path, ValidationContext())  # type: ignore[attr-defined]
    return [f.code for f in found if isinstance(f, Finding) and f.severity >= Severity.ERROR]


def _written(name: str, content: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="omix-property-"))
    path = folder / name
    path.write_bytes(content)
    return path


# ----------------------------------------------------------------------------------------------------- GCT

CELLS = st.sampled_from(
    [
        *("1", "-2.5", "3e2", "0", "", "NA", "nan", "NaN", "inf", "-inf", "1e308", "1_0", " 1", "-666", "abc", '"1"'),
        *("\u0661", "\uff11", "1.", ".5", "+4", "1e-400", "#N/A", "null"),
    ]
)
IDS = st.sampled_from(["TP53", "EGFR", "BRCA1", "MYC", "", " KRAS", "TP53", "na", '"ID"', "A\tB"])


@st.composite
def gct_text(draw: st.DrawFn) -> str:
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    declared_rows = draw(st.sampled_from([rows, rows, rows + 1, max(0, rows - 1)]))
    dims = f"{declared_rows}\t{cols}" + draw(st.sampled_from(["", "", "\t", "\t\t", " "]))
    header = draw(st.sampled_from(["Name\tDescription", "Name\tDescription", "NAME\tDescription", "id\tdesc"]))
    samples = [draw(st.sampled_from([f"S{i}", f"S{i}", "S0", ""])) for i in range(cols)]
    lines = [draw(st.sampled_from(["#1.2", "#1.2", "#1.3", "1.2"])), dims, "\t".join([header, *samples])]
    for _ in range(rows):
        width = draw(st.sampled_from([cols, cols, cols, cols + 1, cols - 1]))
        lines.append("\t".join([draw(IDS), "na", *(draw(CELLS) for _ in range(max(0, width)))]))
    ending = draw(st.sampled_from(["\n", "\n", "", "\n\n", "\r\n"]))
    return ending.join(lines) + ending if ending else "\n".join(lines)


@PROPERTY
@given(gct_text())
def test_gct_verdicts_agree_with_cmappy(text: str):
    path = _written("generated.gct", text.encode("utf-8"))
    errors = _errors(GctValidator(), path)
    if not errors:
        assert cmappy_parses(path), f"passes here but cmapPy refuses it:\n{text}"
    if not cmappy_parses(path):
        assert errors, f"cmapPy refuses it but it passes here:\n{text}"


# ----------------------------------------------------------------------------------------------------- VCF

BASE_VCF = (
    "##fileformat=VCFv4.3\n"
    "##contig=<ID=chr1,length=1000>\n"
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
)
POSITIONS = st.sampled_from(["1", "10", "0", "1001", "-1", "abc", "\u00b9", "99999999999999999999", "1.5", ""])
QUALS = st.sampled_from([".", "30", "0", "Inf", "NaN", "-1", "1e3", "x", "1_0", "\u0663"])
GTS = st.sampled_from(["0/1", "0|1", "|0|1", "/0", "1", ".", "./.", "2/0", "0/a", "0//1", "\u0661/0", ""])
INFOS = st.sampled_from([".", "DP=3", "DP=x", "DP=3;DP=4", "AC=1;AN=2", "XX=1", "DP", "=3", "DP=\u0663"])
REFS = st.sampled_from(["A", "ACGT", "N", "X", "", "a"])
ALTS = st.sampled_from(["G", "T,C", ".", "<DEL>", "A", "G,", "*", "[chr1:5[A"])


@st.composite
def vcf_text(draw: st.DrawFn) -> str:
    lines = []
    last = 0
    for _ in range(draw(st.integers(1, 4))):
        position = draw(POSITIONS)
        if position.isascii() and position.isdigit() and int(position) < 10_000:
            position = str(max(int(position), last))  # mostly sorted, so sorting is not all that is tested
            last = int(position)
        fields = ["chr1", position, ".", draw(REFS), draw(ALTS), draw(QUALS), "PASS", draw(INFOS), "GT", draw(GTS)]
        lines.append("\t".join(fields))
    return BASE_VCF + "\n".join(lines) + draw(st.sampled_from(["\n", "\n", ""]))


def _pysam_reads(path: Path) -> bool:
    import pysam

    from validators.vcf.htslib import captured_stderr

    try:
        with captured_stderr() as said, pysam.VariantFile(str(path)) as variants:
            for record in variants:
                _ = (
                    record.pos,
                    record.alleles,
                    record.qual,
                    dict(record.info),
                    [dict(s) for s in record.samples.values()],
                )
    except Exception:  # pysam raises several kinds; each means it stopped
        return False
    return not any(m.startswith("[E::") for m in said.messages)


@PROPERTY
@given(vcf_text())
def test_a_vcf_that_passes_is_read_to_the_end_by_pysam(text: str):
    path = _written("generated.vcf", text.encode("utf-8"))
    if not _errors(VcfValidator(), path):
        assert _pysam_reads(path), f"passes here but pysam cannot read it:\n{text}"


# ----------------------------------------------------------------------------------------------------- h5ad

OBS_COLUMNS = st.sampled_from(
    ["category", "category_with_nan", "all_nan_category", "ints", "floats", "strings", "bools"]
)


def _column(kind: str, n: int):
    import numpy as np
    import pandas as pd

    values = {
        "category": pd.Categorical([f"c{i % 2}" for i in range(n)]),
        "category_with_nan": pd.Categorical([None if i % 2 else "x" for i in range(n)]),
        "all_nan_category": pd.Categorical([np.nan] * n),
        "ints": np.arange(n),
        "floats": np.linspace(0, 1, n),
        "strings": [f"s{i}" for i in range(n)],
        "bools": np.arange(n) % 2 == 0,
    }
    return values[kind]


@st.composite
def anndata_file(draw: st.DrawFn) -> tuple[Path, str]:
    import anndata
    import h5py
    import numpy as np
    import pandas as pd
    from scipy import sparse

    n_obs, n_vars = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    dense = np.arange(n_obs * n_vars, dtype=np.float32).reshape(n_obs, n_vars)
    matrix = sparse.csr_matrix(dense) if draw(st.booleans()) else dense
    obs = pd.DataFrame({kind: _column(kind, n_obs) for kind in draw(st.sets(OBS_COLUMNS, max_size=3))})
    obs.index = [f"CELL{i}" for i in range(n_obs)]
    adata = anndata.AnnData(X=matrix, obs=obs, var=pd.DataFrame(index=[f"G{i}" for i in range(n_vars)]))
    if draw(st.booleans()):
        adata.raw = adata.copy()
    if draw(st.booleans()):
        adata.obsm["X_pca"] = np.zeros((n_obs, 2))
    path = Path(tempfile.mkdtemp(prefix="omix-property-")) / "generated.h5ad"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata.write_h5ad(path)
    mutation = draw(st.sampled_from(["none", "none", "drop", "attr", "shape"]))
    with h5py.File(path, "r+") as handle:
        names: list[str] = []
        handle.visit(names.append)
        target = draw(st.sampled_from(sorted(names)))
        if mutation == "drop":
            del handle[target]
        elif mutation == "attr" and "encoding-type" in handle[target].attrs:
            handle[target].attrs["encoding-version"] = draw(st.sampled_from(["9.9.9", "0.1.0", ""]))
        elif mutation == "shape" and isinstance(handle[target], h5py.Dataset) and handle[target].ndim == 1:
            data = handle[target][()]
            del handle[target]
            handle[target] = data[:-1] if len(data) > 1 else data
    return path, f"{mutation} {target}"


def _anndata_loads(path: Path) -> bool:
    import anndata

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            adata = anndata.read_h5ad(path)
            _ = (adata.X, adata.obs, adata.var, adata.raw)
    except Exception:  # anndata raises many kinds; each means it cannot load the file
        return False
    return True


@PROPERTY
@given(anndata_file())
def test_an_h5ad_that_passes_loads_with_anndata(case: tuple[Path, str]):
    path, mutation = case
    if not _errors(H5adValidator(), path):
        assert _anndata_loads(path), f"passes here but anndata cannot load it (mutation: {mutation})"
