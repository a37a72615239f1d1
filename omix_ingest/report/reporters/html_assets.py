"""The HTML report's style sheet and its small script, kept apart from the markup they dress.

The page is complete without the script: every finding is in the markup, cards with findings start open (rule
explanations start closed, one click away). The script only adds what needs it: cards start closed when there
are many, filters (severity, rule, dataset), a
search box, and a view kept in the address so it can be shared (`#hide=warning&code=OMX201&ds=GSE1&q=nan`;
`#ds-ID` or `#OMX201` opens that card or rule).
"""

from __future__ import annotations

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:1.5rem 2rem;max-width:1400px;color:#1d1d1f}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ddd}
.failed{color:#b00020}.passed{color:#1b7f3b}
.sum{font-size:1.05rem;margin:.3rem 0}dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;
margin:.6rem 0;color:#444}dl.meta dt{font-weight:600}dl.meta dd{margin:0}
nav a{margin-right:1.2rem}code,.k,td:first-child{font-family:ui-monospace,monospace;font-size:.92em}
#filters{position:sticky;top:0;background:#f6f8fa;border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;
margin:.8rem 0;z-index:1;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center}
#filters[hidden]{display:none}#filters input[type=search]{width:13rem}#shown{color:#555}
details{border:1px solid #d8d8d8;border-left:4px solid #8c959f;border-radius:4px;margin:.35rem 0;background:#fff}
details.e{border-left-color:#b00020}details.w{border-left-color:#bf8700}details.i{border-left-color:#0550ae}
details.ok{border-left-color:#1b7f3b}
summary{cursor:pointer;padding:.35rem .6rem;display:flex;flex-wrap:wrap;gap:.3rem .8rem;align-items:baseline}
summary b{font-family:ui-monospace,monospace}details[open]>summary{border-bottom:1px solid #eee}
.n{border-radius:9px;padding:0 .5rem;font-size:.85em;color:#fff;background:#8c959f}
.n.e{background:#b00020}.n.w{background:#9a6700}.n.i{background:#0550ae}.n.ok{background:#1b7f3b}
.k{color:#555}.fa{color:#555;margin-left:auto}
table{border-collapse:collapse;margin:.4rem .6rem .6rem;width:calc(100% - 1.2rem)}
th,td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:anywhere}
th{font-weight:600;color:#444;background:#fafafa}table.facts{width:auto}td.x{background:#fde7ea;color:#b00020}
table.fs td:first-child{width:13rem}table.fs td:nth-child(2){width:1%;white-space:nowrap}
table.v td:nth-child(3),table.v td:nth-child(4){max-width:16rem;font-family:ui-monospace,monospace;font-size:.9em}
tr.fh th{background:#f0f3f6;font-family:ui-monospace,monospace}
tr.e td:nth-child(2) a{color:#b00020;font-weight:600}tr.w td:nth-child(2) a{color:#9a6700}
tr.i td:nth-child(2) a{color:#0550ae}
tr.e td:nth-child(2)::before{content:"✖ ";color:#b00020}tr.w td:nth-child(2)::before{content:"▲ ";color:#9a6700}
tr.i td:nth-child(2)::before{content:"● ";color:#0550ae}
td p{margin:0;color:#1b5e20}small{color:#666}
#rules .list{display:grid;grid-template-columns:repeat(auto-fill,minmax(30rem,1fr));gap:0 .6rem}
#rules details{margin:.2rem 0}#rules details[open]{grid-column:1/-1}#rules summary{flex-wrap:nowrap;white-space:nowrap}
.t{color:#555;flex:1;min-width:0;overflow:hidden;text-overflow:ellipsis}
p.files{margin:.4rem .8rem}
details.rule>div{padding:.2rem .9rem .6rem}.ex{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}
.ex pre{background:#f6f8fa;border-radius:4px;padding:.4rem .6rem;margin:.2rem 0;white-space:pre-wrap}
.ex .bad{border-left:3px solid #b00020}.ex .good{border-left:3px solid #1b7f3b}
ul.top{margin:.2rem 0;padding-left:1.2rem}.cnt{color:#555;font-variant-numeric:tabular-nums}
"""

SCRIPT = r"""
(function () {
  "use strict";
  const form = document.getElementById("filters");
  const sevOf = {e: "error", w: "warning", i: "info"};
  const cards = Array.from(document.querySelectorAll("details.ds"));
  const rules = Array.from(document.querySelectorAll("details.rule"));
  const data = cards.map(c => ({
    card: c,
    id: c.querySelector("summary b").textContent.toLowerCase(),
    text: null,
    rows: Array.from(c.querySelectorAll("tr.e,tr.w,tr.i")).map(r => ({
      r: r, sev: sevOf[r.className], code: r.querySelector("a").textContent, text: null
    }))
  }));
  const total = data.reduce((n, d) => n + d.rows.length, 0);
  const box = name => form.querySelector("[name=" + name + "]");
  const textOf = x => x.text === null ? (x.text = (x.r || x.card).textContent.toLowerCase()) : x.text;
  function state() {
    const hide = new Set();
    for (const c of form.querySelectorAll("input[name=sev]")) if (!c.checked) hide.add(c.value);
    return {hide: hide, clean: box("clean").checked, code: box("code").value,
            ds: box("ds").value.trim().toLowerCase(), q: box("q").value.trim().toLowerCase()};
  }
  function apply(write) {
    const s = state();
    let cardsShown = 0, rowsShown = 0;
    const narrow = s.code || s.ds || s.q;
    for (const d of data) {
      let any = 0;
      const idMatch = !s.q || d.id.includes(s.q);
      for (const x of d.rows) {
        const ok = !s.hide.has(x.sev) && (!s.code || x.code === s.code) && (idMatch || textOf(x).includes(s.q));
        x.r.hidden = !ok;
        if (ok) any++;
      }
      let show = d.rows.length ? any > 0 : s.clean && !s.code && (idMatch || textOf(d).includes(s.q));
      if (s.ds && !d.id.includes(s.ds)) show = false;
      d.card.hidden = !show;
      if (show) { cardsShown++; rowsShown += any; }
    }
    if (narrow && cardsShown <= 30) for (const d of data) if (!d.card.hidden && d.rows.length) d.card.open = true;
    const codes = new Set();
    for (const d of data) if (!d.card.hidden) for (const x of d.rows) if (!x.r.hidden) codes.add(x.code);
    for (const r of rules) r.hidden = !codes.has(r.id);  // only the rules of the findings shown
    document.getElementById("shown").textContent =
      "showing " + cardsShown + " of " + data.length + " datasets, " + rowsShown + " of " + total + " findings";
    if (write) {
      const p = new URLSearchParams();
      if (s.hide.size) p.set("hide", Array.from(s.hide).join(","));
      if (!s.clean) p.set("clean", "0");
      for (const k of ["code", "ds", "q"]) if (s[k]) p.set(k, s[k]);
      const hash = p.toString();
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }
  function fromHash() {
    const raw = location.hash.slice(1);
    if (raw.includes("=")) {
      const p = new URLSearchParams(raw);
      const hide = (p.get("hide") || "").split(",");
      for (const c of form.querySelectorAll("input[name=sev]")) c.checked = !hide.includes(c.value);
      box("clean").checked = p.get("clean") !== "0";
      const code = p.get("code") || "";
      box("code").value = Array.from(box("code").options).some(o => o.value === code) ? code : "";
      box("ds").value = p.get("ds") || "";
      box("q").value = p.get("q") || "";
      apply(false);
      return;
    }
    const target = raw && document.getElementById(decodeURIComponent(raw));
    if (target && target.tagName === "DETAILS") {
      target.hidden = false;
      target.open = true;
      target.scrollIntoView();
    }
  }
  form.hidden = false;
  const failing = data.filter(d => d.rows.length).length;
  if (failing > 12) for (const d of data) d.card.open = false;
  form.addEventListener("input", () => apply(true));
  form.addEventListener("submit", e => e.preventDefault());
  document.getElementById("open-all").addEventListener("click", () => {
    for (const d of data) if (!d.card.hidden) d.card.open = true;
  });
  document.getElementById("close-all").addEventListener("click", () => {
    for (const d of data) d.card.open = false;
  });
  window.addEventListener("hashchange", fromHash);
  apply(false);
  fromHash();
})();
"""
