r"""Opponent models: what the other side wants, learnt from the offers it makes.

Two models, both cheap enough to update every round and to score a band of candidate packages:

- :class:`FrequencyModel` — counts how often the opponent offers each option of each issue; options it offers
  often are taken to be ones it values, and issues on which it never moves to be ones it cares about (issue
  weights grow by :data:`FREQ_WEIGHT_STEP` each time it keeps an option). This is the HardHeaded model of
  van Krimpen et al. (2013), the usual frequency baseline (Baarslag et al. 2013).
- :class:`BayesianModel` — a posterior over K hypotheses about the opponent's political weights (the scenario's
  weights and perturbations of them). Hindriks and Tykhonov (2008) update over hypotheses with a likelihood of each
  offer; here an offer is likelier under a hypothesis the less utility it leaves on the table for the opponent
  under that hypothesis, because a rational opponent offers efficient packages.

References
----------
Hindriks, K. and Tykhonov, D. (2008). Opponent modelling in automated multi-issue negotiation using Bayesian
learning. *AAMAS 2008*, 331-338.

van Krimpen, T., Looije, D. and Hajizadeh, S. (2013). HardHeaded. *Complex Automated Negotiations*, Springer SCI
435, 223-227. https://doi.org/10.1007/978-3-642-30737-9_17

Baarslag, T., Hendrikx, M., Hindriks, K. and Jonker, C. (2013). Predicting the performance of opponent models in
automated negotiation. *IEEE/WIC/ACM WI-IAT 2013*, vol. 2, 59-66.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tradetalks.bargain.arena import PartyView

__all__ = ["BAYES_BETA", "FREQ_WEIGHT_STEP", "BayesianModel", "FrequencyModel", "OpponentModel"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Bayesian model: log-likelihood lost per unit of the opponent's range an offer leaves on the table under a
#: hypothesis (20: an offer 5 % of the range inside a hypothesis' frontier is e^-1 as likely under it).
BAYES_BETA = 20.0
#: Frequency model: weight added to an issue each time the opponent keeps its option (a HardHeaded-style rate).
FREQ_WEIGHT_STEP = 0.1


class OpponentModel(Protocol):
    """What an opponent-modelling strategy asks of its model."""

    def update(self, package: int) -> None: ...

    def estimate(self, packages: IntArray) -> FloatArray: ...


class FrequencyModel:
    """Frequency opponent model: how often the opponent offered each option of each issue, and how rarely it
    moved on each issue (issue weights grow by :data:`FREQ_WEIGHT_STEP` when it keeps an option).

    Parameters
    ----------
    issue_options
        Shape ``(n, I)``: option index per issue of every pool package.
    """

    def __init__(self, issue_options: IntArray) -> None:
        self.options = issue_options
        n_issues = issue_options.shape[1]
        self.counts = np.zeros((n_issues, int(issue_options.max(initial=0)) + 1))
        self.weights = np.ones(n_issues)
        self.rows = np.arange(n_issues)
        self.last: IntArray | None = None

    def update(self, package: int) -> None:
        opts = self.options[package]
        self.counts[self.rows, opts] += 1
        if self.last is not None:
            self.weights += FREQ_WEIGHT_STEP * (opts == self.last)
        self.last = opts

    def estimate(self, packages: IntArray) -> FloatArray:
        """Estimated opponent utility in [0, 1] of each package (0 before any offer was seen)."""
        top = self.counts.max(axis=1)
        if not top.any():
            return np.zeros(packages.size)
        values = self.counts[self.rows, self.options[packages]] / np.where(top > 0, top, 1.0)
        return np.asarray(values @ (self.weights / self.weights.sum()), dtype=np.float64)


class BayesianModel:
    r"""Bayesian opponent model over K hypotheses about the opponent's weights (the view's ``hypotheses``).

    An offer :math:`x` has likelihood :math:`\exp(-\beta\,\ell_k(x))` under hypothesis :math:`k`, where
    :math:`\ell_k(x)` is how much more the opponent could have had under :math:`k` among the candidates worth at
    least as much to me, as a share of its range under :math:`k`: a rational opponent does not leave utility on the
    table, so offers on the true frontier are likeliest under the true hypothesis. Uniform prior.
    """

    def __init__(self, view: PartyView, beta: float = BAYES_BETA) -> None:
        if "bayes" not in view.cache:
            h = view.hypotheses[view.menu.pool]
            low = h.min(axis=0) if h.size else np.zeros(view.hypotheses.shape[1])
            span = (h.max(axis=0) - low) if h.size else np.ones_like(low)
            view.cache["bayes"] = (np.maximum.accumulate(h, axis=0), low, np.where(span > 0, span, 1.0))
        self.view, self.beta = view, beta
        cached = view.cache["bayes"]
        assert isinstance(cached, tuple)
        self.best: FloatArray = cached[0]
        self.low: FloatArray = cached[1]
        self.scale: FloatArray = cached[2]
        self.log_post = np.zeros(view.hypotheses.shape[1])

    @property
    def posterior(self) -> FloatArray:
        """Posterior probability of each hypothesis (column 0: the scenario's weights)."""
        p = np.exp(self.log_post - self.log_post.max())
        return np.asarray(p / p.sum(), dtype=np.float64)

    def update(self, package: int) -> None:
        v = self.view
        j = int(np.searchsorted(v.menu.neg_own, -v.own[package], side="right")) - 1
        h = v.hypotheses[package]
        loss = np.maximum((self.best[j] if j >= 0 else h) - h, 0.0) / self.scale
        self.log_post = self.log_post - self.beta * loss
        self.log_post -= self.log_post.max()

    def estimate(self, packages: IntArray) -> FloatArray:
        """Posterior-mean opponent utility of each package, each hypothesis scaled to [0, 1] on the candidates."""
        return np.asarray(((self.view.hypotheses[packages] - self.low) / self.scale) @ self.posterior,
                          dtype=np.float64)
