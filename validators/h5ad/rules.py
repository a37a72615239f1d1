"""The h5ad rules (OMX301-OMX320), declared apart from the checks because there are many of them."""

from __future__ import annotations

from validators.core.model import Rule, Severity

MISSING_ELEMENT = Rule(
    "OMX301",
    "h5ad-missing-element",
    Severity.ERROR,
    "Required AnnData element missing",
    "{problem}",
    "The AnnData format requires `obs` (cells) and `var` (genes); `X` is optional in the format (anndata writes "
    "none when X is None), but Polly ingests the expression matrix from `X`, so by Polly's policy a file without it "
    "is refused. Another HDF5 layout (a 10x CellRanger .h5, a loom file) renamed to .h5ad is not AnnData.",
    "/matrix (10x .h5)",
    "/X, /obs, /var",
)
ENCODING = Rule(
    "OMX302",
    "h5ad-encoding",
    Severity.ERROR,
    "Element encoding missing or unknown",
    "{path}: {problem}",
    "Since anndata 0.8 every element carries `encoding-type` and `encoding-version` attributes, and readers "
    "dispatch on them. A missing or unknown pair, or a group where a dataset belongs, cannot be read.",
    "obs without encoding-type",
    "obs: encoding-type=dataframe, encoding-version=0.2.0",
)
NEWER_ENCODING = Rule(
    "OMX303",
    "h5ad-newer-encoding",
    Severity.ERROR,
    "Element written by a newer anndata",
    "{path}: {type} version {version} is newer than the versions this tool knows ({known})",
    "The element was written by a newer anndata than the released ones this tool (and the anndata it runs with) "
    "can read: anndata refuses an encoding version it does not know, so Polly's ingestion cannot read the file "
    "either. Write the file with a current stable anndata. (An error since the fidelity review: a warning let "
    "unreadable files pass.)",
    "dataframe 0.3.0",
    "dataframe 0.2.0",
)
SHAPE = Rule(
    "OMX304",
    "h5ad-shape-mismatch",
    Severity.ERROR,
    "Shapes do not agree",
    "{path} has shape {found}, expected {expected}",
    "X and layers are (n_obs, n_vars); obsm rows are n_obs, varm rows n_vars; obsp is (n_obs, n_obs), varp "
    "(n_vars, n_vars). A mismatch means a matrix and its annotations come from different objects.",
    "X (5000, 2000) with 4999 obs rows",
    "X (5000, 2000) with 5000 obs rows",
)
DATAFRAME = Rule(
    "OMX305",
    "h5ad-dataframe",
    Severity.ERROR,
    "Malformed obs/var dataframe",
    "{path}: {problem}",
    "A dataframe group names its index in `_index`, lists its columns in `column-order`, and every column has "
    "the index's length.",
    "obs/_index names a missing member",
    "obs/_index -> obs/cell_id",
)
INDEX = Rule(
    "OMX306",
    "h5ad-index",
    Severity.ERROR,
    "obs or var index not unique or has empty names",
    "{path}: {problem}",
    "Cell and gene names identify rows; anndata only warns about duplicates and then joins and subsets go wrong.",
    "obs names: AAACCTG-1, AAACCTG-1",
    "obs names: AAACCTG-1, AAACCTG-2",
)
CATEGORICAL = Rule(
    "OMX307",
    "h5ad-categorical",
    Severity.ERROR,
    "Malformed categorical column",
    "{path}: {problem}",
    "A categorical column stores integer `codes` (one per row, -1 for missing) into a list of unique "
    "`categories`; codes outside the list point at nothing.",
    "codes [0, 5] with 3 categories",
    "codes [0, 2] with 3 categories",
)
CATEGORICAL_MISSING = Rule(
    "OMX308",
    "h5ad-categorical-missing",
    Severity.WARNING,
    "Categorical column with missing values",
    "{path}: {count} rows have no category (code -1)",
    "Code -1 is legal in anndata but most atlas schemas expect a value for every cell; use an explicit category.",
    "cell_type code -1",
    'cell_type "unknown"',
)
SPARSE_STRUCTURE = Rule(
    "OMX309",
    "h5ad-sparse-structure",
    Severity.ERROR,
    "Broken sparse matrix structure",
    "{path}: {problem}",
    "A CSR/CSC matrix is `data`, `indices` and `indptr` with `indptr` of length n+1, starting at 0, never "
    "decreasing and ending at the number of stored values. anndata loads a broken one without complaint; the "
    "first computation on it then crashes.",
    "indptr ends at 999 with 1000 stored values",
    "indptr ends at 1000",
)
SPARSE_RANGE = Rule(
    "OMX310",
    "h5ad-sparse-index-range",
    Severity.ERROR,
    "Sparse indices out of range",
    "{path}: {count} indices outside [0, {limit})",
    "Each stored value's column (CSR) or row (CSC) index must exist.",
    "index 2000 in a 2000-column matrix",
    "indices 0..1999",
)
SPARSE_UNSORTED = Rule(
    "OMX311",
    "h5ad-sparse-unsorted",
    Severity.WARNING,
    "Sparse indices not sorted within rows",
    "{path}: {count} rows (or columns) have unsorted indices",
    "Unsorted indices are legal but slow many operations, and some tools assume sorted order.",
    "row indices [5, 2]",
    "row indices [2, 5]",
)
SPARSE_DUPLICATE = Rule(
    "OMX312",
    "h5ad-sparse-duplicate-entries",
    Severity.ERROR,
    "Duplicate entries in a sparse matrix",
    "{path}: {count} duplicate (row, column) entries",
    "Two stored values for one cell are summed by some tools and not others.",
    "row indices [2, 2]",
    "row indices [2]",
)
NON_FINITE = Rule(
    "OMX313",
    "h5ad-non-finite",
    Severity.ERROR,
    "NaN or infinite values in a matrix",
    "{path}: {nan} NaN and {inf} infinite values",
    "Expression matrices hold finite numbers; NaN or infinity breaks normalisation and clustering.",
    "X contains nan",
    "X finite",
)
COUNTS = Rule(
    "OMX314",
    "h5ad-counts",
    Severity.ERROR,
    "Counts that are negative or not whole numbers",
    "{path}: {negative} negative and {fractional} non-integer values in a counts matrix",
    "Raw counts (`raw/X`, or a layer named like `counts`) are non-negative integers; anything else is already "
    "normalised and should not be labelled as counts.",
    "raw/X with log1p values",
    "raw/X with UMI counts",
)
ALL_ZERO = Rule(
    "OMX315",
    "h5ad-all-zero",
    Severity.WARNING,
    "Matrix with no non-zero value",
    "{path} holds no non-zero value",
    "An all-zero matrix is almost always an export mistake (a placeholder X, an empty layer).",
    "X = zeros",
    "X = expression values",
)
EXPLICIT_ZEROS = Rule(
    "OMX316",
    "h5ad-explicit-zeros",
    Severity.INFO,
    "Explicit zeros stored in a sparse matrix",
    "{path}: {count} stored values are zero",
    "Stored zeros waste space and inflate non-zero counts; `eliminate_zeros()` removes them.",
    "data [0.0, 3.0]",
    "data [3.0]",
)
MIXED_TYPES = Rule(
    "OMX317",
    "h5ad-mixed-type-column",
    Severity.WARNING,
    "Column mixes numbers and text",
    "{path}: {numeric} numeric-looking and {text} text values",
    "A column of mixed Python types is stored as text; numbers in it no longer sort or filter as numbers. Usually "
    "one of the two kinds is a data-entry mistake.",
    "age: ['34', '51', 'unknown']",
    "age: [34, 51, NaN]",
)
NULLABLE = Rule(
    "OMX318",
    "h5ad-nullable",
    Severity.ERROR,
    "Malformed nullable column",
    "{path}: {problem}",
    "Nullable integer, boolean and string columns store `values` and a boolean `mask` of the same shape.",
    "values (100,), mask (99,)",
    "values (100,), mask (100,)",
)
STRINGS = Rule(
    "OMX319",
    "h5ad-string-array",
    Severity.ERROR,
    "String array not stored as strings",
    "{path}: {problem}",
    "`string-array` elements are variable-length UTF-8 strings in HDF5.",
    "fixed-width bytes",
    "variable-length UTF-8",
)
ANNDATA_READ = Rule(
    "OMX320",
    "h5ad-anndata-read-error",
    Severity.ERROR,
    "anndata cannot read an element",
    "{path}: anndata cannot read it: {detail}",
    "Polly's ingestion reads h5ad with anndata; an element anndata cannot decode fails there too.",
    "a categorical whose categories are integers stored as strings",
    "a valid categorical",
)
UNS_TOO_DEEP = Rule(
    "OMX321",
    "h5ad-uns-too-deep",
    Severity.ERROR,
    "uns nested deeper than the limit",
    "{path}: nested more than {limit} levels deep",
    "Deeply nested `uns` is a generated or hostile file; readers recurse through it.",
    "uns/a/a/a/... (100 levels)",
    "uns/params/n_pcs",
)
MATRIX_DTYPE = Rule(
    "OMX322",
    "h5ad-matrix-dtype",
    Severity.ERROR,
    "Matrix values are not numbers",
    "{path} has dtype {dtype}, expected integers or floats",
    "Matrices hold numeric values; strings or compound types cannot be analysed.",
    "X of strings",
    "X of float32",
)

LEGACY = Rule(
    "OMX323",
    "h5ad-legacy-layout",
    Severity.WARNING,
    "Written by anndata before 0.8",
    "the file has no encoding attributes (anndata before 0.8); elements are checked by their legacy layout",
    "Files written before anndata 0.8 still load, but only through anndata's legacy readers, which newer tools "
    "and Polly's ingestion may drop. Read and write the file once with a current anndata.",
    "X without encoding-type, h5sparse_format=csr",
    "X: encoding-type=csr_matrix, encoding-version=0.1.0",
)

RULES: tuple[Rule, ...] = (
    MISSING_ELEMENT, ENCODING, NEWER_ENCODING, SHAPE, DATAFRAME, INDEX, CATEGORICAL, CATEGORICAL_MISSING,
    SPARSE_STRUCTURE, SPARSE_RANGE, SPARSE_UNSORTED, SPARSE_DUPLICATE, NON_FINITE, COUNTS, ALL_ZERO,
    EXPLICIT_ZEROS, MIXED_TYPES, NULLABLE, STRINGS, ANNDATA_READ, UNS_TOO_DEEP, MATRIX_DTYPE, LEGACY,
)  # fmt: skip
