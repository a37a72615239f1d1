"""A self-contained HTML report a curator would rather open: one file, no external resources, readable in any
browser (with or without JavaScript) and attachable to a ticket.

The page is markup rendered here, not data a script renders: a summary, a by-rule view (each rule's explanation
and bad/good example once, how many files it hit, its commonest messages), then one card per dataset with its
facts side by side and every finding. What repeats across thousands of files is written once: rule
explanations, folders, severity names. Filters and search are progressive enhancement (`html_assets`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from omix_ingest.report.model import Report
from omix_ingest.report.reporters.html_assets import SCRIPT, STYLE
from omix_ingest.report.reporters.html_cards import (
    RANK,
    SEVERITY_CLASS,
    Dataset,
    attr,
    card,
    display_names,
    esc,
    folder,
    group_datasets,
    plural,
)
from omix_ingest.report.reporters.text import TextReporter
from validators.core.model import Rule
from validators.registry import PluginError, collect_rules, load_validators

TOP_MESSAGES = 5  # a rule's commonest messages shown in the by-rule view
LISTED_DATASETS = 40  # datasets a rule links to before "and N more"


def known_rules() -> dict[str, Rule]:
    """Every rule the registry knows (plugins included when they load), for explanations and examples."""
    try:
        return collect_rules(load_validators())
    except PluginError:  # a broken plugin already fails the run; the report still explains the built-in rules
        return collect_rules(load_validators(plugins=False))


def _header(report: Report, body: dict[str, Any], datasets: list[Dataset]) -> str:
    verdict = "FAILED" if report.failed else "passed"
    summary = TextReporter(color=False).summary(report, verdict=False)
    ranks = Counter(d.rank for d in datasets)
    tally = ", ".join(
        f"{count} {label}"
        for count, label in (
            (ranks[3], "with errors"),
            (ranks[2], "with warnings"),
            (ranks[1], "with info only"),
            (ranks[0], "clean"),
        )
        if count
    )
    meta = [("datasets", f"{len(datasets)}: {tally}" if datasets else "none")]
    template = body.get("template")
    if template:
        where = f"{template['id']} (source {template['source']}, data type {template['data_type']})"
        if template.get("repo_id"):
            where += f", atlas repository {template['repo_id']}"
        meta.append(("template", f"{where}, sha256 {template['sha256'][:12]}…"))
    else:
        meta.append(("template", "none (data files only)"))
    if body.get("rule_pack"):
        meta.append(("rule pack", str(body["rule_pack"])))
    folders = Counter(folder(f["path"]) for f in body["files"])
    if folders:
        meta.append(("files from", ", ".join(f"{name} ({count})" for name, count in folders.most_common(8))))
        if len(folders) > 8:
            meta[-1] = (meta[-1][0], meta[-1][1] + f" and {len(folders) - 8} more folders")
    meta.append(("made", f"{body['created']} by {body['tool']} {body['version']}"))
    rows = "".join(f"<dt>{esc(k)}<dd>{esc(v)}" for k, v in meta)
    return (
        f"<header><h1>omix-ingest report: <span class={verdict.lower()}>{verdict}</span></h1>"
        f"<p class=sum id=summary>{esc(summary)}</p><dl class=meta>{rows}</dl>"
        f"<nav><a href=#rules>By rule ({len(body['stats']['by_code'])})</a>"
        f"<a href=#datasets>Datasets ({len(datasets)})</a></nav></header>"
    )


def _filters(body: dict[str, Any], datasets: list[Dataset]) -> str:
    counts = body["stats"]["by_severity"]
    boxes = "".join(
        f"<label><input type=checkbox name=sev value={s} checked> {s} ({counts.get(s, 0)})</label>"
        for s in ("error", "warning", "info")
    )
    clean = sum(1 for d in datasets if not d.findings)
    options = "".join(
        f'<option value="{attr(code)}">{esc(code)} ({count})</option>'
        for code, count in body["stats"]["by_code"].items()
    )
    return (
        "<form id=filters hidden role=search>"
        f"<span>{boxes}<label><input type=checkbox name=clean checked> clean datasets ({clean})</label></span>"
        f"<label>rule <select name=code><option value=''>all rules</option>{options}</select></label>"
        "<label>dataset <input type=search name=ds placeholder='dataset id'></label>"
        "<label>search <input type=search name=q placeholder='text in findings'></label>"
        "<span><button type=button id=open-all>open all</button> "
        "<button type=button id=close-all>close all</button></span><output id=shown></output></form>"
    )


def _rule_section(code: str, uses: list[tuple[Dataset, dict[str, Any]]], rule: Rule | None) -> str:
    """One rule: "OMX201 in 312 files", then (once) what it means, a bad and a good example, its commonest
    messages and the datasets it hit."""
    files = {id(file) for _, file in uses}
    findings = [f for _, file in uses for f in file["findings"] if f["code"] == code]
    worst = max((f["severity"] for f in findings), key=lambda s: RANK.get(s, 0))
    slug = f"<b>{esc(rule.slug)}</b>" if rule else ""
    title = f"<span class=t>{esc(rule.title)}</span>" if rule else ""
    summary = (
        f"<summary><code>{esc(code)}</code>{slug}<span>in <b>{plural(len(files), 'file')}</b>"
        f" ({plural(len(findings), 'finding')})</span><span class='n {SEVERITY_CLASS.get(worst, 'i')}'>{worst}</span>"
        f"{title}</summary>"
    )
    parts = []
    if rule is not None:
        parts.append(f"<p>{esc(rule.explanation)}</p>")
        if rule.bad or rule.good:
            parts.append(
                f"<div class=ex><div>bad<pre class=bad>{esc(rule.bad)}</pre></div>"
                f"<div>good<pre class=good>{esc(rule.good)}</pre></div></div>"
            )
    else:
        parts.append("<p>A rule this installation does not know (a plugin that is not installed here).</p>")
    common = Counter(f["message"] for f in findings).most_common(TOP_MESSAGES)
    if len(common) > 1 or (common and common[0][1] > 1):
        items = "".join(f"<li><span class=cnt>{n}&times;</span> {esc(message)}" for message, n in common)
        parts.append(f"<p>Commonest messages:</p><ul class=top>{items}</ul>")
    hit = list(dict.fromkeys(d.anchor for d, _ in uses))
    keys = {d.anchor: d.key for d, _ in uses}
    links = ", ".join(f"<a href=#{a}>{esc(keys[a])}</a>" for a in hit[:LISTED_DATASETS])
    more = (
        f' and {len(hit) - LISTED_DATASETS} more (<a href="#code={attr(code)}">show them all</a>)'
        if len(hit) > LISTED_DATASETS
        else ""
    )
    parts.append(f"<p>{plural(len(hit), 'dataset')}: {links}{more}</p>")
    status = SEVERITY_CLASS.get(worst, "i")
    return f'<details class="rule {status}" id="{attr(code)}">{summary}<div>{"".join(parts)}</div></details>'


def _rules(datasets: list[Dataset]) -> str:
    uses: dict[str, list[tuple[Dataset, dict[str, Any]]]] = defaultdict(list)
    for dataset in datasets:
        for file in dataset.files:
            for code in dict.fromkeys(f["code"] for f in file["findings"]):
                uses[code].append((dataset, file))
    if not uses:
        return "<section id=rules><h2>By rule</h2><p>No findings.</p></section>"
    rules = known_rules()
    ordered = sorted(uses, key=lambda c: (-len(uses[c]), c))
    sections = "".join(_rule_section(c, uses[c], rules.get(c)) for c in ordered)
    return f"<section id=rules><h2>By rule</h2><div class=list>{sections}</div></section>"


def _datasets(body: dict[str, Any], datasets: list[Dataset]) -> str:
    names = display_names(body["files"])
    # Cards with findings start open, so that without JavaScript every finding is visible; the script closes them
    # when there are many.
    cards = "".join(card(d, names, open_card=bool(d.findings)) for d in datasets)
    return f"<section id=datasets><h2>Datasets</h2>{cards or '<p>No files were checked.</p>'}</section>"


def _skipped(body: dict[str, Any]) -> str:
    skipped = body.get("skipped") or []
    if not skipped:
        return ""
    items = "".join(f"<li><code>{esc(path)}</code>" for path in skipped)
    return f"<section id=skipped><h2>Skipped</h2><p>Not dataset files, left out:</p><ul>{items}</ul></section>"


class HtmlReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color, verbosity

    def render(self, report: Report) -> str:
        body = report.to_dict()  # plain data: text JSON (and UTF-8) cannot hold is already made safe
        datasets = group_datasets(body["files"])
        verdict = "FAILED" if report.failed else "passed"
        return (
            "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>omix-ingest report: {verdict}</title><style>{STYLE}</style></head><body>"
            f"{_header(report, body, datasets)}{_filters(body, datasets)}{_rules(datasets)}"
            f"{_datasets(body, datasets)}{_skipped(body)}<script>{SCRIPT}</script></body></html>\n"
        )
