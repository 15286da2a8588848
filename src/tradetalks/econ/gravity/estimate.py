"""PPML gravity estimation with high-dimensional fixed effects (through pyfixest), and no silent drops.

The structural gravity equation X_ij = exp(x_ij'β + fixed effects) · ε_ij is estimated by Poisson pseudo
maximum likelihood (Santos Silva & Tenreyro 2006), which keeps zero flows and is consistent under
heteroskedasticity. Fixed effects are exporter(-year) and importer(-year) effects, which absorb the multilateral
resistances and output/expenditure (Yotov et al. 2016, ch. 1), and pair effects in panels, which absorb all
time-invariant bilateral costs (Baier & Bergstrand 2007).

Before estimation every observation that cannot be used is removed *and reported with its reason*:

* ``missing``: a missing or non-finite value in the dependent variable, a regressor, a fixed effect, the offset
  or the cluster variable;
* ``separation``: every flow in one of the observation's fixed-effect groups is zero, so its fixed effect is
  −∞ and the observation carries no information (Correia, Guimarães & Zylkin 2020);
* ``singleton``: the observation is alone in one of its fixed-effect groups (it is fitted perfectly; dropping it
  leaves the estimates unchanged and keeps the standard errors right);

and anything pyfixest itself removes on top (e.g. separation detected from the regressors by the iterative
rectifier) is found by comparing its estimation sample with the input and reported as well.

pyfixest is imported inside the functions so that importing tradetalks stays fast.

References
----------
Santos Silva, J. M. C. & Tenreyro, S. (2006). The log of gravity. *Review of Economics and Statistics* 88(4),
641–658. https://doi.org/10.1162/rest.88.4.641
Correia, S., Guimarães, P. & Zylkin, T. (2020). Fast Poisson estimation with high-dimensional fixed effects.
*Stata Journal* 20(1), 95–115. https://doi.org/10.1177/1536867X20909691
Yotov, Y. V., Piermartini, R., Monteiro, J.-A. & Larch, M. (2016). *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*. WTO/UNCTAD. https://doi.org/10.30875/abc0167e-en
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from tradetalks.errors import ConvergenceError, DataError
from tradetalks.options import DropReason, SeparationCheck

#: IWLS convergence tolerance (relative change of the deviance), tighter than pyfixest's 1e-8 default so that
#: coefficients are stable to well beyond the third decimal
IWLS_TOL = 1e-10
#: tolerance of the sparse least-squares recovery of the fixed-effect values (pyfixest's default is 1e-6)
FIXEF_TOL = 1e-10


@dataclass(frozen=True)
class DroppedObservations:
    """Every input observation left out of an estimation, with the reason.

    Attributes
    ----------
    rows
        One row per dropped observation: ``row`` (the input frame's index label), ``reason`` (a
        :data:`DropReason`), ``detail`` (which column or fixed-effect group), followed by the caller's id columns
        (e.g. exporter, importer, year).
    n_input
        Number of observations handed to the estimator.
    """

    rows: pd.DataFrame
    n_input: int

    def __len__(self) -> int:
        return len(self.rows)

    def counts(self) -> dict[str, int]:
        """Number of dropped observations per reason."""
        return {str(k): int(v) for k, v in self.rows["reason"].value_counts(sort=False).items()}

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`rows`."""
        return self.rows.copy()

    def __repr__(self) -> str:
        return f"DroppedObservations({len(self)} of {self.n_input}: {self.counts()})"


@dataclass(frozen=True)
class PPMLResult:
    """A fitted PPML gravity regression.

    Attributes
    ----------
    formula
        The model in fixest notation with the caller's names, e.g. ``trade ~ RTA | exporter_year + ...``.
    coefficients, std_errors
        Estimates and standard errors by regressor (log points per unit of the regressor).
    vcov
        Variance estimator, e.g. ``CRV1 (cluster: pair)``, ``hetero``.
    n_obs, n_input
        Observations used, observations received.
    dropped
        Every observation not used, with the reason.
    fixed_effects
        Estimated fixed-effect values per fixed-effect column, indexed by level (normalised by pyfixest: one
        reference level per additional dimension is 0). Levels without a value (all observations dropped) are
        absent.
    collinear
        Regressors dropped by pyfixest for collinearity with the fixed effects or other regressors (no estimate).
    deviance
        Final Poisson deviance.
    fixef_max_error
        Largest |η − (x'β + Σ fixed effects + offset)| over the sample: how well the recovered fixed effects
        reproduce the linear predictor η (log of the fitted values).
    """

    formula: str
    coefficients: pd.Series
    std_errors: pd.Series
    vcov: str
    n_obs: int
    n_input: int
    dropped: DroppedObservations
    fixed_effects: Mapping[str, pd.Series] = field(repr=False)
    collinear: tuple[str, ...] = ()
    deviance: float = float("nan")
    fixef_max_error: float = float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table: ``term``, ``estimate``, ``std_error``, ``z``, ``p_value``, ``n_obs``."""
        from scipy.stats import norm

        z = self.coefficients / self.std_errors
        return pd.DataFrame({
            "term": self.coefficients.index, "estimate": self.coefficients.to_numpy(),
            "std_error": self.std_errors.to_numpy(), "z": z.to_numpy(),
            "p_value": 2 * norm.sf(np.abs(z.to_numpy())), "n_obs": self.n_obs,
        })

    def __repr__(self) -> str:
        terms = ", ".join(f"{k}={v:.4f} ({self.std_errors[k]:.4f})" for k, v in self.coefficients.items())
        return (f"PPMLResult({self.formula}; {terms}; N={self.n_obs} of {self.n_input}, "
                f"dropped {self.dropped.counts()}, vcov {self.vcov})")


def ppml(data: pd.DataFrame, *, dependent: str, regressors: Sequence[str], fixed_effects: Sequence[str],
         offset: str | None = None, cluster: str | None = None,
         separation: Sequence[SeparationCheck] = ("fe", "ir"), id_columns: Sequence[str] = (),
         tol: float = IWLS_TOL, max_iter: int = 200) -> PPMLResult:
    """Estimate a gravity equation by PPML with high-dimensional fixed effects.

    E[y | x, fe] = exp(x'β + Σ_k α_k[fe_k] + offset), fitted by ``pyfixest.fepois`` (IWLS with alternating
    projections, as ppmlhdfe).

    Parameters
    ----------
    data
        Long table, one row per observation (not modified).
    dependent
        Column of the flows y ≥ 0 (zeros are kept).
    regressors
        Columns of x (may be empty: a fixed-effects-only model).
    fixed_effects
        Columns whose levels define fixed effects (e.g. an exporter-year and an importer-year id, a pair id).
    offset
        Column added to the linear predictor with coefficient 1 (log scale), e.g. known trade costs.
    cluster
        Column to cluster standard errors by (CRV1); heteroskedasticity-robust when ``None``.
    separation
        pyfixest separation checks to run after tradetalks' own fixed-effect check (see :data:`SeparationCheck`).
    id_columns
        Columns copied into the dropped-observation report (e.g. exporter, importer, year).
    tol, max_iter
        IWLS tolerance and maximum number of iterations.

    Returns
    -------
    PPMLResult

    Raises
    ------
    DataError
        Negative flows; no observation left; fewer observations than parameters.
    ConvergenceError
        IWLS did not converge.
    """
    regressors, fixed_effects = list(regressors), list(fixed_effects)
    needed = list(dict.fromkeys([dependent, *regressors, *fixed_effects, *([offset] if offset else []),
                                 *([cluster] if cluster else []), *id_columns]))
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise DataError(f"the estimation data lack the column(s) {absent}.", received=list(data.columns),
                        fix="build these variables before estimating.")
    frame = data[needed].reset_index(drop=True)
    frame["__pos"] = np.arange(len(frame))
    _check_nonnegative(frame, dependent)
    drops: list[pd.DataFrame] = []
    frame = _drop_missing(frame, [dependent, *regressors, *fixed_effects, *([offset] if offset else []),
                                  *([cluster] if cluster else [])], drops)
    frame = _drop_separated_and_singletons(frame, dependent, fixed_effects, drops)
    if frame.empty:
        raise DataError("no observation is left to estimate on.", received=_summary(drops),
                        fix="check the sample (years, international/all) and the fixed effects.")
    model, names = _fit(frame, dependent, regressors, fixed_effects, offset, cluster, separation, tol, max_iter)
    sample = frame.iloc[np.asarray(model._data["__pos"], dtype=int)]
    lost = frame.loc[~frame["__pos"].isin(sample["__pos"])]
    if len(lost):
        if getattr(model, "n_separation_na", 0) == len(lost):
            drops.append(_report(lost, "separation", f"found by pyfixest's {'/'.join(separation)} check "
                                                     "(zeros predicted perfectly by the regressors)"))
        else:
            drops.append(_report(lost, "pyfixest", "removed by pyfixest (singleton or separation)"))
    return _result(model, names, sample, data, drops, fixed_effects, id_columns, cluster, dependent, offset)


def _check_nonnegative(frame: pd.DataFrame, dependent: str) -> None:
    values = pd.to_numeric(frame[dependent], errors="coerce")
    if (values < 0).any():
        raise DataError(f"PPML needs {dependent} ≥ 0; {int((values < 0).sum())} value(s) are negative.",
                        received=values[values < 0].head(5).tolist(), fix="correct or delete the negative flows.")


def _report(rows: pd.DataFrame, reason: DropReason, detail: str | pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"__pos": rows["__pos"].to_numpy(), "reason": reason})
    out["detail"] = detail.to_numpy() if isinstance(detail, pd.Series) else detail
    return out


def _summary(drops: list[pd.DataFrame]) -> dict[str, int]:
    if not drops:
        return {}
    return {str(k): int(v) for k, v in pd.concat(drops)["reason"].value_counts().items()}


def _drop_missing(frame: pd.DataFrame, columns: list[str], drops: list[pd.DataFrame]) -> pd.DataFrame:
    """Remove rows with a missing or non-finite value in any model column; record which columns."""
    bad = pd.DataFrame(index=frame.index)
    for col in dict.fromkeys(columns):
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values):
            bad[col] = ~np.isfinite(values.to_numpy(dtype=float))
        else:
            bad[col] = values.isna()
    mask = bad.any(axis=1)
    if mask.any():
        detail = bad[mask].apply(lambda r: "missing or non-finite " + ", ".join(r.index[r.to_numpy()]), axis=1)
        drops.append(_report(frame[mask], "missing", detail))
    return frame[~mask]


def _drop_separated_and_singletons(frame: pd.DataFrame, dependent: str, fixed_effects: list[str],
                                   drops: list[pd.DataFrame]) -> pd.DataFrame:
    """Iteratively remove observations in all-zero fixed-effect groups (separation) and singleton groups.

    Removing one kind can create the other (a group loses its only positive flow, or all but one member), so
    both checks repeat until nothing changes, as in ppmlhdfe (Correia, Guimarães & Zylkin 2020).
    """
    while fixed_effects and len(frame):
        removed = False
        for fe in fixed_effects:
            groups = frame.groupby(fe, sort=False, observed=True)[dependent]
            all_zero = groups.transform("max").to_numpy() <= 0
            single = groups.transform("size").to_numpy() == 1
            for mask, reason, what in ((all_zero, "separation", "all flows zero in"), (single, "singleton",
                                                                                     "only observation of")):
                if mask.any():
                    rows = frame[mask]
                    detail = f"{what} {fe} " + rows[fe].astype(str)
                    drops.append(_report(rows, reason, detail))  # type: ignore[arg-type]
                    frame = frame[~mask]
                    removed = True
                    break
            if removed:
                break
        if not removed:
            break
    return frame


def _safe_names(regressors: list[str], fixed_effects: list[str]) -> dict[str, str]:
    """Caller's column → formula-safe name (so any column name works in the fixest formula)."""
    names = {c: f"x{k}" for k, c in enumerate(regressors)}
    names.update({c: f"fe{k}" for k, c in enumerate(fixed_effects)})
    return names


def _fit(frame: pd.DataFrame, dependent: str, regressors: list[str], fixed_effects: list[str],
         offset: str | None, cluster: str | None, separation: Sequence[SeparationCheck], tol: float,
         max_iter: int) -> tuple[Any, dict[str, str]]:
    import pyfixest as pf

    names = _safe_names(regressors, fixed_effects)
    est = pd.DataFrame({"y": frame[dependent].to_numpy(dtype=float), "__pos": np.arange(len(frame))})
    for col in regressors:
        est[names[col]] = frame[col].to_numpy(dtype=float)
    for col in fixed_effects:
        est[names[col]] = frame[col].astype(str).to_numpy()
    if offset:
        est["off"] = frame[offset].to_numpy(dtype=float)
    if cluster:
        est["cl"] = frame[cluster].astype(str).to_numpy()
    rhs = " + ".join(names[c] for c in regressors) or "1"
    fml = f"y ~ {rhs}" + (f" | {' + '.join(names[c] for c in fixed_effects)}" if fixed_effects else "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = pf.fepois(fml, data=est, vcov={"CRV1": "cl"} if cluster else "hetero",
                              offset="off" if offset else None, iwls_tol=tol, iwls_maxiter=max_iter,
                              separation_check=list(separation) or None, fixef_tol=1e-10)
        except ValueError as exc:
            if "converge" in str(exc).lower():
                raise ConvergenceError("PPML (IWLS) did not converge.", diagnostics=str(exc),
                                       fix="raise max_iter, or simplify the fixed effects.") from None
            if "collinear" in str(exc).lower():
                raise DataError(f"every regressor {regressors} is collinear with the fixed effects.", received=fml,
                                fix="drop variables that do not vary within the fixed effects (e.g. distance "
                                    "with pair fixed effects).") from None
            raise DataError(f"pyfixest could not estimate the model: {exc}", received=fml,
                            fix="check the variables for collinearity and the sample size.") from None
    if getattr(model, "convergence", True) is not True:  # pyfixest stops at max_iter without raising
        raise ConvergenceError(f"PPML (IWLS) did not converge in {max_iter} iterations.",
                               diagnostics={"tol": tol, "max_iter": max_iter, "formula": fml},
                               fix="raise max_iter, or check for regressors that separate zero flows.")
    return model, names


def _result(model: Any, names: dict[str, str], sample: pd.DataFrame, data: pd.DataFrame,
            drops: list[pd.DataFrame], fixed_effects: list[str], id_columns: Sequence[str], cluster: str | None,
            dependent: str, offset: str | None) -> PPMLResult:
    back = {v: k for k, v in names.items()}
    coef = model.coef().rename(index=back)
    se = model.se().rename(index=back)
    regressors = [k for k, v in names.items() if v.startswith("x")]
    collinear = tuple(c for c in regressors if c not in coef.index)
    fes, err = _fixed_effects(model, names, fixed_effects, sample, coef, offset)
    rhs = " + ".join(regressors) or "1"
    formula = f"{dependent} ~ {rhs}" + (f" | {' + '.join(fixed_effects)}" if fixed_effects else "")
    return PPMLResult(
        formula=formula, coefficients=coef.rename(None).astype(float), std_errors=se.rename(None).astype(float),
        vcov=f"CRV1 (cluster: {cluster})" if cluster else "hetero", n_obs=int(model._N), n_input=len(data),
        dropped=_dropped(drops, data, id_columns), fixed_effects=fes, collinear=collinear,
        deviance=float(getattr(model, "deviance", np.nan)), fixef_max_error=err)


def _dropped(drops: list[pd.DataFrame], data: pd.DataFrame, id_columns: Sequence[str]) -> DroppedObservations:
    columns = ["row", "reason", "detail", *id_columns]
    if not drops:
        return DroppedObservations(pd.DataFrame(columns=columns), len(data))
    rows = pd.concat(drops, ignore_index=True).sort_values("__pos", kind="stable", ignore_index=True)
    pos = rows["__pos"].to_numpy()
    rows["row"] = data.index[pos]
    ids = data.iloc[pos][list(id_columns)].reset_index(drop=True)
    return DroppedObservations(pd.concat([rows, ids], axis=1)[columns], len(data))


def _fixed_effects(model: Any, names: dict[str, str], fixed_effects: list[str], sample: pd.DataFrame,
                   coefficients: pd.Series, offset: str | None) -> tuple[dict[str, pd.Series], float]:
    """Fixed-effect values by level (reference levels 0) and how well they rebuild the linear predictor."""
    if not fixed_effects:
        return {}, 0.0
    raw = model.fixef(atol=FIXEF_TOL, btol=FIXEF_TOL)
    out: dict[str, pd.Series] = {}
    rebuilt = np.zeros(len(sample))
    for col in fixed_effects:
        values = raw.get(f"C({names[col]})", {})
        levels = sample[col]
        keys = pd.Index(pd.unique(levels))
        series = pd.Series([float(values.get(str(k), 0.0)) for k in keys], index=keys, dtype=float)
        out[col] = series
        rebuilt += series.reindex(levels).to_numpy()
    for reg, beta in coefficients.items():
        rebuilt += beta * sample[reg].to_numpy(dtype=float)
    if offset:
        rebuilt += sample[offset].to_numpy(dtype=float)
    eta = np.asarray(model._Y_hat_link, dtype=float).ravel()
    return out, float(np.max(np.abs(eta - rebuilt)))


def predict_log(result: PPMLResult, data: pd.DataFrame, *, regressors: Sequence[str] | None = None,
                offset: str | None = None) -> np.ndarray:
    """Linear predictor x'β + Σ fixed effects (+ offset) for the rows of ``data`` (NaN for unseen levels).

    ``data`` must hold the regressor and fixed-effect columns of the estimation. Regressors dropped for
    collinearity contribute nothing.
    """
    regs = [r for r in (regressors if regressors is not None else result.coefficients.index)
            if r in result.coefficients.index]
    eta = np.zeros(len(data))
    for r in regs:
        eta += result.coefficients[r] * data[r].to_numpy(dtype=float)
    for col, values in result.fixed_effects.items():
        eta += values.reindex(data[col]).to_numpy()
    if offset:
        eta += data[offset].to_numpy(dtype=float)
    return eta


@dataclass(frozen=True)
class PairEffectFill:
    """Pair effects of a cross-section, with the missing ones predicted by a second-stage regression.

    Attributes
    ----------
    values
        log pair effect per row of the cross-section (estimated, or predicted where it was missing).
    filled
        Index labels of the rows whose effect was predicted.
    regression
        The second stage: PPML of exp(pair effect) on gravity variables with exporter and importer fixed effects
        on the international pairs that have an estimated effect.
    """

    values: pd.Series
    filled: pd.Index
    regression: PPMLResult

    def __repr__(self) -> str:
        return f"PairEffectFill({len(self.filled)} of {len(self.values)} filled; {self.regression!r})"


def fill_pair_effects(pairs: pd.DataFrame, *, pair_effect: str, variables: Sequence[str],
                      exporter: str = "exporter", importer: str = "importer") -> PairEffectFill:
    """Predict missing pair fixed effects from gravity variables (Yotov et al. 2016, ch. 2, app. 2, step I.b).

    Pairs whose flows are all zero in the estimation panel have no pair effect. As in the book's NAFTA
    application, exp(pair effect) of the international pairs that have one is regressed by PPML on the gravity
    variables (e.g. log distance, contiguity, language, colony) with exporter and importer fixed effects, and
    the prediction replaces the missing effects.

    Parameters
    ----------
    pairs
        One row per exporter–importer pair of the baseline year with ``pair_effect`` (log; NaN where missing)
        and ``variables``.
    pair_effect, variables, exporter, importer
        Column names.

    Raises
    ------
    DataError
        A missing effect cannot be predicted (its exporter or importer has no fixed effect in the second stage).
    """
    international = pairs[exporter] != pairs[importer]
    known = pairs[pair_effect].notna()
    stage = pairs.loc[international & known].assign(exp_pair_effect=lambda f: np.exp(f[pair_effect]))
    regression = ppml(stage, dependent="exp_pair_effect", regressors=list(variables),
                      fixed_effects=[exporter, importer], separation=(), id_columns=[exporter, importer])
    missing = pairs.index[~known]
    predicted = pd.Series(predict_log(regression, pairs.loc[missing]), index=missing)
    if predicted.isna().any():
        bad = pairs.loc[predicted.index[predicted.isna()], [exporter, importer]].head(5).to_dict("records")
        raise DataError("some missing pair effects cannot be predicted by the second stage.", received=bad,
                        fix="drop these countries, or estimate without pair fixed effects.")
    values = pairs[pair_effect].astype(float).copy()
    values.loc[missing] = predicted
    return PairEffectFill(values=values, filled=missing, regression=regression)
