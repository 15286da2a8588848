"""Caliendo & Parro's (2015) calibration data (31 economies, 40 sectors) as inputs of the multi-sector solver.

The files are the input files of the authors' replication package (``../shared/data/cp2015/``, see its README):
bilateral imports in 1993 (thousand USD, before tariffs, row = importer), applied tariffs of 1993 and 2005 (per
cent), input–output coefficients (columns sum to one), value-added shares and gross output by sector and country,
and the trade elasticities θ_j of the 20 tradable sectors (the 20 service sectors use θ = 8.22, as in the
authors' code). :func:`load_cp2015` turns them into the arrays of :func:`~tradetalks.econ.gravity.multisector.
solve_multisector` the way the authors' code does:

* home sales X[j, n, n] = gross output − exports; where reported gross output is below exports (26 country-sectors)
  gross output is raised to exports and home sales are zero;
* input shares γ[n, j, k] = (1 − β_nj) · IO_n[k, j], with β the value-added share; one IO coefficient is negative
  (−0.0008, Canada, "Other" inputs into basic metals): it is set to zero and that column rescaled to one, keeping
  the value-added share;
* final-demand shares α_nj = max(X_nj − Σ_k γ_nk,j Y_nk, 0), normalised per country (the data imply negative final
  demand in 185 country-sectors; the authors truncate them to zero the same way).

The data are not an equilibrium of the model (truncated shares, raised gross output), so :func:`base_year` first
solves the model without a shock, keeping the observed deficits as a share of world value added, and then removes
the deficits, as the authors do before their counterfactuals ("zero-deficit base year", Caliendo & Parro 2015,
section 4.1). Tariff changes are then solved from that base year with :func:`counterfactual`. The paper's
alternative models of Table 11 (one sector, no materials, no input–output links) are read with ``model=``, set up
as the authors' scripts do. ``tests/test_cp2015.py`` reproduces the published Tables 2, 3, 5, 11 and A4.

References
----------
Caliendo, L. & Parro, F. (2015). Estimates of the Trade and Welfare Effects of NAFTA. *Review of Economic
Studies* 82(1), 1–44. doi:10.1093/restud/rdu035 (replication package: RES supplementary data, folder
``Counterfactuals``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from tradetalks.econ.gravity.checks import check_option
from tradetalks.econ.gravity.multisector import solve_multisector
from tradetalks.econ.gravity.results import MultiSectorCounterfactual
from tradetalks.errors import DataError, NotFoundError
from tradetalks.options import CP2015Model, MultiSectorDeficitClosure

__all__ = [
    "NAFTA",
    "CP2015Data",
    "advance",
    "base_year",
    "counterfactual",
    "import_growth",
    "load_cp2015",
    "nafta_tariffs",
    "without_deficits",
]

#: the files of the authors' package read here (folder ``cp2015_original``), and the index files
FILES = ("xbilat1993.txt", "tariffs1993.txt", "tariffs2005.txt", "IO.txt", "B.txt", "GO.txt", "T.txt")
ORIGINAL = "cp2015_original"
#: trade elasticity of the 20 service sectors in the authors' code
SERVICES_THETA = 8.22
#: the aggregate trade elasticity the authors' one-sector model uses (their estimate: 4.546, s.e. 0.352; file
#: cp2015_elasticity_estimates/aggregate_results.csv)
AGGREGATE_THETA = 4.55
#: the authors' flows are in thousand USD
THOUSAND = 1e3
#: country that is the numeraire of the solver (real results do not depend on it with the closures used here)
REFERENCE = "USA"
NAFTA = ("CAN", "MEX", "USA")
OBSERVED_DEFICITS = "1993 base year with the observed deficits"
ZERO_DEFICITS = "1993 base year without deficits"


@dataclass(frozen=True)
class CP2015Data:
    """Caliendo & Parro's data as solver inputs, or a base year derived from them by :func:`base_year`.

    Attributes
    ----------
    countries, sectors : tuple of str
        31 ISO3 codes (``ROW`` = constructed rest of the world) and 40 sector names, in the files' order.
    tradable : int
        Number of tradable sectors (the first 20).
    trade : numpy.ndarray
        X[j, i, n], shape (40, 31, 31): sector-j flows from exporter i to importer n before tariffs, USD of 1993,
        home sales on the diagonal.
    io_shares : numpy.ndarray
        γ[n, j, k], shape (31, 40, 40): cost share of sector-k inputs in sector j's gross output of country n.
    final_shares : numpy.ndarray
        α[n, j], shape (31, 40): share of sector j in country n's final demand.
    tariffs_1993, tariffs_2005 : numpy.ndarray
        τ[j, i, n], shape (40, 31, 31), fractions (0.05 = 5 %): importer n's applied tariff on exporter i's
        sector-j goods; zero for services.
    tariffs : numpy.ndarray
        The tariffs in force in ``trade`` (``tariffs_1993`` for the data and the authors' base year).
    theta : numpy.ndarray
        Trade elasticities θ_j, shape (40,), as used by the authors' code (``T.txt``; 8.22 for services).
    directory : str
        Where the files were read.
    state : str
        What ``trade`` is: ``"data"``, or the base year :func:`base_year` built.
    model : str
        Production structure (:data:`~tradetalks.options.CP2015Model`): ``"benchmark"``, ``"no-io"`` or
        ``"no-materials"``.
    """

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    tradable: int
    trade: np.ndarray = field(repr=False)
    io_shares: np.ndarray = field(repr=False)
    final_shares: np.ndarray = field(repr=False)
    tariffs_1993: np.ndarray = field(repr=False)
    tariffs_2005: np.ndarray = field(repr=False)
    tariffs: np.ndarray = field(repr=False)
    theta: np.ndarray = field(repr=False)
    directory: str
    state: str = "data"
    model: CP2015Model = "benchmark"

    @property
    def sigma(self) -> np.ndarray:
        """σ_j = θ_j + 1, the solver's Armington elasticities, shape (40,)."""
        return np.asarray(self.theta + 1.0)

    def index(self, country: str) -> int:
        """Position of a country code; :class:`DataError` naming the codes when absent."""
        if country not in self.countries:
            raise DataError(
                f"country {country!r} is not in Caliendo & Parro's data.",
                received=country,
                fix=f"use one of {', '.join(self.countries)}",
            )
        return self.countries.index(country)

    def sector(self, name: str) -> int:
        """Position of a sector name (see ``sectors.csv``); :class:`DataError` naming the sectors when absent."""
        if name not in self.sectors:
            raise DataError(
                f"sector {name!r} is not in Caliendo & Parro's data.",
                received=name,
                fix=f"use one of {', '.join(self.sectors)}",
            )
        return self.sectors.index(name)


def _read(directory: Path, name: str, shape: tuple[int, ...]) -> np.ndarray:
    path = directory / ORIGINAL / name
    try:
        a = np.loadtxt(path, ndmin=2)
    except ValueError as exc:
        raise DataError(f"{path} is not a table of numbers.", received=str(exc), fix="restore the file.") from exc
    if a.size != int(np.prod(shape)) or not np.all(np.isfinite(a)):
        raise DataError(
            f"{path} does not have the layout of Caliendo & Parro's package.",
            received=f"shape {a.shape}, finite: {bool(np.all(np.isfinite(a)))}",
            fix=f"use the unmodified file ({int(np.prod(shape))} numbers, see the data README).",
        )
    return a.reshape(shape)


def _cube(rows_importer: np.ndarray, J: int) -> np.ndarray:
    """Tradable blocks (row importer, column exporter) to X[j, exporter, importer] with zero service sectors."""
    T, N, _ = rows_importer.shape
    out = np.zeros((J, N, N))
    out[:T] = np.transpose(rows_importer, (0, 2, 1))
    return out


def load_cp2015(directory: Path | str, model: CP2015Model = "benchmark") -> CP2015Data:
    """Read Caliendo & Parro's files from ``directory`` (the folder with ``countries.csv`` and ``cp2015_original``).

    Parameters
    ----------
    directory
        The ``cp2015`` data folder, e.g. ``dataset_dir("cp2015", data_dir)``.
    model
        ``"benchmark"`` (default); or one of the paper's alternative models of Table 11, set up as the authors'
        scripts do: ``"no-io"`` (materials only from the own sector: the input share of sector j is the own-sector
        IO coefficient G_n[j, j], the rest value added), ``"no-materials"`` (value-added share 1) or
        ``"one-sector"`` (one tradable and one service sector, aggregated as the authors do, θ = 4.55).

    Returns
    -------
    CP2015Data
        The data as they are (``state="data"``); pass them to :func:`base_year` before a counterfactual.

    Raises
    ------
    NotFoundError
        A file is missing.
    DataError
        A file does not have the package's layout.
    """
    d = Path(directory)
    missing = [str(d / f) for f in ("countries.csv", "sectors.csv")] + [str(d / ORIGINAL / f) for f in FILES]
    missing = [m for m in missing if not Path(m).is_file()]
    if missing:
        raise NotFoundError(
            "Caliendo & Parro's (2015) data files are missing.",
            received=missing,
            fix="point the data directory at the folder holding cp2015/ (see docs/gravity.md, 'Data directory').",
        )
    countries = tuple(pd.read_csv(d / "countries.csv")["iso3"].astype(str))
    sec = pd.read_csv(d / "sectors.csv")
    sectors = tuple(sec["name"].astype(str))
    tradable = int(sec["tradable"].sum())
    N, J = len(countries), len(sectors)
    if tradable != 20 or J != 40 or N != 31:
        raise DataError(
            "countries.csv / sectors.csv do not describe 31 countries and 40 sectors (20 tradable).",
            received=(N, J, tradable),
            fix="restore the files of the cp2015 data folder.",
        )
    flows = _read(d, "xbilat1993.txt", (tradable, N, N)) * THOUSAND
    t93 = _read(d, "tariffs1993.txt", (tradable, N, N)) / 100.0
    t05 = _read(d, "tariffs2005.txt", (tradable, N, N)) / 100.0
    io = _read(d, "IO.txt", (N, J, J))  # [n, source k, using j]
    beta = _read(d, "B.txt", (J, N))
    gross = _read(d, "GO.txt", (J, N))
    theta_t = _read(d, "T.txt", (tradable,)).reshape(-1)

    check_option("model", model, ("benchmark", "no-io", "no-materials", "one-sector"))
    services_theta = SERVICES_THETA
    if model == "one-sector":
        # the authors' aggregation: flows summed over tradables, the median tariff of each pair, IO coefficients
        # averaged over using and then source sectors of each group and rescaled, median value-added shares, gross
        # output summed, the aggregate elasticity
        T, S = slice(0, tradable), slice(tradable, J)
        flows = flows.sum(axis=0, keepdims=True)
        t93 = np.median(t93, axis=0, keepdims=True)
        t05 = np.median(t05, axis=0, keepdims=True)
        by_use = np.stack([io[:, :, T].mean(axis=2), io[:, :, S].mean(axis=2)], axis=2)  # (N, source k, 2)
        grouped = np.stack([by_use[:, T].mean(axis=1), by_use[:, S].mean(axis=1)], axis=1)  # (N, 2, 2)
        io = grouped / grouped.sum(axis=1, keepdims=True)
        beta = np.stack([np.median(beta[T], axis=0), np.median(beta[S], axis=0)])
        gross = np.stack([gross[T].sum(axis=0), gross[S].sum(axis=0)])
        theta_t = np.array([AGGREGATE_THETA])
        services_theta = AGGREGATE_THETA
        sectors, tradable, J = ("Tradables", "Services"), 1, 2
    if model == "no-io":
        own = np.diagonal(io, axis1=1, axis2=2).T  # (J, N): G_n[j, j]
        io = np.broadcast_to(np.eye(J), (N, J, J)).copy()
        beta = 1.0 - own
    elif model == "no-materials":
        beta = np.ones_like(beta)
    X = _cube(flows, J)
    exports = X.sum(axis=2)  # (J, N); no home sales yet
    output = np.maximum(gross, exports)
    idx = np.arange(N)
    X[:, idx, idx] = output - exports
    io = np.maximum(io, 0.0)
    cols = io.sum(axis=1, keepdims=True)
    io = np.where(cols > 0, io / np.where(cols > 0, cols, 1.0), 0.0)
    io_shares = np.einsum("nkj,jn->njk", io, 1.0 - beta)
    tb = _cube(t93, J)
    spend = (X * (1.0 + tb)).sum(axis=1).T  # (N, J)
    final = np.maximum(spend - np.einsum("nkj,kn->nj", io_shares, X.sum(axis=2)), 0.0)
    alpha = final / final.sum(axis=1, keepdims=True)
    theta = np.concatenate([theta_t, np.full(J - tradable, services_theta)])
    return CP2015Data(
        countries=countries,
        sectors=sectors,
        tradable=tradable,
        trade=X,
        io_shares=io_shares,
        final_shares=alpha,
        tariffs_1993=tb,
        tariffs_2005=_cube(t05, J),
        tariffs=tb,
        theta=theta,
        directory=str(d),
        model=model,
    )


def _solve(
    data: CP2015Data, tariff_new: np.ndarray, deficits: MultiSectorDeficitClosure, tol: float
) -> MultiSectorCounterfactual:
    return solve_multisector(
        data.trade,
        np.ones_like(data.trade),
        data.sigma,
        reference=data.index(REFERENCE),
        io_shares=data.io_shares,
        tariff_base=data.tariffs,
        tariff_new=tariff_new,
        countries=data.countries,
        sectors=data.sectors,
        deficits=deficits,
        final_shares=data.final_shares,
        tol=tol,
    )


def base_year(data: CP2015Data, deficits: Literal["zero", "observed"] = "zero", *, tol: float = 1e-10) -> CP2015Data:
    """The model-consistent 1993 base year of Caliendo & Parro (2015), from :func:`load_cp2015`'s data.

    Parameters
    ----------
    data
        As read (``state="data"``).
    deficits
        ``"zero"`` (the paper's main results): solve once without a shock keeping each country's deficit as a share
        of world value added, then once removing every deficit. ``"observed"`` (the paper's Table A4): the first
        step only.
    tol
        Solver tolerance.

    Returns
    -------
    CP2015Data
        Same inputs with ``trade`` replaced by the base year's flows (1993 tariffs in force).
    """
    if data.state != "data":
        raise DataError(
            "base_year needs the data as read, not a base year.",
            received=data.state,
            fix="call base_year(load_cp2015(directory)).",
        )
    first = _solve(data, data.tariffs, "world-share", tol)
    out = dataclasses.replace(data, trade=first.trade_counterfactual, state=OBSERVED_DEFICITS)
    return without_deficits(out, tol=tol) if deficits == "zero" else out


def without_deficits(base: CP2015Data, *, tol: float = 1e-10) -> CP2015Data:
    """The zero-deficit base year from the base year with observed deficits (second step of :func:`base_year`)."""
    if base.state != OBSERVED_DEFICITS:
        raise DataError(
            "without_deficits needs the base year with the observed deficits.",
            received=base.state,
            fix='call without_deficits(base_year(data, "observed")).',
        )
    second = _solve(base, base.tariffs, "zero", tol)
    return dataclasses.replace(base, trade=second.trade_counterfactual, state=ZERO_DEFICITS)


def counterfactual(
    base: CP2015Data,
    tariff_new: np.ndarray,
    *,
    deficits: MultiSectorDeficitClosure = "world-share",
    tol: float = 1e-10,
) -> MultiSectorCounterfactual:
    """Solve a change of tariffs from a base year (:func:`base_year`, or a state reached from it).

    Parameters
    ----------
    base
        The base year; its ``tariffs`` are the tariffs in force.
    tariff_new
        τ'[j, i, n], shape (40, 31, 31), fractions.
    deficits
        ``"world-share"`` (default) keeps each deficit a fixed share of world value added (zero stays zero).
    tol
        Solver tolerance.

    Returns
    -------
    MultiSectorCounterfactual
        With the terms-of-trade / volume-of-trade decomposition of the paper (its Table 2 "Total" is their sum).
    """
    if base.state == "data":
        raise DataError(
            "counterfactuals start from a model-consistent base year, not the raw data.",
            received=base.state,
            fix="pass base_year(data).",
        )
    return _solve(base, np.asarray(tariff_new, dtype=float), deficits, tol)


def advance(base: CP2015Data, cf: MultiSectorCounterfactual, tariffs: np.ndarray, state: str) -> CP2015Data:
    """The equilibrium ``cf`` reached from ``base`` under ``tariffs``, as a new base for further counterfactuals."""
    return dataclasses.replace(
        base, trade=cf.trade_counterfactual, tariffs=np.asarray(tariffs, dtype=float), state=state
    )


def nafta_tariffs(data: CP2015Data, members: Sequence[str] = NAFTA) -> np.ndarray:
    """1993 tariffs with the 2005 tariffs between ``members`` only: the paper's NAFTA tariff change (Table 2)."""
    idx = [data.index(c) for c in members]
    out = data.tariffs_1993.copy()
    for i in idx:
        for n in idx:
            out[:, i, n] = data.tariffs_2005[:, i, n]
    return out


def import_growth(cf: MultiSectorCounterfactual, importer: str, exporters: Sequence[str]) -> float:
    """% change of ``importer``'s imports (all sectors, before tariffs) from ``exporters`` (the paper's Table 5).

    Nominal, with world value added as the numeraire, as in the authors' code.
    """
    n = cf.countries.index(importer)
    ex = [cf.countries.index(c) for c in exporters]
    before = cf.trade_baseline[:, ex, n].sum()
    after = cf.trade_counterfactual[:, ex, n].sum() * cf.world_value_added_deflator
    return float((after / before - 1.0) * 100.0)
