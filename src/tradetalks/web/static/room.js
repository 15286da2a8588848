// /rooms/{id}: the room as the token's role sees it. Every number shown comes from GET /api/rooms/{id}/view
// for this token: a delegate's page holds its own inputs and utilities only (the API gives it nothing else).
"use strict";
(() => {
  const root = document.getElementById("room");
  const id = root.dataset.room;
  const scope = `room:${id}`;
  const base = `/api/rooms/${encodeURIComponent(id)}`;
  const $ = (sel) => document.getElementById(sel);
  let view = null;

  // A link's own token wins in its room, over one this tab kept earlier (e.g. the owner's, on opening it).
  const nav = performance.getEntriesByType("navigation")[0];
  const given = nav ? new URL(nav.name).searchParams.get("token") : null;
  if (given) tt.keepToken(scope, given);

  /** USD a year, in $m or $bn with its sign ("+$30.4m/yr"). */
  function usd(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    if (x === 0) return "$0/yr";
    const a = Math.abs(x);
    const s = a >= 1e9 ? `$${(a / 1e9).toFixed(2)}bn` : `$${(a / 1e6).toFixed(1)}m`;
    return `${x < 0 ? "−" : "+"}${s}/yr`;
  }

  function issueName(iid) {
    const i = view.issues.find((x) => x.id === iid);
    return i ? i.name : iid;
  }

  function optionLabel(iid, oid) {
    const i = view.issues.find((x) => x.id === iid);
    const o = i && i.options.find((x) => x.id === oid);
    return o ? o.label : oid;
  }

  function packageText(pkg) {
    return Object.entries(pkg).map(([i, o]) => `${issueName(i)}: ${optionLabel(i, o)}`).join("; ");
  }

  function packageTable(pkg) {
    return tt.el("div", {class: "table-wrap"}, tt.el("table", {class: "package"},
      tt.el("thead", {}, tt.el("tr", {}, tt.el("th", {scope: "col"}, "Issue"), tt.el("th", {scope: "col"}, "Option"))),
      tt.el("tbody", {}, Object.entries(pkg).map(([i, o]) =>
        tt.el("tr", {}, tt.el("th", {scope: "row"}, issueName(i)), tt.el("td", {}, optionLabel(i, o)))))));
  }

  function decisionsText(d) {
    const parts = view.parties.map((p) => `${p.name}: ${d[p.id] || "pending"}`);
    return parts.join(", ");
  }

  function kindText(p) {
    const rule = p.rule ? ` (${p.rule.replace(/_/g, " ")})` : "";
    return p.kind === "improvement" ? `improvement${rule}` : `proposal${rule}`;
  }

  function fail(err) {
    tt.toast(`${err.message}${err.fix ? ` ${err.fix}` : ""}`);
  }

  async function act(button, fn) {
    if (button) button.disabled = true;
    try {
      await fn();
      await load();
    } catch (err) {
      fail(err);
    } finally {
      if (button) button.disabled = false;
    }
  }

  // -- rendering -------------------------------------------------------------------------------------------------

  function renderState() {
    $("room-title").textContent = `Room · ${view.title}`;
    const who = view.role === "delegate"
      ? `delegate of ${(view.parties.find((p) => p.id === view.party) || {name: view.party}).name}`
      : view.role === "public" ? "public reader (published room)" : view.role;
    $("room-state").replaceChildren(
      `Scenario ${view.scenario_id} version ${view.scenario_version} · status `,
      tt.el("span", {class: `status-${view.status}`}, view.status),
      ` · you are the ${who}${view.published ? " · published" : ""}`);
  }

  function renderInputs() {
    const box = $("delegate-inputs");
    box.hidden = view.role !== "delegate";
    if (box.hidden) return;
    const fields = $("inputs-fields");
    fields.replaceChildren();
    if (!view.my_facts.length) fields.append(tt.el("p", {class: "muted"}, "This scenario has no fact private to your side."));
    for (const f of view.my_facts) {
      const fid = `fact-${f.id}`;
      const mine = view.my_inputs[f.id];
      fields.append(
        tt.el("label", {for: fid}, `${f.id} (${f.unit}; scenario: ${f.value})`),
        tt.el("input", {id: fid, name: f.id, type: "number", step: "any", value: mine === undefined ? "" : mine,
                        placeholder: String(f.value), "aria-describedby": `${fid}-err`,
                        disabled: view.status === "agreed"}),
        tt.el("span", {id: `${fid}-err`, class: "field-error", role: "status"}));
    }
    $("save-inputs").disabled = view.status === "agreed" || !view.my_facts.length;
  }

  function renderUtilities() {
    const box = $("delegate-utilities");
    box.hidden = view.role !== "delegate";
    if (box.hidden) return;
    $("util-units").textContent = `Your utility only, in ${view.units}. No deal (the BATNA) is ${usd(view.batna_utility)}.`;
    const rows = [];
    const row = (label, value, rowId) => rows.push(tt.el("tr", {id: rowId},
      tt.el("th", {scope: "row"}, label), tt.el("td", {class: "num"}, value)));
    if (view.joint_problem) {
      row("The mediator cannot compute", view.joint_problem, "u-problem");
    } else if (view.my_frontier) {
      row(`Joint frontier (${view.my_frontier.n_points} packages both prefer to no deal): from`, usd(view.my_frontier.min), "u-front-min");
      row("Joint frontier: up to", usd(view.my_frontier.max), "u-front-max");
    } else {
      row("Joint frontier", "no package is better than no deal for both sides", "u-front-none");
    }
    if (view.mediator) row(`Mediator's Nash package (${packageText(view.mediator.package)})`, usd(view.mediator.utility), "u-mediator");
    if (view.current) {
      row(`Proposal ${view.current.number} on the table (${view.current.status})`, usd(view.current.utility), "u-current");
      if (view.current.gain !== undefined) row("Your gain from this improvement over the agreement", usd(view.current.gain), "u-gain");
    }
    if (view.agreement) row(`Agreement (proposal ${view.agreement.number})`, usd(view.agreement.utility), "u-agreement");
    $("util-table").tBodies[0].replaceChildren(...rows);
  }

  function renderCurrent() {
    const last = view.history.length ? view.history[view.history.length - 1] : null;
    const box = $("current");
    box.hidden = !last;
    if (!last) return;
    $("current-h").textContent = `${last.kind === "improvement" ? "Improvement" : "Proposal"} ${last.number}: ${last.status}`;
    $("current-body").replaceChildren(
      tt.el("p", {}, `Tabled by the ${last.tabled_by}${last.rule ? ` with the rule ${last.rule.replace(/_/g, " ")}` : ""}. `,
        `Decisions: ${decisionsText(last.decisions)}.`),
      packageTable(last.package));
    const mayDecide = view.role === "delegate" && last.status === "open" && !last.decisions[view.party];
    $("decide").hidden = !mayDecide;
  }

  function renderOwner() {
    const owner = view.role === "owner";
    $("owner-table").hidden = !owner || view.status === "agreed";
    $("owner-improve").hidden = !owner || view.status !== "agreed";
    $("owner-share").hidden = !owner;
    if (!owner) return;
    const rule = $("rule");
    const keep = rule.value;
    rule.replaceChildren(...Object.entries(view.rules).map(([r, ok]) => tt.el("option", {value: r},
      `${r.replace(/_/g, " ")}${ok ? "" : " (no package better than no deal for both)"}`)));
    if (keep) rule.value = keep;
    const fields = $("package-fields");
    if (!fields.childElementCount) {
      for (const i of view.issues) {
        const sid = `pkg-${i.id}`;
        fields.append(tt.el("label", {for: sid}, i.name),
          tt.el("select", {id: sid, name: i.id}, i.options.map((o) =>
            tt.el("option", {value: o.id, selected: o.id === i.batna}, `${o.label}${o.id === i.batna ? " (no deal)" : ""}`))));
      }
    }
    const imp = $("improve-rule");
    if (!imp.childElementCount) imp.replaceChildren(...view.improvement_rules.map((r) => tt.el("option", {value: r}, r.replace(/_/g, " "))));
    $("publish-state").textContent = view.published
      ? `Published: anyone with the address ${window.location.origin}/rooms/${id} reads the history (packages and decisions; no utility, no input).`
      : "Not published: only holders of a token of this room read it.";
    $("publish").textContent = view.published ? "Unpublish" : "Publish read-only";
    const slot = $("token-slot");
    const was = slot.value;
    slot.replaceChildren(tt.el("option", {value: "owner"}, "owner (you)"), tt.el("option", {value: "viewer"}, "viewer"),
      ...view.parties.map((p) => tt.el("option", {value: `delegate:${p.id}`}, `delegate of ${p.name}`)));
    if (was) slot.value = was;
  }

  function renderHistory() {
    $("delegate-token").hidden = view.role !== "delegate";
    const rows = view.history.map((p) => tt.el("tr", {},
      tt.el("td", {class: "num"}, String(p.number)), tt.el("td", {}, kindText(p)), tt.el("td", {}, p.tabled_by),
      tt.el("td", {}, packageText(p.package)), tt.el("td", {class: `status-${p.status}`}, p.status),
      tt.el("td", {}, decisionsText(p.decisions))));
    if (!rows.length) rows.push(tt.el("tr", {}, tt.el("td", {colspan: 6, class: "muted"}, "Nothing tabled yet.")));
    $("history-table").tBodies[0].replaceChildren(...rows);
  }

  async function load() {
    try {
      view = await tt.api("GET", `${base}/view`, undefined, {scope});
    } catch (err) {
      $("room-state").replaceChildren(tt.el("span", {class: "error"}, err.status === 401
        ? "This room is not published: open it with the link (and its token) you were given."
        : `${err.message} ${err.fix || ""}`));
      for (const s of root.querySelectorAll("section")) s.hidden = true;
      return;
    }
    renderState();
    renderInputs();
    renderUtilities();
    renderCurrent();
    renderOwner();
    renderHistory();
  }

  /** Show a new token once, as a link in a read-only field. */
  function showToken(box, label, token) {
    const url = `${window.location.origin}/rooms/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}`;
    const fid = `${box.id}-link`;
    box.replaceChildren(tt.el("label", {for: fid}, `${label} (shown only now):`),
      tt.el("input", {id: fid, class: "link", readonly: true, value: url}));
    box.hidden = false;
  }

  // -- actions ---------------------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("refresh").addEventListener("click", () => load());

    $("inputs-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const overrides = {};
      for (const input of $("inputs-fields").querySelectorAll("input")) {
        const err = document.getElementById(`${input.id}-err`);
        if (err) err.textContent = "";
        if (input.value !== "") overrides[input.name] = Number(input.value);
      }
      act($("save-inputs"), async () => {
        try {
          await tt.api("PUT", `${base}/inputs`, {overrides}, {scope});
          $("inputs-status").textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
        } catch (err) {
          for (const p of err.problems || []) {  // show each problem at its field
            const m = /^overrides\.(.+)$/.exec(p.path || "");
            const box = m && document.getElementById(`fact-${m[1]}-err`);
            if (box) box.textContent = `${p.message} ${p.fix || ""}`;
          }
          if (err.problems && err.problems.length) {
            const first = err.problems.find((p) => /^overrides\./.test(p.path || ""));
            if (first) document.getElementById(`fact-${first.path.slice(10)}`)?.focus();
          }
          throw err;
        }
      });
    });

    for (const decision of ["accept", "reject"]) {
      $(decision).addEventListener("click", () => {
        const last = view.history[view.history.length - 1];
        act($(decision), () => tt.api("POST", `${base}/proposals/${last.number}/${decision}`, undefined, {scope}));
      });
    }

    $("rule-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      act($("table-rule"), () => tt.api("POST", `${base}/proposals`, {rule: $("rule").value}, {scope}));
    });

    $("package-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const pkg = {};
      for (const s of $("package-fields").querySelectorAll("select")) pkg[s.name] = s.value;
      act($("table-package"), () => tt.api("POST", `${base}/proposals`, {package: pkg}, {scope}));
    });

    $("improve-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      act($("propose-improvement"), () => tt.api("POST", `${base}/improvements`, {rule: $("improve-rule").value}, {scope}));
    });

    $("publish").addEventListener("click", () => {
      act($("publish"), () => tt.api("POST", `${base}/${view.published ? "unpublish" : "publish"}`, undefined, {scope}));
    });

    function slotBody() {
      const [role, party] = $("token-slot").value.split(":");
      return party ? {role, party} : {role};
    }

    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = slotBody();
      act($("rotate"), async () => {
        const r = await tt.api("POST", `${base}/tokens/rotate`, body, {scope});
        if (r.role === "owner") tt.keepToken(scope, r.token);
        showToken($("new-token"), `New link of the ${r.role}${r.party ? ` of ${r.party}` : ""}`, r.token);
      });
    });

    $("revoke").addEventListener("click", () => {
      const body = slotBody();
      act($("revoke"), async () => {
        const r = await tt.api("POST", `${base}/tokens/revoke`, body, {scope});
        $("new-token").replaceChildren(tt.el("p", {}, `Revoked ${r.revoked} token(s) of the ${r.role}${r.party ? ` of ${r.party}` : ""}; rotate to give the slot a new link.`));
        $("new-token").hidden = false;
      });
    });

    $("rotate-mine").addEventListener("click", () => {
      act($("rotate-mine"), async () => {
        const r = await tt.api("POST", `${base}/tokens/rotate`, {}, {scope});
        tt.keepToken(scope, r.token);
        showToken($("new-own-token"), "Your new link", r.token);
      });
    });

    load();
  });
})();
