"""Fill the generated blocks of docs/korus-2025.md from a run of the built-in scenario.

The headline figures of the scenario's documentation (frontier, ZOPA, each solution, the observed deal against each
no-deal path, what is left on the table, ratification, and how the observed deal moves with the time basis) come
from `tradetalks.studies.analyze.analyze` on `korus-2025` with its default facts, so the prose cannot go stale:
tests/test_gen_korus_doc.py fails when the file differs from what this script writes.

The "how-sure" block comes from a fixed-seed Monte Carlo run (:func:`tradetalks.studies.uncertainty.uncertainty`,
HOW_SURE_DRAWS draws, seed HOW_SURE_SEED, the default Sobol design: the same numbers as
``tradetalks uncertainty korus-2025 --draws 2000``). That run takes about half a minute, too long for a test, so the
script writes its result beside the doc (docs/korus-2025.how-sure.json, without the run's wall time and worker
count, and without the ranges' source notes, which are in the scenario) and renders the block from that file. The
test checks that the block matches the file (fast), that the file is the run the script names (seed, draws) and
that it still fits the scenario (the same uncertain inputs, the same Nash package at the point values); re-running
the draws is left to this script.

Usage: PYTHONPATH=src python scripts/gen_korus_doc.py [--check] [--no-mc]
(--no-mc: reuse the stored Monte Carlo result instead of re-running it; --check: compare, write nothing.)
Blocks are delimited by ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "korus-2025.md"
SCENARIO = "korus-2025"
#: the stored Monte Carlo result behind the "how-sure" block
HOW_SURE_JSON = ROOT / "docs" / "korus-2025.how-sure.json"
#: the stored inverse-bargaining result behind the "reveals" block, and the run that produced it
REVEALS_JSON = ROOT / "docs" / "korus-2025.reveals.json"
REVEALS_DRAWS = 2000
REVEALS_SEED = 0
HOW_SURE_DRAWS = 2_000
HOW_SURE_SEED = 20250424
#: Sobol rows and tornado rows shown in the block
HOW_SURE_SOBOL_ROWS = 6
BN = 1e9
#: options whose payoffs carry the parity-precedent charge (and, since issue 7, the US buyers' credit)
PRECEDENT_OPTIONS = {("auto_tariff", "a12_5"), ("auto_tariff", "a2_5"), ("auto_tariff", "a0"),
                     ("parts_tariff", "p0"), ("reciprocal_tariff", "r10"), ("reciprocal_tariff", "r0")}
#: time-basis variants of the observed-deal table: label → fact overrides (fact ids of korus-2025.yaml)
VARIANTS: list[tuple[str, dict[str, float]]] = [
    ("default time basis", {}),
    ("tariffs last the whole horizon", {"tariff_expected_duration": 10.0}),
    ("no legal risk on the reciprocal tariff", {"ieepa_strike_prob": 0.0, "ieepa_strike_prob_nov2025": 0.0}),
    ("both (only discounting and schedules change)", {"tariff_expected_duration": 10.0, "ieepa_strike_prob": 0.0,
                                                      "ieepa_strike_prob_nov2025": 0.0}),
    ("discount rate 3 %", {"val_discount_rate": 0.03}),
    ("discount rate 8 %", {"val_discount_rate": 0.08}),
    ("horizon 5 years", {"val_horizon_years": 5.0}),
    ("horizon 20 years", {"val_horizon_years": 20.0}),
]


def bn(x: float, sign: bool = True) -> str:
    """USD in bn with one decimal (two below 1bn), signed."""
    v = x / BN
    digits = 2 if abs(v) < 1 else 1
    return f"{v:+.{digits}f}" if sign else f"{v:.{digits}f}"


def money(x: float) -> str:
    """USD/yr as '+$1.6bn' or '−$4m' (millions below $0.1bn)."""
    sign = "−" if x < 0 else "+"
    return f"{sign}${abs(x) / BN:.1f}bn" if abs(x) >= 0.1 * BN else f"{sign}${abs(x) / 1e6:.0f}m"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _changes(package: Mapping[str, str], batna: Mapping[str, str]) -> str:
    diff = [f"{i}={o}" for i, o in package.items() if batna.get(i) != o]
    return ", ".join(f"`{d}`" for d in diff) or "(no deal)"


def headline(res: Any) -> str:
    """Frontier, ZOPA, solutions, observed deal against each no-deal path, left on the table, ratification."""
    parties = res.party_ids
    obs = res.observed
    lines = [_row(["package", *(f"{p} $bn/yr" for p in parties), "bargaining powers", "changes from no deal"]),
             _row(["---", *("---:" for _ in parties), "---", "---"])]
    for name, s in res.solutions.items():
        if s is None:
            lines.append(_row([name, "—", "—", "—", "no package beats no deal for both"]))
            continue
        powers = "—" if s.powers is None else " / ".join(f"{s.powers[p]:.2f}" for p in parties)
        lines.append(_row([f"`{name}`", *(bn(s.utilities[p]) for p in parties), powers,
                           _changes(s.package, res.batna.package)]))
    for view, label in ((obs.vs_as_of, "observed deal vs the no-deal package of"),
                        (obs.vs_dated_batna, "observed deal vs the no-deal path on"),
                        (obs.vs_latest, "observed deal vs the no-deal path on")):
        if view is None:
            continue
        moved = ", ".join(f"{i} → {o}" for i, o in view.batna_changes.items())
        revised = ", ".join(f"{f} = {v:g}" for f, v in view.facts_revised.items())
        note = "; ".join(x for x in (f"no deal: {moved}" if moved else "", f"facts: {revised}" if revised else "")
                         if x) or "facts as written"
        lines.append(_row([f"{label} {view.date}", *(bn(view.utilities[p]) for p in parties), "—", note]))
    z, f = res.zopa, res.frontier
    rat = next((c for c in (res.ratification.checks if res.ratification else []) if c.label == "observed deal"), None)
    text = ["\n".join(lines), "",
            f"* Pareto frontier: **{f.n_points:,}** points out of {f.n_packages:,} feasible packages "
            f"(weighted utilities against the 23 April no-deal package).",
            f"* ZOPA: **{z.count:,}** of {z.total_packages:,} packages ({100 * z.count / z.total_packages:.0f} %) "
            f"are better than no deal for both sides ({z.method}).",
            f"* The observed deal lies {'on' if obs.on_frontier else 'inside'} the frontier: both sides could each "
            f"gain ${bn(obs.distance_to_frontier, sign=False)}bn a year more, and up to "
            f"${bn(obs.left_on_table, sign=False)}bn a year in total is left on the table. The best Pareto "
            "improvement changes " + (", ".join(f"`{c.issue}` {c.from_option} → {c.to_option}"
                                                for c in obs.changes) or "nothing") + "."]
    if rat is not None:
        verdict = {pv.party: pv for pv in rat.parties}
        parts = []
        for p in parties:
            vals = ", ".join(f"{r.name.split(' (')[0]} {money(r.value)}{'' if r.accepts else ' (rejects)'}"
                             for r in verdict[p].ratifiers)
            parts.append(f"{p} {'ratifies' if verdict[p].ratifiable else 'does not ratify'} ({vals})")
        text.append("* Ratification of the observed deal (two-level game, USD a year): " + "; ".join(parts)
                    + ".")
    return "\n".join(text)


def time_basis_table(observed_views: Callable[[dict[str, float]], tuple[Any, Any, Any]],
                     parties: list[str]) -> str:
    """The observed deal (vs 23 April, vs the dated no-deal path, vs the post-ruling path) under each variant."""
    head = ["time basis", *(f"{p} vs 23 Apr" for p in parties), *(f"{p} vs deal date" for p in parties),
            *(f"{p} after the ruling" for p in parties)]
    lines = [_row(head), _row(["---", *("---:" for _ in head[1:])])]
    for label, overrides in VARIANTS:
        views = observed_views(overrides)
        cells = [bn(v.utilities[p]) if v is not None else "—" for v in views for p in parties]
        set_text = " ".join(f"`--set {k}={v:g}`" for k, v in overrides.items())
        lines.append(_row([label + (f" ({set_text})" if set_text else ""), *cells]))
    return "\n".join(lines)


def precedent_nash(loaded: Any) -> str:
    """Nash point with the precedent charged gross (no credit to US buyers), beside the default (net) one."""
    from tradetalks.bargain import solutions as sol
    from tradetalks.bargain.frontier import pareto_frontier
    from tradetalks.model import build_model, decode_package
    from tradetalks.scenario.loader import LoadedScenario
    from tradetalks.scenario.schema import Scenario

    data = loaded.scenario.model_dump(by_alias=True)
    for iss in data["issues"]:
        for op in iss["options"]:
            if (iss["id"], op["id"]) in PRECEDENT_OPTIONS:
                op["payoffs"].pop("us_consumers", None)
    gross = LoadedScenario(scenario=Scenario.model_validate(data), file=loaded.file, facts=loaded.facts)
    out, pkgs = [], []
    for label, ld in (("net of US buyers' gain (default)", loaded), ("gross (old rule)", gross)):
        model = build_model(ld)
        frontier = pareto_frontier(model.utilities)
        n = sol.nash(frontier, [0.0, 0.0], powers=tuple(model.cs.bargaining_powers))
        pkg = decode_package(model, n.choices) if n is not None else {}
        tariffs = ", ".join(f"`{i}={pkg[i]}`" for i in ("auto_tariff", "parts_tariff", "reciprocal_tariff",
                                                          "steel_tariff") if i in pkg)
        out.append(_row([label, *(bn(float(u)) for u in (n.utilities if n is not None else (0, 0))), tariffs]))
        pkgs.append(pkg)
    diff = [f"`{i}` {pkgs[1][i]} → {pkgs[0][i]}" for i in pkgs[0] if pkgs[0][i] != pkgs[1].get(i)]
    verdict = ("The Nash package is the same either way; only the utilities move." if not diff else
               "Charging the precedent net changes the Nash package: " + ", ".join(diff) + ".")
    return "\n".join([_row(["precedent charged", "KOR $bn/yr", "USA $bn/yr", "Nash tariffs"]),
                      _row(["---", "---:", "---:", "---"]), *out, "", verdict])


def _pct(share: float | None) -> str:
    if share is None:
        return "—"
    if 0 < share < 0.005:
        return "<1 %"
    if 0.995 < share < 1:
        return ">99 %"
    return f"{100 * share:.0f} %"


def _iv(iv: Mapping[str, float] | None) -> str:
    """Median (5 % to 95 %) in $bn/yr with one decimal: the draws' spread is several bn wide."""
    if iv is None:
        return "—"
    one = lambda x: f"{x / BN:+.1f}"  # noqa: E731
    return f"{one(iv['p50'])} ({one(iv['p05'])} to {one(iv['p95'])})"


def run_how_sure() -> dict[str, Any]:
    """The fixed-seed Monte Carlo run behind the block, as stored (no wall time, workers or source notes)."""
    from tradetalks.scenario import load_scenario
    from tradetalks.studies.uncertainty import uncertainty

    data = uncertainty(load_scenario(SCENARIO), n_draws=HOW_SURE_DRAWS, seed=HOW_SURE_SEED).to_dict()
    for key in ("seconds", "workers"):
        data.pop(key)
    for inp in data["inputs"]:
        inp.pop("spread")
    return data


def how_sure(data: Mapping[str, Any]) -> str:
    """The "how-sure" block from a stored Monte Carlo result."""
    parties = data["parties"]
    nash = data["solutions"]["nash"]
    issues = data["issues"]
    text = [f"From `tradetalks uncertainty {data['scenario']} --draws {data['n_draws']} --seed {data['seed']}` "
            f"({len(data['inputs'])} uncertain inputs, each over its fact's range; stored in "
            f"`docs/{HOW_SURE_JSON.name}`).", "",
            f"* The Nash package at the point values is one answer among many the ranges allow: it comes out in "
            f"**{_pct(nash['same_package_share'])}** of draws, and the most frequent Nash package in "
            f"{_pct(data['modal_share'])}"
            + (f"; no package beats no deal for both in {_pct(data['no_agreement_share'])}"
               if data["no_agreement_share"] > 0 else "") + ".",
            f"* Issue by issue the point-value choice holds more often: in at least "
            f"{_pct(min(i['base_share'] for i in issues))} of draws on every issue, in 90 % or more on "
            f"{sum(i['base_share'] >= 0.9 for i in issues)} of {len(issues)}.", ""]
    text += [_row(["issue", "Nash at the point values", "share of draws", "most frequent other option", "share"]),
             _row(["---", "---", "---:", "---", "---:"])]
    for i in issues:
        others = sorted(((o, x) for o, x in i["shares"].items() if o != i["base_option"]), key=lambda kv: -kv[1])
        alt, alt_share = others[0] if others else ("—", None)
        text.append(_row([f"`{i['issue']}`", f"`{i['base_option']}`", _pct(i["base_share"]),
                          f"`{alt}`" if alt_share else "—", _pct(alt_share) if alt_share else "—"]))
    text += ["", _row(["package", *(f"{p} $bn/yr: median (5 % to 95 %)" for p in parties), "share of draws"]),
             _row(["---", *("---:" for _ in parties), "---"])]
    for name, s in data["solutions"].items():
        text.append(_row([f"`{name}`", *(_iv(s["gains"][p]) for p in parties),
                          f"same package as at the point values: {_pct(s['same_package_share'])}"]))
    for r in data["robust"]:
        text.append(_row([f"robust (`{r['criterion']}`)", *(_iv(r["gains"][p]) for p in parties),
                          f"beats both no-deals: {_pct(r['beats_batnas_share'])}; is Nash: {_pct(r['nash_share'])}"]))
    obs = data["observed"]
    if obs is not None:
        text.append(_row(["observed deal", *(_iv(obs["utilities"][p]) for p in parties),
                          f"in the ZOPA: {_pct(obs['in_zopa_share'])}; on the frontier: "
                          f"{_pct(obs['on_frontier_share'])}"]))
    text.append("")
    for r in data["robust"]:
        diff = [f"`{i}` {nash['base_package'][i]} → {o}" for i, o in r["package"].items()
                if nash["base_package"] and nash["base_package"].get(i) != o]
        text.append(f"* Robust package by `{r['criterion']}` (of {r['candidates']} candidates): "
                    + ("the Nash package at the point values." if not diff else
                       "the point-value Nash package with " + ", ".join(diff) + "."))
    if obs is not None and obs["left_on_table"] is not None:
        lt = obs["left_on_table"]
        text.append(f"* The observed deal leaves {_iv(lt)} $bn a year on the table (mean {lt['mean'] / BN:.1f}); "
                    f"both sides could still gain {_iv(obs['distance'])} $bn a year each at once.")
    sob = data["sobol"]
    if sob is not None:
        rows = [r for r in sob["outputs"].get("nash_changes", []) if r["total"] is not None][:HOW_SURE_SOBOL_ROWS]
        text.append(f"* What decides the Nash package (total Sobol index ± 95 % half-width, {sob['evaluations']:,} "
                    "runs): " + "; ".join(f"`{r['input'].removeprefix('group:')}` {r['total']:.1f} ± "
                                          f"{r['total_conf']:.1f}" for r in rows) + ".")
    flips = [t["id"] for t in data["tornado"] if t["flips"]]
    if flips:
        text.append("* One at a time over the same ranges (tornado), " + ", ".join(f"`{f}`" for f in flips)
                    + " flip the Nash package.")
    return "\n".join(text)


def run_reveals() -> dict[str, Any]:
    """The fixed-seed inverse-bargaining run behind the "reveals" block, as stored (no timings)."""
    from tradetalks.scenario import load_scenario
    from tradetalks.studies.inverse import infer

    res = infer(load_scenario(SCENARIO), draws=REVEALS_DRAWS, seed=REVEALS_SEED)
    data = res.to_dict()
    for key in ("seconds", "draws_per_second"):
        data.pop(key, None)
    data["headline"] = res.headline
    return data


def reveals(data: Mapping[str, Any]) -> str:
    """The "reveals" block: what the real deal reveals, in the study's own words."""
    text = [f"From `tradetalks inverse {data['scenario']} --draws {data['draws']} --seed {data['seed']}` "
            f"({data['inputs']} uncertain inputs; stored in `docs/{REVEALS_JSON.name}`).", "",
            f"**{data['headline']}**", ""]
    text += [f"* {line}" for line in data["findings"]]
    return "\n".join(text)


def load_reveals() -> dict[str, Any]:
    return dict(json.loads(REVEALS_JSON.read_text(encoding="utf-8")))


def load_how_sure() -> dict[str, Any]:
    return dict(json.loads(HOW_SURE_JSON.read_text(encoding="utf-8")))


def write_how_sure() -> None:
    HOW_SURE_JSON.write_text(json.dumps(run_how_sure(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def render_blocks() -> dict[str, str]:
    """Every generated block, by name."""
    from tradetalks.model import Model
    from tradetalks.scenario import load_scenario
    from tradetalks.studies.analyze import analyze, dated_view

    loaded = load_scenario(SCENARIO)
    res = analyze(loaded)
    parties = res.party_ids
    assert loaded.observed is not None and res.observed is not None
    latest = dt.date.fromisoformat(res.observed.vs_latest.date) if res.observed.vs_latest else loaded.observed.date

    def observed_views(overrides: dict[str, float]) -> tuple[Any, Any, Any]:
        from tradetalks.econ.valuation import compile_scenario

        ld = load_scenario(SCENARIO, overrides=overrides)
        assert ld.observed is not None
        model = Model(cs=compile_scenario(ld.scenario, ld.facts), groups=[], payoffs=[], utilities=[])
        pkg = {i: c.option for i, c in ld.observed.package.items()}
        return (dated_view(model, ld, pkg, ld.scenario.as_of, "as_of", ""),
                dated_view(model, ld, pkg, ld.observed.date, "dated_batna", ""),
                dated_view(model, ld, pkg, latest, "latest", ""))

    return {"headline": headline(res), "time-basis": time_basis_table(observed_views, parties),
            "precedent": precedent_nash(loaded), "how-sure": how_sure(load_how_sure()),
            "reveals": reveals(load_reveals())}


def fill(text: str, blocks: Mapping[str, str]) -> str:
    """``text`` with every generated block replaced; an unknown or missing block is an error."""
    found = set(re.findall(r"<!-- BEGIN GENERATED: ([\w-]+) -->", text))
    if found != set(blocks):
        raise SystemExit(f"docs/korus-2025.md blocks {sorted(found)} differ from the generator's {sorted(blocks)}")
    for name, body in blocks.items():
        text = re.sub(rf"(<!-- BEGIN GENERATED: {name} -->\n).*?(<!-- END GENERATED: {name} -->)",
                      lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text, flags=re.S)
    return text


def render() -> str:
    return fill(DOC.read_text(encoding="utf-8"), render_blocks())


def main(argv: list[str]) -> int:
    if "--check" not in argv and "--no-mc" not in argv:
        write_how_sure()
        REVEALS_JSON.write_text(json.dumps(run_reveals(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    new = render()
    if "--check" in argv:
        return 0 if DOC.read_text(encoding="utf-8") == new else 1
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
