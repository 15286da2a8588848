"""Sensitivity: the vectorised Nash equals frontier + Nash draw by draw, and the tornado equals full re-runs."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetalks.bargain.frontier import pareto_frontier, skyline
from tradetalks.bargain.sensitivity import (
    batch_nash,
    skyline_by_draw,
    sweep_weights,
    utility_batch,
    weight_draws,
)
from tradetalks.bargain.solutions import nash
from tradetalks.executor import SCHEDULER_ENV
from tradetalks.model import build_model
from tradetalks.scenario import load_scenario
from tradetalks.studies.sensitivity import SWEEP_CHUNK, sensitivity

TOY = "tests/data/toy.yaml"
EXAMPLES = 300


@st.composite
def batches(draw: st.DrawFn, integer: bool) -> list[np.ndarray]:
    n_draws, n_groups = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    tables = []
    for _ in range(n_groups):
        m = draw(st.integers(1, 5))
        if integer:
            vals = draw(st.lists(st.integers(-4, 4), min_size=n_draws * m * 2, max_size=n_draws * m * 2))
        else:  # mixed magnitudes, so that sums cancel and gains can be tiny next to the terms
            vals = draw(st.lists(st.floats(-10, 10, allow_nan=False).flatmap(
                lambda x: st.sampled_from([x, x * 1e9, x * 1e-9])), min_size=n_draws * m * 2,
                max_size=n_draws * m * 2))
        tables.append(np.array(vals, dtype=float).reshape(n_draws, m, 2))
    return tables


POWERS = st.sampled_from([(1.0, 1.0), (2.0, 1.0), (0.3, 0.7), (1.0, 4.0)])


def check_against_frontier(tables: list[np.ndarray], batna: tuple[float, float],
                           powers: tuple[float, float]) -> None:
    got = batch_nash(tables, batna, powers)
    for k in range(tables[0].shape[0]):
        ref = nash(pareto_frontier([t[k] for t in tables]), batna, powers)
        assert got.found[k] == (ref is not None)
        if ref is not None:
            assert got.utilities[k].tolist() == ref.utilities.tolist()
            u = tables[0][k, got.choices[k, 0]]
            for g in range(1, len(tables)):
                u = u + tables[g][k, got.choices[k, g]]
            assert u.tolist() == got.utilities[k].tolist()


@settings(max_examples=EXAMPLES, deadline=None)
@given(batches(integer=True), POWERS, st.tuples(st.integers(-3, 2), st.integers(-3, 2)))
def test_batch_nash_equals_frontier_nash_with_ties(tables: list[np.ndarray], powers: tuple[float, float],
                                                   batna: tuple[int, int]) -> None:
    check_against_frontier(tables, (float(batna[0]), float(batna[1])), powers)


@settings(max_examples=EXAMPLES, deadline=None)
@given(batches(integer=False), POWERS)
def test_batch_nash_equals_frontier_nash_on_floats(tables: list[np.ndarray], powers: tuple[float, float]) -> None:
    check_against_frontier(tables, (0.0, 0.0), powers)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-3, 3), st.integers(-3, 3)), min_size=1, max_size=40))
def testskyline_by_draw_is_the_skyline_of_each_draw(rows: list[tuple[int, int, int]]) -> None:
    rows = sorted(rows, key=lambda r: r[0])  # draws come grouped, as in batch_nash
    owner = np.array([r[0] for r in rows])
    pts = np.array([[r[1], r[2]] for r in rows], dtype=float)
    got = skyline_by_draw(pts, owner)
    for d in np.unique(owner):
        mine = {tuple(p) for p in pts[got[owner[got] == d]].tolist()}
        sel = np.flatnonzero(owner == d)
        assert mine == {tuple(p) for p in pts[sel][skyline(pts[sel])].tolist()}
        assert len(mine) == int((owner[got] == d).sum())  # each distinct point once


def test_utility_batch_is_payoffs_times_weight_matrix() -> None:
    rng = np.random.default_rng(0)
    payoffs = [rng.normal(size=(4, 5)) for _ in range(3)]
    party = np.array([0, 0, 1, 1, 1])
    w = weight_draws(np.ones(5), 3, 0.3, rng)
    batch = utility_batch(payoffs, party, w)
    for d in range(3):
        wm = np.zeros((5, 2))
        wm[np.arange(5), party] = w[d]
        for g in range(3):
            assert np.allclose(batch[g][d], payoffs[g] @ wm, rtol=1e-14, atol=0)


def test_korus_sweep_equals_frontier_nash_and_workers_agree() -> None:
    model = build_model(load_scenario("korus-2025"))
    cs = model.cs
    w = weight_draws(cs.weights, 120, 0.25, np.random.default_rng(5))
    one = sweep_weights(model.payoffs, cs.stakeholder_party, w, chunk=50)
    with ThreadPoolExecutor(2) as pool:  # another chunking, run out of order and collected in order
        two = sweep_weights(model.payoffs, cs.stakeholder_party, w, chunk=37, mapper=pool.map)
    assert np.array_equal(one.choices, two.choices) and np.array_equal(one.utilities, two.utilities)
    tables = utility_batch(model.payoffs, cs.stakeholder_party, w)
    for k in range(0, 120, 7):
        ref = nash(pareto_frontier([t[k] for t in tables]), [0.0, 0.0])
        assert ref is not None and one.utilities[k].tolist() == ref.utilities.tolist()


def reference_nash(ref: str, facts: dict[str, float] | None = None,
                   weight: tuple[str, float] | None = None) -> list[float] | None:
    """The Nash utilities from a full reload and rebuild (the slow, obviously right path)."""
    model = build_model(load_scenario(ref, overrides=facts or {}))
    cs = model.cs
    wm = cs.weight_matrix.copy()
    if weight is not None:
        s = cs.stakeholders.index(weight[0])
        wm[s, cs.stakeholder_party[s]] = weight[1]
    sol = nash(pareto_frontier([p @ wm for p in model.payoffs]), [0.0, 0.0], tuple(cs.bargaining_powers))
    return None if sol is None else sol.utilities.tolist()


@pytest.mark.parametrize("ref", [TOY, "korus-2025"])
def test_tornado_rows_equal_full_reruns(ref: str) -> None:
    res = sensitivity(load_scenario(ref), n_draws=0)
    rows = res.tornado if ref == TOY else [r for r in res.tornado if r.kind != "weight"][:6] + [
        r for r in res.tornado if r.kind == "elasticity"][:3] + [r for r in res.tornado if r.kind == "weight"][:3]
    assert {r.kind for r in rows} >= {"weight", "elasticity"}
    for row in rows:
        for side in (row.low, row.high):
            if row.kind == "weight":
                expected = reference_nash(ref, weight=(row.id, side.value))
            else:
                expected = reference_nash(ref, facts={row.id: side.value})
            got = None if side.utilities is None else list(side.utilities.values())
            assert got == expected, (row.id, side.value)


def test_tornado_is_sorted_and_flags_flips() -> None:
    res = sensitivity(load_scenario(TOY), n_draws=0, delta=0.5)
    sizes = [r.size for r in res.tornado]
    assert sizes == sorted(sizes, reverse=True)
    for r in res.tornado:
        assert r.flips == (bool(r.flipped_issues) or r.low.utilities is None or r.high.utilities is None)
        assert r.low.value == pytest.approx(r.base_value * 0.5) and r.high.value == pytest.approx(r.base_value * 1.5)
    kinds = {r.id: r.kind for r in res.tornado}
    assert kinds["eps"] == "elasticity" and kinds["aid"] == "valuation" and kinds["a_exporters"] == "weight"
    assert "r_a" not in kinds  # a discount rate is neither a valuation nor an elasticity


def test_bounds_replace_delta() -> None:
    res = sensitivity(load_scenario(TOY), n_draws=0, bounds={"aid": (1.0e7, 2.0e8)})
    row = next(r for r in res.tornado if r.id == "aid")
    assert (row.low.value, row.high.value) == (1.0e7, 2.0e8)


def test_sweep_is_seeded_and_shares_add_up() -> None:
    a = sensitivity(load_scenario(TOY), n_draws=300, seed=3)
    b = sensitivity(load_scenario(TOY), n_draws=300, seed=3)
    assert a.sweep is not None and b.sweep is not None
    assert a.to_dict()["sweep"] | {"seconds": 0} == b.to_dict()["sweep"] | {"seconds": 0}
    for issue in a.sweep.issues:
        assert sum(issue.shares.values()) == pytest.approx(1 - a.sweep.no_agreement_share)
        assert issue.base_share == issue.shares.get(issue.base_option, 0.0)
    json.dumps(a.to_dict())
    assert "flip" in repr(a) and len(a.to_frame()) == len(a.tornado)


@pytest.mark.slow
def test_sweep_on_two_dask_workers_equals_the_serial_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    loaded = load_scenario(TOY)
    model = build_model(loaded)
    n = 2 * SWEEP_CHUNK + 7  # three tasks, the last one short
    one = sensitivity(loaded, model, n_draws=n, seed=4, workers=1)
    two = sensitivity(loaded, model, n_draws=n, seed=4, workers=2)
    assert one.sweep is not None and two.sweep is not None
    assert two.sweep.workers == 2
    assert (one.to_dict()["sweep"] | {"seconds": 0, "workers": 0}) == (two.to_dict()["sweep"] | {"seconds": 0,
                                                                                                "workers": 0})


def test_progress_bar_goes_to_stderr(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The bar is drawn on stderr (rich treats the captured stream as a terminal here) and stdout stays empty."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich draws live bars only on what it takes for a terminal,
    monkeypatch.setenv("TERM", "xterm")  # and not on a "dumb" one (tests/test_docs.py sets TERM=dumb)
    sensitivity(load_scenario(TOY), n_draws=50, progress=True)
    out = capsys.readouterr()
    assert out.out == ""
    assert "Nash package per weight draw" in out.err and "100%" in out.err
