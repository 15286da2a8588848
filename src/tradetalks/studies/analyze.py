"""The main job: analyse a negotiation scenario end to end.

scenario → valuation (stakeholder payoffs per option, partial equilibrium) → party utilities (weighted, relative to
the BATNA) → exact Pareto frontier → bargaining solutions, ZOPA, linkage, observed-deal comparison → one frozen
:class:`~tradetalks.studies.analyze_results.AnalysisResult`.

Example
-------
>>> from tradetalks.studies.analyze import analyze
>>> from tradetalks.scenario import load_scenario
>>> result = analyze(load_scenario("tests/data/toy.yaml"))
>>> sorted(result.solutions)
['egalitarian', 'kalai_smorodinsky', 'nash', 'nash_rubinstein', 'utilitarian']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tradetalks import __version__
from tradetalks.bargain import solutions as sol
from tradetalks.bargain.comparison import compare_to_frontier
from tradetalks.bargain.frontier import Frontier, pareto_frontier
from tradetalks.bargain.timing import batna_options_at, rubinstein_powers
from tradetalks.bargain.zopa import zopa as zopa_count
from tradetalks.econ.valuation import CompiledScenario, compile_scenario, revised_facts, stakeholder_payoffs
from tradetalks.model import Model, build_model, decode_package, package_feasible, package_value
from tradetalks.options import EconModel
from tradetalks.scenario.checks import quantities
from tradetalks.scenario.expressions import evaluate, names_in
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Scenario
from tradetalks.studies.analyze_results import (
    AnalysisResult,
    DelegationInfo,
    FrontierResult,
    IssueStakes,
    LinkageResult,
    ObservedResult,
    ObservedView,
    OptionStake,
    PackageChange,
    PackageUtility,
    PartyInfo,
    ScenarioInfo,
    SolutionResult,
    SourceRow,
    StakeholderInfo,
    ZopaResult,
)
from tradetalks.studies.improve import IMPROVEMENT_RULES, ImprovementResult, improve
from tradetalks.studies.ratify import ratify
from tradetalks.studies.replay import replay
from tradetalks.yamlfile import format_path

if TYPE_CHECKING:
    from tradetalks.studies.ge_opinion_results import GEOpinion
    from tradetalks.studies.sensitivity import SensitivityResult
    from tradetalks.studies.simulation_results import SimulationResult, TournamentResult

#: at most this many frontier points are written to results.json (the full frontier is in frontier.csv)
MAX_FRONTIER_POINTS_IN_JSON = 2_000

Progress = Callable[[str], None]


def _pair(cs: CompiledScenario, u: Sequence[float] | np.ndarray) -> dict[str, float]:
    return {cs.parties[0]: float(u[0]), cs.parties[1]: float(u[1])}


def rubinstein_bargaining_powers(loaded: LoadedScenario) -> tuple[float, float] | None:
    """Bargaining powers implied by the parties' discount rates (Binmore–Rubinstein–Wolinsky), or ``None``.

    ``None`` when a party has no ``discount_rate``. See :func:`tradetalks.bargain.timing.rubinstein_powers`.
    """
    rates = [p.discount_rate for p in loaded.scenario.parties]
    if any(r is None for r in rates):
        return None
    r0, r1 = (evaluate(r, loaded.facts) for r in rates if r is not None)
    return rubinstein_powers(r0, r1)


def _solutions(model: Model, frontier: Frontier,
               rubinstein: tuple[float, float] | None = None) -> dict[str, SolutionResult | None]:
    """Every bargaining solution from the BATNA; ``nash`` uses the scenario's ``bargaining_power`` of each party,
    ``nash_rubinstein`` (when the parties have discount rates) the powers their patience implies."""
    d = np.zeros(2)
    powers: dict[str, tuple[float, float]] = {"nash": (float(model.cs.bargaining_powers[0]),
                                                       float(model.cs.bargaining_powers[1]))}
    found = {
        "nash": sol.nash(frontier, d, powers=powers["nash"]),
        "kalai_smorodinsky": sol.kalai_smorodinsky(frontier, d),
        "egalitarian": sol.egalitarian(frontier, d),
        "utilitarian": sol.utilitarian(frontier, d),
    }
    if rubinstein is not None:
        powers["nash_rubinstein"] = rubinstein
        found = {"nash": found.pop("nash"), "nash_rubinstein": sol.nash(frontier, d, powers=rubinstein), **found}

    def norm(a: tuple[float, float]) -> dict[str, float]:
        return _pair(model.cs, np.asarray(a) / sum(a))

    return {name: None if s is None else SolutionResult(
        name=name, package=decode_package(model, s.choices), utilities=_pair(model.cs, s.utilities),
        gains=_pair(model.cs, s.gains), objective=float(s.objective),
        powers=norm(powers[name]) if name in powers else None) for name, s in found.items()}


def _frontier_result(model: Model, frontier: Frontier) -> FrontierResult:
    k = len(frontier.utilities)
    # evenly spaced rows, each once; the rounded positions never decrease, so dropping repeats of the previous one
    # is np.unique (which imports numpy.ma, a sizeable share of the command's start-up, since numpy 2.3)
    pos = np.linspace(0, k - 1, min(k, MAX_FRONTIER_POINTS_IN_JSON)).round().astype(int)
    take = pos[np.concatenate(([True], pos[1:] != pos[:-1]))] if k else np.zeros(0, dtype=int)
    cs = model.cs
    # decode every kept point at once: one gather per issue group, then option ids by table look-up
    options = np.zeros((take.size, len(cs.issue_ids)), dtype=np.int64)
    for g_idx, g in enumerate(model.groups):
        options[:, list(g.issues)] = g.combos[frontier.choices[take, g_idx]]
    ids = [[op.id for op in issue] for issue in cs.issues]
    names = list(enumerate(cs.issue_ids))
    p0, p1 = cs.parties
    pts = [PackageUtility({iid: ids[i][row[i]] for i, iid in names}, {p0: float(u[0]), p1: float(u[1])})
           for row, u in zip(options.tolist(), frontier.utilities[take].tolist(), strict=True)]
    return FrontierResult(n_points=k, n_packages=int(frontier.n_packages), points=pts)


def _zopa(model: Model, utilities: list[np.ndarray], frontier: Frontier) -> ZopaResult:
    z = zopa_count(utilities, np.zeros(2), frontier=frontier)
    cs = model.cs
    return ZopaResult(count=z.count, method=z.method, ci95=None if z.ci95 is None else [float(x) for x in z.ci95],
                      total_packages=int(z.total_packages), nonempty=bool(z.nonempty),
                      bounds={cs.parties[p]: [float(x) for x in z.bounds[p]] for p in (0, 1)})


def _issue_stakes(model: Model, scn: Scenario) -> list[IssueStakes]:
    cs = model.cs
    out = []
    for g_idx, g in enumerate(model.groups):
        for pos, i in enumerate(g.issues):
            others = [j for j in range(len(g.issues)) if j != pos]
            base = g.combos[g.batna_row]
            options = []
            for o, op in enumerate(cs.issues[i]):
                want = base.copy()
                want[pos] = o
                hit = np.flatnonzero((g.combos == want).all(axis=1))
                feasible = len(hit) > 0
                pay = model.payoffs[g_idx][hit[0]] if feasible else stakeholder_payoffs(cs, want, g.issues)
                options.append(OptionStake(option=op.id, label=op.label, is_batna=o == cs.batna[i],
                                           feasible=feasible, utilities=_pair(cs, pay @ cs.weight_matrix),
                                           payoffs={s: float(v) for s, v in zip(cs.stakeholders, pay, strict=True)
                                                    if v != 0},
                                           note=scn.issues[i].options[o].note))
            iss = scn.issues[i]
            out.append(IssueStakes(id=iss.id, name=iss.name, category=iss.category, batna=iss.batna,
                                   coupled_with=[cs.issue_ids[g.issues[j]] for j in others], options=options))
    order = {iss.id: k for k, iss in enumerate(scn.issues)}
    return sorted(out, key=lambda s: order[s.id])


def _restricted(model: Model, frozen_issues: set[int]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Utilities per group and the kept row indices when ``frozen_issues`` are held at their BATNA."""
    utils, rows = [], []
    for g, u in zip(model.groups, model.utilities, strict=True):
        keep = np.ones(len(g.combos), dtype=bool)
        for pos, i in enumerate(g.issues):
            if i in frozen_issues:
                keep &= g.combos[:, pos] == model.cs.batna[i]
        idx = np.flatnonzero(keep)
        utils.append(u[idx])
        rows.append(idx)
    return utils, rows


def _linkage(model: Model, scn: Scenario, frontier: Frontier, zopa_on: ZopaResult,
             nash_on: SolutionResult | None) -> list[LinkageResult]:
    cs = model.cs
    out = []
    for grp in scn.linkage:
        frozen = {cs.issue_ids.index(i) for i in grp.issues}
        utils, rows = _restricted(model, frozen)
        f_off = pareto_frontier(utils)
        n_off = sol.nash(f_off, np.zeros(2), powers=tuple(cs.bargaining_powers))
        z_off = zopa_count(utils, np.zeros(2), frontier=f_off)

        def decode_off(choices: np.ndarray, rows: list[np.ndarray] = rows) -> dict[str, str]:
            return decode_package(model, [r[int(c)] for r, c in zip(rows, choices, strict=True)])

        off_util = _pair(cs, n_off.utilities) if n_off is not None else None
        nash_off = None if n_off is None else {"package": decode_off(n_off.choices), "utilities": off_util}
        on_sum = sum(nash_on.utilities.values()) if nash_on else 0.0
        off_sum = sum(off_util.values()) if off_util else 0.0
        surplus = {p: (nash_on.utilities[p] if nash_on else 0.0) - (off_util[p] if off_util else 0.0)
                   for p in cs.parties}
        surplus["joint"] = on_sum - off_sum
        out.append(LinkageResult(
            group=grp.id, name=grp.name, issues=list(grp.issues),
            with_linkage={"frontier": [list(u) for u in frontier.utilities.tolist()],
                          "nash": None if nash_on is None else {"package": nash_on.package,
                                                                "utilities": nash_on.utilities},
                          "zopa_nonempty": zopa_on.nonempty, "zopa_count": zopa_on.count},
            without_linkage={"frontier": [list(u) for u in f_off.utilities.tolist()], "nash": nash_off,
                             "zopa_nonempty": bool(z_off.nonempty), "zopa_count": z_off.count},
            surplus=surplus, turns_empty_zopa_nonempty=bool(zopa_on.nonempty and not z_off.nonempty)))
    return out


def _package_payoffs(cs: CompiledScenario, package: Mapping[str, str]) -> np.ndarray:
    """Stakeholder payoffs (S,) of a complete package against the scenario's BATNA (any package, feasible or not)."""
    choice = [[op.id for op in cs.issues[i]].index(package[iid]) for i, iid in enumerate(cs.issue_ids)]
    return stakeholder_payoffs(cs, choice, list(range(len(choice))))


def _later_dates(loaded: LoadedScenario, after: dt.date) -> list[dt.date]:
    """Dates after ``after`` on which the no-deal path or a fact changes (batna_path, valuation.revisions)."""
    scn = loaded.scenario
    dates = [c.date for c in scn.dynamics.batna_path] if scn.dynamics else []
    dates += [r.date for r in scn.valuation.revisions] if scn.valuation else []
    return sorted({d for d in dates if d > after})


def dated_view(model: Model, loaded: LoadedScenario, package: Mapping[str, str], date: dt.date, basis: str,
               description: str) -> ObservedView:
    """A package judged against the no-deal path in force on ``date``, with the facts known on that date.

    The package as it stood on ``date`` is ``package`` updated by every timeline event package dated after the
    deal and up to ``date``; the no-deal package is the scenario's BATNA moved by ``dynamics.batna_path``; facts
    follow ``valuation.revisions`` (the user's ``--set`` overrides win). Utilities are the difference, USD/yr.
    """
    scn = loaded.scenario
    base = {iss.id: iss.batna for iss in scn.issues}
    changes = [(c.date, c.issue, c.option) for c in scn.dynamics.batna_path] if scn.dynamics else []
    no_deal = batna_options_at(base, changes, date)
    deal = {**base, **package}
    obs_date = loaded.observed.date if loaded.observed is not None else date
    for ev in sorted(scn.timeline, key=lambda e: e.date):
        if obs_date < ev.date <= date and ev.package:
            deal.update(ev.package)
    facts = revised_facts(scn, loaded.facts, date, keep=set(loaded.overrides))
    cs = model.cs if facts == loaded.facts else compile_scenario(scn, facts)
    pay = _package_payoffs(cs, deal) - _package_payoffs(cs, no_deal)
    util = pay @ cs.weight_matrix
    return ObservedView(
        basis=basis, date=date.isoformat(), description=description, package=deal, batna_package=no_deal,
        batna_changes={i: o for i, o in no_deal.items() if base[i] != o},
        facts_revised={f: v for f, v in facts.items() if v != loaded.facts[f]}, utilities=_pair(cs, util),
        payoffs={s: float(v) for s, v in zip(cs.stakeholders, pay, strict=True) if v != 0})


def _observed(model: Model, loaded: LoadedScenario, frontier: Frontier) -> ObservedResult | None:
    obs = loaded.observed
    if obs is None:
        return None
    cs = model.cs
    chosen = {iid: c.option for iid, c in obs.package.items()}
    scn = loaded.scenario
    vs_as_of = dated_view(model, loaded, chosen, scn.as_of, "as_of",
                          f"against the scenario's no-deal package of {scn.as_of.isoformat()} (facts as written)")
    vs_dated = dated_view(model, loaded, chosen, obs.date, "dated_batna",
                          f"against the no-deal path on the deal date {obs.date.isoformat()} "
                          "(dynamics.batna_path; facts revised to that date)")
    later = _later_dates(loaded, obs.date)
    vs_latest = None if not later else dated_view(
        model, loaded, chosen, later[-1], "latest",
        f"against the latest no-deal path the scenario knows ({later[-1].isoformat()}), facts revised to then")
    pay, util = package_value(model, chosen)
    feasible = package_feasible(model, chosen)
    cmp = compare_to_frontier(frontier, util)
    best, gains, changes = None, None, []
    if cmp.best_improvement is not None and cmp.best_improvement_choices is not None \
            and cmp.improvement_gains is not None:
        pkg = decode_package(model, cmp.best_improvement_choices)
        best = PackageUtility(pkg, _pair(cs, cmp.best_improvement))
        gains = _pair(cs, cmp.improvement_gains)
        changes = [PackageChange(i, obs.package[i].option, o) for i, o in pkg.items() if obs.package[i].option != o]
    return ObservedResult(
        title=obs.title, date=obs.date.isoformat(), file=loaded.observed_file or "",
        package={i: obs.package[i].option for i in cs.issue_ids}, utilities=_pair(cs, util),
        payoffs={s: float(v) for s, v in zip(cs.stakeholders, pay, strict=True) if v != 0}, feasible=feasible,
        on_frontier=bool(cmp.on_frontier), distance_to_frontier=float(cmp.distance),
        left_on_table=float(cmp.left_on_table), best_improvement=best, improvement_gains=gains, changes=changes,
        sources={i: c.source for i, c in obs.package.items()}, vs_as_of=vs_as_of, vs_dated_batna=vs_dated,
        vs_latest=vs_latest)


def _sources(loaded: LoadedScenario) -> list[SourceRow]:
    scn = loaded.scenario
    used: dict[str, list[str]] = {}
    for path, q in quantities(scn):
        for name in sorted(names_in(q)):
            used.setdefault(name, []).append(format_path(path))
    return [SourceRow(id=fid, value=loaded.facts[fid], unit=f.unit, source=f.source, assumption=f.assumption,
                      overridden=fid in loaded.overrides,
                      original_value=f.value if fid in loaded.overrides else None, note=f.note,
                      used_by=used.get(fid, [])) for fid, f in scn.facts.items()]


def _ge_opinion(loaded: LoadedScenario, model: Model, solutions: dict[str, SolutionResult | None],
                data_dir: Path | None) -> GEOpinion:
    from tradetalks.studies.ge_opinion import default_packages, ge_second_opinion
    packages = default_packages(loaded, model.cs)
    for name in ("nash", "kalai_smorodinsky"):
        found = solutions[name]
        if found is not None:
            packages[name] = found.package
    return ge_second_opinion(loaded, model, data_dir=data_dir, packages=packages)


#: packages sampled to size each win-set in `analyze` (95 % interval about ±0.4 points of share); the `ratify`
#: command samples more (tradetalks.bargain.ratifiers.DEFAULT_N_SAMPLES)
ANALYZE_WINSET_SAMPLES = 50_000

#: draws of the weight sweep that `analyze --dynamics` runs (the `sensitivity` command defaults to 10,000)
DYNAMICS_SWEEP_DRAWS = 1_000


def _dynamics(loaded: LoadedScenario, model: Model) -> tuple[SimulationResult, TournamentResult, SensitivityResult]:
    """Simulation, tournament and sensitivity for ``analyze --dynamics``."""
    from tradetalks.studies.sensitivity import sensitivity
    from tradetalks.studies.simulate import prepare, simulate, tournament
    setup = prepare(loaded, model=model)
    return (simulate(loaded, "linear", "linear", model=model, setup=setup),
            tournament(loaded, repeats=1, workers=1, model=model, setup=setup),
            sensitivity(loaded, model, n_draws=DYNAMICS_SWEEP_DRAWS))


def analyze(loaded: LoadedScenario, *, progress: Progress | None = None, econ: EconModel = "pe",
            ge_data_dir: Path | None = None, dynamics: bool = False, uncertainty_draws: int = 0,
            inverse_draws: int = 0) -> AnalysisResult:
    """Run the whole analysis of a loaded scenario.

    Parameters
    ----------
    loaded
        From :func:`tradetalks.scenario.load_scenario` (fact overrides already applied).
    progress
        Optional callback receiving a short description of each step (the CLI shows them).
    econ
        ``"pe"``: partial-equilibrium payoffs only. ``"ge"``: also a structural-gravity general-equilibrium second
        opinion on the tariff levers (needs the book's data, see ``docs/models/ge-second-opinion.md``).
    ge_data_dir
        Data directory holding ``agtpa/`` and ``cp2015/`` (default ``$TRADETALKS_DATA_DIR``, else the user data
        directory; see :mod:`tradetalks.datadir`).
    uncertainty_draws
        Also run this many Monte Carlo draws of the uncertain facts (:func:`tradetalks.studies.uncertainty.
        uncertainty`; 0 skips it).
    inverse_draws
        Also infer what the observed deal reveals from this many prior draws (:func:`tradetalks.studies.inverse.
        infer`; 0 skips it, and so does a scenario without an observed outcome).
    dynamics
        Also simulate negotiations (one run and a tournament of every strategy pair) and run the sensitivity
        tornado and a weight sweep (a few more seconds).
    """
    say = progress or (lambda _msg: None)
    scn = loaded.scenario
    say("valuing options (partial equilibrium)")
    model = build_model(loaded)
    say("exact Pareto frontier")
    frontier = pareto_frontier(model.utilities)
    say("bargaining solutions and ZOPA")
    solutions = _solutions(model, frontier, rubinstein_bargaining_powers(loaded))
    zopa = _zopa(model, model.utilities, frontier)
    ge = None
    if econ == "ge":
        say("general-equilibrium second opinion (structural gravity)")
        ge = _ge_opinion(loaded, model, solutions, ge_data_dir)
    say("two-level game (ratification)")
    ratification = ratify(loaded, model, frontier=True, n_samples=ANALYZE_WINSET_SAMPLES)
    simulation, tourney, sens = None, None, None
    if dynamics:
        say("simulated negotiations and sensitivity")
        simulation, tourney, sens = _dynamics(loaded, model)
    unc = None
    if uncertainty_draws:
        from tradetalks.studies.uncertainty import uncertainty
        say(f"{uncertainty_draws:,} Monte Carlo draws of the uncertain facts")
        unc = uncertainty(loaded, n_draws=uncertainty_draws, model=model)
    inv = None
    if inverse_draws and loaded.observed is not None:
        from tradetalks.studies.inverse import infer
        say(f"inverse bargaining: {inverse_draws:,} prior draws")
        inv = infer(loaded, model, draws=inverse_draws)
    say("linkage and observed deal")
    cs = model.cs
    improvements: dict[str, ImprovementResult] = {}
    if loaded.observed is not None:
        improvements = {str(rule): improve(loaded, None, rule, model, frontier=frontier)
                        for rule in IMPROVEMENT_RULES}
    return AnalysisResult(
        scenario=ScenarioInfo(id=scn.id, title=scn.title, description=scn.description, as_of=scn.as_of.isoformat(),
                              file=loaded.file, overrides=dict(loaded.overrides)),
        parties=[PartyInfo(id=p.id, name=p.name, bargaining_power=float(cs.bargaining_powers[k]),
                           stakeholders=[StakeholderInfo(st.id, st.name,
                                                         float(cs.weights[cs.stakeholders.index(st.id)]))
                                         for st in p.stakeholders],
                           delegations=[DelegationInfo(since=d.since.isoformat(), label=d.label,
                                                       members=[{"name": m.name, "title": m.title} for m in d.members],
                                                       source=d.source, note=d.note) for d in p.delegations])
                 for k, p in enumerate(scn.parties)],
        units={"utilities": "USD/yr, weighted by political weights, relative to the BATNA",
               "payoffs": "USD/yr, unweighted, relative to the BATNA"},
        econ_model=econ,
        issues=_issue_stakes(model, scn),
        batna=PackageUtility({i.id: i.batna for i in scn.issues}, _pair(cs, [0.0, 0.0])),
        frontier=_frontier_result(model, frontier),
        solutions=solutions, zopa=zopa,
        linkage=_linkage(model, scn, frontier, zopa, solutions["nash"]),
        observed=_observed(model, loaded, frontier),
        sources=_sources(loaded),
        timeline=[e.model_dump(mode="json") for e in sorted(scn.timeline, key=lambda e: e.date)],
        replay=replay(loaded, model, counts=False).steps,
        ge_opinion=ge,
        improvements=improvements,
        ratification=ratification,
        simulation=simulation, tournament=tourney, sensitivity=sens, uncertainty=unc,
        inverse=inv, tradetalks_version=__version__,
    )
