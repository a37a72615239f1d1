"""The VCF rules (OMX501-OMX530), declared apart from the checks because there are many of them."""

from __future__ import annotations

from validators.core.model import Rule, Severity

FILEFORMAT = Rule(
    "OMX501",
    "vcf-fileformat",
    Severity.ERROR,
    "##fileformat line missing or unknown",
    "{problem}",
    "A VCF starts with `##fileformat=VCFv4.x`; readers use it to choose the rules for the rest. pysam refuses a "
    "file without it with a generic message.",
    "##source=caller",
    "##fileformat=VCFv4.2",
)
HEADER_LINE = Rule(
    "OMX502",
    "vcf-header-line",
    Severity.ERROR,
    "#CHROM header line missing or malformed",
    "{problem}",
    "The `#CHROM` line names the eight fixed columns, then FORMAT and one column per sample.",
    "#CHROM POS ID (spaces)",
    "#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO",
)
DUPLICATE_SAMPLE = Rule(
    "OMX503",
    "vcf-duplicate-sample",
    Severity.ERROR,
    "Duplicate sample name",
    "sample {name!r} appears more than once in the #CHROM line",
    "Genotypes are looked up by sample name; a duplicate makes one column unreachable.",
    "FORMAT\\tS1\\tS1",
    "FORMAT\\tS1\\tS2",
)
UNDECLARED_CONTIG = Rule(
    "OMX504",
    "vcf-undeclared-contig",
    Severity.WARNING,
    "CHROM not declared as a contig",
    "contig {name!r} is not declared in a ##contig header line",
    "The specification recommends a ##contig line for each contig (a warning by default; a rule pack can make it an "
    "error). Without one the contig has no length, cannot be indexed reliably and it is a common sign of a "
    "reference mismatch (chr1 versus 1).",
    "chr2 records, no ##contig=<ID=chr2>",
    "##contig=<ID=chr2,length=242193529>",
)
UNDECLARED_KEY = Rule(
    "OMX505",
    "vcf-undeclared-key",
    Severity.WARNING,
    "INFO, FORMAT or FILTER key not declared",
    "{kind} key {key!r} is not declared in the header",
    "INFO, FORMAT and FILTER keys should have a header line giving their Number and Type (a warning by default; a "
    "rule pack can make it an error); without one, values are read as strings or dropped. Keys the specification "
    "reserves (AC, AN, AF, DP, GT, GQ, PL, SVLEN ...) are read with their defined types and are not reported.",
    "INFO DP=10 without ##INFO=<ID=DP,...>",
    "##INFO=<ID=DP,Number=1,Type=Integer,...>",
)
VALUE_TYPE = Rule(
    "OMX506",
    "vcf-value-type",
    Severity.ERROR,
    "Value does not match its declared Type",
    "{kind} {key}={value!r} is not {expected}",
    "pysam and htslib accept mistyped values silently; downstream tools then fail or misread them.",
    "DP=ten (Type=Integer)",
    "DP=10",
)
VALUE_NUMBER = Rule(
    "OMX507",
    "vcf-value-number",
    Severity.ERROR,
    "Number of values does not match the declared Number",
    "{kind} {key} has {found} value(s), expected {expected}",
    "Number=A means one value per ALT allele, R one per allele including REF, G one per genotype, an integer "
    "that many. A wrong count misaligns values with alleles.",
    "AF=0.5,0.2 with one ALT allele (Number=A)",
    "AF=0.5",
)
POSITION = Rule(
    "OMX508",
    "vcf-position",
    Severity.ERROR,
    "POS missing, not a positive integer or beyond the contig",
    "POS {value!r} {problem}",
    "Positions are 1-based integers within the contig's declared length.",
    "chr1\\t0\\t...",
    "chr1\\t100\\t...",
)
BASES = Rule(
    "OMX509",
    "vcf-invalid-bases",
    Severity.ERROR,
    "REF or ALT holds invalid bases",
    "{column} {value!r} {problem}",
    "REF is one or more of A, C, G, T, N; ALT alleles are bases, `*`, a symbolic allele `<DEL>`, a breakend, "
    "or `.` when there is none.",
    "REF=AXG",
    "REF=ACG",
)
ALT_EQUALS_REF = Rule(
    "OMX510",
    "vcf-alt-equals-ref",
    Severity.ERROR,
    "ALT allele equal to REF",
    "ALT allele {value!r} is the same as REF",
    "An ALT equal to REF is no variant; it usually comes from a broken normalisation step.",
    "REF=A ALT=A",
    "REF=A ALT=G",
)
QUAL = Rule(
    "OMX511",
    "vcf-invalid-qual",
    Severity.ERROR,
    "QUAL is not a non-negative number or '.'",
    "QUAL {value!r} is not a number >= 0 or '.'",
    "QUAL is a Phred-scaled quality: a number at least 0, or `.` when unknown. pysam accepts anything.",
    "QUAL=-5",
    "QUAL=50",
)
UNSORTED = Rule(
    "OMX512",
    "vcf-unsorted",
    Severity.ERROR,
    "Records not sorted by position",
    "position {pos} on {chrom} comes after position {previous}",
    "Indexing (tabix) and region queries need records sorted by position within each contig.",
    "chr1 200 then chr1 100",
    "chr1 100 then chr1 200",
)
INTERLEAVED = Rule(
    "OMX513",
    "vcf-interleaved-contigs",
    Severity.ERROR,
    "Contig records not contiguous",
    "records of contig {chrom!r} appear again after other contigs",
    "All records of a contig must be together; an interleaved file cannot be indexed.",
    "chr1, chr2, chr1",
    "chr1, chr1, chr2",
)
DUPLICATE_RECORD = Rule(
    "OMX514",
    "vcf-duplicate-record",
    Severity.ERROR,
    "Duplicate record",
    "record {chrom}:{pos} {ref}>{alt} appears more than once",
    "The same variant twice double-counts it in every summary.",
    "chr1 100 A G (twice)",
    "chr1 100 A G (once)",
)
GENOTYPE_ALLELE = Rule(
    "OMX515",
    "vcf-genotype-allele",
    Severity.ERROR,
    "Genotype refers to an allele that does not exist",
    "sample {sample!r} genotype {value!r} refers to allele {index}, but the record has {alleles} allele(s)",
    "GT allele indices count REF as 0 and each ALT after it; an index beyond them points at nothing.",
    "ALT=G, GT=0/2",
    "ALT=G, GT=0/1",
)
COLUMN_COUNT = Rule(
    "OMX516",
    "vcf-column-count",
    Severity.ERROR,
    "Wrong number of columns in a record",
    "record has {found} columns, the header has {expected}{hint}",
    "Each record has the eight fixed columns, then FORMAT and one column per sample named in the header. pysam "
    "accepts extra sample columns silently.",
    "2 samples in the header, 3 genotype columns",
    "2 samples, 2 genotype columns",
)
HTSLIB_MESSAGE = Rule(
    "OMX517",
    "vcf-htslib-message",
    Severity.WARNING,
    "htslib reported a problem",
    "htslib: {message}",
    "htslib (used by pysam, bcftools and Polly's ingestion) printed this while reading the file. Its errors stop "
    "reading; its warnings mean a record was read differently from what it says.",
    "[W::vcf_parse] ...",
    "(no message)",
)
NOT_BGZF = Rule(
    "OMX518",
    "vcf-not-bgzf",
    Severity.ERROR,
    "Compressed VCF is not BGZF",
    "{problem}",
    "A .vcf.gz must be BGZF (bgzip), a gzip variant made of independent blocks, so that it can be indexed and "
    "queried by region. Plain gzip reads but cannot be indexed. Recompress with `bgzip`.",
    "gzip sample.vcf",
    "bgzip sample.vcf",
)
TRUNCATED = Rule(
    "OMX519",
    "vcf-truncated",
    Severity.ERROR,
    "Compressed VCF is truncated",
    "{problem}",
    "A complete BGZF file ends with a 28-byte empty EOF block; without it the file was cut short (a failed "
    "copy or download) and records are missing.",
    "(last bytes missing)",
    "(ends with the BGZF EOF block)",
)
STALE_INDEX = Rule(
    "OMX520",
    "vcf-stale-index",
    Severity.WARNING,
    "Index older than the data file",
    "index {index} is older than the data file",
    "An index made before the data file last changed points at the wrong offsets; re-index with `tabix -p vcf`.",
    "sample.vcf.gz modified after sample.vcf.gz.tbi",
    "tabix -f -p vcf sample.vcf.gz",
)
FLAG_WITH_VALUE = Rule(
    "OMX521",
    "vcf-flag-with-value",
    Severity.ERROR,
    "INFO Flag written with a value",
    "INFO {key} is a Flag and takes no value, found {key}={value}",
    "A Flag is present or absent; `DB=1` is not a Flag value and is ignored or rejected by readers.",
    "DB=1",
    "DB",
)
META_LINE = Rule(
    "OMX522",
    "vcf-meta-line",
    Severity.ERROR,
    "Malformed ## meta-information line",
    "{problem}",
    "Meta lines are `##key=value` or `##key=<ID=...,...>`; INFO and FORMAT definitions need ID, Number and Type.",
    "##INFO=<ID=DP,Type=Integer>",
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">',
)
STRAY_LINE = Rule(
    "OMX523",
    "vcf-stray-line",
    Severity.ERROR,
    "Blank or space-delimited line in the body",
    "{problem}",
    "VCF columns are separated by tabs and every body line is a record. Blank lines and space-delimited records "
    "crash some readers (cyvcf2 segfaults) and are skipped by others.",
    "chr1 100 . A G 50 PASS .",
    "chr1\\t100\\t.\\tA\\tG\\t50\\tPASS\\t.",
)
COMPRESSION_NAME = Rule(
    "OMX524",
    "vcf-compression-name-mismatch",
    Severity.ERROR,
    "Compression does not match the file name",
    "{problem}",
    "`.vcf` files are plain text and `.vcf.gz` / `.vcf.bgz` files are BGZF; a mismatch makes readers pick the "
    "wrong decoder.",
    "gzip data in sample.vcf",
    "sample.vcf.gz",
)
RECORD_ID = Rule(
    "OMX525",
    "vcf-record-id",
    Severity.ERROR,
    "Malformed ID column",
    "ID {value!r} {problem}",
    "The ID column is '.' or a semicolon-separated list of identifiers, with no white space and no empty items "
    "(VCF 4.3 section 1.6.1).",
    "rs123 rs456 or ;rs123",
    "rs123;rs456",
)
DUPLICATE_INFO_KEY = Rule(
    "OMX526",
    "vcf-duplicate-info-key",
    Severity.ERROR,
    "INFO key given twice in one record",
    "INFO key {key!r} appears {count} times in this record",
    "Each INFO key may appear once per record (VCF 4.3 section 1.6.1); readers keep one of the values, which one "
    "depends on the reader.",
    "AA=1;AA=23",
    "AA=1",
)
NO_FINAL_NEWLINE = Rule(
    "OMX527",
    "vcf-no-final-newline",
    Severity.WARNING,
    "The last line has no line separator",
    "line {line} is not terminated by a newline",
    "Every VCF line ends with a line separator; a last record without one is a sign of a truncated copy and is "
    "dropped by some tools that read line by line.",
    "...\tPASS\t.<end of file>",
    "...\tPASS\t.\n<end of file>",
)
FORMAT_KEYS = Rule(
    "OMX528",
    "vcf-format-keys",
    Severity.ERROR,
    "Malformed FORMAT column",
    "FORMAT {value!r} {problem}",
    "FORMAT is a colon-separated list of distinct keys, GT first when present (VCF 4.3 section 1.6.2). htslib "
    "reads a genotype that is not first, or a key given twice, without a word, and tools that look for GT first "
    "read the wrong field.",
    "DP:GT\t5:0/1",
    "GT:DP\t0/1:5",
)
INDEX_MISMATCH = Rule(
    "OMX529",
    "vcf-index-mismatch",
    Severity.ERROR,
    "Index does not belong to the data file",
    "index {index} {problem}",
    "A .tbi or .csi beside a VCF is used for every region query. One that cannot be read, names other contigs, "
    "or points at offsets where the records are not (an index of another file, or of an earlier version of this "
    "one) makes queries fail or return the wrong records. Re-index with `tabix -f -p vcf`.",
    "sample.vcf.gz with the .tbi of another file",
    "tabix -f -p vcf sample.vcf.gz",
)
TOO_MANY_ERRORS = Rule(
    "OMX530",
    "vcf-too-many-errors",
    Severity.WARNING,
    "Reading stopped after too many errors",
    "reading stopped at line {line} after {errors} errors; the rest of the file was not checked",
    "A file this broken fails whatever the rest holds, and reading on would only count more of the same: a "
    "decompression bomb of one record repeated (a few MB inflating to gigabytes) would keep the check busy for "
    "hours. Fix what is reported and check again.",
    "a 4 MB .vcf.gz holding 4 GB of one record repeated",
    "each variant once",
)

RULES: tuple[Rule, ...] = (
    FILEFORMAT, HEADER_LINE, DUPLICATE_SAMPLE, UNDECLARED_CONTIG, UNDECLARED_KEY, VALUE_TYPE, VALUE_NUMBER,
    POSITION, BASES, ALT_EQUALS_REF, QUAL, UNSORTED, INTERLEAVED, DUPLICATE_RECORD, GENOTYPE_ALLELE,
    COLUMN_COUNT, HTSLIB_MESSAGE, NOT_BGZF, TRUNCATED, STALE_INDEX, FLAG_WITH_VALUE, META_LINE, STRAY_LINE,
    COMPRESSION_NAME, RECORD_ID, DUPLICATE_INFO_KEY, NO_FINAL_NEWLINE, FORMAT_KEYS, INDEX_MISMATCH, TOO_MANY_ERRORS,
)  # fmt: skip
