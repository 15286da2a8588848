// Two runs side by side (`/runs/compare?a=RUN&b=RUN`, from GET /api/runs/compare): their inputs that changed
// (scenario version, options, facts) and, for two analyses, how the solutions, the ZOPA and the real deal moved.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const a = params.get("a") || "";
  const b = params.get("b") || "";
  const state = $("compare-state");
  const bn = (x) => (x === null || x === undefined ? "–" : tt.bn(x / 1e9));
  const text = (v) => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));

  function table(caption, head, rows) {
    return tt.el("div", {class: "table-wrap"}, tt.el("table", {},
      tt.el("caption", {class: "muted"}, caption),
      tt.el("thead", {}, tt.el("tr", {}, head.map((h) => tt.el("th", {scope: "col", class: h.num ? "num" : null},
                                                                 h.label || h)))),
      tt.el("tbody", {}, rows)));
  }

  function side(el, run, label) {
    if (!run) {
      el.append(tt.el("p", {class: "muted"}, `${label} is not among the last 200 runs.`));
      return;
    }
    const overrides = Object.entries(run.options.overrides || {});
    el.append(
      tt.el("p", {}, "Run ", tt.el("code", {}, run.id), ` · ${run.kind} · `,
            tt.el("span", {class: `status-${run.status}`}, run.status)),
      tt.el("p", {}, "Scenario ", tt.el("a", {href: `/editor/${encodeURIComponent(run.scenario_id)}`},
                                        run.scenario_id), ` version ${run.scenario_version}`),
      tt.el("p", {class: "muted"}, `Started ${(run.started_at || run.created_at || "").replace("T", " ").slice(0, 19)}`),
      tt.el("p", {}, overrides.length ? `Facts set: ${overrides.map(([k, v]) => `${k} = ${v}`).join(", ")}`
                                      : "No fact overridden."),
      run.status === "succeeded" ? runkit.downloads(run, `scenario:${run.scenario_id}`) : null);
  }

  // the two pickers
  let runs = [];
  try {
    runs = (await tt.api("GET", "/api/runs?limit=200")).runs;
  } catch (err) {
    state.textContent = `Could not list the runs: ${err.message}`;
  }
  const byId = new Map(runs.map((r) => [r.id, r]));
  for (const [sel, wanted] of [[$("pick-a"), a], [$("pick-b"), b]]) {
    if (wanted && !byId.has(wanted)) sel.append(tt.el("option", {value: wanted}, wanted));
    for (const r of runs) {
      sel.append(tt.el("option", {value: r.id}, `${r.id} · ${r.scenario_id} v${r.scenario_version} · ${r.kind} · ` +
                                                 `${r.status} · ${(r.created_at || "").slice(0, 19).replace("T", " ")}`));
    }
    sel.value = wanted;
  }
  if (!a || !b) {
    state.textContent = "Choose two runs and press Compare.";
    return;
  }

  const ra = byId.get(a);
  let diff;
  try {
    diff = await tt.api("GET", `/api/runs/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`, undefined,
                        {scope: ra ? `scenario:${ra.scenario_id}` : null});
  } catch (err) {
    state.textContent = `Could not compare: ${err.message}${err.fix ? ` ${err.fix}` : ""}`;
    state.className = "error";
    return;
  }
  side($("side-a"), ra, "A");
  side($("side-b"), byId.get(b), "B");

  // inputs
  const inputs = $("inputs");
  const sc = diff.inputs.scenario;
  const rows = [tt.el("tr", {class: diff.inputs.scenario_changed ? "moved" : null}, tt.el("th", {scope: "row"}, "scenario"),
    tt.el("td", {}, `${sc.before[0]} v${sc.before[1]}`), tt.el("td", {}, `${sc.after[0]} v${sc.after[1]}`))];
  for (const [k, v] of Object.entries(diff.inputs.options)) {
    if (k === "overrides") continue;  // the facts below show what the overrides changed
    rows.push(tt.el("tr", {class: "moved"}, tt.el("th", {scope: "row"}, `option ${k}`),
      tt.el("td", {}, text(v.before)), tt.el("td", {}, text(v.after))));
  }
  for (const f of diff.inputs.facts || []) {
    rows.push(tt.el("tr", {class: "moved"}, tt.el("th", {scope: "row"}, tt.el("code", {}, f.id)),
      tt.el("td", {class: "num"}, `${f.before} ${f.unit}`), tt.el("td", {class: "num"}, `${f.after} ${f.unit}`)));
  }
  if (!diff.inputs.facts && diff.inputs.options.overrides) {
    const o = diff.inputs.options.overrides;
    rows.push(tt.el("tr", {class: "moved"}, tt.el("th", {scope: "row"}, "facts set"),
      tt.el("td", {}, text(o.before)), tt.el("td", {}, text(o.after))));
  }
  const changed = rows.length > 1 || diff.inputs.scenario_changed;
  inputs.append(changed ? table("Inputs of A and B", ["input", "A (before)", "B (after)"], rows)
                        : tt.el("p", {}, "No input changed: same scenario version, same options, same facts."));

  // results
  const results = $("results");
  if (!diff.results) {
    results.append(tt.el("p", {class: "muted"}, diff.note || "No results to compare."));
  } else {
    const r = diff.results;
    results.append(tt.el("p", {}, r.anything_moved ? "Some results moved (highlighted)." : "No result moved."));
    const parties = [...new Set(r.solutions.flatMap((s) => Object.keys(s.before || s.after || {})))];
    const head = ["solution", ...parties.map((p) => ({label: `${p}, before`, num: true})),
                  ...parties.map((p) => ({label: `${p}, after`, num: true})), "package changes (before → after)"];
    const srows = r.solutions.map((s) => {
      const moved = s.moves.length || JSON.stringify(s.before) !== JSON.stringify(s.after);
      return tt.el("tr", {class: moved ? "moved" : null}, tt.el("th", {scope: "row"}, s.name),
        parties.map((p) => tt.el("td", {class: "num"}, bn(s.before && s.before[p]))),
        parties.map((p) => tt.el("td", {class: "num"}, bn(s.after && s.after[p]))),
        tt.el("td", {}, s.moves.length ? s.moves.map((m) => `${m.issue}: ${m.before ?? "–"} → ${m.after ?? "–"}`)
                                               .join("; ") : "none"));
    });
    results.append(table("Bargaining solutions: utilities against no deal (weighted), USD bn a year", head, srows));
    const zrows = [tt.el("tr", {class: r.zopa.before !== r.zopa.after ? "moved" : null},
      tt.el("th", {scope: "row"}, "packages in the ZOPA"),
      tt.el("td", {class: "num"}, Math.round(r.zopa.before).toLocaleString("en")),
      tt.el("td", {class: "num"}, Math.round(r.zopa.after).toLocaleString("en")))];
    if (r.observed) {
      for (const p of Object.keys(r.observed.before)) {
        zrows.push(tt.el("tr", {class: r.observed.before[p] !== r.observed.after[p] ? "moved" : null},
          tt.el("th", {scope: "row"}, `real deal, ${p}`), tt.el("td", {class: "num"}, bn(r.observed.before[p])),
          tt.el("td", {class: "num"}, bn(r.observed.after[p]))));
      }
    }
    results.append(table("Zone of possible agreement and the real deal", ["", {label: "before (A)", num: true},
                                                                          {label: "after (B)", num: true}], zrows));
  }
  state.textContent = `Run ${a} (A) against run ${b} (B).`;
  $("compare-out").hidden = false;
});
