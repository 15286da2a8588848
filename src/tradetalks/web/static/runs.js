// Run history: every run with its status and progress (refreshed while some are not finished), a filter by
// scenario and status, downloads of finished runs, and the choice of two runs to compare.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const fScenario = $("f-scenario");
  const fStatus = $("f-status");
  const body = document.querySelector("#runs tbody");
  const state = $("runs-state");
  const compare = $("compare");
  const picked = [];          // ids of the selected runs, oldest choice first
  let runs = [];
  let timer = null;

  const scope = () => (fScenario.value ? `scenario:${fScenario.value}` : null);

  function row(run) {
    const box = tt.el("input", {type: "checkbox", id: `pick-${run.id}`, "data-run": run.id,
                                checked: picked.includes(run.id),
                                "aria-label": `Select run ${run.id} to compare`});
    box.addEventListener("change", () => {
      const at = picked.indexOf(run.id);
      if (box.checked && at < 0) picked.push(run.id);
      if (!box.checked && at >= 0) picked.splice(at, 1);
      while (picked.length > 2) {
        const dropped = picked.shift();
        const other = document.getElementById(`pick-${dropped}`);
        if (other) other.checked = false;
      }
      updateCompare();
    });
    const finished = runkit.FINISHED.has(run.status);
    const files = run.status === "succeeded"
      ? tt.el("details", {}, tt.el("summary", {}, run.kind === "analyze" ? "7 files" : "1 file"),
              runkit.downloads(run, `scenario:${run.scenario_id}`))
      : tt.el("span", {class: "muted"}, "–");
    const why = run.error ? tt.el("div", {class: "muted"}, run.error.message) : null;
    return tt.el("tr", {id: `run-${run.id}`, "data-status": run.status},
      tt.el("td", {}, box),
      tt.el("td", {}, tt.el("code", {}, run.id)),
      tt.el("td", {}, tt.el("a", {href: `/editor/${encodeURIComponent(run.scenario_id)}`}, run.scenario_id),
            ` v${run.scenario_version}`),
      tt.el("td", {}, run.kind, Object.keys(run.options.overrides || {}).length
        ? tt.el("div", {class: "muted"}, `${Object.keys(run.options.overrides).length} fact(s) set`) : null),
      tt.el("td", {class: `status-${run.status}`}, run.status, why),
      tt.el("td", {class: "num"},
            tt.el("progress", {max: 1, value: run.progress, "aria-label": `Progress of run ${run.id}`}),
            ` ${runkit.pct(run.progress)}`, finished || !run.message ? null
              : tt.el("div", {class: "muted"}, run.message)),
      tt.el("td", {}, (run.started_at || run.created_at || "").replace("T", " ").slice(0, 19)),
      tt.el("td", {}, files));
  }

  function updateCompare() {
    compare.disabled = picked.length !== 2;
    $("compare-help").textContent = picked.length === 2 ? `Runs ${picked.join(" and ")} selected.`
      : `Select two runs (checkboxes) to compare; ${picked.length} selected.`;
  }

  function draw() {
    const focused = document.activeElement && document.activeElement.id;
    const open = new Set([...body.querySelectorAll("details[open]")].map((d) => d.closest("tr").id));
    const shown = runs.filter((r) => !fStatus.value || r.status === fStatus.value);
    body.replaceChildren(...shown.map(row));
    for (const id of open) {
      const d = document.querySelector(`#${CSS.escape(id)} details`);
      if (d) d.open = true;
    }
    if (focused) {
      const again = document.getElementById(focused);
      if (again && again !== document.activeElement) again.focus();
    }
    state.textContent = `${shown.length} run${shown.length === 1 ? "" : "s"}` +
      (fScenario.value ? ` of ${fScenario.value}` : "") + (fStatus.value ? `, ${fStatus.value}` : "") + ".";
    body.closest("table").dataset.loaded = "true";
  }

  async function load() {
    clearTimeout(timer);
    try {
      const q = new URLSearchParams({limit: "200"});
      if (fScenario.value) q.set("scenario", fScenario.value);
      runs = (await tt.api("GET", `/api/runs?${q}`, undefined, {scope: scope()})).runs;
      draw();
      if (runs.some((r) => !runkit.FINISHED.has(r.status))) timer = setTimeout(load, 1500);
    } catch (err) {
      state.textContent = `Could not list the runs: ${err.message}`;
      state.className = "error";
    }
  }

  function filtersChanged() {
    const q = new URLSearchParams();
    if (fScenario.value) q.set("scenario", fScenario.value);
    if (fStatus.value) q.set("status", fStatus.value);
    history.replaceState(null, "", `/runs${q.toString() ? `?${q}` : ""}`);
    load();
  }

  compare.addEventListener("click", () => {
    const byId = new Map(runs.map((r) => [r.id, r]));
    const [a, b] = [...picked].sort((x, y) =>
      String(byId.get(x)?.created_at).localeCompare(String(byId.get(y)?.created_at)));
    location.href = `/runs/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;
  });
  fScenario.addEventListener("change", filtersChanged);
  fStatus.addEventListener("change", filtersChanged);
  $("filters").addEventListener("submit", (e) => e.preventDefault());

  (async () => {
    const wanted = params.get("scenario") || "";
    try {
      const data = await tt.api("GET", "/api/scenarios");
      for (const s of data.scenarios) fScenario.append(tt.el("option", {value: s.id}, `${s.name} (${s.id})`));
    } catch (err) {
      tt.toast(`Could not list the scenarios: ${err.message}`);
    }
    if (wanted && ![...fScenario.options].some((o) => o.value === wanted)) {
      fScenario.append(tt.el("option", {value: wanted}, wanted));
    }
    fScenario.value = wanted;
    fStatus.value = params.get("status") || "";
    updateCompare();
    load();
  })();
});
