"""Drawing a scenario's uncertain facts: one uniform quantile per input, each fact's own quantile function.

Each input — a fact with a ``range`` or ``dist``, or a ``draw_with`` group of such facts — gets one uniform
quantile ``q`` per draw; every fact of the input takes its distribution's quantile at ``q`` (comonotone within a
group). ``range`` alone is uniform; ``normal``/``lognormal`` with a ``range`` are truncated to it:
:math:`F^{-1}(F(lo) + q (F(hi) - F(lo)))`. See ``docs/models/uncertainty.md``.

Example
-------
>>> import numpy as np
>>> from tradetalks.scenario import load_scenario
>>> loaded = load_scenario("tests/data/toy-uncertain.yaml")
>>> sampler, inputs, held = uncertain_inputs(loaded, list(loaded.scenario.facts))
>>> sampler.draw(np.random.default_rng(0), 5).shape, len(inputs), held
((5, 16), 8, [])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from tradetalks.scenario.loader import LoadedScenario
from tradetalks.scenario.schema import Fact
from tradetalks.scenario.uncertainty_checks import is_uncertain
from tradetalks.studies.uncertainty_results import UncertainInput

__all__ = ["FactSampler", "uncertain_inputs"]

FloatArray = NDArray[np.float64]

#: quantiles never drawn exactly at 0 or 1 (an untruncated normal has no finite quantile there)
_Q_EDGE = 1e-12


@dataclass(frozen=True)
class _FactSpec:
    column: int
    input: int
    kind: str
    lo: float
    hi: float
    p1: float  # mode / mean / median / a
    p2: float  # sd / sigma / b


@dataclass(frozen=True)
class FactSampler:
    """Maps uniform quantiles of the uncertain inputs to fact matrices (picklable, small).

    Attributes
    ----------
    base : (F,)
        Every fact's point value (overrides applied), in :attr:`tradetalks.econ.batch.BatchValuation.fact_ids` order.
    specs
        One per drawn fact.
    n_inputs
        Independent inputs k (a ``draw_with`` group is one input).
    """

    base: FloatArray
    specs: tuple[_FactSpec, ...]
    n_inputs: int

    def facts(self, q: FloatArray) -> FloatArray:
        """(D, F) fact values from (D, k) quantiles in [0, 1]."""
        q = np.clip(np.asarray(q, dtype=np.float64), _Q_EDGE, 1 - _Q_EDGE)
        out = np.repeat(self.base[None, :], q.shape[0], axis=0)
        for s in self.specs:
            out[:, s.column] = _ppf(s, q[:, s.input])
        return out

    def draw(self, rng: np.random.Generator, n: int) -> FloatArray:
        """(n, F) random fact values."""
        return self.facts(rng.random((n, self.n_inputs)))


def _ppf(s: _FactSpec, q: FloatArray) -> FloatArray:
    """Quantile function of one fact's distribution (truncated to its range), elementwise on ``q`` in (0, 1).

    Triangular, normal and lognormal use the formulas of :mod:`scipy.stats` (``triang._ppf``, ``ndtri``/``ndtr``
    for the normal and the log of the lognormal) written out, with the same operations in the same order, so the
    values are scipy's bit for bit (tested) without importing scipy.stats, whose import costs a Dask worker about
    half a second of CPU before its first chunk. Beta uses scipy.stats itself.
    """
    if s.kind == "uniform":
        return s.lo + q * (s.hi - s.lo)
    if s.kind == "triangular":
        c, scale = (s.p1 - s.lo) / (s.hi - s.lo), s.hi - s.lo
        return np.asarray(np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q))) * scale + s.lo)
    if s.kind == "beta":
        from scipy import stats

        return np.asarray(stats.beta.ppf(q, s.p1, s.p2, loc=s.lo, scale=s.hi - s.lo))
    from scipy.special import ndtr, ndtri

    if s.kind == "normal":
        lo, hi = float(ndtr((s.lo - s.p1) / s.p2)), float(ndtr((s.hi - s.p1) / s.p2))
        return np.asarray(ndtri(lo + q * (hi - lo)) * s.p2 + s.p1)

    def cdf(x: float) -> float:  # lognormal with sigma p2 and median p1 (scipy's lognorm(p2, scale=p1))
        return 0.0 if x <= 0 else float(ndtr(np.log(x / s.p1) / s.p2))

    lo, hi = cdf(s.lo), cdf(s.hi)
    return np.asarray(np.exp(s.p2 * ndtri(lo + q * (hi - lo))) * s.p1 + 0.0)


def _spec(fact: Fact, value: float, column: int, inp: int) -> _FactSpec:
    lo, hi = (float(fact.range[0]), float(fact.range[1])) if fact.range is not None else (-math.inf, math.inf)
    d = fact.dist
    if d is None or d.kind == "uniform":
        return _FactSpec(column, inp, "uniform", lo, hi, 0.0, 0.0)
    if d.kind == "triangular":
        return _FactSpec(column, inp, "triangular", lo, hi, value if d.mode is None else float(d.mode), 0.0)
    if d.kind == "beta":
        return _FactSpec(column, inp, "beta", lo, hi, float(d.a or 0), float(d.b or 0))
    if d.kind == "normal":
        return _FactSpec(column, inp, "normal", lo, hi, value if d.mean is None else float(d.mean), float(d.sd or 0))
    return _FactSpec(column, inp, "lognormal", max(lo, 0.0), hi, value if d.median is None else float(d.median),
                     float(d.sigma or 0))


def uncertain_inputs(loaded: LoadedScenario, fact_ids: Sequence[str]
                     ) -> tuple[FactSampler, list[UncertainInput], list[str]]:
    """The sampler of a scenario's uncertain facts, its inputs (a fact or a ``draw_with`` group each) and the
    uncertain facts held at a ``--set`` override.

    Parameters
    ----------
    loaded
        The scenario with its fact values (overrides applied).
    fact_ids
        Column order of the fact matrices the sampler returns.
    """
    scn = loaded.scenario
    col = {fid: j for j, fid in enumerate(fact_ids)}
    held = [fid for fid, f in scn.facts.items() if is_uncertain(f) and fid in loaded.overrides]
    keys: dict[str, list[str]] = {}
    for fid, f in scn.facts.items():
        if is_uncertain(f) and fid not in loaded.overrides:
            keys.setdefault(f"group:{f.draw_with}" if f.draw_with else fid, []).append(fid)
    specs, inputs = [], []
    for k, (key, members) in enumerate(keys.items()):
        sp = [_spec(scn.facts[fid], loaded.facts[fid], col[fid], k) for fid in members]
        specs.extend(sp)
        ends = [_ppf(s, np.array([0.05, 0.95])) for s in sp]
        inputs.append(UncertainInput(
            id=key, facts=members, kinds=[s.kind for s in sp], low=[float(e[0]) for e in ends],
            high=[float(e[1]) for e in ends],
            spread=[scn.facts[fid].spread_source or scn.facts[fid].spread_assumption or "" for fid in members]))
    base = np.array([loaded.facts[fid] for fid in fact_ids], dtype=np.float64)
    return FactSampler(base=base, specs=tuple(specs), n_inputs=len(keys)), inputs, held
