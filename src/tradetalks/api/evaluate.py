"""Evaluate a package on a scenario version, from a model kept warm per version (an LRU cache).

The warm part (compiled model, exact Pareto frontier, bargaining solutions) is built once per scenario id and
content hash; evaluating a package is then a table look-up and a comparison with the frontier.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradetalks.bargain import solutions as sol
from tradetalks.bargain.comparison import compare_to_frontier
from tradetalks.bargain.frontier import Frontier, pareto_frontier
from tradetalks.model import Model, build_model, decode_package, package_choice, package_feasible, package_value
from tradetalks.scenario.loader import LoadedScenario


@dataclass(frozen=True)
class WarmModel:
    """What evaluating a package of one scenario version needs, computed once."""

    loaded: LoadedScenario
    model: Model
    frontier: Frontier
    solutions: dict[str, dict[str, Any] | None]


def _pair(model: Model, u: Any) -> dict[str, float]:
    return {model.cs.parties[0]: float(u[0]), model.cs.parties[1]: float(u[1])}


def warm_model(loaded: LoadedScenario) -> WarmModel:
    """Compile the scenario, its exact frontier and the bargaining solutions from the BATNA (utilities 0), named
    as in :func:`tradetalks.studies.analyze.analyze` (``nash_rubinstein`` when both parties have a discount rate)."""
    from tradetalks.studies.analyze import rubinstein_bargaining_powers

    model = build_model(loaded)
    frontier = pareto_frontier(model.utilities)
    d = np.zeros(2)
    powers = (float(model.cs.bargaining_powers[0]), float(model.cs.bargaining_powers[1]))
    found = {"nash": sol.nash(frontier, d, powers=powers)}
    rubinstein = rubinstein_bargaining_powers(loaded)
    if rubinstein is not None:
        found["nash_rubinstein"] = sol.nash(frontier, d, powers=rubinstein)
    found |= {"kalai_smorodinsky": sol.kalai_smorodinsky(frontier, d), "egalitarian": sol.egalitarian(frontier, d),
              "utilitarian": sol.utilitarian(frontier, d)}
    solutions = {name: None if s is None else {"package": decode_package(model, s.choices),
                                               "utilities": _pair(model, s.utilities)}
                 for name, s in found.items()}
    return WarmModel(loaded=loaded, model=model, frontier=frontier, solutions=solutions)


def evaluate_package(warm: WarmModel, package: Mapping[str, str]) -> dict[str, Any]:
    """Both sides' utilities, payoffs per stakeholder, the place against the frontier, the BATNAs and solutions.

    Units: USD a year against the BATNA (no-deal package); utilities weight stakeholder payoffs by their political
    weights (Grossman–Helpman). Issues missing from ``package`` stay at their BATNA option.

    Raises
    ------
    TradetalksError
        If the package names an unknown issue or option (the message lists the valid ones).
    """
    model, cs, scn = warm.model, warm.model.cs, warm.loaded.scenario
    pay, util = package_value(model, package)
    cmp = compare_to_frontier(warm.frontier, util)
    names = {st.id: st.name for party in scn.parties for st in party.stakeholders}
    owner = {st.id: party.id for party in scn.parties for st in party.stakeholders}
    full = {iid: cs.issues[i][choice].id for i, (iid, choice) in
            enumerate(zip(cs.issue_ids, package_choice(model, package), strict=True))}
    best = None
    if cmp.best_improvement is not None and cmp.best_improvement_choices is not None:
        best = {"package": decode_package(model, cmp.best_improvement_choices),
                "utilities": _pair(model, cmp.best_improvement)}
    return {
        "package": full,
        "feasible": package_feasible(model, package),
        "utilities": _pair(model, util),
        "payoffs": [{"stakeholder": sid, "name": names.get(sid, sid), "party": owner.get(sid),
                     "payoff": float(v)} for sid, v in zip(cs.stakeholders, pay, strict=True)],
        "frontier": {"on_frontier": bool(cmp.on_frontier), "distance": float(cmp.distance),
                     "left_on_table": float(cmp.left_on_table), "best_improvement": best,
                     "n_points": len(warm.frontier.utilities), "n_packages": float(warm.frontier.n_packages)},
        "batna": {"package": {iss.id: iss.batna for iss in scn.issues}, "utilities": _pair(model, [0.0, 0.0])},
        "solutions": warm.solutions,
        "units": "USD/yr against the BATNA (utilities: politically weighted)",
    }


class ModelCache:
    """Warm models keyed by (scenario id, content hash), least recently used dropped beyond ``size``; thread-safe.

    Two requests for the same missing version build it once (the second waits for the first).
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._items: OrderedDict[tuple[str, str], WarmModel] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[str, str], threading.Lock] = {}
        self.builds = 0

    def get(self, key: tuple[str, str], build: Callable[[], WarmModel]) -> WarmModel:
        """The warm model of ``key``, built with ``build()`` when absent."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            gate = self._building.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            warm = build()
            with self._lock:
                self.builds += 1
                self._items[key] = warm
                self._items.move_to_end(key)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
            return warm

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
