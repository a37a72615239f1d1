"""AnnData .h5ad (OMX3xx): structure first with h5py, never loading the matrix; then anndata, one element at a time.

The checks live in `h5ad_check` and load on first use, so that validating metadata never pays for NumPy and h5py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from validators.core.context import Fact, ValidationContext
from validators.core.hdf5 import HDF5_READ_ERROR, open_hdf5
from validators.core.hdf5 import RULES as HDF5_RULES
from validators.core.model import Finding, Location, Rule
from validators.h5ad.rules import RULES

if TYPE_CHECKING:
    from validators.core.capped import CappedFindings
    from validators.h5ad.matrix import MatrixCheck


class H5adValidator:
    name = "h5ad"
    kind = "data"
    rules: tuple[Rule, ...] = (*RULES, *HDF5_RULES)

    def claims(self, path: Path) -> bool:
        return path.name.lower().endswith(".h5ad")

    def validate(self, path: Path, ctx: ValidationContext) -> Iterator[Finding | Fact]:
        yield from validate_h5ad(path, ctx)


def validate_h5ad(
    path: Path, ctx: ValidationContext, matrix: Callable[[str, CappedFindings], MatrixCheck] | None = None
) -> Iterator[Finding | Fact]:
    """The h5ad validator's output; `matrix` makes the matrix checks (a split file's final pass has its value
    passes done already, see `blocks`)."""
    display = str(path)
    yield Fact("format", "h5ad")
    from validators.h5ad.checks import H5adCheck

    handle, findings = open_hdf5(path, display)
    yield from findings
    if handle is None:
        return
    with handle:
        try:
            check = H5adCheck(handle, display, ctx)
        except (OSError, KeyError, ValueError, RuntimeError) as exc:  # the root itself cannot be read
            yield HDF5_READ_ERROR.finding(display, Location(pointer="/"), name="/", detail=str(exc))
            return
        if matrix is not None:
            check.matrix = matrix(display, check.out)
        check.run()
        if check.n_obs is not None:
            yield Fact("n_obs", check.n_obs)
        if check.n_vars is not None:
            yield Fact("n_vars", check.n_vars)
        if check.matrix_kind is not None:
            yield Fact("matrix", check.matrix_kind)
        yield from check.out
