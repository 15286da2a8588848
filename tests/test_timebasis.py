"""One time basis: annuity factors, present values and annuity equivalents (tradetalks.econ.timebasis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradetalks.econ.timebasis import (
    annuity_equivalent,
    annuity_factor,
    duration_share,
    flow_equivalent,
    lump_equivalent,
    pv_of_flow,
    pv_of_lump,
)
from tradetalks.errors import TradetalksError

#: relative tolerance of closed forms against each other
REL = 1e-9
#: relative tolerance of the closed form against a numerical integral (trapezoid, 200,001 points)
REL_NUMERIC = 1e-6

rates = st.floats(min_value=0.0, max_value=0.5, allow_nan=False)
years = st.floats(min_value=0.01, max_value=40.0, allow_nan=False)


def test_annuity_factor_matches_a_numerical_integral() -> None:
    t = np.linspace(0.0, 10.0, 200_001)
    numeric = float(np.trapezoid(np.exp(-0.05 * t), t))
    assert annuity_factor(0.05, 10.0) == pytest.approx(numeric, rel=REL_NUMERIC)


@given(years)
def test_annuity_factor_is_continuous_at_a_zero_rate(t: float) -> None:
    assert annuity_factor(1e-12, t) == pytest.approx(annuity_factor(0.0, t), rel=1e-9)
    assert annuity_factor(0.0, t) == pytest.approx(t, rel=REL)


@given(rates, years, st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_a_flow_over_the_whole_horizon_keeps_its_size(r: float, h: float, a: float) -> None:
    assert flow_equivalent(a, r, h, 0.0, h) == pytest.approx(a, rel=REL, abs=1e-6)


@given(rates, years, years)
def test_duration_share_is_a_share_and_grows_with_duration(r: float, h: float, d: float) -> None:
    s = duration_share(r, h, d)
    assert 0.0 <= s <= 1.0 + REL
    assert duration_share(r, h, d * 1.5) >= s - REL
    assert duration_share(r, h, h + d) == pytest.approx(1.0, rel=REL)


@given(rates, years, st.floats(min_value=0.0, max_value=40.0))
def test_later_and_shorter_streams_are_worth_less(r: float, h: float, start: float) -> None:
    now = pv_of_flow(1.0, r, 0.0, 1.0, h)
    later = pv_of_flow(1.0, r, start, 1.0, h)
    assert later <= now + REL
    assert pv_of_lump(1.0, r, start, h) <= 1.0 + REL


def test_a_flow_is_cut_at_the_horizon_and_a_late_lump_is_not_counted() -> None:
    assert pv_of_flow(1.0, 0.05, 8.0, 5.0, 10.0) == pytest.approx(pv_of_flow(1.0, 0.05, 8.0, 2.0), rel=REL)
    assert pv_of_lump(1.0, 0.05, 11.0, 10.0) == 0.0
    assert lump_equivalent(annuity_factor(0.05, 10.0), 0.05, 10.0, 0.0) == pytest.approx(1.0, rel=REL)


def test_a_pledge_spread_over_its_own_period_is_not_a_ten_year_flow() -> None:
    """The old error: $100bn over 3.5 years was counted as $28.6bn a year next to ten-year flows."""
    old = 100e9 / 3.5
    new = flow_equivalent(old, 0.05, 10.0, 0.0, 3.5)
    assert new < 0.45 * old
    expected = old * (1 - math.exp(-0.05 * 3.5)) / (1 - math.exp(-0.05 * 10.0))
    assert new == pytest.approx(expected, rel=REL)


def test_annuity_equivalent_inverts_the_present_value() -> None:
    pv = pv_of_flow(3.0, 0.04, 0.0, 7.0)
    assert annuity_equivalent(pv, 0.04, 7.0) == pytest.approx(3.0, rel=REL)


@pytest.mark.parametrize("bad", [(-0.01, 10.0), (math.nan, 10.0), (0.05, -1.0)])
def test_bad_rates_and_years_are_refused(bad: tuple[float, float]) -> None:
    with pytest.raises(TradetalksError, match=r"rate|years"):
        annuity_factor(*bad)


def test_a_zero_horizon_is_refused() -> None:
    with pytest.raises(TradetalksError, match="horizon"):
        annuity_equivalent(1.0, 0.05, 0.0)
