// /rooms: open a room on a stored scenario and show, once, the link of each role (the token is in the link).
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const form = document.getElementById("open-form");
  const select = document.getElementById("scenario");
  const button = document.getElementById("open-room");
  try {
    const data = await tt.api("GET", "/api/scenarios");
    select.replaceChildren(tt.el("option", {value: ""}, data.scenarios.length ? "Choose a scenario" : "No scenario stored yet"));
    for (const s of data.scenarios) select.append(tt.el("option", {value: s.id}, `${s.name} (version ${s.version})`));
  } catch (err) {
    select.replaceChildren(tt.el("option", {value: ""}, "Scenarios could not be listed"));
    tt.toast(`${err.message} ${err.fix || ""}`);
  }

  /** One row of the links table: who, and the link in a read-only field (selectable, copyable). */
  function linkRow(who, room, token) {
    const url = `${window.location.origin}/rooms/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}`;
    const id = `link-${who.replace(/[^A-Za-z0-9]/g, "-")}`;
    return tt.el("tr", {},
      tt.el("th", {scope: "row"}, tt.el("label", {for: id}, who)),
      tt.el("td", {}, tt.el("input", {id, class: "link", readonly: true, value: url, "data-role": who})));
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!select.value) { tt.toast("Choose a scenario first."); select.focus(); return; }
    const body = {scenario_id: select.value};
    const version = document.getElementById("version").value;
    if (version) body.version = Number(version);
    button.disabled = true;
    try {
      const room = await tt.api("POST", "/api/rooms", body, {scope: `scenario:${select.value}`});
      tt.keepToken(`room:${room.id}`, room.tokens.owner);
      const rows = document.querySelector("#links tbody");
      rows.replaceChildren(linkRow("Owner", room.id, room.tokens.owner));
      for (const [party, token] of Object.entries(room.tokens.delegates)) {
        rows.append(linkRow(`Delegate of ${party}`, room.id, token));
      }
      rows.append(linkRow("Viewer", room.id, room.tokens.viewer));
      document.getElementById("enter-room").href = `/rooms/${encodeURIComponent(room.id)}`;
      const box = document.getElementById("opened");
      box.hidden = false;
      document.getElementById("opened-h").focus();
    } catch (err) {
      tt.toast(`${err.message} ${err.fix || ""}`);
    } finally {
      button.disabled = false;
    }
  });
});
