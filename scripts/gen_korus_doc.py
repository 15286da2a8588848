"""Fill the generated blocks of docs/korus-2025.md from a run of the built-in scenario.

The headline figures of the scenario's documentation (frontier, ZOPA, each solution, the observed deal against each
no-deal path, what is left on the table, ratification, and how the observed deal moves with the time basis) come
from `tradetalks.studies.analyze.analyze` on `korus-2025` with its default facts, so the prose cannot go stale:
tests/test_gen_korus_doc.py fails when the file differs from what this script writes.

Usage: PYTHONPATH=src python scripts/gen_korus_doc.py [--check]
Blocks are delimited by ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "korus-2025.md"
SCENARIO = "korus-2025"
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
            "precedent": precedent_nash(loaded)}


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
    new = render()
    if "--check" in argv:
        return 0 if DOC.read_text(encoding="utf-8") == new else 1
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
