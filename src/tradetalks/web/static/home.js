// The start page: the scenarios the service holds, each linked to its board.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const list = document.getElementById("scenario-list");
  try {
    const data = await tt.api("GET", "/api/scenarios");
    list.replaceChildren();
    if (!data.scenarios.length) {
      list.append(tt.el("li", {}, "No scenario stored yet: create one in the ", tt.el("a", {href: "/editor"}, "editor"), "."));
    }
    for (const s of data.scenarios) {
      list.append(tt.el("li", {class: "card"},
        tt.el("a", {href: `/board/${encodeURIComponent(s.id)}`}, s.name),
        tt.el("span", {class: "muted"}, ` version ${s.version}, updated ${s.updated_at}`)));
    }
  } catch (err) {
    list.replaceChildren(tt.el("li", {class: "error"}, err.message));
  }
});
