"""Evaluate a package on a scenario version, from a model kept warm per version (an LRU cache).

The warm part (compiled model, exact Pareto frontier, bargaining solutions) is built once per scenario id and
content hash; evaluating a package is then a table look-up and a comparison with the frontier (about 1 ms on the
built-in scenario).

The route's fast path (:func:`evaluate_bytes`) adds two small caches to :class:`ModelCache`, both bounded and
thread-safe: the answer's JSON bytes per (scenario, version, hash, package), so a package asked for again costs
a dictionary look-up; and the (version, hash) of ``(scenario, ?version=)`` for ``version_ttl`` seconds, so a warm
request does not wait for the store. A stored version never changes (its text and hash are kept as written), so
a cached answer is never wrong for the version it names; what the TTL bounds is how long after an update or a
deletion made by *another* process (``tradetalks serve --workers N``) an evaluation without ``?version=`` may
still answer the previous version (its ``version`` field says which). Updates and deletions made through this
app forget the scenario's entries at once (:meth:`ModelCache.forget`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from starlette.concurrency import run_in_threadpool

from tradetalks.api.errors import RequestError
from tradetalks.api.settings import Settings
from tradetalks.bargain import solutions as sol
from tradetalks.bargain.comparison import compare_to_frontier
from tradetalks.bargain.frontier import Frontier, pareto_frontier
from tradetalks.econ.valuation import stakeholder_payoffs
from tradetalks.errors import DataError
from tradetalks.jsonable import jsonable, plain_jsonable
from tradetalks.model import Model, build_model, decode_package, package_choice
from tradetalks.scenario.loader import LoadedScenario, load_scenario_text
from tradetalks.store import Store

#: what an uploaded scenario is called in the problems of its text (no file is involved)
UPLOAD_NAME = "scenario.yaml"
#: a scenario version: (version number, SHA-256 of its text)
VersionKey = tuple[int, str]
#: most remembered version keys; beyond it they are all dropped at once (a store look-up each brings one back)
MAX_VERSION_KEYS = 4096


@dataclass(frozen=True)
class WarmModel:
    """What evaluating a package of one scenario version needs, computed once."""

    loaded: LoadedScenario
    model: Model
    frontier: Frontier
    solutions: dict[str, dict[str, Any] | None]
    #: per compound issue (``model.groups``): the row of each permitted combination of its issues' options
    rows: tuple[dict[tuple[int, ...], int], ...] = ()
    #: the parts of every answer that do not depend on the package (BATNA, solutions), as plain JSON data
    static: dict[str, Any] = field(default_factory=dict)
    #: per stakeholder (``model.cs.stakeholders`` order): its id, name and party, as every answer lists them
    stakeholders: tuple[tuple[str, str, str | None], ...] = ()


def frontier_values(warm: WarmModel, choice: Sequence[int]) -> tuple[np.ndarray, np.ndarray] | None:
    """A package's stakeholder payoffs, shape (S,), and utilities, shape (2,), summed from the model's group tables
    as the frontier sums them (compound issues left to right), so that a package on the frontier compares equal to
    its point; ``None`` when a compound issue's combination is not permitted (the package then breaks a
    constraint: the same test as :func:`tradetalks.model.package_feasible`). ``choice``: the option index of every
    issue (:func:`tradetalks.model.package_choice`).

    Payoffs are additive over groups (issues that share a market are one group), so these are
    :func:`tradetalks.model.package_value`'s numbers, summed in another order: they can differ in the last bits
    (which made a solution's own package look dominated by 1e-6 USD when utilities came from ``package_value``).
    A table look-up per group: a tenth of the time of valuing the package afresh.
    """
    pay: np.ndarray | None = None
    util: np.ndarray | None = None
    for g, rows, payoffs, utilities in zip(warm.model.groups, warm.rows, warm.model.payoffs, warm.model.utilities,
                                           strict=True):
        row = rows.get(tuple(choice[i] for i in g.issues))
        if row is None:
            return None
        pay = payoffs[row] if pay is None else pay + payoffs[row]
        util = utilities[row] if util is None else util + utilities[row]
    assert pay is not None and util is not None  # a model has at least one group
    return pay, util


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
    rows = tuple({tuple(int(x) for x in combo): k for k, combo in enumerate(g.combos)} for g in model.groups)
    batna = {"package": {iss.id: iss.batna for iss in loaded.scenario.issues}, "utilities": _pair(model, [0.0, 0.0])}
    warm = WarmModel(loaded=loaded, model=model, frontier=frontier, solutions=solutions, rows=rows,
                     static=jsonable({"batna": batna, "solutions": solutions}))
    return dataclasses.replace(warm, stakeholders=_stakeholders(warm))


def evaluate_package(warm: WarmModel, package: Mapping[str, str]) -> dict[str, Any]:
    """Both sides' utilities, payoffs per stakeholder, the place against the frontier, the BATNAs and solutions.

    Units: USD a year against the BATNA (no-deal package); utilities weight stakeholder payoffs by their political
    weights (Grossman–Helpman). Issues missing from ``package`` stay at their BATNA option.

    The frontier holds the packages the scenario's constraints permit. A forbidden package (``feasible`` false) is
    evaluated too; when no permitted package is as good for both sides, it lies beyond the frontier:
    ``frontier.beyond_frontier`` is true and ``distance``, ``left_on_table`` and ``best_improvement`` are null.

    Raises
    ------
    TradetalksError
        If the package names an unknown issue or option (the message lists the valid ones).
    """
    model = warm.model
    choice = package_choice(model, package)  # once: it validates the package too
    summed = frontier_values(warm, choice)
    feasible = summed is not None
    if summed is not None:
        pay, util = summed
    else:  # a forbidden combination has no row in its group's table: only that group is valued afresh
        pay = np.zeros(len(model.cs.stakeholders))
        for g, rows, payoffs in zip(model.groups, warm.rows, model.payoffs, strict=True):
            combo = tuple(choice[i] for i in g.issues)
            row = rows.get(combo)
            pay = pay + (payoffs[row] if row is not None else
                         stakeholder_payoffs(model.cs, combo, list(g.issues)))  # payoffs add up over groups
        util = pay @ model.cs.weight_matrix
    try:
        cmp = compare_to_frontier(warm.frontier, util)
    except DataError:
        if feasible:  # a permitted package is never beyond the exact frontier of permitted packages
            raise
        return _answer(warm, choice, pay, util, feasible, {
            "on_frontier": False, "beyond_frontier": True, "distance": None, "left_on_table": None,
            "best_improvement": None})
    best = None
    if cmp.best_improvement is not None and cmp.best_improvement_choices is not None:
        best = {"package": decode_package(model, cmp.best_improvement_choices),
                "utilities": _pair(model, cmp.best_improvement)}
    return _answer(warm, choice, pay, util, feasible, {
        "on_frontier": bool(cmp.on_frontier), "beyond_frontier": False, "distance": float(cmp.distance),
        "left_on_table": float(cmp.left_on_table), "best_improvement": best})


def _stakeholders(warm: WarmModel) -> tuple[tuple[str, str, str | None], ...]:
    """(id, name, party) of every stakeholder of the compiled scenario, in its order."""
    scn = warm.loaded.scenario
    names = {st.id: st.name for party in scn.parties for st in party.stakeholders}
    owner = {st.id: party.id for party in scn.parties for st in party.stakeholders}
    return tuple((sid, names.get(sid, sid), owner.get(sid)) for sid in warm.model.cs.stakeholders)


def _answer(warm: WarmModel, choice: Sequence[int], pay: Any, util: Any, feasible: bool,
            placed: dict[str, Any]) -> dict[str, Any]:
    model, cs, scn = warm.model, warm.model.cs, warm.loaded.scenario
    full = {iid: cs.issues[i][c].id for i, (iid, c) in enumerate(zip(cs.issue_ids, choice, strict=True))}
    return {
        "package": full,
        "feasible": feasible,
        "utilities": _pair(model, util),
        "payoffs": [{"stakeholder": sid, "name": name, "party": party, "payoff": v}
                    for (sid, name, party), v in zip(warm.stakeholders or _stakeholders(warm), pay.tolist(),
                                                     strict=True)],
        "frontier": {**placed, "n_points": len(warm.frontier.utilities),
                     "n_packages": float(warm.frontier.n_packages)},
        "batna": {"package": {iss.id: iss.batna for iss in scn.issues}, "utilities": _pair(model, [0.0, 0.0])},
        "solutions": warm.solutions,
        "units": "USD/yr against the BATNA (utilities: politically weighted)",
    }


class ModelCache:
    """Warm models keyed by (scenario id, content hash), least recently used dropped beyond ``size``; thread-safe.

    Two requests for the same missing version build it once (the second waits for the first). It also keeps the
    fast path's caches (module docstring): up to ``responses`` answers (0: none) and, for ``version_ttl``
    seconds (0: not at all), the version key of each ``(scenario id, ?version=)`` asked for.
    """

    def __init__(self, size: int, *, responses: int = 0, version_ttl: float = 0.0) -> None:
        self.size = max(1, size)
        self._items: OrderedDict[tuple[str, str], WarmModel] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[tuple[str, str], threading.Lock] = {}
        self.builds = 0
        self.max_responses = max(0, responses)
        self.version_ttl = max(0.0, version_ttl)
        self._responses: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._keys: dict[tuple[str, int | None], tuple[VersionKey, float]] = {}
        self._pending: dict[tuple[str, int | None], asyncio.Future[VersionKey]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ModelCache:
        """The cache sized by ``model_cache_size``, ``evaluate_cache_size`` and ``version_ttl``."""
        return cls(settings.model_cache_size, responses=settings.evaluate_cache_size,
                   version_ttl=settings.version_ttl)

    def peek(self, key: tuple[str, str]) -> WarmModel | None:
        """The warm model of ``key`` if it is built (never builds)."""
        with self._lock:
            warm = self._items.get(key)
            if warm is not None:
                self._items.move_to_end(key)
            return warm

    def version_key(self, scenario_id: str, version: int | None) -> VersionKey | None:
        """The remembered version key of ``(scenario_id, version)`` if younger than ``version_ttl`` seconds."""
        found = self._keys.get((scenario_id, version))
        if found is None or time.monotonic() - found[1] >= self.version_ttl:
            return None
        return found[0]

    def remember_version_key(self, scenario_id: str, version: int | None, key: VersionKey) -> None:
        if self.version_ttl <= 0:
            return
        with self._lock:
            if len(self._keys) >= MAX_VERSION_KEYS:
                self._keys.clear()
            self._keys[(scenario_id, version)] = (key, time.monotonic())

    async def look_up_version_key(self, store: Store, scenario_id: str, version: int | None) -> VersionKey:
        """Ask the store for a version key (on the thread pool) and remember it; concurrent requests for the same
        key on this event loop share one look-up (without that, the 50 requests in flight when a key expires
        would each query the store)."""
        ident = (scenario_id, version)
        pending = self._pending.get(ident)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[VersionKey] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            key = await run_in_threadpool(store.scenario_key, scenario_id, version)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        else:
            self.remember_version_key(scenario_id, version, key)
            future.set_result(key)
            return key
        finally:
            self._pending.pop(ident, None)

    def response(self, key: tuple[Any, ...]) -> bytes | None:
        """A cached answer (JSON bytes), or None."""
        with self._lock:
            data = self._responses.get(key)
            if data is not None:
                self._responses.move_to_end(key)
            return data

    def remember_response(self, key: tuple[Any, ...], data: bytes) -> None:
        if not self.max_responses:
            return
        with self._lock:
            self._responses[key] = data
            while len(self._responses) > self.max_responses:
                self._responses.popitem(last=False)

    def forget(self, scenario_id: str) -> None:
        """Drop the remembered version keys and answers of one scenario (after it is updated or deleted)."""
        with self._lock:
            for k in [k for k in self._keys if k[0] == scenario_id]:
                del self._keys[k]
            for r in [r for r in self._responses if r[0] == scenario_id]:
                del self._responses[r]

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


def parse_package(body: bytes) -> dict[str, str]:
    """The package of an evaluate request: a JSON object ``{issue id: option id}`` (422 otherwise).

    Read with orjson rather than a pydantic body model: a few microseconds for the few hundred bytes of a package.
    """
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        raise RequestError("the body is not JSON.", [_problem("", f"invalid JSON ({exc}).")]) from None
    if not isinstance(data, dict):
        raise RequestError("the body must be a JSON object {issue id: option id}.",
                           [_problem("", f"received {type(data).__name__ if data is not None else 'no body'}.")])
    bad = [_problem(k, f"the option must be a string; received {type(v).__name__}.")
           for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise RequestError(f"the package has {len(bad)} option(s) that are not strings.", bad)
    return data


def _problem(path: str, message: str) -> dict[str, Any]:
    return {"file": "request", "line": None, "path": path, "message": message,
            "fix": "send a JSON object {issue id: option id}, e.g. {\"tariff\": \"t15\"} (GET /openapi.json)"}


async def evaluate_bytes(cache: ModelCache, store: Store, scenario_id: str, version: int | None,
                         body: bytes) -> bytes:
    """The JSON answer of ``POST /api/scenarios/{id}/evaluate`` for a request ``body`` (the route's fast path).

    Runs on the event loop and leaves it only for what may wait: a store look-up when the version key is not
    remembered, and building a model that is not warm (both on the thread pool). Evaluating a package on a warm
    model (about 1 ms) runs in place, and its answer is kept (module docstring).

    Raises
    ------
    RequestError
        A body that is not a JSON object of strings (422).
    NotFoundError
        No such scenario or version (404).
    TradetalksError
        An unknown issue or option (400; the fix lists the valid ones).
    """
    key = cache.version_key(scenario_id, version)
    if key is None:
        key = await cache.look_up_version_key(store, scenario_id, version)
    number, sha = key
    package = parse_package(body)
    rkey = (scenario_id, number, sha, tuple(sorted(package.items())))
    cached = cache.response(rkey)
    if cached is not None:
        return cached
    warm = cache.peek((scenario_id, sha))
    if warm is None:
        def build() -> WarmModel:
            return warm_model(load_scenario_text(store.get_scenario(scenario_id, number).yaml, UPLOAD_NAME))

        warm = await run_in_threadpool(cache.get, (scenario_id, sha), build)
    answer = evaluate_package(warm, package)
    data = orjson.dumps({"scenario_id": scenario_id, "version": number,  # the static parts made plain once
                         **plain_jsonable({k: v for k, v in answer.items() if k not in warm.static}),
                         **warm.static})
    cache.remember_response(rkey, data)
    return data
