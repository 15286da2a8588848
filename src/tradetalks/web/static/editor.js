// The scenario editor: YAML text with line numbers; Save sends it to the API and shows every problem of the
// error envelope at its line (gutter mark, highlighted line, message and fix beside the text and under it);
// a saved scenario can be analysed with live progress from the run's server-sent events.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const $ = (id) => document.getElementById(id);
  const root = $("editor-page");
  const ta = $("yaml");
  const gutter = $("gutter");
  const marks = $("marks");
  const list = $("problems");
  const summary = $("problems-summary");
  const note = $("line-note");
  const saveState = $("save-state");
  let scenarioId = root.dataset.scenario || null;
  let problems = [];   // [{line, path, message, fix, file}]
  let current = -1;    // index of the problem last gone to
  let lines = 0;
  const NOTE_MAX = 3;  // problems of one line shown under the text (all are in the list)

  const scope = () => (scenarioId ? `scenario:${scenarioId}` : null);
  const metrics = () => {
    const s = getComputedStyle(ta);
    return {lh: parseFloat(s.lineHeight) || 20, top: parseFloat(s.paddingTop) || 0};
  };

  // -- line numbers, marks and the note at the cursor's line --------------------------------------------------------
  function badLines() {
    return new Set(problems.filter((p) => p.line).map((p) => p.line));
  }

  function drawGutter() {
    const n = ta.value.split("\n").length;
    const bad = badLines();
    if (n !== lines || gutter.dataset.bad !== [...bad].join(",")) {
      const frag = document.createDocumentFragment();
      for (let i = 1; i <= n; i++) {
        frag.append(tt.el("div", {class: bad.has(i) ? "bad" : null}, bad.has(i) ? `! ${i}` : String(i)));
      }
      gutter.replaceChildren(frag);
      gutter.dataset.bad = [...bad].join(",");
      lines = n;
    }
    syncScroll();
  }

  function drawMarks() {
    const {lh, top} = metrics();
    const inner = tt.el("div", {class: "marks-inner"});      // the line bars: follow vertical scrolling
    const words = tt.el("div", {class: "marks-inner marks-text"});  // the messages: follow both directions
    const cur = current >= 0 ? problems[current].line : null;
    const text = ta.value.split("\n");
    const left = parseFloat(getComputedStyle(ta).paddingLeft) || 0;
    for (const line of badLines()) {
      const y = top + (line - 1) * lh;
      inner.append(tt.el("div", {class: `mark${line === cur ? " current" : ""}`, "data-line": line,
        style: `top: ${y}px; height: ${lh}px`}));
      // the first message of the line, after the line's text (the font is monospace: 1ch a character)
      const first = problems.find((p) => p.line === line);
      const width = (text[line - 1] || "").replace(/\t/g, "  ").length;
      words.append(tt.el("span", {class: "mark-msg", "data-line": line,
        style: `top: ${y}px; left: calc(${left}px + ${width + 3}ch)`}, `⚠ ${first.message}`));
    }
    marks.replaceChildren(inner, words);
    syncScroll();
  }

  function syncScroll() {
    gutter.scrollTop = ta.scrollTop;
    const [bars, words] = marks.children;
    if (bars) bars.style.transform = `translateY(${-ta.scrollTop}px)`;
    if (words) words.style.transform = `translate(${-ta.scrollLeft}px, ${-ta.scrollTop}px)`;
  }

  function caretLine() {
    return ta.value.slice(0, ta.selectionStart).split("\n").length;
  }

  function showCaret() {
    const before = ta.value.slice(0, ta.selectionStart);
    $("cursor-line").textContent = String(before.split("\n").length);
    $("cursor-col").textContent = String(before.length - before.lastIndexOf("\n"));
    showNote(caretLine());
  }

  function showNote(line) {
    const here = problems.filter((p) => p.line === line);
    if (!here.length) {
      note.hidden = true;
      note.replaceChildren();
      return;
    }
    const shown = here.slice(0, NOTE_MAX);
    note.replaceChildren(...shown.map((p) => tt.el("p", {},
      tt.el("strong", {}, `Line ${line}${p.path ? ` · ${p.path}` : ""}: `), p.message,
      p.fix ? tt.el("span", {class: "fix"}, ` Fix: ${p.fix}`) : null)),
      ...(here.length > shown.length ? [tt.el("p", {class: "muted"},
        `and ${here.length - shown.length} more at this line (see Problems).`)] : []));
    note.hidden = false;
  }

  // -- the problem list ------------------------------------------------------------------------------------------
  function lineRange(line) {
    const all = ta.value.split("\n");
    const n = Math.min(Math.max(line, 1), all.length);
    let start = 0;
    for (let i = 0; i < n - 1; i++) start += all[i].length + 1;
    return [start, start + all[n - 1].length];
  }

  function goTo(index) {
    const p = problems[index];
    if (!p || !p.line) return;
    current = index;
    for (const b of list.querySelectorAll("button.problem")) {
      b.setAttribute("aria-current", b.dataset.index === String(index) ? "true" : "false");
    }
    const [start, end] = lineRange(p.line);
    ta.focus();
    ta.setSelectionRange(start, end);
    const {lh} = metrics();
    ta.scrollTop = Math.max(0, (p.line - 1) * lh - ta.clientHeight / 3);
    drawMarks();
    showCaret();
  }

  function showProblems(found, message) {
    problems = found.map((p) => ({file: p.file, line: p.line || null, path: p.path || "", message: p.message,
                                  fix: p.fix}));
    current = -1;
    delete summary.dataset.stale;
    list.replaceChildren();
    problems.forEach((p, i) => {
      const body = [
        tt.el("span", {class: "where"}, p.line ? `Line ${p.line}` : "The whole text"),
        p.path ? tt.el("span", {class: "path"}, ` · ${p.path}`) : null,
        tt.el("span", {class: "msg"}, p.message),
        p.fix ? tt.el("span", {class: "fix"}, `Fix: ${p.fix}`) : null,
      ];
      const item = p.line
        ? tt.el("button", {type: "button", class: "problem", "data-index": i, "data-line": p.line,
                           "aria-current": "false", id: `problem-${i}`,
                           "aria-label": `Line ${p.line}${p.path ? `, ${p.path}` : ""}: ${p.message}` +
                                         `${p.fix ? ` Fix: ${p.fix}` : ""}. Go to the line.`}, ...body)
        : tt.el("div", {class: "problem", id: `problem-${i}`}, ...body);
      if (p.line) item.addEventListener("click", () => goTo(i));
      list.append(tt.el("li", {}, item));
    });
    if (problems.length) {
      ta.setAttribute("aria-invalid", "true");
      summary.textContent = `${problems.length} problem${problems.length > 1 ? "s" : ""}: ${message || ""}`.trim();
      summary.className = "error";
    } else {
      ta.removeAttribute("aria-invalid");
      summary.className = "muted";
    }
    drawGutter();
    drawMarks();
    showCaret();
  }

  // -- saving ----------------------------------------------------------------------------------------------------
  async function save() {
    const button = $("save");
    button.disabled = true;
    saveState.textContent = "Checking and saving…";
    try {
      const text = ta.value;
      const saved = scenarioId
        ? await tt.api("PUT", `/api/scenarios/${encodeURIComponent(scenarioId)}`, text, {scope: scope()})
        : await tt.api("POST", "/api/scenarios", text);
      const created = !scenarioId;
      scenarioId = saved.id;
      if (saved.token) {
        tt.keepToken(`scenario:${saved.id}`, saved.token);
        $("token-value").value = saved.token;
        $("token-box").hidden = false;
      }
      showProblems([]);
      summary.textContent = "No problems.";
      saveState.textContent = `Saved ${saved.id}, version ${saved.version}.`;
      if (created) {
        history.replaceState(null, "", `/editor/${encodeURIComponent(saved.id)}`);
        root.dataset.scenario = saved.id;
        $("editor-title").replaceChildren(`Edit ${saved.name} `, tt.el("code", {}, saved.id));
        document.title = `Edit ${saved.id} · tradetalks`;
        const example = $("example");
        if (example) example.remove();
      }
      $("run-box").hidden = false;
    } catch (err) {
      if (err.problems && err.problems.length) {
        showProblems(err.problems, err.code === "invalid_scenario" ? "the scenario was not saved." : err.message);
        saveState.textContent = "Not saved.";
      } else {
        showProblems([]);
        summary.textContent = `Not saved: ${err.message}${err.fix ? ` ${err.fix}` : ""}`;
        summary.className = "error";
        saveState.textContent = "Not saved.";
        tt.toast(`${err.message}${err.fix ? ` ${err.fix}` : ""}`);
      }
    } finally {
      button.disabled = false;
    }
  }

  // -- running an analysis ---------------------------------------------------------------------------------------
  let following = null;
  async function start() {
    const button = $("start");
    const state = $("run-state");
    const done = $("run-done");
    button.disabled = true;
    done.replaceChildren();
    state.textContent = "Starting…";
    try {
      const before = await tt.api("GET", `/api/runs?scenario=${encodeURIComponent(scenarioId)}&limit=1`, undefined,
                                  {scope: scope()}).catch(() => ({runs: []}));
      const run = await tt.api("POST", "/api/runs",
        {scenario: scenarioId, kind: "analyze", options: {dynamics: $("dynamics").checked}}, {scope: scope()});
      $("run-live").hidden = false;
      $("cancel").hidden = false;
      $("cancel").dataset.run = run.id;
      const bar = $("run-progress");
      following = new AbortController();
      const end = await runkit.follow(run.id, {scope: scope(), signal: following.signal, onProgress: (e) => {
        bar.value = e.progress;
        $("run-percent").textContent = runkit.pct(e.progress);
        state.textContent = `Run ${run.id}: ${e.status}${e.message ? ` — ${e.message}` : ""}`;
      }});
      bar.value = end.status === "succeeded" ? 1 : bar.value;
      $("run-percent").textContent = runkit.pct(bar.value);
      state.textContent = `Run ${run.id}: ${end.status}${end.error ? ` — ${end.error.message}` : ""}`;
      state.dataset.status = end.status;
      if (end.status === "succeeded") {
        const prev = before.runs && before.runs[0];
        done.append(
          tt.el("p", {}, "Download: "), runkit.downloads(end, scope()),
          tt.el("p", {},
            tt.el("a", {href: `/runs?scenario=${encodeURIComponent(scenarioId)}`}, "All runs of this scenario"),
            prev ? " · " : null,
            prev ? tt.el("a", {href: `/runs/compare?a=${encodeURIComponent(prev.id)}&b=${encodeURIComponent(run.id)}`},
                         "Compare with the previous run") : null));
      }
    } catch (err) {
      if (err.name !== "AbortError") {
        state.textContent = `The run could not be started or followed: ${err.message}`;
        tt.toast(`${err.message}${err.fix ? ` ${err.fix}` : ""}`);
      }
    } finally {
      button.disabled = false;
      $("cancel").hidden = true;
    }
  }

  async function cancel() {
    const id = $("cancel").dataset.run;
    if (!id) return;
    try {
      await tt.api("POST", `/api/runs/${encodeURIComponent(id)}/cancel`, {}, {scope: scope()});
    } catch (err) {
      tt.toast(err.message);
    }
  }

  // -- wiring ----------------------------------------------------------------------------------------------------
  ta.addEventListener("input", () => {
    if (problems.length && !summary.dataset.stale) {
      summary.dataset.stale = "true";
      summary.textContent += " The text has changed since: the marks are where the problems were; save to check again.";
    }
    drawGutter();
    if (problems.length) drawMarks();
    showCaret();
  });
  ta.addEventListener("scroll", syncScroll);
  for (const ev of ["keyup", "click", "select", "focus"]) ta.addEventListener(ev, showCaret);
  ta.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
      e.preventDefault();
      save();
    } else if (e.key === "F8" && problems.some((p) => p.line)) {
      e.preventDefault();
      const withLine = problems.map((p, i) => (p.line ? i : -1)).filter((i) => i >= 0);
      const next = withLine.find((i) => i > current);
      goTo(next === undefined ? withLine[0] : next);
    }
  });
  $("save").addEventListener("click", save);
  $("start").addEventListener("click", start);
  $("cancel").addEventListener("click", cancel);
  $("token-copy").addEventListener("click", async () => {
    $("token-value").select();
    try {
      await navigator.clipboard.writeText($("token-value").value);
      saveState.textContent = "Token copied.";
    } catch {
      saveState.textContent = "Select the token and copy it (Ctrl+C).";
    }
  });
  $("token-hide").addEventListener("click", () => {
    $("token-value").value = "";
    $("token-box").hidden = true;
    $("save").focus();
  });
  const example = $("example");
  if (example) {
    example.addEventListener("click", async () => {
      try {
        const s = await tt.api("GET", "/api/scenarios/korus-2025");
        ta.value = s.yaml;
        drawGutter();
        ta.focus();
        ta.setSelectionRange(0, 0);
      } catch (err) {
        tt.toast(`The built-in scenario is not stored on this server: ${err.message}`);
      }
    });
  }
  window.addEventListener("resize", drawMarks);

  (async () => {
    if (scenarioId) {
      try {
        const s = await tt.api("GET", `/api/scenarios/${encodeURIComponent(scenarioId)}`, undefined,
                               {scope: scope()});
        ta.value = s.yaml;
        ta.setSelectionRange(0, 0);
        saveState.textContent = `Version ${s.version} loaded.`;
        $("editor-title").replaceChildren(`Edit ${s.name} `, tt.el("code", {}, scenarioId));
      } catch (err) {
        summary.textContent = `Could not load ${scenarioId}: ${err.message}`;
        summary.className = "error";
        $("run-box").hidden = true;
      }
    }
    drawGutter();
    showCaret();
    root.dataset.ready = "true";
  })();
});
