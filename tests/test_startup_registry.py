"""The data-file validators are described in validators/deferred.py so that a metadata-only run does not import
them; each description must say exactly what its validator says."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from validators.deferred import DATA_VALIDATORS, DeferredValidator
from validators.registry import BUILTIN_VALIDATORS, load_validators, validation_context

from .conftest import FIXTURES

NAMES = [
    "a.gct", "A.GCT", "a.gct.gz", "a.gctx", "a.GCTX", "a.h5ad", "a.H5AD", "a.h5", "a.vcf", "a.VCF", "a.vcf.gz",
    "a.vcf.bgz", "a.VCF.BGZ", "a.vcf.gz.tbi", "a.vcf.csi", "a.bcf", "a.json", "gct", "vcf.gz", "a.gct.json",
]  # fmt: skip
SAMPLES = {
    "gct": "GSE300001_v12.gct",
    "vcf": "GSE400002_calls.vcf.gz",
    "gctx": "GSE600001_expression.gctx",
    "h5ad": "GSE500001_sparse.h5ad",
}


@pytest.mark.parametrize("name", list(DATA_VALIDATORS))
def test_a_description_declares_what_its_validator_declares(name):
    described, real = DATA_VALIDATORS[name], BUILTIN_VALIDATORS[name]()
    assert not isinstance(real, DeferredValidator)
    assert (described.name, described.kind, described.rules) == (real.name, real.kind, real.rules)
    assert [n for n in NAMES if described.claims(Path(n))] == [n for n in NAMES if real.claims(Path(n))]


@pytest.mark.parametrize("name", list(DATA_VALIDATORS))
def test_a_description_checks_a_file_as_its_validator_does(name):
    path = FIXTURES / "data" / "positive" / SAMPLES[name]
    ctx = validation_context()
    assert list(DATA_VALIDATORS[name].validate(path, ctx)) == list(BUILTIN_VALIDATORS[name]().validate(path, ctx))


def test_the_registry_lists_the_built_ins_in_one_order_and_they_travel_to_workers():
    loaded = load_validators(plugins=False)
    assert [v.name for v in loaded] == list(BUILTIN_VALIDATORS)
    for validator in loaded[1:]:
        list(validator.validate(FIXTURES / "data" / "positive" / SAMPLES[validator.name], validation_context()))
    assert [v.name for v in pickle.loads(pickle.dumps(loaded))] == list(BUILTIN_VALIDATORS)  # a pool, dask
