"""Draws of σ for a gravity run: the same solves as the run at its own σ, seeded, and the same on Dask workers."""

from __future__ import annotations

import faulthandler
import json
import textwrap
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.test_gravity_spec import write_flows
from tradetalks.econ.gravity.cli import app
from tradetalks.econ.gravity.run import DRAW_CHUNK, DRAW_FIELDS, run_spec, sigma_draws
from tradetalks.econ.gravity.spec import SpecFile, load_spec
from tradetalks.errors import DataError
from tradetalks.executor import SCHEDULER_ENV, Executor

#: the same solver on the same inputs: only summation order may differ (percentage points)
SAME_SOLVE_PP = 1e-9
#: seconds before the watchdog ends a hung Dask test
DASK_TEST_TIMEOUT_S = 120

TWO_SCENARIOS = """\
title: small test, two scenarios
data:
  file: flows.csv
year: 2004
sigma: 5
reference: CCC
trade_costs:
  variables:
    - {name: ln_DIST, column: DIST, transform: log}
    - {name: RTA}
    - {name: BRDR, transform: international}
  coefficients: {ln_DIST: -0.9, RTA: 0.5, BRDR: -2.0}
scenarios:
  - name: rta
    kind: full
    edits:
      - {set: RTA, value: 1, exporters: [AAA, CCC], importers: [AAA, CCC]}
  - name: tariff
    kind: full
    effect: of-baseline
    edits:
      - {tariff: 0.25, exporters: [AAA], importers: [BBB]}
"""


@pytest.fixture
def spec(tmp_path: Path) -> SpecFile:
    write_flows(tmp_path)
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(TWO_SCENARIOS), encoding="utf-8")
    return load_spec(path)


def test_draws_at_the_runs_sigma_reproduce_its_tables(spec: SpecFile) -> None:
    run = run_spec(spec)
    draws = sigma_draws(spec, run, 3, 5.0, 5.0, seed=1)
    assert draws.values.shape == (3, 2, 5, len(DRAW_FIELDS))
    for k, scenario in enumerate(run.scenarios):
        table = scenario.countries.set_index("country").loc[list(draws.countries)]
        for f, name in enumerate(DRAW_FIELDS):
            assert np.abs(draws.values[:, k, :, f] - table[name].to_numpy()).max() < SAME_SOLVE_PP


def test_draws_are_seeded_and_sigma_moves_the_tariff_scenario(spec: SpecFile) -> None:
    run = run_spec(spec)
    a = sigma_draws(spec, run, 2 * DRAW_CHUNK + 3, 3.0, 9.0, seed=7)
    b = sigma_draws(spec, run, 2 * DRAW_CHUNK + 3, 3.0, 9.0, seed=7)
    assert np.array_equal(a.sigmas, b.sigmas) and np.array_equal(a.values, b.values)
    assert a.sigmas.min() >= 3.0 and a.sigmas.max() <= 9.0
    tariff_gdp = a.values[:, 1, :, DRAW_FIELDS.index("real_gdp")]
    assert np.ptp(tariff_gdp, axis=0).max() > 0
    frame = a.to_frame()
    assert len(frame) == 2 * 5 * len(DRAW_FIELDS)
    assert (frame["p5"] <= frame["p50"]).all() and (frame["p50"] <= frame["p95"]).all()


def test_bad_sigma_ranges_are_refused(spec: SpecFile) -> None:
    run = run_spec(spec)
    with pytest.raises(DataError, match="greater than 1"):
        sigma_draws(spec, run, 10, 0.5, 4.0)
    with pytest.raises(DataError, match="low <= high"):
        sigma_draws(spec, run, 10, 6.0, 4.0)


@pytest.mark.slow
def test_draws_on_two_dask_workers_equal_the_serial_draws(spec: SpecFile, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    run = run_spec(spec)
    serial = sigma_draws(spec, run, 3 * DRAW_CHUNK + 1, 4.0, 8.0, seed=3)
    faulthandler.dump_traceback_later(DASK_TEST_TIMEOUT_S, exit=True)
    try:
        with Executor(workers=2) as ex:
            done: list[int] = []
            dask = sigma_draws(spec, run, 3 * DRAW_CHUNK + 1, 4.0, 8.0, seed=3,
                               mapper=partial(ex.map, progress=lambda d, n: done.append(d)))
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert serial.values.tobytes() == dask.values.tobytes()
    assert done == [1, 2, 3, 4]


def test_cli_writes_the_draws(spec: SpecFile, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(spec.path), "--out", str(out), "--sigma-draws", "12",
                                   "--sigma-range", "4", "6", "--workers", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["sigma_draws"] == {"draws": 12, "low": 4.0, "high": 6.0, "seed": 0,
                                                     "file": "sigma_draws.csv"}
    table = pd.read_csv(out / "sigma_draws.csv")
    assert set(table["scenario"]) == {"rta", "tariff"} and set(table["field"]) == set(DRAW_FIELDS)
