"""The data of the dashboard's negotiation board, from the warm model of a scenario version.

``GET /api/scenarios/{id}/board`` answers everything the board draws: the agenda (issues, options with the report's
labels), the constraints, the exact Pareto frontier, the BATNA, the bargaining solutions, the real deal, the dated
timeline, the uncertainty bands of the latest finished uncertainty run and the downloads of the latest finished
analysis. ``POST /api/scenarios/{id}/board/check`` says which constraints a package breaks and, for every option,
which constraints choosing it (the other issues as in the package) would break. Every number is computed here,
from the same warm model as ``POST /api/scenarios/{id}/evaluate``; the page only formats.

Money is USD a year against the BATNA (utilities weighted by the political weights), as in ``evaluate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from tradetalks.api.auth import authenticate, require_scenario
from tradetalks.api.evaluate import WarmModel, evaluate_package, warm_model
from tradetalks.api.scenarios import UPLOAD_NAME, Version
from tradetalks.api.service import Service, service
from tradetalks.bargain.comparison import compare_to_frontier
from tradetalks.errors import DataError
from tradetalks.jsonable import jsonable
from tradetalks.model import package_choice, package_value
from tradetalks.report.format import option_label
from tradetalks.scenario.loader import load_scenario_text
from tradetalks.scenario.schema import Constraint, Scenario

router = APIRouter(prefix="/api/scenarios", tags=["board"])
Svc = Annotated[Service, Depends(service)]

#: names of the bargaining solutions for people, as the report writes them
SOLUTION_NAMES = {"nash": "Nash", "nash_rubinstein": "Nash (Rubinstein powers)",
                  "kalai_smorodinsky": "Kalai–Smorodinsky", "egalitarian": "Egalitarian",
                  "utilitarian": "Utilitarian"}
#: the CSV tables of an analysis (``tradetalks analyze`` writes ``<name>.csv``; report/tables.py ``all_tables``)
CSV_TABLES = ("stakes", "frontier", "solutions", "sources", "timeline")
#: runs looked at for the latest finished analysis / uncertainty run of a scenario
RUNS_LOOKED_AT = 200
#: padding of the chart's opening view around the points better than no deal, as a share of their span
VIEW_PAD = 0.08
#: smallest padding of the opening view, USD/yr
VIEW_MIN_PAD = 5e7


def may_read(request: Request, svc: Service, scenario_id: str) -> None:
    """Refuse a caller who may not read the scenario: the rule of ``GET /api/scenarios/{id}`` (``api/auth.py``)."""
    caller = authenticate(svc, request.headers.get("authorization"))
    require_scenario(svc, caller, scenario_id, "read")


def _warm(svc: Service, scenario_id: str, version: int | None) -> tuple[int, WarmModel]:
    """The warm model of a stored scenario version (the one ``evaluate`` uses: same cache, same key)."""
    number, sha = svc.store.scenario_key(scenario_id, version)

    def build() -> WarmModel:
        return warm_model(load_scenario_text(svc.store.get_scenario(scenario_id, number).yaml, UPLOAD_NAME))

    return number, svc.cache.get((scenario_id, sha), build)


def constraint_text(scn: Scenario, c: Constraint) -> str:
    """A constraint in words with the options' labels: 'If Auto tariff is 15 % or 0 %, Investment must be ...'."""
    issues = {i.id: i for i in scn.issues}
    labels = {(i.id, o.id): o.label for i in scn.issues for o in i.options}

    def among(issue: str, options: Sequence[str]) -> str:
        return " or ".join(f"“{labels.get((issue, o), o)}”" for o in options)

    a, b = c.if_, c.then
    head = f"If {issues[a.issue].name} is {among(a.issue, a.options)}"
    verb = "must be" if c.kind == "requires" else "cannot be"
    return f"{head}, {issues[b.issue].name} {verb} {among(b.issue, b.options)}."


def broken_constraints(scn: Scenario, package: Mapping[str, str]) -> list[str]:
    """Ids of the constraints ``package`` (every issue → option id) breaks, in scenario order."""
    out = []
    for c in scn.constraints:
        first = package[c.if_.issue] in c.if_.options
        second = package[c.then.issue] in c.then.options
        if first and (second if c.kind == "excludes" else not second):
            out.append(c.id)
    return out


def frontier_sum(warm: WarmModel, package: Mapping[str, str]) -> np.ndarray | None:
    """A package's utilities (2,) summed as the frontier sums them (one row per compound issue, left to right), so
    that a package on the frontier equals its frontier point to the last bit; None when a constraint removes the
    package's combination from a compound issue (the package breaks a constraint).

    :func:`~tradetalks.model.package_value` sums stakeholder payoffs in another order: equal up to rounding (about
    1e-6 USD/yr on a 1e10 scale), enough for an exact comparison to call a frontier package "inside" it.
    """
    model = warm.model
    choice = package_choice(model, package)
    total = np.zeros(2)
    for g, util in zip(model.groups, model.utilities, strict=True):
        hit = np.flatnonzero((g.combos == [choice[i] for i in g.issues]).all(axis=1))
        if not len(hit):
            return None
        total = total + util[int(hit[0])]
    return total


def check_package(warm: WarmModel, package: Mapping[str, str]) -> dict[str, Any]:
    """Which constraints a package breaks, and which each other choice would break (the rest as in the package).

    Returns ``{"package", "feasible", "broken": [constraint id], "forbidden": {issue: {option: [constraint id]}},
    "utilities", "payoffs", "beyond_frontier"}``; ``forbidden`` lists only options whose choice breaks a constraint
    that involves their issue. ``place`` is the package against the exact frontier (``on_frontier``, ``distance``,
    ``left_on_table``, USD/yr; :func:`~tradetalks.bargain.comparison.compare_to_frontier` on :func:`frontier_sum`),
    None when it lies beyond it. ``utilities`` (per party) and ``payoffs`` (per stakeholder, as ``evaluate`` lists
    them) are :func:`~tradetalks.model.package_value`'s, USD/yr against the BATNA; ``beyond_frontier`` is true when
    no frontier point is at least as good for both as the package (possible only for one that breaks a
    constraint: the frontier holds the packages that respect them); ``evaluate`` refuses such a package.

    Raises
    ------
    TradetalksError
        If the package names an unknown issue or option (the message lists the valid ones).
    """
    model, scn = warm.model, warm.loaded.scenario
    cs = model.cs
    full = {iid: cs.issues[i][k].id for i, (iid, k) in enumerate(zip(cs.issue_ids, package_choice(model, package),
                                                                        strict=True))}
    involved = {c.id: {c.if_.issue, c.then.issue} for c in scn.constraints}
    forbidden: dict[str, dict[str, list[str]]] = {}
    for iss in scn.issues:
        for op in iss.options:
            broken = [cid for cid in broken_constraints(scn, {**full, iss.id: op.id}) if iss.id in involved[cid]]
            if broken:
                forbidden.setdefault(iss.id, {})[op.id] = broken
    broken = broken_constraints(scn, full)
    pay, util = package_value(model, full)
    exact = frontier_sum(warm, full)
    try:
        cmp = compare_to_frontier(warm.frontier, util if exact is None else exact)
        place: dict[str, Any] | None = {"on_frontier": bool(cmp.on_frontier), "distance": float(cmp.distance),
                                        "left_on_table": float(cmp.left_on_table)}
    except DataError:  # only a package that breaks a constraint can lie beyond the frontier of those that don't
        place = None
    names = {st.id: (st.name, party.id) for party in scn.parties for st in party.stakeholders}
    payoffs = [{"stakeholder": sid, "name": names.get(sid, (sid, None))[0], "party": names.get(sid, (sid, None))[1],
                "payoff": float(v)} for sid, v in zip(cs.stakeholders, pay, strict=True)]
    return {"package": full, "feasible": not broken, "broken": broken, "forbidden": forbidden,
            "utilities": _pair(list(cs.parties), util), "payoffs": payoffs, "beyond_frontier": place is None,
            "place": place}


def _pair(parties: Sequence[str], u: Any) -> dict[str, float]:
    return {parties[0]: float(u[0]), parties[1]: float(u[1])}


def _real_deal(warm: WarmModel) -> dict[str, Any] | None:
    """The real deal: the observed outcome when the scenario carries one, else the package as it stood after the
    last timeline event that records one (events apply in date order over the BATNA, as the replay does)."""
    loaded, scn = warm.loaded, warm.loaded.scenario
    batna = {iss.id: iss.batna for iss in scn.issues}
    if loaded.observed is not None:
        obs = loaded.observed
        package = {**batna, **{i: c.option for i, c in obs.package.items()}}
        meta = {"basis": "observed", "title": obs.title, "date": obs.date.isoformat(),
                "source": "; ".join(sorted({c.source for c in obs.package.values()}))}
    else:
        events = sorted((e for e in scn.timeline if e.package), key=lambda e: e.date)
        if not events:
            return None
        package = dict(batna)
        for ev in events:
            package.update(ev.package or {})
        last = events[-1]
        meta = {"basis": "timeline", "title": last.title, "date": last.date.isoformat(), "source": last.source}
    value = evaluate_package(warm, package)
    place = value["frontier"]
    return {**meta, "package": value["package"], "utilities": value["utilities"], "feasible": value["feasible"],
            "on_frontier": place["on_frontier"], "distance": place["distance"], "left_on_table": place["left_on_table"]}


def _timeline(scn: Scenario) -> list[dict[str, Any]]:
    """Every dated entry of the scenario, by date: timeline events, deadlines, no-deal changes, fact revisions."""
    labels = {(i.id, o.id): o.label for i in scn.issues for o in i.options}
    names = {i.id: i.name for i in scn.issues}
    rows: list[tuple[dt.date, dict[str, Any]]] = []
    for e in scn.timeline:
        settled = [{"issue": i, "option": o, "text": f"{names.get(i, i)}: {labels.get((i, o), o)}"}
                   for i, o in (e.package or {}).items()]
        rows.append((e.date, {"date": e.date.isoformat(), "kind": e.kind, "title": e.title,
                              "description": e.description, "source": e.source, "settled": settled}))
    if scn.dynamics is not None:
        for d in scn.dynamics.deadlines:
            rows.append((d.date, {"date": d.date.isoformat(), "kind": "deadline",
                                  "title": d.title + (" (hard deadline)" if d.hard else ""),
                                  "description": d.note, "source": d.source, "settled": []}))
        for c in scn.dynamics.batna_path:
            rows.append((c.date, {"date": c.date.isoformat(), "kind": "batna_change",
                                  "title": f"No deal now means {names.get(c.issue, c.issue)}: "
                                           f"{labels.get((c.issue, c.option), c.option)}",
                                  "description": c.note, "source": c.source, "settled": []}))
    if scn.valuation is not None:
        for r in scn.valuation.revisions:
            rows.append((r.date, {"date": r.date.isoformat(), "kind": "fact_revision",
                                  "title": f"Fact {r.fact} revised to {r.value}", "description": r.note,
                                  "source": r.source, "settled": []}))
    return [row for _, row in sorted(rows, key=lambda r: (r[0], r[1]["title"]))]


def _view(points: list[tuple[float, float]], marked: list[tuple[float, float]]) -> dict[str, list[float]] | None:
    """Axis ranges (USD/yr) that frame the frontier points better than no deal for both and every marked point
    (solutions, real deal), as the report's frontier chart opens."""
    pts = [p for p in points if p[0] >= 0 and p[1] >= 0] + marked + [(0.0, 0.0)]
    if len(pts) < 2:
        return None

    def span(v: list[float]) -> list[float]:
        lo, hi = min(v), max(v)
        pad = max(VIEW_PAD * (hi - lo), VIEW_MIN_PAD)
        return [lo - pad, hi + pad]

    return {"x": span([p[0] for p in pts]), "y": span([p[1] for p in pts])}


def _latest_run(svc: Service, scenario_id: str, kind: str) -> Any:
    for run in svc.store.list_runs(scenario_id, RUNS_LOOKED_AT):
        if run.kind == kind and run.status == "succeeded":
            return svc.store.get_run(run.id)
    return None


def _uncertainty(svc: Service, scenario_id: str, parties: Sequence[str]) -> dict[str, Any] | None:
    """The bands of the scenario's latest finished uncertainty run: per solution and for the real deal, each
    side's utility over the draws (5th, 50th and 95th percentiles, USD/yr against the BATNA of the same draw)."""
    run = _latest_run(svc, scenario_id, "uncertainty")
    if run is None or not run.results:
        return None
    res = run.results

    def band(gains: Mapping[str, Any]) -> dict[str, Any] | None:
        if not all(p in gains and gains[p] is not None for p in parties):
            return None
        return {p: {q: gains[p][q] for q in ("p05", "p50", "p95")} for p in parties}

    bands = []
    for name, s in (res.get("solutions") or {}).items():
        b = band(s.get("gains") or {})
        if b is not None:
            bands.append({"id": name, "name": SOLUTION_NAMES.get(name, name), "found_share": s.get("found_share"),
                          "same_package_share": s.get("same_package_share"), "band": b})
    obs = res.get("observed")
    if obs and band(obs.get("utilities") or {}) is not None:
        bands.append({"id": "observed", "name": "Real deal", "in_zopa_share": obs.get("in_zopa_share"),
                      "band": band(obs["utilities"])})
    return {"run_id": run.id, "version": run.scenario_version, "finished_at": run.finished_at,
            "n_draws": res.get("n_draws"), "seed": res.get("seed"), "overrides": run.options.get("overrides") or {},
            "headline": res.get("headline"), "no_agreement_share": res.get("no_agreement_share"),
            "bands": bands}


def _downloads(request: Request, run_id: str) -> list[dict[str, str]]:
    """Links to a run's results.json, report and CSVs, for the download routes this app has (none without them):
    the paths of its OpenAPI description (built once per app; routers included in an app are not listed as
    plain routes)."""
    paths = set(request.app.openapi().get("paths", {}))
    base = f"/api/runs/{run_id}/download"
    out = []
    if "/api/runs/{run_id}/download/results.json" in paths:
        out.append({"label": "results.json", "href": f"{base}/results.json"})
    if "/api/runs/{run_id}/download/report.html" in paths:
        out.append({"label": "report.html", "href": f"{base}/report.html"})
    if "/api/runs/{run_id}/download/csv/{name}" in paths:
        out += [{"label": f"{name}.csv", "href": f"{base}/csv/{name}.csv"} for name in CSV_TABLES]
    return out


def frontier_options(warm: WarmModel) -> np.ndarray:
    """Shape ``(n_points, n_issues)``: the option of every issue (its index in the scenario's ``options``) in each
    frontier point, in the frontier's order (one gather per compound issue, as
    :func:`~tradetalks.model.decode_package` decodes one point)."""
    model, scn = warm.model, warm.loaded.scenario
    cs = model.cs
    position = {iss.id: {op.id: j for j, op in enumerate(iss.options)} for iss in scn.issues}
    # compiled option k of issue i → its index among the scenario's options of that issue
    to_scenario = [np.array([position[iid][op.id] for op in cs.issues[i]]) for i, iid in enumerate(cs.issue_ids)]
    choices = np.asarray(warm.frontier.choices)
    out = np.empty((len(choices), len(cs.issue_ids)), dtype=np.int64)
    for gi, g in enumerate(model.groups):
        rows = g.combos[choices[:, gi]]
        for col, i in enumerate(g.issues):
            out[:, i] = to_scenario[i][rows[:, col]]
    order = [cs.issue_ids.index(iss.id) for iss in scn.issues]  # scenario issue order
    return out[:, order]


def board_data(warm: WarmModel) -> dict[str, Any]:
    """The board of one warm scenario version (everything but the stored runs).

    ``frontier.packages[k][i]`` is the index of the option of issue ``i`` (``issues[i].options``) in frontier point
    ``k``; points are sorted by the first party's utility.
    """
    model, scn = warm.model, warm.loaded.scenario
    cs = model.cs
    parties = list(cs.parties)
    names = {p.id: p.name for p in scn.parties}
    batna = {iss.id: iss.batna for iss in scn.issues}
    issues = [{"id": iss.id, "name": iss.name, "category": iss.category, "description": iss.description,
               "batna": iss.batna,
               "options": [{"id": op.id, "label": option_label(SimpleNamespace(label=op.label,
                                                                               is_batna=op.id == iss.batna,
                                                                               feasible=True)),
                            "note": op.note} for op in iss.options]} for iss in scn.issues]
    constraints = [{"id": c.id, "kind": c.kind, "if": {"issue": c.if_.issue, "options": list(c.if_.options)},
                    "then": {"issue": c.then.issue, "options": list(c.then.options)}, "reason": c.reason,
                    "source": c.source, "text": constraint_text(scn, c)} for c in scn.constraints]
    fr = warm.frontier
    order = np.argsort(fr.utilities[:, 0], kind="stable")
    packages = frontier_options(warm)[order].tolist()
    points = [(float(fr.utilities[k, 0]), float(fr.utilities[k, 1])) for k in order]
    solutions = [{"id": n, "name": SOLUTION_NAMES.get(n, n), **s} for n, s in warm.solutions.items() if s is not None]
    deal = _real_deal(warm)
    marked = [(s["utilities"][parties[0]], s["utilities"][parties[1]]) for s in solutions]
    if deal is not None:
        marked.append((deal["utilities"][parties[0]], deal["utilities"][parties[1]]))
    return {
        "scenario": {"id": scn.id, "title": scn.title, "description": scn.description, "as_of": scn.as_of.isoformat()},
        "parties": [{"id": p, "name": names.get(p, p)} for p in parties],
        "issues": issues,
        "constraints": constraints,
        "batna": {"package": batna, "utilities": _pair(parties, [0.0, 0.0])},
        "frontier": {"utilities": [list(p) for p in points], "packages": packages, "n_points": len(points),
                     "n_packages": float(fr.n_packages)},
        "solutions": solutions,
        "real_deal": deal,
        "timeline": _timeline(scn),
        "view": _view(points, marked),
        "units": "USD/yr against the BATNA (utilities: politically weighted)",
    }


@router.get("/{scenario_id}/board", summary="The negotiation board: agenda, constraints, frontier, solutions, "
                                            "real deal, timeline, uncertainty bands, downloads",
            response_class=JSONResponse)
async def board(scenario_id: str, request: Request, svc: Svc, version: Version = None) -> JSONResponse:
    """What the dashboard's board draws, from the scenario version's warm model and its latest finished runs."""
    await run_in_threadpool(may_read, request, svc, scenario_id)
    number, warm = await run_in_threadpool(_warm, svc, scenario_id, version)
    data = await run_in_threadpool(board_data, warm)
    parties = [p["id"] for p in data["parties"]]
    unc = await run_in_threadpool(_uncertainty, svc, scenario_id, parties)
    analysis = await run_in_threadpool(_latest_run, svc, scenario_id, "analyze")
    latest = None if analysis is None else {
        "run_id": analysis.id, "version": analysis.scenario_version, "finished_at": analysis.finished_at,
        "downloads": _downloads(request, analysis.id)}
    body = {"scenario_id": scenario_id, "version": number, **data, "uncertainty": unc, "analysis": latest,
            "uncertainty_run": {"method": "POST", "path": "/api/runs",
                                "body": {"scenario": scenario_id, "version": number, "kind": "uncertainty"}}}
    return JSONResponse(jsonable(body))


@router.post("/{scenario_id}/board/check", summary="Which constraints a package breaks, and which each choice "
                                                   "would break", response_class=JSONResponse)
def check(scenario_id: str, package: dict[str, str], request: Request, svc: Svc,
          version: Version = None) -> JSONResponse:
    """The constraints ``package`` breaks (issues left out stay at the BATNA) and, per issue and option, the
    constraints choosing that option would break with the other issues as in the package."""
    may_read(request, svc, scenario_id)
    number, warm = _warm(svc, scenario_id, version)
    return JSONResponse({"scenario_id": scenario_id, "version": number, **check_package(warm, package)})
