// Shared by the editor, run history and comparison pages: follow a run's server-sent events, download its files.
// Both go through fetch (not EventSource or a plain link) so that the tab's token is sent as a header.
"use strict";
const runkit = (() => {
  const CSV = ["stakes", "frontier", "solutions", "sources", "timeline"];

  function headers(scope) {
    const h = {};
    const t = tt.token(scope);
    if (t) h.Authorization = `Bearer ${t}`;
    return h;
  }

  /** Follow run `id`: calls onProgress({status, progress, message}) per event; resolves with the run's summary
   * from the `end` event. Rejects with tt.ApiError when the run cannot be read. */
  async function follow(id, {scope = null, onProgress = () => {}, signal} = {}) {
    const res = await fetch(`/api/runs/${encodeURIComponent(id)}/events`,
      {headers: {Accept: "text/event-stream", ...headers(scope)}, signal});
    if (!res.ok) throw new tt.ApiError(res.status, await res.json().catch(() => null));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (!data.length) continue;  // keep-alive comment
        const payload = JSON.parse(data.join("\n"));
        if (event === "end") {
          reader.cancel().catch(() => {});
          return payload;
        }
        onProgress(payload);
      }
    }
    throw new Error("the event stream ended before the run did; reload the page to see its state");
  }

  /** Download one file of run `id` (`results.json`, `report.html`, `csv/NAME.csv`) with the tab's token. */
  async function download(id, name, scope = null) {
    const res = await fetch(`/api/runs/${encodeURIComponent(id)}/download/${name}`, {headers: headers(scope)});
    if (!res.ok) throw new tt.ApiError(res.status, await res.json().catch(() => null));
    const disposition = res.headers.get("content-disposition") || "";
    const m = /filename="([^"]+)"/.exec(disposition);
    const url = URL.createObjectURL(await res.blob());
    const a = tt.el("a", {href: url, download: m ? m[1] : name.replace("/", "-"), hidden: true});
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** Buttons downloading the files of a finished run (an analysis has them all; other kinds results.json). */
  function downloads(run, scope = null) {
    const names = run.kind === "analyze"
      ? ["report.html", "results.json", ...CSV.map((c) => `csv/${c}.csv`)] : ["results.json"];
    const wrap = tt.el("div", {class: "downloads", role: "group", "aria-label": `Downloads of run ${run.id}`});
    for (const name of names) {
      const label = name.replace("csv/", "");
      const button = tt.el("button", {type: "button", class: "link", "data-file": name,
        "aria-label": `Download ${label} of run ${run.id}`}, label);
      button.addEventListener("click", async () => {
        button.disabled = true;
        const was = button.textContent;
        button.textContent = `${label}…`;
        try {
          await download(run.id, name, scope);
        } catch (err) {
          tt.toast(`${label}: ${err.message}${err.fix ? ` ${err.fix}` : ""}`);
        } finally {
          button.disabled = false;
          button.textContent = was;
        }
      });
      wrap.append(button);
    }
    return wrap;
  }

  /** A progress fraction as a whole percentage. */
  function pct(p) {
    return `${Math.round(100 * (Number(p) || 0))} %`;
  }

  const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
  return {follow, download, downloads, pct, CSV, FINISHED};
})();
