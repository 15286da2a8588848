"""Replication of Yotov et al. (2016), ch. 2, application 1, "Trade without borders" (2006, σ = 7).

Reads ``../shared/data/agtpa`` from the repository root and skips where it is absent (the data are not committed).

What the published table is: the book's Stata loop (re-estimate PPML, update prices, repeat) stopped when the
standard deviation and the maximum of the change in factory-gate prices fell below 0.01 — after 6 iterations. That
loop has no unique fixed point: it updates trade by the *last* change in prices and resistances, so it stops
wherever the changes die out, and where that is depends on the path (a different first step moves Hong Kong's
real-GDP change by about ±1 percentage point, see ``test_book_loop_has_no_unique_fixed_point``). It also takes
expenditure as φ_j Y_j while the PPML fit keeps the column sums of the previous iterate, so at its end imports
differ from φ_j Y_j by up to 5 % (HKG). Our solver solves the equilibrium itself (market clearing, budgets with
φ_j fixed up to one world factor, P_DEU = 1) to 1e-13. The tests therefore check three things:

1. our reading of the book is right: re-running the book's own loop (PPML fits done by ``structural_baseline``)
   reproduces every published column to 0.002 pp;
2. our conditional GE reproduces the published conditional exports exactly (it is a well-posed system);
3. our full-endowment GE is within the precision the published procedure has: real GDP within 0.1 pp for most
   countries and within 0.65 pp for all (the two entrepôts HKG and MAC are furthest; they also move most along
   the book's path), with our own residuals at round-off.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradetalks.econ.gravity.solver import solve_counterfactual, structural_baseline

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "agtpa"
TRADE_FILE = DATA / "ch2_app2_rta_effects.csv.gz"
PUBLISHED_FILE = DATA / "reference" / "ch2_app1_trade_without_borders_published.csv"

pytestmark = pytest.mark.skipif(
    not (TRADE_FILE.exists() and PUBLISHED_FILE.exists()),
    reason=f"book data not found at {DATA} (shared data folder absent; see ../shared/data/agtpa/README.md)",
)

SIGMA = 7.0
B_LN_DIST, B_CNTG, B_INTL_BRDR = -0.7912879, 0.6736456, -2.47445
REFERENCE = "DEU"
COLUMNS = ["change_Xi_CDL", "change_Xi_FULL", "change_price_FULL", "change_IMR_FULL", "change_rGDP_FULL"]

#: the book's loop re-run here matches the published table to this (pp); the residue is the published
#: coefficients' 7-digit rounding (largest on HKG's +1,457 % export change)
BOOK_LOOP_PP = 0.002
#: conditional GE is well posed, so ours must equal the published conditional exports up to the same rounding
CONDITIONAL_EXPORTS_PP = 0.002
#: published real GDP vs our equilibrium: most countries within the issue's 0.1 pp ...
RGDP_PP = 0.1
#: ... and this share of them at least (53 of 69 are; the rest are entrepôts and open economies the book's
#: path-dependent loop moves most)
RGDP_SHARE_WITHIN = 0.75
#: ... and every country within this (HKG 0.60 pp, MAC 0.38 pp; the book's own loop moves HKG by ~1 pp)
RGDP_ALL_PP = 0.65
PRICE_ALL_PP = 0.5
IMR_ALL_PP = 0.85
#: full-GE exports change by up to +1,540 %; compare relative to the published change
EXPORTS_REL = 0.025
#: our own equilibrium residuals
OWN_RESIDUAL = 1e-12


def _load() -> dict[str, object]:
    df = pd.read_csv(TRADE_FILE)
    d = df[df["year"] == 2006]
    countries = sorted(d["exporter"].unique())
    idx = {c: i for i, c in enumerate(countries)}
    n = len(countries)

    def matrix(col: str) -> np.ndarray:
        m = np.full((n, n), np.nan)
        m[d["exporter"].map(idx).to_numpy(), d["importer"].map(idx).to_numpy()] = d[col].to_numpy()
        return m

    trade, dist, cntg = matrix("trade"), matrix("DIST"), matrix("CNTG")
    border = 1.0 - np.eye(n)
    published = pd.read_csv(PUBLISHED_FILE).set_index("country").loc[countries]
    return {
        "countries": countries,
        "ref": idx[REFERENCE],
        "trade": trade,
        "phi_bln": np.exp(B_LN_DIST * np.log(dist) + B_CNTG * cntg + B_INTL_BRDR * border),
        "phi_cfl": np.exp(B_LN_DIST * np.log(dist) + B_CNTG * cntg),
        "published": published,
    }


@pytest.fixture(scope="module")
def book() -> dict[str, object]:
    return _load()


@pytest.fixture(scope="module")
def ours(book: dict[str, object]) -> pd.DataFrame:
    T, ref = book["trade"], book["ref"]
    assert isinstance(T, np.ndarray) and isinstance(ref, int)
    base = structural_baseline(T.sum(1), T.sum(0), book["phi_bln"], reference=ref, countries=book["countries"])  # type: ignore[arg-type]
    hat = np.asarray(book["phi_cfl"]) / np.asarray(book["phi_bln"])
    cdl = solve_counterfactual(base.trade, hat, SIGMA, reference=ref, kind="conditional", countries=base.countries)
    full = solve_counterfactual(base.trade, hat, SIGMA, reference=ref, kind="full", countries=base.countries)
    frame = pd.DataFrame(
        {
            "change_Xi_CDL": cdl.exports,
            "change_Xi_FULL": full.exports,
            "change_price_FULL": full.factory_gate_price,
            "change_IMR_FULL": full.imr,
            "change_rGDP_FULL": full.real_gdp,
        },
        index=list(base.countries),
    )
    frame.attrs["residuals"] = {
        **cdl.diagnostics.residuals,
        **{f"full_{k}": v for k, v in full.diagnostics.residuals.items()},
    }
    frame.attrs["iterations"] = (cdl.diagnostics.iterations, full.diagnostics.iterations)
    return frame


def test_our_equilibrium_replicates_the_published_table(
    ours: pd.DataFrame, book: dict[str, object], record_property: Callable[[str, object], None]
) -> None:
    pub = book["published"]
    assert isinstance(pub, pd.DataFrame)
    dev = (ours[COLUMNS] - pub[COLUMNS]).abs()
    report = {c: (round(float(dev[c].max()), 4), str(dev[c].idxmax())) for c in COLUMNS}
    within = float((dev["change_rGDP_FULL"] <= RGDP_PP).mean())
    print(f"\nmax |ours - published| per column (pp, country): {report}")
    print(f"real GDP within {RGDP_PP} pp: {within:.0%} of countries; our residuals: {ours.attrs['residuals']}")
    record_property("max_abs_deviation_pp", report)
    record_property("rgdp_share_within_0.1pp", within)
    record_property("residuals", ours.attrs["residuals"])

    assert dev["change_Xi_CDL"].max() <= CONDITIONAL_EXPORTS_PP
    assert within >= RGDP_SHARE_WITHIN
    assert dev["change_rGDP_FULL"].max() <= RGDP_ALL_PP
    assert dev["change_price_FULL"].max() <= PRICE_ALL_PP
    assert dev["change_IMR_FULL"].max() <= IMR_ALL_PP
    assert ((ours["change_Xi_FULL"] - pub["change_Xi_FULL"]).abs() / pub["change_Xi_FULL"].abs()).max() <= EXPORTS_REL
    # the headline numbers quoted in the data README
    for country, value in {"KOR": 19.26, "USA": 10.65, "DEU": 24.31, "JPN": 12.37}.items():
        assert ours.loc[country, "change_rGDP_FULL"] == pytest.approx(value, abs=RGDP_PP)
    assert ours.loc[REFERENCE, "change_IMR_FULL"] == pytest.approx(0.0, abs=1e-9)
    assert max(ours.attrs["residuals"].values()) <= OWN_RESIDUAL


# ------------------------------------------------------------------------------------------------ the book's loop


def _fit(T: np.ndarray, offset: np.ndarray, ref: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PPML with exporter and importer FE and an offset = matrix scaling; FE normalised as in the book."""
    Y, E = T.sum(1), T.sum(0)
    b = structural_baseline(Y, E, offset, reference=ref, tol=1e-13)
    exp_pi = Y * E[ref] / (Y.sum() * b.omr)  # exporter FE, exp(π_i)
    exp_chi = E / (E[ref] * b.imr)  # importer FE, exp(χ_j), 1 for the reference
    return b.trade, exp_pi, exp_chi


def _book_loop(book: dict[str, object], stop: float, first_step: float = 1.0) -> dict[str, np.ndarray]:
    """The published Stata procedure, step for step (TradeWithoutBorder.do, Step III.b)."""
    T, ref = np.asarray(book["trade"]), int(book["ref"])  # type: ignore[call-overload]
    phi_bln, phi_cfl = np.asarray(book["phi_bln"]), np.asarray(book["phi_cfl"])
    n = T.shape[0]
    Y, E = T.sum(1), T.sum(0)
    phi = E / Y
    that_bln, a0, b0 = _fit(T, phi_bln, ref)
    that_cdl, a1, b1 = _fit(T, phi_cfl, ref)
    ER = {0: E[ref], 1: E[ref]}
    a, b, th = {0: a0, 1: a1}, {0: b0, 1: b1}, {1: that_cdl}
    cp = {0: np.zeros(n), 1: (a1 / a0) ** (1 / (1 - SIGMA))}
    omr, imr = {0: Y * E[ref] / a0, 1: Y * E[ref] / a1}, {0: E / (b0 * E[ref]), 1: E / (b1 * E[ref])}
    c_omr, c_imr = {1: np.ones(n)}, {1: np.ones(n)}
    s, sd, mx = 3, 1.0, 1.0
    while sd > stop or mx > stop:
        s1, s2, s3 = s - 1, s - 2, s - 3
        step = np.outer(cp[s2], cp[s2]) / np.outer(c_omr[s2], c_imr[s2])
        th[s1], a[s1], b[s1] = _fit(th[s2] * step ** (first_step if s == 3 else 1.0), phi_cfl, ref)
        Ys = th[s1].sum(1)
        Es = phi * Ys
        ER[s1] = Es[ref]
        cp[s1] = ((a[s1] / a[s2]) / (ER[s1] / ER[s2])) ** (1 / (1 - SIGMA))
        omr[s1] = Ys * ER[s1] / a[s1]
        c_omr[s1] = omr[s1] / omr[s2]
        imr[s1] = Es / (b[s1] * ER[s1])
        c_imr[s1] = imr[s1] / imr[s2]
        dif = np.repeat(cp[s2] - cp[s3], n)  # Stata summarises the pair-level variable
        sd, mx = float(dif.std(ddof=1)), abs(float(dif.max()))
        s += 1
        assert s < 500
    S = s - 2
    p = ((a[S] / a[0]) / (ER[S] / ER[0])) ** (1 / (1 - SIGMA))
    Y_full = p * Y
    imr_full = (phi * (th[S].sum(1))) / (b[S] * ER[S])
    X_full = np.outer(Y_full, phi * Y_full) * phi_cfl / np.outer(Y_full * ER[S] / a[S], imr_full)
    off = ~np.eye(n, dtype=bool)
    xi = lambda M: np.where(off, M, 0).sum(1)  # noqa: E731
    return {
        "change_Xi_CDL": (xi(that_cdl) / xi(that_bln) - 1) * 100,
        "change_Xi_FULL": (xi(X_full) / xi(that_bln) - 1) * 100,
        "change_price_FULL": (p - 1) * 100,
        "change_IMR_FULL": ((imr_full / imr[0]) ** (1 / (1 - SIGMA)) - 1) * 100,
        "change_rGDP_FULL": ((Y_full / imr_full ** (1 / (1 - SIGMA))) / (Y / imr[0] ** (1 / (1 - SIGMA))) - 1) * 100,
        "iterations": np.array([S]),
    }


def test_book_loop_reproduces_the_published_table(book: dict[str, object]) -> None:
    pub = book["published"]
    assert isinstance(pub, pd.DataFrame)
    loop = _book_loop(book, stop=0.01)
    for column in COLUMNS:
        assert np.max(np.abs(loop[column] - pub[column].to_numpy())) <= BOOK_LOOP_PP, column


def test_book_loop_has_no_unique_fixed_point(book: dict[str, object]) -> None:
    """Run to a tight stop, the book's loop ends in different places depending on its first step."""
    hkg = list(book["countries"]).index("HKG")  # type: ignore[call-overload]
    ends = [_book_loop(book, stop=1e-9, first_step=w)["change_rGDP_FULL"][hkg] for w in (0.5, 1.0)]
    assert abs(ends[0] - ends[1]) > 0.5  # pp: more than the whole distance between ours and the published table
