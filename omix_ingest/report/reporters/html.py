"""A self-contained HTML report: one file, no external resources, readable in any browser and attachable to a
ticket. The report data is embedded as JSON and rendered by a small script (text only, never as markup), with
severity filters; `#hide=warning,info` in the address opens it with those levels hidden."""

from __future__ import annotations

import html

import orjson

from omix_ingest.report.model import Report

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>omix-ingest report: {verdict}</title>
<style>
  body {{ font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }}
  h1 {{ font-size: 1.4rem; }} h1 .failed {{ color: #b00020; }} h1 .passed {{ color: #1b7f3b; }}
  .summary, .filters {{ margin: .6rem 0; }}
  .filters label {{ margin-right: 1rem; }}
  section.file {{ margin: 1.2rem 0; }}
  section.file h2 {{ font: 600 1rem ui-monospace, monospace; margin: .4rem 0; }}
  table {{ border-collapse: collapse; width: 100%; table-layout: fixed; }}
  th:nth-child(1) {{ width: 16rem; }} th:nth-child(2) {{ width: 6rem; }} th:nth-child(3) {{ width: 6rem; }}
  th, td {{ text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }}
  td.where, td.code {{ font-family: ui-monospace, monospace; white-space: nowrap; }}
  tr.error td.severity {{ color: #b00020; font-weight: 600; }}
  tr.warning td.severity {{ color: #9a6700; }}
  tr.info td.severity {{ color: #0550ae; }}
  .fix {{ color: #555; }}
  .empty {{ color: #1b7f3b; }}
</style>
</head>
<body>
<h1>omix-ingest report: <span class="{verdict_class}">{verdict}</span></h1>
<div class="summary" id="summary"></div>
<div class="filters" id="filters"></div>
<div id="files"></div>
<noscript><p>{summary}</p></noscript>
<script id="report-data" type="application/json">{data}</script>
<script>
(function () {{
  const report = JSON.parse(document.getElementById("report-data").textContent);
  const shown = {{error: true, warning: true, info: true}};
  // A shareable view: #hide=warning,info starts with those levels hidden.
  const hide = new URLSearchParams(location.hash.slice(1)).get("hide");
  for (const level of (hide ? hide.split(",") : [])) if (level in shown) shown[level] = false;
  const stats = report.stats;
  document.getElementById("summary").textContent =
    stats.files + " files checked, " + stats.files_failed + " failing (fail-on " + report.fail_on + "): " +
    stats.by_severity.error + " errors, " + stats.by_severity.warning + " warnings, " +
    stats.by_severity.info + " info. Template: " + (report.template ? report.template.id : "none") + ".";
  const filters = document.getElementById("filters");
  for (const level of ["error", "warning", "info"]) {{
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox"; box.checked = shown[level]; box.id = "show-" + level;
    box.addEventListener("change", () => {{ shown[level] = box.checked; render(); }});
    label.append(box, " " + level + " (" + stats.by_severity[level] + ")");
    filters.append(label);
  }}
  function cell(row, text, cls) {{
    const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; row.append(td);
    return td;
  }}
  function render() {{
    const root = document.getElementById("files");
    root.replaceChildren();
    let count = 0;
    for (const file of report.files) {{
      const findings = file.findings.filter(f => shown[f.severity]);
      if (!findings.length) continue;
      const section = document.createElement("section"); section.className = "file";
      const title = document.createElement("h2"); title.textContent = file.path; section.append(title);
      const table = document.createElement("table");
      table.innerHTML = "<thead><tr><th>where</th><th>severity</th><th>code</th><th>message</th></tr></thead>";
      const body = document.createElement("tbody");
      for (const f of findings) {{
        const row = document.createElement("tr"); row.className = "finding " + f.severity;
        const where = (f.line ? f.line + ":" + (f.column || 1) + " " : "") + (f.pointer || "");
        cell(row, where || "-", "where"); cell(row, f.severity, "severity"); cell(row, f.code, "code");
        const message = cell(row, f.message, "message");
        if (f.fix) {{
          const fix = document.createElement("div"); fix.className = "fix"; fix.textContent = "fix: " + f.fix;
          message.append(fix);
        }}
        body.append(row); count++;
      }}
      table.append(body); section.append(table); root.append(section);
    }}
    if (!count) {{
      const p = document.createElement("p"); p.className = "empty"; p.textContent = "No findings to show.";
      root.append(p);
    }}
  }}
  render();
}})();
</script>
</body>
</html>
"""


class HtmlReporter:
    def __init__(self, *, color: bool = False, verbosity: int = 0) -> None:
        del color, verbosity

    def render(self, report: Report) -> str:
        body = report.to_dict()
        # "</" cannot end the script element early: JSON allows "\\/" for "/".
        data = orjson.dumps(body).decode().replace("</", "<\\/")
        stats = body["stats"]
        verdict = "FAILED" if report.failed else "passed"
        summary = f"{stats['files']} files checked, {stats['files_failed']} failing"
        return PAGE.format(verdict=verdict, verdict_class=verdict.lower(), summary=html.escape(summary), data=data)
