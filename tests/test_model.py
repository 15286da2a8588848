"""The model's payoff tables are exactly what valuing every compound option one by one gives."""

from __future__ import annotations

import numpy as np
import pytest

from tradetalks.econ.valuation import stakeholder_payoffs
from tradetalks.model import build_model
from tradetalks.scenario import load_scenario


@pytest.mark.parametrize("scenario", ["tests/data/toy.yaml", "korus-2025"])
def test_group_payoffs_are_stakeholder_payoffs_row_by_row(scenario: str) -> None:
    model = build_model(load_scenario(scenario))
    assert len(model.groups) == len(model.payoffs)
    for g, pay in zip(model.groups, model.payoffs, strict=True):
        one_by_one = np.array([stakeholder_payoffs(model.cs, row, g.issues) for row in g.combos])
        assert pay.shape == one_by_one.shape
        assert np.array_equal(pay, one_by_one), "bit for bit, not merely close"
    assert any(len(g.issues) > 1 for g in model.groups) or scenario.endswith("toy.yaml")
