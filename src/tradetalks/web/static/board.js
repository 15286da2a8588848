// The negotiation board (/board/{id}): the agenda as radio groups, both sides' utilities, the stakeholders' payoffs,
// the frontier chart with the BATNA, the solutions, the real deal, the uncertainty bands and this package's point,
// the timeline and the latest analysis's downloads. Every number comes from the server
// (GET /api/scenarios/{id}/board, POST .../evaluate, POST .../board/check); this script only formats and draws.
"use strict";
(() => {
  const BN = 1e9;
  const COLOURS = ["#1f5aa6", "#c0392b"];
  const SYMBOLS = {nash: "star", nash_rubinstein: "star-diamond", kalai_smorodinsky: "diamond",
                   egalitarian: "square", utilitarian: "triangle-up"};
  const BAND_COLOURS = {nash: "31,90,166", nash_rubinstein: "52,152,219", kalai_smorodinsky: "142,68,173",
                        egalitarian: "39,174,96", utilitarian: "211,84,0", observed: "230,126,34"};
  const KINDS = {round: "Round", deadline: "Deadline", tariff_change: "Tariff change", announcement: "Announcement",
                 deal: "Deal", summit: "Summit", other: "Other", batna_change: "No-deal change",
                 fact_revision: "Fact revised"};
  const POLL_MS = 1000;

  const root = document.getElementById("board");
  const sid = root.dataset.scenario;
  const scope = `scenario:${sid}`;
  const base = `/api/scenarios/${encodeURIComponent(sid)}`;
  const $ = (id) => document.getElementById(id);
  let B = null;          // the board data
  let current = {};      // issue id → option id on the board
  let seq = 0;           // number of the latest evaluation asked for (older answers are dropped)
  let pointTrace = -1;   // index of the "this package" trace in the frontier chart

  const bn = (x) => tt.bn(x / BN);
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const cut = (s, n) => (s.length <= n ? s : `${s.slice(0, n - 1).trimEnd()}…`);
  const party = (pid) => (B.parties.find((p) => p.id === pid) || {name: pid}).name;
  const issueOf = (iid) => B.issues.find((i) => i.id === iid);
  const labelOf = (iid, oid) => {
    const iss = issueOf(iid);
    const op = iss && iss.options.find((o) => o.id === oid);
    return op ? op.label : oid;
  };

  function fail(err) {
    $("board-loading").hidden = true;
    const box = $("board-error");
    box.textContent = err.fix ? `${err.message} ${err.fix}` : err.message;
    box.hidden = false;
  }

  // ---- the package in the address (#p=issue:option,...), so a package can be shared ----
  function readHash() {
    const m = /(?:^#|&)p=([^&]*)/.exec(window.location.hash);
    if (!m) return {};
    const out = {};
    for (const pair of decodeURIComponent(m[1]).split(",")) {
      const [i, o] = pair.split(":");
      const iss = issueOf(i);
      if (iss && iss.options.some((op) => op.id === o)) out[i] = o;
    }
    return out;
  }

  function writeHash() {
    const changed = Object.entries(current).filter(([i, o]) => B.batna.package[i] !== o).map(([i, o]) => `${i}:${o}`);
    const url = window.location.pathname + window.location.search + (changed.length ? `#p=${changed.join(",")}` : "");
    history.replaceState(null, "", url);
  }

  // ---- the agenda ----
  function buildAgenda() {
    const form = $("agenda");
    form.replaceChildren();
    for (const iss of B.issues) {
      const fs = tt.el("fieldset", {class: "issue", id: `issue-${iss.id}`},
        tt.el("legend", {}, iss.name, tt.el("span", {class: "category"}, iss.category.replace(/_/g, " "))));
      for (const op of iss.options) {
        const id = `opt-${iss.id}-${op.id}`;
        const input = tt.el("input", {type: "radio", name: `issue-${iss.id}`, id, value: op.id,
                                      "aria-describedby": `why-${iss.id}-${op.id}`,
                                      "data-issue": iss.id});
        input.checked = current[iss.id] === op.id;
        input.addEventListener("change", () => {
          if (!input.checked) return;
          current[iss.id] = op.id;
          update();
        });
        fs.append(tt.el("div", {class: "option"}, input,
          tt.el("label", {for: id, title: op.note || null}, op.label,
            tt.el("span", {class: "forbids", id: `why-${iss.id}-${op.id}`}))));
      }
      form.append(fs);
    }
  }

  function setBoard(pkg) {
    current = {...B.batna.package, ...pkg};
    for (const iss of B.issues) {
      const input = $(`opt-${iss.id}-${current[iss.id]}`);
      if (input) input.checked = true;
    }
    update();
  }

  function buildPresets() {
    const box = $("presets");
    box.replaceChildren(tt.el("span", {class: "muted"}, "Put on the board:"));
    const add = (text, pkg) => box.append(tt.el("button", {type: "button", onclick: () => setBoard(pkg)}, text));
    add("No deal", B.batna.package);
    for (const s of B.solutions) add(s.name, s.package);
    if (B.real_deal) add("Real deal", B.real_deal.package);
  }

  // ---- one evaluation: utilities, place, constraints, stakeholders, the point on the chart ----
  async function update() {
    const my = ++seq;
    root.dataset.pending = "1";
    writeHash();
    const q = `?version=${B.version}`;
    let ck, ev;
    try {
      ck = await tt.api("POST", `${base}/board/check${q}`, current, {scope});
      // evaluate refuses a package that breaks a constraint and lies beyond the frontier: its values come with the check
      ev = ck.beyond_frontier ? {package: ck.package, utilities: ck.utilities, payoffs: ck.payoffs}
        : await tt.api("POST", `${base}/evaluate${q}`, current, {scope});
    } catch (err) {
      if (my === seq) { delete root.dataset.pending; tt.toast(err.message); }
      return;
    }
    if (my !== seq) return;
    showScore(ev, ck);
    showBroken(ck);
    showStakeholders(ev);
    movePoint(ev);
    delete root.dataset.pending;
  }

  function showScore(ev, ck) {
    const [p0, p1] = B.parties.map((p) => p.id);
    for (const [k, p] of [[0, p0], [1, p1]]) {
      const cell = $(`score-p${k}`);
      cell.querySelector(".score-name").textContent = party(p);
      const v = cell.querySelector(".score-value");
      v.textContent = bn(ev.utilities[p]);
      v.dataset.value = String(ev.utilities[p]);
    }
    const f = ck.place;  // exact: summed as the frontier sums (evaluate's place can be off by rounding)
    const place = $("score-place");
    let text;
    if (!ck.feasible) {
      text = `breaks ${ck.broken.length} constraint${ck.broken.length > 1 ? "s" : ""} (${ck.broken.join(", ")}): `
           + (ck.beyond_frontier ? "beyond the frontier of the packages that respect them; " : "")
           + "its values are shown for information";
    } else if (f && f.on_frontier) {
      text = "on the Pareto frontier";
    } else if (f) {
      text = `inside the frontier: both could gain ${bn(f.distance)} at once, ${bn(f.left_on_table)} in all`;
    } else {
      text = "beyond the frontier";
    }
    place.textContent = text;
    place.classList.toggle("bad", !ck.feasible);
    $("score-live").textContent = `${party(p0)} ${bn(ev.utilities[p0])}, ${party(p1)} ${bn(ev.utilities[p1])}; ${text}.`;
  }

  function showBroken(ck) {
    const box = $("broken");
    for (const fs of document.querySelectorAll(".issue.breaks")) fs.classList.remove("breaks");
    for (const span of document.querySelectorAll(".option .forbids")) span.textContent = "";
    const cons = Object.fromEntries(B.constraints.map((c) => [c.id, c]));
    for (const [iid, opts] of Object.entries(ck.forbidden)) {
      for (const [oid, ids] of Object.entries(opts)) {
        const span = $(`why-${iid}-${oid}`);
        if (span) span.textContent = ` — forbidden by ${ids.join(", ")}`;
      }
    }
    if (!ck.broken.length) { box.replaceChildren(); return; }
    const items = ck.broken.map((id) => {
      const c = cons[id];
      for (const iid of [c.if.issue, c.then.issue]) {
        const fs = $(`issue-${iid}`);
        if (fs) fs.classList.add("breaks");
      }
      return tt.el("li", {"data-constraint": id}, tt.el("strong", {}, id), `: ${c.text} `,
        tt.el("span", {}, `Why: ${c.reason}`), c.source ? tt.el("span", {class: "muted"}, ` (source: ${c.source})`) : null);
    });
    box.replaceChildren(tt.el("h3", {}, `This package breaks ${ck.broken.length} constraint${ck.broken.length > 1 ? "s" : ""}`
      + " of the scenario"), tt.el("p", {class: "small"}, "Nothing is changed for you: the choice stays as you made "
      + "it and the numbers are those of this package."), tt.el("ul", {}, items));
  }

  function showStakeholders(ev) {
    const body = $("stakeholders").querySelector("tbody");
    body.replaceChildren(...ev.payoffs.map((p) => tt.el("tr", {},
      tt.el("td", {}, p.name), tt.el("td", {}, party(p.party)),
      tt.el("td", {class: `num ${p.payoff > 0 ? "pos" : p.payoff < 0 ? "neg" : ""}`, "data-value": p.payoff},
        tt.bn(p.payoff / BN).replace("bn/yr", "")))));
  }

  // ---- the frontier chart ----
  function hoverText(pkg) {
    const lines = [];
    for (const iss of B.issues) {
      if (pkg[iss.id] !== B.batna.package[iss.id]) lines.push(esc(cut(`${iss.name}: ${labelOf(iss.id, pkg[iss.id])}`, 90)));
    }
    return lines.join("<br>") || "no change (BATNA)";
  }

  function frontierPackage(k) {
    const row = B.frontier.packages[k];
    return Object.fromEntries(B.issues.map((iss, i) => [iss.id, iss.options[row[i]].id]));
  }

  function chartTraces() {
    const [p0, p1] = B.parties.map((p) => p.id);
    const hover = "%{x:.2f} / %{y:.2f} $bn/yr<br>%{text}<extra>%{fullData.name}</extra>";
    const pts = B.frontier.utilities;
    const traces = [{type: "scatter", mode: "lines+markers", name: "Pareto frontier", x: pts.map((p) => p[0] / BN),
      y: pts.map((p) => p[1] / BN), line: {shape: "vh", color: "#7f8c8d"}, marker: {size: 4},
      text: pts.map((_, k) => hoverText(frontierPackage(k))), hovertemplate: hover},
    {type: "scatter", mode: "markers", name: "BATNA (no deal)", x: [0], y: [0],
      marker: {size: 12, color: "black", symbol: "x"}, hovertemplate: "no deal (BATNA)<extra></extra>"}];
    for (const s of B.solutions) {
      traces.push({type: "scatter", mode: "markers", name: s.name, x: [s.utilities[p0] / BN], y: [s.utilities[p1] / BN],
        marker: {size: 13, symbol: SYMBOLS[s.id] || "star"}, text: [hoverText(s.package)], hovertemplate: hover,
        customdata: [s.id]});
    }
    if (B.real_deal) {
      const o = B.real_deal;
      traces.push({type: "scatter", mode: "markers", name: "Real deal", x: [o.utilities[p0] / BN],
        y: [o.utilities[p1] / BN], text: [hoverText(o.package)], hovertemplate: hover,
        marker: {size: 14, color: "#e67e22", symbol: "circle-open", line: {width: 3}}});
    }
    const u = B.uncertainty;
    // the Nash band (and the real deal's) drawn, the others one click on the legend away: overlapping boxes hide the frontier
    const shown = (id) => (id === "nash" || id === "observed" ? true : "legendonly");
    for (const b of (u ? u.bands : [])) {
      const x = b.band[p0], y = b.band[p1];
      const rgb = BAND_COLOURS[b.id] || "120,120,120";
      traces.push({type: "scatter", mode: "lines", name: `${b.name}: 5–95 % of draws`, fill: "toself",
        x: [x.p05, x.p95, x.p95, x.p05, x.p05].map((v) => v / BN),
        y: [y.p05, y.p05, y.p95, y.p95, y.p05].map((v) => v / BN),
        fillcolor: `rgba(${rgb},0.12)`, line: {color: `rgba(${rgb},0.6)`, width: 1, dash: "dot"},
        hovertemplate: `${esc(b.name)} over ${u.n_draws} draws<br>5–95 %: %{x:.2f} / %{y:.2f} $bn/yr<extra></extra>`,
        legendgroup: `band-${b.id}`, visible: shown(b.id)});
      traces.push({type: "scatter", mode: "markers", name: `${b.name}: median over draws`, x: [x.p50 / BN],
        y: [y.p50 / BN], marker: {size: 8, symbol: "cross-thin-open", color: `rgb(${rgb})`, line: {width: 2}},
        hovertemplate: `${esc(b.name)}: median over draws %{x:.2f} / %{y:.2f} $bn/yr<extra></extra>`,
        legendgroup: `band-${b.id}`, showlegend: false, visible: shown(b.id)});
    }
    traces.push({type: "scatter", mode: "markers", name: "This package", x: [null], y: [null],
      marker: {size: 16, symbol: "star", color: "#f0a500", line: {color: "black", width: 1.5}},
      text: [""], hovertemplate: hover});
    return traces;
  }

  function chartLayout() {
    const [p0, p1] = B.parties.map((p) => p.id);
    const layout = {height: PLOT_HEIGHT + 10 + 200, margin: {l: 60, r: 10, t: 10, b: 200}, hovermode: "closest",
      xaxis: {title: {text: `${party(p0)} utility, $bn/yr`}, zeroline: true, zerolinecolor: "#bbb"},
      yaxis: {title: {text: `${party(p1)} utility, $bn/yr`}, zeroline: true, zerolinecolor: "#bbb"},
      legend: {orientation: "h", yref: "container", y: 0, yanchor: "bottom", x: 0, font: {size: 11},
               itemsizing: "constant"}};
    if (B.view) {
      layout.xaxis.range = B.view.x.map((v) => v / BN);
      layout.yaxis.range = B.view.y.map((v) => v / BN);
    }
    return layout;
  }

  // the chart's two views, as buttons of the page (plotly's own buttons cannot be reached with the keyboard)
  function zoom(whole) {
    const div = $("frontier-chart");
    if (whole || !B.view) Plotly.relayout(div, {"xaxis.autorange": true, "yaxis.autorange": true});
    else Plotly.relayout(div, {"xaxis.range": B.view.x.map((v) => v / BN), "yaxis.range": B.view.y.map((v) => v / BN)});
    $("zoom-better").setAttribute("aria-pressed", String(!whole));
    $("zoom-whole").setAttribute("aria-pressed", String(whole));
  }

  // the plot's own height, px; the figure adds the legend's measured height under it (its rows depend on the width)
  const PLOT_HEIGHT = 380;
  const AXIS_SPACE = 55;

  async function fitChart() {
    const div = $("frontier-chart");
    if (!div.layout) return;
    await Plotly.Plots.resize(div);  // the width first (the legend's rows follow it)
    const legend = div.querySelector(".legend");
    if (!legend) return;
    const bottom = Math.ceil(legend.getBBox().height) + AXIS_SPACE;
    const height = PLOT_HEIGHT + div.layout.margin.t + bottom;
    if (Math.abs(div.layout.height - height) > 2 || Math.abs(div.layout.margin.b - bottom) > 2) {
      Plotly.relayout(div, {height, "margin.b": bottom, width: null, autosize: true});  // the width stays automatic
    }
  }

  function drawFrontier() {
    const div = $("frontier-chart");
    $("zoom-better").setAttribute("aria-pressed", "true");
    $("zoom-whole").setAttribute("aria-pressed", "false");
    $("zoom-better").hidden = !B.view;
    const traces = chartTraces();
    pointTrace = traces.length - 1;
    Plotly.newPlot(div, traces, chartLayout(), {responsive: true, displaylogo: false, displayModeBar: false})
      .then(fitChart);
    div.on("plotly_click", (e) => {
      const pt = e.points && e.points[0];
      if (!pt) return;
      if (pt.curveNumber === 0) setBoard(frontierPackage(pt.pointIndex));
      else if (pt.data.customdata) {
        const s = B.solutions.find((x) => x.id === pt.data.customdata[0]);
        if (s) setBoard(s.package);
      }
    });
    const deal = B.real_deal;
    $("chart-note").textContent = `Weighted utilities against no deal, $bn a year; ${B.frontier.n_points.toLocaleString("en")} `
      + `frontier points out of ${B.frontier.n_packages.toLocaleString("en")} packages. Click a point to put its package on the board.`
      + (deal ? ` Real deal: ${deal.basis === "observed" ? "the observed outcome" : "the package the timeline records after"} `
        + `“${deal.title}” (${deal.date}).` : " The scenario records no deal.");
  }

  function movePoint(ev) {
    const [p0, p1] = B.parties.map((p) => p.id);
    const div = $("frontier-chart");
    if (!div.data) return;
    Plotly.restyle(div, {x: [[ev.utilities[p0] / BN]], y: [[ev.utilities[p1] / BN]], text: [[hoverText(ev.package)]]},
      [pointTrace]);
  }

  // ---- uncertainty bands and runs ----
  async function follow(runId, status) {
    for (;;) {
      const run = await tt.api("GET", `/api/runs/${encodeURIComponent(runId)}`, undefined, {scope});
      if (run.status === "succeeded") return run;
      if (run.status === "failed" || run.status === "cancelled") {
        throw new Error(`the run ${run.status}: ${(run.error && run.error.message) || run.message || ""}`);
      }
      status.textContent = `${run.status}: ${Math.round(100 * run.progress)} %${run.message ? ` (${run.message})` : ""}`;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  async function startRun(kind, button, status) {
    button.disabled = true;
    status.textContent = "starting…";
    try {
      const body = kind === "uncertainty" ? B.uncertainty_run.body : {scenario: sid, version: B.version, kind};
      const run = await tt.api("POST", "/api/runs", body, {scope});
      await follow(run.id, status);
      status.textContent = "finished";
      await reload();
    } catch (err) {
      status.textContent = `failed: ${err.message}`;
      button.disabled = false;
    }
  }

  function showUncertainty() {
    const box = $("uncertainty");
    const u = B.uncertainty;
    if (!u) {
      const status = tt.el("span", {class: "muted", role: "status"});
      const button = tt.el("button", {type: "button", class: "run-button", id: "start-uncertainty"},
        "Start an uncertainty run");
      button.addEventListener("click", () => startRun("uncertainty", button, status));
      box.replaceChildren(tt.el("p", {}, tt.el("strong", {}, "No uncertainty run yet. "),
        "The bands show, for each solution, the spread of both sides' utilities over the draws of the scenario's "
        + "uncertain facts."), tt.el("p", {}, button, " ", status));
      return;
    }
    const other = u.version !== B.version ? ` (run on version ${u.version}, this is version ${B.version})` : "";
    const fixed = Object.keys(u.overrides || {}).length ? `; facts set: ${Object.keys(u.overrides).join(", ")}` : "";
    box.replaceChildren(tt.el("p", {}, tt.el("strong", {}, "Uncertainty bands: "),
      `each box spans the 5th to 95th percentile of each side's utility over ${u.n_draws.toLocaleString("en")} draws `
      + `(each side separately; the cross is the median), from run ${u.run_id}${other}${fixed}. `
      + "The Nash band is drawn; click another solution's band in the legend to show it."),
      u.headline ? tt.el("p", {class: "small"}, u.headline) : null);
  }

  // ---- timeline ----
  function drawTimeline() {
    const rows = B.timeline;
    $("timeline-section").hidden = !rows.length;
    if (!rows.length) return;
    const kinds = [...new Set(rows.map((r) => r.kind))];
    const traces = kinds.map((k) => {
      const sel = rows.filter((r) => r.kind === k);
      return {type: "scatter", mode: "markers", name: KINDS[k] || k, x: sel.map((r) => r.date),
        y: sel.map(() => KINDS[k] || k), text: sel.map((r) => esc(cut(r.title, 90))),
        marker: {size: sel.map((r) => (r.settled.length ? 15 : 10)), symbol: k === "deal" ? "star" : "circle"},
        hovertemplate: "%{x}<br>%{text}<extra></extra>"};
    });
    Plotly.newPlot($("timeline-chart"), traces, {height: 300, margin: {l: 110, r: 10, t: 10, b: 40}, showlegend: false,
      xaxis: {type: "date"}, yaxis: {automargin: true}}, {responsive: true, displaylogo: false, displayModeBar: false});
    $("timeline-list").replaceChildren(...rows.map((r) => tt.el("li", {},
      tt.el("time", {datetime: r.date}, r.date), tt.el("span", {class: "muted"}, `${KINDS[r.kind] || r.kind}: `), r.title,
      r.description ? tt.el("div", {class: "small"}, r.description) : null,
      r.settled.length ? tt.el("div", {class: "small"}, `Settled: ${r.settled.map((s) => s.text).join("; ")}`) : null,
      tt.el("div", {class: "small muted"}, `Source: ${r.source}`))));
  }

  // ---- downloads of the latest analysis ----
  async function download(ev, href, name) {
    if (!tt.token(scope)) return;  // no token: a plain link (published scenarios)
    ev.preventDefault();
    try {
      const res = await fetch(href, {headers: {Authorization: `Bearer ${tt.token(scope)}`}});
      if (!res.ok) throw new tt.ApiError(res.status, await res.json().catch(() => null));
      const url = URL.createObjectURL(await res.blob());
      const a = tt.el("a", {href: url, download: name});
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      tt.toast(`${name}: ${err.message}`);
    }
  }

  function showDownloads() {
    $("downloads").hidden = false;
    const box = $("downloads-body");
    const a = B.analysis;
    if (!a) {
      const status = tt.el("span", {class: "muted", role: "status"});
      const button = tt.el("button", {type: "button", class: "run-button", id: "start-analysis"}, "Start an analysis");
      button.addEventListener("click", () => startRun("analyze", button, status));
      box.replaceChildren(tt.el("p", {}, "No finished analysis of this scenario yet. ", button, " ", status));
      return;
    }
    const head = tt.el("p", {}, `Run ${a.run_id} (version ${a.version}, finished ${a.finished_at}).`);
    if (!a.downloads.length) {
      box.replaceChildren(head, tt.el("p", {class: "muted"}, "This server offers no downloads of its results; ",
        tt.el("a", {href: `/api/runs/${encodeURIComponent(a.run_id)}`}, "the run's JSON"), " holds them."));
      return;
    }
    box.replaceChildren(head, tt.el("ul", {class: "downloads"}, a.downloads.map((d) => tt.el("li", {},
      tt.el("a", {href: d.href, download: d.label, onclick: (ev) => download(ev, d.href, d.label)}, d.label)))));
  }

  // ---- loading ----
  async function fetchBoard() {
    const version = new URLSearchParams(window.location.search).get("version");  // /board/{id}?version=N
    return tt.api("GET", `${base}/board${version ? `?version=${encodeURIComponent(version)}` : ""}`, undefined, {scope});
  }

  async function reload() {
    B = await fetchBoard();
    drawFrontier();
    showUncertainty();
    showDownloads();
    await update();
  }

  document.addEventListener("DOMContentLoaded", async () => {
    try {
      B = await fetchBoard();
    } catch (err) {
      fail(err);
      return;
    }
    document.title = `${B.scenario.title} · tradetalks`;
    $("board-title").replaceChildren(B.scenario.title, " ",
      tt.el("span", {class: "muted small"}, `${sid}, version ${B.version}, as of ${B.scenario.as_of}`));
    $("board-loading").hidden = true;
    $("score").hidden = false;
    $("board-grid").hidden = false;
    current = {...B.batna.package, ...readHash()};
    buildAgenda();
    buildPresets();
    let resizing = 0;
    window.addEventListener("resize", () => { clearTimeout(resizing); resizing = setTimeout(fitChart, 250); });
    $("zoom-better").addEventListener("click", () => zoom(false));
    $("zoom-whole").addEventListener("click", () => zoom(true));
    drawFrontier();
    showUncertainty();
    drawTimeline();
    showDownloads();
    await update();
    root.dataset.ready = "1";
  });
})();
