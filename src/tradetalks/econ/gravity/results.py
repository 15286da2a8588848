"""Frozen result types of the structural-gravity GE solvers, and their string options.

Every array field documents its shape and unit. Changes are in per cent (``12.5`` means +12.5 %); levels are in
the units of the trade data given (e.g. millions of USD), measured in the numeraire of the counterfactual (the
consumer price index of the reference importer, ``P_reference = 1``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, get_args

import numpy as np
import pandas as pd

from tradetalks.errors import DataError
from tradetalks.options import DeficitClosure, GEKind, MultiSectorDeficitClosure

GE_KINDS: tuple[str, ...] = get_args(GEKind)
DEFICIT_CLOSURES: tuple[str, ...] = get_args(DeficitClosure)
MULTISECTOR_DEFICIT_CLOSURES: tuple[str, ...] = get_args(MultiSectorDeficitClosure)


def _frozen_array(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=float, copy=True)
    out.setflags(write=False)
    return out


def pct_change(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Per cent change ``(new / old - 1) * 100``, NaN where ``old <= 0`` (no baseline to compare with).

    >>> pct_change(np.array([110.0, 5.0]), np.array([100.0, 0.0])).round(6).tolist()
    [10.0, nan]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(old > 0, (new / old - 1.0) * 100.0, np.nan)


class _CounterfactualTables:
    """What the one-sector and the multi-sector counterfactual results share: frozen arrays, the country table,
    the bilateral % change of trade and the one-line summary of the range of a measure across countries."""

    #: array fields frozen (copied, read-only) after construction
    _ARRAYS: ClassVar[tuple[str, ...]]
    #: per-country % change fields, in ``to_frame`` column order
    _COUNTRY: ClassVar[tuple[str, ...]]
    countries: tuple[str, ...]
    trade_baseline: np.ndarray
    trade_counterfactual: np.ndarray

    def __post_init__(self) -> None:
        for name in self._ARRAYS:
            object.__setattr__(self, name, _frozen_array(getattr(self, name)))

    def _country_frame(self, output_baseline: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame({name: getattr(self, name) for name in self._COUNTRY},
                             index=pd.Index(self.countries, name="country"))
        frame.insert(0, "output_baseline", output_baseline)
        frame.attrs["units"] = "% change from baseline, except output_baseline (data units)"
        return frame

    def _trade_columns(self) -> dict[str, np.ndarray]:
        base, new = self.trade_baseline, self.trade_counterfactual
        return {"trade_baseline": base, "trade_counterfactual": new, "change": pct_change(new, base)}

    def _range(self, values: np.ndarray) -> str:
        order = np.argsort(values)
        lo, hi, c = order[0], order[-1], self.countries
        return f"from {values[lo]:+.3f} ({c[lo]}) to {values[hi]:+.3f} ({c[hi]})"


@dataclass(frozen=True)
class SolverDiagnostics:
    """How a GE solve went.

    Attributes
    ----------
    method
        Algorithm used, e.g. ``"newton-log"`` (Newton on the log system with an analytic Jacobian and backtracking)
        or ``"book-loop"`` (the iterative procedure of Yotov et al. 2016, ch. 2; see
        :func:`~tradetalks.econ.gravity.book_loop.book_loop_counterfactual`).
    iterations
        Newton (or outer fixed-point / PPML re-estimation) iterations taken.
    tolerance
        Convergence tolerance: on the largest residual for Newton (residuals are relative: ``log(demand /
        supply)``); the book loop's ``stop`` on the change of factory-gate price changes.
    converged
        Whether the solver met its stopping rule: for Newton, every residual within ``tolerance``; for the book
        loop, its own rule (``stop_rule``), which says nothing about the equilibrium residuals. A solver never
        returns a result with ``converged=False``; it raises :class:`tradetalks.errors.ConvergenceError` carrying
        these diagnostics instead.
    residuals
        Largest absolute residual of each block of equations at the solution, e.g. ``market_clearing``
        (max_i |Σ_j X_ij / Y_i − 1|), ``budget`` (max_j |Σ_i X_ij / (E_j − R_j) − 1|), ``price_index``
        (max_j |P_j^(1−σ) − Σ_i π_ij (p̂_i t̂_ij)^(1−σ)| relative), ``normalisation`` (|P̂_ref − 1|).
    market_clearing
        Per-country market-clearing residual Σ_j X_ij / Y_i − 1, shape (n,).
    stop_rule
        What an iterative procedure with its own stopping rule reached when it stopped (empty for Newton), e.g.
        the book loop's ``stop``, ``sd_price_change`` and ``max_price_change``.
    """

    method: str
    iterations: int
    tolerance: float
    converged: bool
    residuals: Mapping[str, float]
    market_clearing: np.ndarray = field(repr=False)
    stop_rule: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "residuals", MappingProxyType(dict(self.residuals)))
        object.__setattr__(self, "stop_rule", MappingProxyType(dict(self.stop_rule)))
        object.__setattr__(self, "market_clearing", _frozen_array(self.market_clearing))

    @property
    def max_residual(self) -> float:
        """Largest residual over all equation blocks."""
        return max(self.residuals.values()) if self.residuals else 0.0

    def __str__(self) -> str:
        res = ", ".join(f"{k}={v:.2e}" for k, v in self.residuals.items())
        state = "converged" if self.converged else "NOT converged"
        rule = "".join(f"; {k}={v:.2e}" for k, v in self.stop_rule.items())
        return f"{self.method}: {state} in {self.iterations} iterations (tol {self.tolerance:.1e}{rule}; {res})"


@dataclass(frozen=True)
class Baseline:
    """A structural-gravity baseline: multilateral resistances and the model-implied ("fitted") trade matrix.

    Attributes
    ----------
    countries
        Country labels, length n (row and column order of every matrix).
    reference
        Index of the reference importer, whose inward multilateral resistance is the numeraire (P_ref = 1).
    output
        Y_i, shape (n,), units of the data.
    expenditure
        E_j, shape (n,), units of the data.
    phi
        φ_ij = t_ij^(1−σ), shape (n, n), exporters in rows.
    trade
        X_ij = Y_i E_j / Y · φ_ij / (Π_i^(1−σ) P_j^(1−σ)), shape (n, n), exporters in rows; row sums equal Y and
        column sums equal E (the adding-up property of PPML with exporter and importer fixed effects).
    omr
        Outward multilateral resistance as the (1−σ) power, Π_i^(1−σ), shape (n,). (σ is not needed to solve the
        baseline; take the 1/(1−σ) power for levels.)
    imr
        Inward multilateral resistance as the (1−σ) power, P_j^(1−σ), shape (n,), with ``imr[reference] == 1``.
    diagnostics
        Solver diagnostics.
    """

    countries: tuple[str, ...]
    reference: int
    output: np.ndarray = field(repr=False)
    expenditure: np.ndarray = field(repr=False)
    phi: np.ndarray = field(repr=False)
    trade: np.ndarray = field(repr=False)
    omr: np.ndarray = field(repr=False)
    imr: np.ndarray = field(repr=False)
    diagnostics: SolverDiagnostics

    def __post_init__(self) -> None:
        for name in ("output", "expenditure", "phi", "trade", "omr", "imr"):
            object.__setattr__(self, name, _frozen_array(getattr(self, name)))

    def to_frame(self) -> pd.DataFrame:
        """Country table: output, expenditure, intranational trade and both resistances (as (1−σ) powers)."""
        return pd.DataFrame(
            {
                "output": self.output,
                "expenditure": self.expenditure,
                "intranational": np.diag(self.trade).copy(),
                "omr_pow": self.omr,
                "imr_pow": self.imr,
            },
            index=pd.Index(self.countries, name="country"),
        )

    def bilateral_frame(self) -> pd.DataFrame:
        """Long table of the fitted trade matrix, indexed by (exporter, importer)."""
        return _bilateral(self.countries, {"trade": self.trade, "phi": self.phi})

    def __repr__(self) -> str:
        n = len(self.countries)
        return (
            f"Baseline(n={n}, reference={self.countries[self.reference]!r}, "
            f"world output={self.output.sum():,.6g}; {self.diagnostics})"
        )


#: per-country fields of :class:`Counterfactual`, in ``to_frame`` column order
COUNTRY_FIELDS: tuple[str, ...] = (
    "exports",
    "imports",
    "intranational",
    "output",
    "expenditure",
    "factory_gate_price",
    "imr",
    "omr",
    "real_gdp",
    "welfare",
    "terms_of_trade",
)


@dataclass(frozen=True)
class Counterfactual(_CounterfactualTables):
    """Result of a one-sector structural-gravity counterfactual.

    Every per-country field is a % change from the baseline, shape (n,), in the numeraire P_ref = 1 (the
    reference importer's consumer price index, as in Yotov et al. 2016).

    Attributes
    ----------
    countries, reference, kind, sigma, deficits
        Labels (n), the reference importer's index, ``"conditional"`` or ``"full"``, the elasticity of
        substitution σ and the deficit closure (full endowment only).
    exports
        % change in exports excluding intranational trade, Σ_{j≠i} X_ij (values the exporter receives).
    imports
        % change in imports excluding intranational trade, Σ_{i≠j} X_ij (before tariffs).
    intranational
        % change in intranational trade X_ii.
    output
        % change in the value of output Y_i = p_i Q_i (0 in conditional GE).
    expenditure
        % change in expenditure E_j including tariff revenue (0 in conditional GE without tariffs).
    factory_gate_price
        % change in the factory-gate price p_i (0 in conditional GE).
    imr
        % change in the inward multilateral resistance P_j (the consumer price index); 0 for the reference.
    omr
        % change in the outward multilateral resistance Π_i, from Y_i / Y = (β_i p_i Π_i)^(1−σ) in full GE.
    real_gdp
        % change in real GDP p_i / P_i (= Y_i / P_i up to fixed quantities), the book's welfare measure.
    welfare
        % change in real expenditure E_j / P_j (real income incl. tariff revenue and the deficit); equals
        ``real_gdp`` without tariffs under the ``"ratio"`` closure up to the world rescaling factor.
    terms_of_trade
        % change in p_i relative to the geometric mean of partners' factory-gate prices weighted by baseline
        import shares (excluding intranational trade); 0 in conditional GE.
    trade_baseline, trade_counterfactual
        X_ij before and after, shape (n, n), exporters in rows, values the exporter receives (before tariffs).
    tariff_revenue_baseline, tariff_revenue_counterfactual
        R_j = Σ_i τ_ij X_ij, shape (n,), levels (zeros without tariffs).
    diagnostics
        Solver diagnostics (iterations, residual of each equation block, tolerance).
    """

    countries: tuple[str, ...]
    reference: int
    kind: GEKind
    sigma: float
    deficits: DeficitClosure
    exports: np.ndarray = field(repr=False)
    imports: np.ndarray = field(repr=False)
    intranational: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    expenditure: np.ndarray = field(repr=False)
    factory_gate_price: np.ndarray = field(repr=False)
    imr: np.ndarray = field(repr=False)
    omr: np.ndarray = field(repr=False)
    real_gdp: np.ndarray = field(repr=False)
    welfare: np.ndarray = field(repr=False)
    terms_of_trade: np.ndarray = field(repr=False)
    trade_baseline: np.ndarray = field(repr=False)
    trade_counterfactual: np.ndarray = field(repr=False)
    tariff_revenue_baseline: np.ndarray = field(repr=False)
    tariff_revenue_counterfactual: np.ndarray = field(repr=False)
    diagnostics: SolverDiagnostics

    _ARRAYS: ClassVar[tuple[str, ...]] = (*COUNTRY_FIELDS, "trade_baseline", "trade_counterfactual",
                                          "tariff_revenue_baseline", "tariff_revenue_counterfactual")
    _COUNTRY: ClassVar[tuple[str, ...]] = COUNTRY_FIELDS

    def to_frame(self) -> pd.DataFrame:
        """Country table: one row per country, one column per % change in :data:`COUNTRY_FIELDS`."""
        frame = self._country_frame(self.trade_baseline.sum(axis=1))
        frame.attrs["kind"] = self.kind
        return frame

    def bilateral_frame(self) -> pd.DataFrame:
        """Long table indexed by (exporter, importer): trade before, after and its % change."""
        return _bilateral(self.countries, self._trade_columns())

    def __repr__(self) -> str:
        c = self.countries
        return (f"Counterfactual(kind={self.kind!r}, n={len(c)}, sigma={self.sigma:g}, "
                f"reference={c[self.reference]!r}, real GDP % change {self._range(self.real_gdp)}; "
                f"{self.diagnostics})")


def _bilateral(countries: tuple[str, ...], matrices: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(countries)
    index = pd.MultiIndex.from_product([countries, countries], names=["exporter", "importer"])
    assert all(m.shape == (n, n) for m in matrices.values())
    return pd.DataFrame({k: np.asarray(v).reshape(-1) for k, v in matrices.items()}, index=index)


#: per-country fields of :class:`MultiSectorCounterfactual`, in ``to_frame`` column order
MULTISECTOR_COUNTRY_FIELDS: tuple[str, ...] = (
    "exports",
    "imports",
    "output",
    "wage",
    "price_index",
    "real_gdp",
    "welfare",
    "terms_of_trade",
    "volume_of_trade",
)
#: per-country-and-sector fields of :class:`MultiSectorCounterfactual`, in ``sector_frame`` column order
MULTISECTOR_SECTOR_FIELDS: tuple[str, ...] = (
    "sector_output",
    "sector_price",
    "sector_exports",
    "sector_imports",
    "unit_cost",
)


@dataclass(frozen=True)
class MultiSectorCounterfactual(_CounterfactualTables):
    """Result of a multi-sector counterfactual with input–output links (Caliendo & Parro 2015).

    Per-country fields are % changes, shape (N,); per-country-and-sector fields are % changes, shape (N, J);
    trade matrices are levels, shape (J, N, N) indexed [sector, exporter, importer], before tariffs. The numeraire
    is the reference importer's consumer price index P_ref = Π_j P_ref,j^α_ref,j.

    Attributes
    ----------
    countries, sectors, reference, sigma, deficits
        Labels (N and J), the reference importer's index, σ_j per sector (shape (J,); the trade elasticity is
        σ_j − 1) and the deficit closure (:data:`~tradetalks.options.MultiSectorDeficitClosure`).
    exports, imports
        % change in exports / imports over all sectors, excluding intranational trade.
    output
        % change in gross output over all sectors.
    wage
        % change in the price of value added ŵ_n (labour is the one factor; the factory-gate price of the
        one-sector model when there is one sector and no intermediates).
    price_index
        % change in the consumer price index P_n = Π_j P_nj^α_nj.
    real_gdp
        % change in real value added ŵ_n / P̂_n.
    welfare
        % change in real income Î_n / P̂_n, I_n = w_n L_n + R_n + D_n (tariff revenue and deficit included).
    terms_of_trade, volume_of_trade
        Caliendo & Parro's (2015, eq. 28 and Table 2) decomposition of the welfare change, in % of baseline income
        I_n, shape (N,): sums over sectors j and partners i of the ``tot_contribution`` and ``vot_contribution``
        below. Their sum is the first-order welfare change that Caliendo & Parro report as "Total"; it differs
        from the exact ``welfare`` by second-order terms.
    sector_output, sector_price, sector_exports, sector_imports, unit_cost
        % changes by country and sector, shape (N, J): gross output, sector price index P_nj, exports and imports
        excluding intranational trade (NaN where the baseline value is zero), and the unit cost of the input
        bundle c_nj.
    tot_contribution
        Terms-of-trade effect by sector and partner, shape (J, N, N) indexed [sector j, country n, partner i], in %
        of I_n: (E_nij · (ĉ_nj − 1) − M_nij · (ĉ_ij − 1)) / I_n, where E_nij are n's exports to i and M_nij its
        imports from i (before tariffs, baseline) and ĉ the unit-cost changes measured with world value added as
        the numeraire (as in the authors' code; the terms cancel for i = n).
    vot_contribution
        Volume-of-trade effect, same shape and unit: τ_nij · M_nij · ((M̂_nij − 1) − (ĉ_ij − 1)) / I_n, with the
        baseline tariff τ_nij of importer n on partner i; zero where there is no baseline trade.
    income_baseline, value_added_baseline
        I_n and V_n = w_n L_n, shape (N,), levels.
    trade_baseline, trade_counterfactual
        X[j, i, n], shape (J, N, N).
    tariff_revenue_baseline, tariff_revenue_counterfactual
        R_n, shape (N,), levels.
    diagnostics
        Solver diagnostics.
    """

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    reference: int
    sigma: np.ndarray = field(repr=False)
    deficits: MultiSectorDeficitClosure
    exports: np.ndarray = field(repr=False)
    imports: np.ndarray = field(repr=False)
    output: np.ndarray = field(repr=False)
    wage: np.ndarray = field(repr=False)
    price_index: np.ndarray = field(repr=False)
    real_gdp: np.ndarray = field(repr=False)
    welfare: np.ndarray = field(repr=False)
    terms_of_trade: np.ndarray = field(repr=False)
    volume_of_trade: np.ndarray = field(repr=False)
    sector_output: np.ndarray = field(repr=False)
    sector_price: np.ndarray = field(repr=False)
    sector_exports: np.ndarray = field(repr=False)
    sector_imports: np.ndarray = field(repr=False)
    unit_cost: np.ndarray = field(repr=False)
    tot_contribution: np.ndarray = field(repr=False)
    vot_contribution: np.ndarray = field(repr=False)
    income_baseline: np.ndarray = field(repr=False)
    value_added_baseline: np.ndarray = field(repr=False)
    trade_baseline: np.ndarray = field(repr=False)
    trade_counterfactual: np.ndarray = field(repr=False)
    tariff_revenue_baseline: np.ndarray = field(repr=False)
    tariff_revenue_counterfactual: np.ndarray = field(repr=False)
    diagnostics: SolverDiagnostics

    _ARRAYS: ClassVar[tuple[str, ...]] = ("sigma", *MULTISECTOR_COUNTRY_FIELDS, *MULTISECTOR_SECTOR_FIELDS,
                                          "tot_contribution", "vot_contribution", "income_baseline",
                                          "value_added_baseline", "trade_baseline", "trade_counterfactual",
                                          "tariff_revenue_baseline", "tariff_revenue_counterfactual")
    _COUNTRY: ClassVar[tuple[str, ...]] = MULTISECTOR_COUNTRY_FIELDS

    def to_frame(self) -> pd.DataFrame:
        """Country table: one row per country, % changes in :data:`MULTISECTOR_COUNTRY_FIELDS`."""
        return self._country_frame(self.trade_baseline.sum(axis=(0, 2)))

    def sector_frame(self) -> pd.DataFrame:
        """Country × sector table of % changes in :data:`MULTISECTOR_SECTOR_FIELDS`."""
        index = pd.MultiIndex.from_product([self.countries, self.sectors], names=["country", "sector"])
        return pd.DataFrame({k: getattr(self, k).reshape(-1) for k in MULTISECTOR_SECTOR_FIELDS}, index=index)

    @property
    def world_value_added_deflator(self) -> float:
        """Factor that re-expresses counterfactual levels with world value added as the numeraire (Σ ŵ V = Σ V).

        Caliendo & Parro's code keeps world value added fixed; multiply ``trade_counterfactual`` by this factor to
        compare nominal changes (e.g. import growth, their Table 5) with theirs. Real changes do not depend on it.
        """
        va = self.value_added_baseline
        return float(va.sum() / (va * (1.0 + self.wage / 100.0)).sum())

    def welfare_split(self, partners: Sequence[str]) -> pd.DataFrame:
        """Terms-of-trade and volume-of-trade effects with a group of partners and with everyone else.

        Parameters
        ----------
        partners
            Country labels of the group (e.g. the NAFTA members; Caliendo & Parro 2015, Table 3).

        Returns
        -------
        pandas.DataFrame
            One row per country; columns ``tot_with_group``, ``tot_with_rest``, ``vot_with_group``,
            ``vot_with_rest`` in % of baseline income.
        """
        unknown = [p for p in partners if p not in self.countries]
        if unknown:
            raise DataError(
                "welfare_split needs country labels of this counterfactual.",
                received=unknown,
                fix=f"use labels among {', '.join(self.countries)}.",
            )
        inside = np.isin(np.array(self.countries), np.array(list(partners)))
        tot = self.tot_contribution.sum(axis=0)
        vot = self.vot_contribution.sum(axis=0)
        return pd.DataFrame(
            {
                "tot_with_group": tot[:, inside].sum(axis=1),
                "tot_with_rest": tot[:, ~inside].sum(axis=1),
                "vot_with_group": vot[:, inside].sum(axis=1),
                "vot_with_rest": vot[:, ~inside].sum(axis=1),
            },
            index=pd.Index(self.countries, name="country"),
        )

    def bilateral_frame(self) -> pd.DataFrame:
        """Long table indexed by (sector, exporter, importer): trade before, after and its % change."""
        index = pd.MultiIndex.from_product(
            [self.sectors, self.countries, self.countries], names=["sector", "exporter", "importer"]
        )
        return pd.DataFrame({k: v.reshape(-1) for k, v in self._trade_columns().items()}, index=index)

    def __repr__(self) -> str:
        c = self.countries
        return (f"MultiSectorCounterfactual(N={len(c)}, J={len(self.sectors)}, reference={c[self.reference]!r}, "
                f"welfare % change {self._range(self.welfare)}; {self.diagnostics})")
