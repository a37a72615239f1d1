"""The HDF5 walk's defences, checked directly on small files: what it refuses to read (OMX918, OMX912, OMX915)
and what it must still read (a shared subtree, data that compresses as real data does)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from validators.core.hdf5 import blocked, scan, walk
from validators.h5ad.matrix import sparse_shape


def codes_of(path) -> list[str]:
    with h5py.File(path, "r") as handle:
        return sorted(f.code for f in scan(handle, str(path)))


def test_a_dataset_declaring_far_more_than_it_stores_is_omx918_and_not_walked(tmp_path):
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("big", shape=(10**6, 10**6), dtype="f4", chunks=(1024, 1024))
        f.create_dataset("small", data=np.arange(10))
    with h5py.File(path, "r") as handle:
        findings: list = []
        paths = [p for p, _ in walk(handle, "f.h5", findings)]
    assert paths == ["small"]
    assert [(f.code, f.location.pointer) for f in findings] == [("OMX918", "big")]


def test_data_that_compresses_like_real_data_is_read(tmp_path):
    path = tmp_path / "f.h5"
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:  # 64 MiB of small counts: compression shrinks it a few times, not a hundredfold
        f.create_dataset("X", data=rng.poisson(0.5, size=(4096, 4096)).astype("f4"), compression="lzf")
    assert codes_of(path) == []


def test_one_huge_compressed_chunk_is_omx918(tmp_path):
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("X", shape=(4, 3), maxshape=(None, None), chunks=(8192, 8192), dtype="f4", compression="gzip")
    assert codes_of(path) == ["OMX918"]


@pytest.mark.parametrize(("levels", "codes"), [(10, []), (30, ["OMX918"])])
def test_a_shared_subtree_is_walked_once_and_only_an_exponential_one_is_reported(tmp_path, levels, codes):
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        top = group = f.create_group("g0")
        for level in range(1, levels + 1):
            nxt = f.create_group(f"g{level}")
            group["left"] = group["right"] = nxt
            group = nxt
        del top  # the groups stay reachable through g0
    assert codes_of(path) == codes


def test_soft_links_that_loop_or_leave_through_an_external_link_are_reported_not_followed(tmp_path):
    path = tmp_path / "f.h5"
    with h5py.File(path, "w") as f:
        f.create_group("a/b")
        f["a/b/up"] = h5py.SoftLink("/a")  # a loop only a reader following soft links meets
        f["out"] = h5py.ExternalLink("/etc/passwd", "/")
        f["via"] = h5py.SoftLink("/out/x")  # opening it would open /etc/passwd
    with h5py.File(path, "r") as handle:
        found = sorted((f.code, f.location.pointer) for f in scan(handle, "f.h5"))
    assert found == [("OMX912", "out"), ("OMX912", "via"), ("OMX915", "a/b/up")]


def test_blocked_covers_the_path_what_is_below_it_and_what_holds_it():
    unsafe = {"obs/cell_type/codes"}
    assert blocked("obs", unsafe) and blocked("obs/cell_type", unsafe) and blocked("obs/cell_type/codes/x", unsafe)
    assert not blocked("obsm", unsafe) and not blocked("obs/cell", unsafe)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        (np.array([4, 3]), (4, 3)),
        (np.array([4.0, 3.0]), (4, 3)),
        (None, "missing"),
        (np.int64(12), "two numbers"),
        (np.array([np.inf, 3.0]), "whole numbers"),
        (np.array([np.nan, 1.0]), "whole numbers"),
        (np.array([-4, 3]), "non-negative"),
        (np.array([4.5, 3.0]), "non-negative"),
        (np.array([1e300, 3.0]), "non-negative"),
        (np.array(["4", "3"]), "whole numbers"),
    ],
)
def test_a_sparse_shape_attribute_is_two_whole_non_negative_numbers(declared, expected):
    shape = sparse_shape(declared)
    assert shape == expected if isinstance(expected, tuple) else expected in str(shape)
