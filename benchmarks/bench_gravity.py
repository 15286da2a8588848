"""Benchmark of the structural-gravity GE solver against USITC's gegravity (anchor, same run, same inputs).

    .venv/bin/python benchmarks/bench_gravity.py            # everything (about a minute on 2 cores)
    .venv/bin/python benchmarks/bench_gravity.py --quick    # skip the 1,000-draw Monte Carlo

Parts:
1. the book's 2006 "trade without borders" case (69 countries, σ = 7): our baseline + conditional + full
   endowment GE, timed, against gegravity 0.3 run in a subprocess from its own venv; agreement reported wherever
   gegravity converges to a valid solution, and where it does not;
2. synthetic worlds of 25 to 250 countries: time per full-endowment counterfactual and how it grows with n;
3. 1,000 counterfactuals with draws of σ and of the cost coefficients on 2 processes, with a progress bar.

gegravity is never a dependency of tradetalks. Create its venv once (git-ignored):

    python3.11 -m venv benchmarks/.anchor-venv-gegravity
    benchmarks/.anchor-venv-gegravity/bin/pip install gegravity==0.3

Only the standard library, numpy and pandas are imported at module level, so this file also runs as the anchor
script inside that venv (``--anchor-gegravity``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "agtpa" / "ch2_app2_rta_effects.csv.gz"
ANCHOR_PYTHON = ROOT / "benchmarks" / ".anchor-venv-gegravity" / "bin" / "python"
SIGMA = 7.0
COEF = {"ln_DIST": -0.7912879, "CNTG": 0.6736456, "INTL_BRDR": -2.47445}
REFERENCE = "DEU"
NAFTA = ("CAN", "MEX", "USA")
#: the omr_rescale values gegravity's "Convergence Tips" suggest trying (10^n), in the order a user would; the
#: anchor stops at the first whose baseline MRs converge
RESCALES = (1.0, 10.0, 100.0, 1000.0, 10000.0, 0.1, 0.01)
#: agreement asked for where gegravity converges (relative)
AGREE = 1e-4


def load_2006() -> pd.DataFrame:
    df = pd.read_csv(DATA)
    d = df[df["year"] == 2006].copy()
    d["ln_DIST"] = np.log(d["DIST"])
    d["INTL_BRDR"] = (d["exporter"] != d["importer"]).astype(float)
    d["Y"] = d.groupby("exporter")["trade"].transform("sum")
    d["E"] = d.groupby("importer")["trade"].transform("sum")
    return d.sort_values(["exporter", "importer"]).reset_index(drop=True)


def experiments(d: pd.DataFrame) -> dict[str, np.ndarray]:
    """INTL_BRDR in each experiment: all borders removed, and only the borders among CAN, MEX and USA."""
    nafta = d["exporter"].isin(NAFTA) & d["importer"].isin(NAFTA)
    return {
        "no_borders": np.zeros(len(d)),
        "nafta_borders": np.where(nafta, 0.0, d["INTL_BRDR"].to_numpy()),
    }


# ------------------------------------------------------------------------------------------------ anchor side


def run_anchor(out: Path) -> None:  # pragma: no cover - runs inside the gegravity venv
    """Run gegravity on the same inputs and write timings, convergence and results as JSON."""
    import gegravity as ge

    warnings.simplefilter("ignore")
    d = load_2006()
    d["year"] = d["year"].astype(str)
    coef = pd.DataFrame([{"var": k, "coeff": v} for k, v in COEF.items()])
    report: dict[str, object] = {"version": getattr(ge, "__version__", "0.3")}
    for name, brdr in experiments(d).items():
        attempts = []
        for rescale in RESCALES:
            t0 = time.perf_counter()
            base = ge.BaselineData(d, trade_var_name="trade", expend_var_name="E", output_var_name="Y")
            model = ge.OneSectorGE(
                base,
                year="2006",
                reference_importer=REFERENCE,
                sigma=SIGMA,
                cost_variables=list(COEF),
                cost_coeff_values=ge.CostCoeffs(coef, identifier_col="var", coeff_col="coeff"),
                quiet=True,
            )
            t1 = time.perf_counter()
            entry: dict[str, object] = {"omr_rescale": rescale}
            try:
                model.build_baseline(omr_rescale=rescale)
                exp = model.baseline_data.copy()
                exp["INTL_BRDR"] = brdr
                model.define_experiment(exp)
                model.simulate()
            except Exception as err:  # gegravity raises ValueError on negative MRs
                entry.update(error=f"{type(err).__name__}: {err}"[:200], seconds=time.perf_counter() - t1)
                attempts.append(entry)
                continue
            t2 = time.perf_counter()
            diag = {k: bool(v.success) for k, v in model.solver_diagnostics.items()}
            prices = model.factory_gate_prices.iloc[:, 0]
            mr = model.country_mr_terms
            cr = model.country_results
            entry.update(
                seconds=t2 - t1,
                setup_seconds=t1 - t0,
                converged=diag,
                negative_prices={k: float(v) for k, v in prices[prices <= 0].items()},
                countries=list(mr.index),
                baseline_imr=mr["baseline imr"].tolist(),
                baseline_omr=mr["baseline omr"].tolist(),
                conditional_imr=mr["conditional imr"].tolist(),
                conditional_omr=mr["conditional omr"].tolist(),
                price=prices.reindex(mr.index).tolist(),
                gdp_change=cr["GDP change (percent)"].reindex(mr.index).tolist(),
                imr_change=cr["imr change (percent)"].reindex(mr.index).tolist(),
            )
            attempts.append(entry)
            if diag.get("baseline_MRs"):
                break
        report[name] = attempts
    out.write_text(json.dumps(report))


# ------------------------------------------------------------------------------------------------ our side


def matrices(d: pd.DataFrame) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
    countries = sorted(d["exporter"].unique())
    n = len(countries)

    def mat(values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=float).reshape(n, n)  # sorted exporter-major, as load_2006 orders rows

    trade = mat(d["trade"].to_numpy())
    xb = {k: mat(d[k].to_numpy()) for k in ("ln_DIST", "CNTG", "INTL_BRDR")}
    return countries, trade, xb


def ours_case(d: pd.DataFrame, brdr: np.ndarray) -> dict[str, object]:
    from tradetalks.econ.gravity.solver import solve_counterfactual, structural_baseline

    countries, T, xb = matrices(d)
    n = len(countries)
    ref = countries.index(REFERENCE)
    lin = COEF["ln_DIST"] * xb["ln_DIST"] + COEF["CNTG"] * xb["CNTG"]
    phi = np.exp(lin + COEF["INTL_BRDR"] * xb["INTL_BRDR"])
    hat = np.exp(COEF["INTL_BRDR"] * (brdr.reshape(n, n) - xb["INTL_BRDR"]))
    timings: dict[str, float] = {}
    for label, fn in {
        "baseline": lambda: structural_baseline(T.sum(1), T.sum(0), phi, reference=ref, countries=countries),
    }.items():
        timings[label] = _best(fn)
    base = structural_baseline(T.sum(1), T.sum(0), phi, reference=ref, countries=countries)
    timings["conditional"] = _best(
        lambda: solve_counterfactual(base.trade, hat, SIGMA, reference=ref, kind="conditional")
    )
    timings["full"] = _best(lambda: solve_counterfactual(base.trade, hat, SIGMA, reference=ref, kind="full"))
    cdl = solve_counterfactual(base.trade, hat, SIGMA, reference=ref, kind="conditional", countries=countries)
    full = solve_counterfactual(base.trade, hat, SIGMA, reference=ref, kind="full", countries=countries)
    return {"countries": countries, "base": base, "cdl": cdl, "full": full, "timings": timings}


def _best(fn: object, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return min(times)


def compare(ours: dict[str, object], attempt: dict[str, object]) -> dict[str, float]:
    """Largest relative differences on what both solve: baseline and conditional MRs (and full GE if valid)."""
    countries = list(ours["countries"])  # type: ignore[call-overload]
    order = [list(attempt["countries"]).index(c) for c in countries]  # type: ignore[call-overload]

    def g(key: str) -> np.ndarray:
        return np.asarray(attempt[key], dtype=float)[order]

    base, cdl, full = ours["base"], ours["cdl"], ours["full"]
    a = 1.0 - SIGMA
    out = {
        # gegravity reports levels P and Π; ours are the (1-σ) powers
        "baseline_imr": float(np.max(np.abs(g("baseline_imr") ** a / base.imr - 1))),  # type: ignore[attr-defined]
        "baseline_omr": float(np.max(np.abs(g("baseline_omr") ** a / base.omr - 1))),  # type: ignore[attr-defined]
        "conditional_imr_change": float(
            np.max(np.abs(g("conditional_imr") / g("baseline_imr") / (1 + cdl.imr / 100) - 1))  # type: ignore[attr-defined]
        ),
        "conditional_omr_change": float(
            np.max(np.abs(g("conditional_omr") / g("baseline_omr") / (1 + cdl.omr / 100) - 1))  # type: ignore[attr-defined]
        ),
    }
    valid = attempt.get("converged", {}).get("full_GE") and not attempt.get("negative_prices")  # type: ignore[attr-defined]
    if valid:
        out["full_real_gdp_pp"] = float(np.max(np.abs(g("gdp_change") - full.real_gdp)))  # type: ignore[attr-defined]
        out["full_price_rel"] = float(np.max(np.abs(g("price") / (1 + full.factory_gate_price / 100) - 1)))  # type: ignore[attr-defined]
        # gegravity's full GE keeps output and expenditure shares at their baseline values in the MR equations,
        # so its prices are p = 1/Π̂ of the *conditional* solution; check that this explains the difference
        out["gegravity_price_vs_1/conditional_omr"] = float(
            np.max(np.abs(g("price") * (1 + cdl.omr / 100) - 1))  # type: ignore[attr-defined]
        )
    return out


def anchor(d: pd.DataFrame) -> dict[str, object] | None:
    if not ANCHOR_PYTHON.exists():
        print(
            "gegravity anchor venv missing; create it once with\n"
            "  python3.11 -m venv benchmarks/.anchor-venv-gegravity\n"
            "  benchmarks/.anchor-venv-gegravity/bin/pip install gegravity==0.3\n"
        )
        return None
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    path = out / "gegravity_anchor.json"
    subprocess.run([str(ANCHOR_PYTHON), __file__, "--anchor-gegravity", str(path)], check=True, cwd=ROOT)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def part_book(quick: bool) -> None:
    d = load_2006()
    print("== 1. Trade without borders, 2006, 69 countries, sigma = 7 ==")
    exps = experiments(d)
    ours = {name: ours_case(d, brdr) for name, brdr in exps.items()}
    for name, res in ours.items():
        t = res["timings"]
        diag = res["full"].diagnostics  # type: ignore[attr-defined]
        total = t["baseline"] + t["conditional"] + t["full"]  # type: ignore[index]
        print(
            f"{name}: ours baseline {t['baseline'] * 1e3:.1f} ms, conditional {t['conditional'] * 1e3:.1f} ms, "  # type: ignore[index]
            f"full {t['full'] * 1e3:.1f} ms (total {total * 1e3:.1f} ms); full GE {diag}"  # type: ignore[index]
        )
    report = anchor(d)
    if report is None:
        return
    print(f"gegravity {report.get('version')} (subprocess, its own venv):")
    for name, attempts in report.items():
        if name == "version":
            continue
        res = ours[name]
        t = res["timings"]
        ours_total = t["baseline"] + t["conditional"] + t["full"]  # type: ignore[index]
        for att in attempts:  # type: ignore[union-attr]
            rs = att["omr_rescale"]
            if "error" in att:
                print(f"  {name} omr_rescale={rs:g}: FAILED after {att['seconds']:.2f} s: {att['error']}")
                continue
            conv = att["converged"]
            neg = att["negative_prices"]
            valid_mr = conv.get("baseline_MRs") and conv.get("conditional_MRs")
            cmp = compare(res, att)
            full_state = (
                "full GE valid"
                if conv.get("full_GE") and not neg
                else f"full GE INVALID (converged={conv.get('full_GE')}, negative prices: {neg or 'none'})"
            )
            print(
                f"  {name} omr_rescale={rs:g}: {att['seconds']:.2f} s (ours {ours_total * 1e3:.1f} ms, "
                f"{att['seconds'] / ours_total:.0f}x faster); converged {conv}; {full_state}"
            )
            if valid_mr:
                worst = max(
                    cmp["baseline_imr"],
                    cmp["baseline_omr"],
                    cmp["conditional_imr_change"],
                    cmp["conditional_omr_change"],
                )
                verdict = "agree" if worst <= AGREE else "DISAGREE"
                print(
                    "      where gegravity converged (baseline and conditional MRs): "
                    f"max rel diff {worst:.1e} -> {verdict} to {AGREE:g}"
                )
            else:
                print("      gegravity's MR solves did not converge: its numbers are not a solution, not compared")
            if "full_real_gdp_pp" in cmp:
                print(
                    f"      full GE: |Δ real GDP| up to {cmp['full_real_gdp_pp']:.3f} pp, "
                    f"prices {cmp['full_price_rel']:.1e} rel; "
                    f"gegravity's prices equal 1/Π̂(conditional) to {cmp['gegravity_price_vs_1/conditional_omr']:.1e}: "
                    "it holds output and expenditure shares at baseline, a different system"
                )


# ------------------------------------------------------------------------------------------------ scaling


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random world of n countries: GDP-like sizes, distances on a plane, a border effect."""
    rng = np.random.default_rng(seed)
    size = np.exp(rng.normal(0, 1.5, n))
    loc = rng.uniform(0, 10, (n, 2))
    dist = np.sqrt(((loc[:, None, :] - loc[None, :, :]) ** 2).sum(-1)) + 0.3
    border = 1.0 - np.eye(n)
    phi = np.exp(-1.0 * np.log(dist) - 2.0 * border)
    hat = np.exp(rng.normal(0.3, 0.3, (n, n)) * border)  # liberalisation of random size on every pair
    trade = np.outer(size, size) * phi * np.exp(rng.normal(0, 0.3, (n, n)))
    return trade.sum(1), trade.sum(0), phi, hat  # type: ignore[return-value]


def part_scaling() -> None:
    from tradetalks.econ.gravity.solver import solve_counterfactual, structural_baseline

    print("\n== 2. Synthetic worlds: baseline + full endowment GE ==")
    ns, times = [25, 50, 100, 150, 250], []
    for n in ns:
        Y, E, phi, hat = synthetic(n, n)  # type: ignore[misc]

        def run(Y: np.ndarray = Y, E: np.ndarray = E, phi: np.ndarray = phi, hat: np.ndarray = hat) -> None:
            b = structural_baseline(Y, E, phi, reference=0)
            solve_counterfactual(b.trade, hat, 6.0, reference=0)

        t = _best(run, repeat=3)
        times.append(t)
        b = structural_baseline(Y, E, phi, reference=0)
        cf = solve_counterfactual(b.trade, hat, 6.0, reference=0)
        print(
            f"n={n:4d}: {t * 1e3:8.1f} ms  ({cf.diagnostics.iterations} Newton iterations, "
            f"max residual {cf.diagnostics.max_residual:.1e})"
        )
    slope = np.polyfit(np.log(ns[1:]), np.log(times[1:]), 1)[0]
    print(
        f"time grows like n^{slope:.2f} (dense Newton: O(n^3) per iteration, few iterations); "
        f"n=250 in {times[-1]:.2f} s"
    )


# ------------------------------------------------------------------------------------------------ Monte Carlo


def _draw(args: tuple[int, np.ndarray, dict[str, np.ndarray], int]) -> float:
    from tradetalks.econ.gravity.solver import solve_counterfactual, structural_baseline

    seed, T, xb, ref = args
    rng = np.random.default_rng(seed)
    # illustrative dispersion (5 % of each coefficient; sigma uniform on [5, 9]), not the book's standard errors
    b = {k: v * (1 + 0.05 * rng.standard_normal()) for k, v in COEF.items()}
    sigma = rng.uniform(5.0, 9.0)
    phi = np.exp(sum(b[k] * xb[k] for k in b))
    base = structural_baseline(T.sum(1), T.sum(0), phi, reference=ref)
    hat = np.exp(-b["INTL_BRDR"] * xb["INTL_BRDR"])
    cf = solve_counterfactual(base.trade, hat, sigma, reference=ref)
    return float(cf.real_gdp.mean())


def part_monte_carlo(draws: int = 1000, workers: int = 2) -> None:
    from concurrent.futures import ProcessPoolExecutor

    from rich.progress import Progress

    print(f"\n== 3. {draws} counterfactuals (draws of sigma and cost coefficients), {workers} processes ==")
    d = load_2006()
    countries, T, xb = matrices(d)
    ref = countries.index(REFERENCE)
    t0 = time.perf_counter()
    out = []
    with ProcessPoolExecutor(max_workers=workers) as pool, Progress() as progress:
        task = progress.add_task("GE counterfactuals", total=draws)
        for value in pool.map(_draw, [(s, T, xb, ref) for s in range(draws)], chunksize=25):
            out.append(value)
            progress.advance(task)
    el = time.perf_counter() - t0
    q = np.percentile(out, [5, 50, 95])
    print(
        f"{draws} draws in {el:.1f} s ({el / draws * 1e3:.1f} ms each on {workers} processes); "
        f"mean real GDP change, 5/50/95th percentile (%): {q.round(2)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip the 1,000-draw Monte Carlo")
    parser.add_argument("--anchor-gegravity", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.anchor_gegravity:
        run_anchor(Path(args.anchor_gegravity))
        return
    if not DATA.exists():
        sys.exit(f"book data not found at {DATA}; see ../shared/data/agtpa/README.md")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    part_book(args.quick)
    part_scaling()
    if not args.quick:
        part_monte_carlo()


if __name__ == "__main__":
    main()
