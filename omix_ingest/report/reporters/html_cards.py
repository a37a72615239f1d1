"""The HTML report's per-dataset cards: a report's files grouped into datasets (metadata and data file paired by
dataset id, as the validators pair them), each rendered as a `<details>` element with the dataset's facts side by
side and every finding with the value it found next to what was expected.

Works on the report's plain-data form (`Report.to_dict()`), where text JSON cannot hold is already made safe.
Every piece of report text goes through `esc` (content) or `attr` (quoted attribute values); nothing from a report
is ever markup.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from omix_ingest.report.model import jsonable
from validators.core.naming import dataset_id_of

SEVERITY_CLASS = {"error": "e", "warning": "w", "info": "i"}
RANK = {"error": 3, "warning": 2, "info": 1}
_SAFE_ID = re.compile(r"^[0-9A-Za-z_.-]{1,200}$")
MAX_VALUE = 80  # characters of a value shown in a card; the JSON report has all of it


def esc(text: object) -> str:
    """Report text as element content (`<`, `>` and `&` escaped)."""
    return html.escape(str(text), quote=False)


def attr(text: object) -> str:
    """Report text as a double-quoted attribute value (quotes escaped too)."""
    return html.escape(str(text), quote=True)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def folder(path: str) -> str:
    normal = path.replace("\\", "/")
    return normal.rsplit("/", 1)[0] + "/" if "/" in normal else "./"


@dataclass
class Dataset:
    """The files of one dataset id, in report order, and where its card lives on the page."""

    key: str
    anchor: str
    files: list[dict[str, Any]] = field(default_factory=list)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [f for file in self.files for f in file["findings"]]

    @property
    def rank(self) -> int:
        return max((RANK.get(f["severity"], 0) for f in self.findings), default=0)

    def counts(self) -> Counter[str]:
        return Counter(f["severity"] for f in self.findings)


def group_datasets(files: Iterable[dict[str, Any]]) -> list[Dataset]:
    """Datasets, the worst first (then by id), each with a page-unique anchor usable in a URL fragment."""
    groups: dict[str, Dataset] = {}
    for file in files:
        key = dataset_id_of(basename(file["path"]))
        if key not in groups:
            anchor = f"ds-{key}" if _SAFE_ID.match(key) else f"dx-{len(groups)}"
            groups[key] = Dataset(key, anchor)
        groups[key].files.append(file)
    return sorted(groups.values(), key=lambda d: (-d.rank, d.key))


def shown(value: Any) -> str:
    """A value as a curator reads it: text as is, anything else as JSON; long values shortened."""
    text = value if isinstance(value, str) else orjson.dumps(jsonable(value), default=str).decode()
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def found_and_expected(code: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """What a finding found and what the template, rule pack or format expected instead, from its params (the
    facts its message was made from); empty where the rule does not say."""
    if "declared" in params:  # metadata and data file disagree: the metadata's value, the data file's count
        found = shown(params["declared"])
    elif "value" in params:
        found = shown(params["value"])
    elif "actual" in params:
        found = shown(params["actual"])
    elif "found" in params:
        found = shown(params["found"])
    else:
        found = "(missing)" if code in ("OMX103", "OMX115", "OMX620") else ""
    if "declared" in params and "actual" in params:
        expected = f"{shown(params['actual'])} {shown(params.get('unit', ''))}".strip()
    elif "expected" in params:
        expected = shown(params["expected"])
    elif "term" in params:
        expected = f"{shown(params['term'])} ({shown(params.get('vocabulary', 'vocabulary'))})"
    elif "vocabulary" in params:
        expected = f"a term of {shown(params['vocabulary'])}"
    elif "pattern" in params:
        expected = f"matches {shown(params['pattern'])}"
    elif code in ("OMX103", "OMX115", "OMX620"):
        expected = "required"
    else:
        expected = ""
    return found, expected


def _where(finding: Mapping[str, Any]) -> str:
    """line:col and pointer; for a field that is not there at all (nothing to point at), its name."""
    line = finding.get("line")
    spot = f"{line}:{finding.get('column') or 1}" if line is not None else ""
    pointer = finding.get("pointer") or ""
    if not pointer and not spot:
        params = finding.get("params") or {}
        named = params.get("key", params.get("field"))
        pointer = named if isinstance(named, str) else ""
    return " ".join(part for part in (spot, pointer) if part)


def finding_row(finding: Mapping[str, Any], *, compared: bool) -> str:
    """One finding: where, rule (a link to its explanation), `compared`: what it found and what was expected,
    then the message and fix hint."""
    code = finding["code"]
    values = ""
    if compared:
        found, expected = found_and_expected(finding["code"], finding.get("params") or {})
        values = f"<td>{esc(found)}<td>{esc(expected)}"
    fix = f"<p>fix: {esc(finding['fix'])}" if finding.get("fix") else ""  # the next row ends the paragraph
    return (
        f"<tr class={SEVERITY_CLASS.get(finding['severity'], 'i')}><td>{esc(_where(finding))}"
        f'<td><a href="#{attr(code)}">{esc(code)}</a>{values}<td>{esc(finding["message"])}{fix}'
    )


# The facts a card shows side by side: column → (metadata fact, data file fact). Metadata facts are
# {field, pointer, value}; data file facts are plain values.
_FACT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("samples", "sample_count", "n_samples"),
    ("cells", "cell_count", "n_obs"),
    ("genes", "", "n_vars"),
    ("rows", "", "n_rows"),
    ("data type", "data_type", ""),
    ("format", "", "format"),
    ("matrix", "", "matrix"),
)
_DENSE_FORMATS = {"gct": "dense (GCT)", "gctx": "dense (GCTX)"}


def _fact(file: Mapping[str, Any], column: tuple[str, str, str]) -> tuple[Any, str]:
    """The value of one column for one file, and the metadata field it comes from (or "")."""
    _, meta_name, data_name = column
    facts = file.get("facts") or {}
    declared = facts.get(meta_name) if meta_name else None
    if isinstance(declared, Mapping):
        return declared.get("value"), str(declared.get("field", ""))
    if not data_name:
        return None, ""
    if data_name == "matrix" and "matrix" not in facts:
        return _DENSE_FORMATS.get(str(facts.get("format", ""))), ""
    return facts.get(data_name), ""


def _count_text(value: Any) -> str:
    """A count as the file has it: a string that should be a number keeps its quotes."""
    return f'"{shown(value)}"' if isinstance(value, str) else shown(value)


def facts_table(dataset: Dataset, names: Mapping[str, str]) -> str:
    """Files as rows and their facts as columns, so a metadata count stands above the data file's; counts that
    disagree are marked."""
    columns = [c for c in _FACT_COLUMNS if any(_fact(f, c)[0] is not None for f in dataset.files)]
    if not columns:  # nothing was learnt (an unreadable file): just the files
        files = " · ".join(f"{esc(names[f['path']])} <small>{_size(f.get('size'))}</small>" for f in dataset.files)
        return f"<p class=files>{files}</p>"
    head = "".join(f"<th>{c[0]}" for c in columns)
    rows = _column_values(dataset, columns)
    body = []
    for file, cells in zip(dataset.files, rows, strict=True):
        size = f" <small>{_size(file.get('size'))}</small>" if file.get("size") is not None else ""
        body.append(f"<tr><td>{esc(names[file['path']])}{size}{''.join(cells)}")
    return f"<table class=facts><tr><th>file{head}{''.join(body)}</table>"


def _column_values(dataset: Dataset, columns: list[tuple[str, str, str]]) -> list[list[str]]:
    table: list[list[str]] = [[] for _ in dataset.files]
    for column in columns:
        values = [_fact(f, column) for f in dataset.files]
        counts = column[0] in ("samples", "cells")
        present = {repr(v) for v, _ in values if v is not None}
        disagree = counts and len(present) > 1
        for cells, (value, source) in zip(table, values, strict=True):
            if value is None:
                cells.append("<td>")
                continue
            text = _count_text(value) if counts else shown(value)
            title = f' title="{attr(source)}"' if source else ""
            cells.append(f"<td{' class=x' if disagree else ''}{title}>{esc(text)}")
    return table


def _size(size: Any) -> str:
    if not isinstance(size, int) or isinstance(size, bool):
        return ""
    if size < 1000:
        return f"{size} B"
    scaled = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        scaled /= 1000
        if scaled < 1000 or unit == "TB":
            break
    return f"{scaled:.1f} {unit}"


def _headline_facts(dataset: Dataset) -> str:
    """The few facts worth seeing on a closed card: counts and the data file's kind."""
    parts = []
    for column in _FACT_COLUMNS[:4]:
        values = [v for v, _ in (_fact(f, column) for f in dataset.files) if v is not None]
        if values:  # the file's word, or both words where metadata and data file disagree
            told = "≠".join(dict.fromkeys(_count_text(v) for v in values))
            parts.append(f"{told} {column[0]}")
    formats = [str(f["facts"]["format"]) for f in dataset.files if (f.get("facts") or {}).get("format")]
    return " · ".join([*formats, *parts])


def card(dataset: Dataset, names: Mapping[str, str], *, open_card: bool) -> str:
    """One dataset: a one-line summary (id, counts by severity, codes, headline facts), then its facts table and
    every finding, grouped by file."""
    counts = dataset.counts()
    badges = (
        "".join(
            f"<span class='n {SEVERITY_CLASS[s]}'>{plural(counts[s], s) if s != 'info' else f'{counts[s]} info'}</span>"
            for s in ("error", "warning", "info")
            if counts[s]
        )
        or "<span class='n ok'>passed</span>"
    )
    codes = " ".join(sorted({esc(f["code"]) for f in dataset.findings}))
    status = {3: "e", 2: "w", 1: "i"}.get(dataset.rank, "ok")
    summary = (
        f"<summary><b>{esc(dataset.key)}</b>{badges}"
        f"{f'<span class=k>{codes}</span>' if codes else ''}<span class=fa>{esc(_headline_facts(dataset))}</span>"
        "</summary>"
    )
    parts = [facts_table(dataset, names)]
    with_findings = [f for f in dataset.files if f["findings"]]
    if with_findings:
        # The found / expected columns only where some finding of this dataset says what it found or expected.
        compared = any(any(found_and_expected(f["code"], f.get("params") or {})) for f in dataset.findings)
        head = "<th>found<th>expected" if compared else ""
        parts.append(
            f"<table class='fs{' v' if compared else ''}'><thead><tr><th>where<th>rule{head}<th>finding</thead>"
        )
        for file in with_findings:
            span = 5 if compared else 3
            label = f"<tr class=fh><th colspan={span}>{esc(names[file['path']])}" if len(dataset.files) > 1 else ""
            rows = "".join(finding_row(f, compared=compared) for f in file["findings"])
            parts.append(f"<tbody>{label}{rows}</tbody>")
        parts.append("</table>")
    opened = " open" if open_card else ""
    return f"<details class='ds {status}' id={dataset.anchor}{opened}>{summary}{''.join(parts)}</details>"


def display_names(files: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Each path as a card shows it: the file name, or the whole path where two folders hold the same name."""
    paths = [f["path"] for f in files]
    taken = Counter(basename(p) for p in paths)
    return {p: basename(p) if taken[basename(p)] == 1 else p for p in paths}
