"""VCF throughput: records per second of `omix validate` next to a bare pysam loop that touches every field.

Generates (cached under bench/out/) sorted VCF 4.2 files with two samples, INFO (DP, AF with Number=A, a Flag)
and FORMAT (GT, DP), at 250,000 and 1,000,000 records (plain text). Each measurement runs in a fresh process; the
two sizes show whether peak memory grows with the number of records.

Usage: python bench/bench_vcf.py [--records N]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peak import measure
from results import record

OUT = Path(__file__).resolve().parent / "out"
HEADER = (
    "##fileformat=VCFv4.2\n"
    + "".join(f"##contig=<ID=chr{i},length=250000000>\n" for i in range(1, 23))
    + '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">\n'
    '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">\n'
    '##INFO=<ID=DB,Number=0,Type=Flag,Description="dbSNP membership">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n"
)
PYSAM_LOOP = """
import sys, pysam
n = 0
with pysam.VariantFile(sys.argv[1]) as vf:
    for r in vf:
        (r.chrom, r.pos, r.id, r.ref, r.alts, r.qual, list(r.filter), dict(r.info))
        for s in r.samples.values():
            dict(s)
        n += 1
print(n)
"""


def generate(path: Path, records: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    per_chrom = records // 22 + 1
    bases = "ACGT"
    tmp = path.with_suffix(".partial")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        written = 0
        for chrom in range(1, 23):
            pos = 0
            for _ in range(per_chrom):
                if written == records:
                    break
                pos += rng.randint(1, 200)
                ref = rng.choice(bases)
                alt = rng.choice([b for b in bases if b != ref])
                flag = ";DB" if rng.random() < 0.3 else ""
                gt1, gt2 = rng.choice(("0/0", "0/1", "1/1")), rng.choice(("0|1", "1|1", "./."))
                out.write(
                    f"chr{chrom}\t{pos}\t.\t{ref}\t{alt}\t{rng.randint(10, 99)}\tPASS\t"
                    f"DP={rng.randint(5, 90)};AF={rng.random():.3f}{flag}\tGT:DP\t"
                    f"{gt1}:{rng.randint(1, 40)}\t{gt2}:{rng.randint(1, 40)}\n"
                )
                written += 1
    tmp.replace(path)


def ensure(records: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"bench_{records}.vcf"
    if not path.exists():
        print(f"generating {path.name} ...", flush=True)
        generate(path, records)
    return path


def bgzipped(path: Path) -> Path:
    """The same records BGZF-compressed (pysam's bgzip), cached beside the plain file."""
    import pysam

    target = path.with_suffix(".vcf.gz")
    if not target.exists():
        pysam.tabix_compress(str(path), str(target), force=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    bcftools = shutil.which("bcftools")  # the floor, when the machine has it (Debian: apt-get install bcftools)
    for records in (args.records // 4, args.records):
        plain = ensure(records)
        for path in (plain, bgzipped(plain)):
            ours = measure([sys.executable, "-m", "omix_ingest.cli", "validate", "--format", "json", str(path)])
            if ours.returncode != 0:
                raise SystemExit(f"omix validate did not pass the generated file:\n{ours.stdout[:2000]}")
            peer = measure([sys.executable, "-c", PYSAM_LOOP, str(path)])
            floor = measure([bcftools, "view", "-Ou", "-o", "/dev/null", str(path)]) if bcftools else None
            kind = "bgzipped" if path.suffix == ".gz" else "plain"
            record(
                "vcf",
                f"{records} records {kind}",
                records=records,
                omix_seconds=ours.seconds,
                omix_peak_mib=ours.peak_mib,
                pysam_seconds=peer.seconds,
                pysam_peak_mib=peer.peak_mib,
                bcftools_seconds=floor.seconds if floor else None,
            )
            print(f"{records:,} records, {kind}, {path.stat().st_size / 2**20:.0f} MiB:")
            print(
                f"  omix validate (pysam pass + checks)  {ours.seconds:6.1f} s  {records / ours.seconds:>10,.0f} rec/s"
                f"  peak {ours.peak_mib:5.0f} MiB"
            )
            print(
                f"  bare pysam loop, every field         {peer.seconds:6.1f} s  {records / peer.seconds:>10,.0f} rec/s"
                f"  peak {peer.peak_mib:5.0f} MiB   (omix at {peer.seconds / ours.seconds:.2f}x its speed)"
            )
            if floor is not None:
                rate = records / floor.seconds
                print(f"  bcftools view (floor)                {floor.seconds:6.1f} s  {rate:>10,.0f} rec/s")


if __name__ == "__main__":
    main()
