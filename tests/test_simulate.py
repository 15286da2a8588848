"""Simulated negotiations and tournaments on scenarios: the toy, the built-in korus-2025 and variations."""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from tradetalks.errors import ScenarioError, TradetalksError
from tradetalks.executor import SCHEDULER_ENV
from tradetalks.model import build_model, package_value
from tradetalks.scenario import load_scenario
from tradetalks.scenario.loader import LoadedScenario
from tradetalks.studies.simulate import Setup, prepare, simulate, tournament

TOY = Path(__file__).parent / "data" / "toy.yaml"
#: absolute tolerance on utilities, USD/yr (sums of 1e10-sized figures in a different order)
USD_TOL = 1e-3
#: concurrent callers in the thread-safety test, and how long any of them may take (s) before the test fails
THREADS = 4
THREAD_TIMEOUT_S = 120.0


@pytest.fixture(scope="module")
def toy() -> LoadedScenario:
    return load_scenario(TOY)


@pytest.fixture(scope="module")
def korus() -> LoadedScenario:
    return load_scenario("korus-2025")


@pytest.fixture(scope="module")
def korus_setup(korus: LoadedScenario) -> Setup:
    return prepare(korus)


def test_two_linear_agents_agree_before_the_deadline_on_the_toy(toy: LoadedScenario) -> None:
    r = simulate(toy, "linear", "linear")
    assert r.agreed and r.end == "agreement"
    assert r.date < dt.date(2025, 6, 30)
    # the only package both prefer to the no-deal outcome at the start
    assert r.package == {"widget_tariff": "t0", "transfer": "more"}
    model = build_model(toy)
    _, u = package_value(model, r.package)
    assert r.utilities == pytest.approx({"A": u[0], "B": u[1]}, abs=USD_TOL)
    assert r.offers[-1].accepted and r.offers[-1].package == r.package


def test_toy_breaks_down_at_the_hard_deadline_when_the_win_sets_miss_the_zopa(toy: LoadedScenario) -> None:
    # Alpha's exporters' lobby wants more than the one ZOPA package gives: no agreement is ratifiable
    r = simulate(toy, "ratifier_aware", "linear")
    assert not r.agreed and r.end == "hard_deadline"
    assert r.date == dt.date(2025, 6, 30) and r.rounds == 26
    # the payoff is the no-deal outcome in force on that date: the tariff fell to 15 % on 1 March
    assert r.package == {"widget_tariff": "t15", "transfer": "none"}
    _, u = package_value(build_model(toy), r.package)
    assert r.utilities == pytest.approx({"A": u[0], "B": u[1]}, abs=USD_TOL)
    assert r.batna == r.utilities and r.nash is None and r.nash_distance is None


def test_result_serialises(toy: LoadedScenario) -> None:
    r = simulate(toy, "boulware", "rubinstein", first="B", seed=3)
    d = r.to_dict()
    json.dumps(d)
    assert d["first_proposer"] == "B" and d["strategies"] == {"A": "boulware", "B": "rubinstein"}
    assert isinstance(d["date"], str)
    frame = r.to_frame()
    assert list(frame.columns) == ["round", "date", "proposer", "accepted", "u_A", "u_B", "package"]
    assert "agreement in round" in repr(r) or "breakdown" in repr(r)


def test_every_agreement_is_individually_rational_at_its_date(korus: LoadedScenario, korus_setup: Setup) -> None:
    res = tournament(korus, repeats=2, workers=1, setup=korus_setup)
    runs = res.runs
    p0, p1 = res.parties
    ok = runs[runs["agreed"]]
    assert len(ok) > 0
    assert (ok[f"u_{p0}"] >= ok[f"batna_{p0}"] - USD_TOL).all()
    assert (ok[f"u_{p1}"] >= ok[f"batna_{p1}"] - USD_TOL).all()
    # breakdowns pay the BATNA in force when talks end
    bad = runs[~runs["agreed"]]
    assert (bad[f"u_{p0}"] == bad[f"batna_{p0}"]).all()


def test_boulware_agrees_later_than_conceder_on_korus(korus: LoadedScenario, korus_setup: Setup) -> None:
    slow = simulate(korus, "boulware", "boulware", setup=korus_setup)
    fast = simulate(korus, "conceder", "conceder", setup=korus_setup)
    assert slow.agreed and fast.agreed and slow.rounds > fast.rounds


def test_rubinstein_agents_agree_in_round_one_on_korus(korus: LoadedScenario, korus_setup: Setup) -> None:
    for first in ("KOR", "USA"):
        r = simulate(korus, "rubinstein", "rubinstein", first=first, setup=korus_setup)
        assert r.agreed and r.rounds == 1 and r.date == dt.date(2025, 4, 24)


def test_korus_hard_deadline_ends_talks_on_1_august(korus: LoadedScenario, korus_setup: Setup) -> None:
    r = simulate(korus, "linear:floor=0.8", "linear:floor=0.8", setup=korus_setup)
    assert r.end == "hard_deadline" and r.date == dt.date(2025, 8, 1)
    without = simulate(korus, "linear:floor=0.8", "linear:floor=0.8", setup=prepare(korus, hard_deadlines=False))
    assert without.end == "round_limit" and without.rounds == 100


@pytest.mark.slow
def test_tournament_is_deterministic_given_the_seed(toy: LoadedScenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)  # workers=2: a local Dask cluster of two processes
    names = ["boulware", "linear", "tit_for_tat", "bayesian_model"]
    a = tournament(toy, names, repeats=3, seed=11, workers=1)
    b = tournament(toy, names, repeats=3, seed=11, workers=2)
    pd.testing.assert_frame_equal(a.runs, b.runs)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert len(a.runs) == 4 * 4 * 2 * 3 and len(a.table) == 4 * 4 * 2


def test_concurrent_serial_tournaments_from_threads_agree(korus: LoadedScenario, korus_setup: Setup) -> None:
    """Four threads each run a one-worker tournament at once (a server's request threads): no shared state, so
    each gets the result of a tournament run alone. (The old module-global worker state raised KeyError here.)"""
    names = ["linear", "boulware", "tit_for_tat", "bayesian_model"]
    alone = tournament(korus, names, repeats=2, seed=5, workers=1, setup=korus_setup)
    start = threading.Barrier(THREADS)

    def run(_: int) -> pd.DataFrame:
        start.wait(timeout=THREAD_TIMEOUT_S)
        return tournament(korus, names, repeats=2, seed=5, workers=1, setup=korus_setup).runs

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(run, range(THREADS), timeout=THREAD_TIMEOUT_S))
    for runs in results:
        pd.testing.assert_frame_equal(runs, alone.runs)
    agreed = alone.runs[alone.runs["agreed"]]
    assert len(agreed) > 0
    assert (agreed["u_KOR"] >= agreed["batna_KOR"] - USD_TOL).all()
    assert (agreed["u_USA"] >= agreed["batna_USA"] - USD_TOL).all()


def test_noise_changes_repeats_but_seed_reproduces(korus: LoadedScenario, korus_setup: Setup) -> None:
    a = tournament(korus, ["linear", "boulware"], repeats=4, seed=1, workers=1, setup=korus_setup)
    b = tournament(korus, ["linear", "boulware"], repeats=4, seed=2, workers=1, setup=korus_setup)
    c = tournament(korus, ["linear", "boulware"], repeats=4, seed=1, workers=1, setup=korus_setup)
    pd.testing.assert_frame_equal(a.runs, c.runs)
    assert a.runs["u_KOR"].nunique() > 1
    assert not a.runs["u_KOR"].equals(b.runs["u_KOR"])


def test_tournament_outputs(korus: LoadedScenario, korus_setup: Setup) -> None:
    res = tournament(korus, ["conceder", "rubinstein"], repeats=1, workers=1, setup=korus_setup)
    cols = {"strategy_KOR", "strategy_USA", "first", "n", "agreement_rate", "mean_rounds", "u_KOR", "u_USA",
            "disc_KOR", "disc_USA", "nash_distance"}
    assert set(res.to_frame().columns) == cols
    d = res.to_dict()
    json.dumps(d)
    assert d["n_negotiations"] == 8 and len(d["by_strategy"]) == 2
    m = res.matrix("mean_rounds")
    assert list(m.index) == list(m.columns) == ["conceder", "rubinstein"]
    t = res.table
    both = t[(t["strategy_KOR"] == "conceder") & (t["strategy_USA"] == "rubinstein")]["mean_rounds"].mean()
    assert m.loc["conceder", "rubinstein"] == pytest.approx(both)
    with pytest.raises(TradetalksError, match="no tournament column"):
        res.matrix("first")
    assert "TournamentResult(korus-2025" in repr(res)


def test_unknown_strategy_is_a_clear_error(toy: LoadedScenario) -> None:
    with pytest.raises(TradetalksError, match=r"unknown strategy 'stubborn'.*use one of boulware"):
        simulate(toy, "stubborn", "linear")
    with pytest.raises(TradetalksError, match="unknown strategy"):
        tournament(toy, ["linear", "stubborn"])
    with pytest.raises(TradetalksError, match="first proposer"):
        simulate(toy, "linear", "linear", first="C")
    with pytest.raises(TradetalksError, match="distinct strategies"):
        tournament(toy, ["linear", "linear"])


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = TOY.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / "variant.yaml"
    p.write_text(text.replace(old, new), encoding="utf-8")
    return p


def test_deadline_before_the_start_is_rejected_by_validation(tmp_path: Path) -> None:
    p = _variant(tmp_path, "{date: 2025-06-30, title: Pause ends", "{date: 2024-12-01, title: Pause ends")
    with pytest.raises(ScenarioError) as err:
        load_scenario(p)
    msg = str(err.value)
    assert "dynamics.deadlines[0].date" in msg and "before the start of talks (2025-01-01)" in msg


def test_missing_dynamics_and_rates_use_noted_defaults(tmp_path: Path) -> None:
    text = TOY.read_text(encoding="utf-8")
    text = text[:text.index("dynamics:")].replace("    discount_rate: r_a\n", "")
    p = tmp_path / "plain.yaml"
    p.write_text(text, encoding="utf-8")
    setup = prepare(load_scenario(p))
    assert setup.rates == (0.0, 0.1) and setup.round_days == 7 and setup.start == dt.date(2025, 1, 1)
    assert any("A has no discount_rate" in n for n in setup.notes)
    assert any("no dynamics" in n for n in setup.notes)
    r = simulate(load_scenario(p), "linear", "linear", setup=setup)
    assert r.notes == setup.notes
