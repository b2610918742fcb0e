"""The weighted comparison recovers a planted effect that a raw comparison gets wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd

from flashpoint.responses.estimate import MIN_GROUP, weighted_effects


def _situations(n: int = 3000, effect: float = -0.15, seed: int = 5) -> pd.DataFrame:
    """Hard cases (high severity) get the lever more often and escalate more often; the lever
    itself lowers escalation by ``effect``."""
    rng = np.random.default_rng(seed)
    severity = rng.normal(size=n)
    treated = (rng.random(n) < 1 / (1 + np.exp(-1.5 * severity))).astype(int)
    base = 0.3 + 0.15 * np.tanh(severity)
    escalated = (rng.random(n) < base + effect * treated).astype(float)
    return pd.DataFrame({"severity": severity, "treated": treated, "escalated": escalated})


def test_a_planted_effect_is_recovered_within_its_interval() -> None:
    frame = _situations()
    [effect] = weighted_effects(frame, treated="treated", outcomes=["escalated"], covariates=["severity"], n_boot=200).values()
    assert effect.low < -0.15 < effect.high and effect.high < 0
    assert abs(effect.effect + 0.15) < 0.04
    assert effect.raw_difference > effect.effect + 0.05  # confounding hides part of the effect in the raw gap
    assert effect.balance < 0.1 and effect.n_treated + effect.n_control == len(frame)


def test_no_effect_gives_an_interval_around_zero() -> None:
    [effect] = weighted_effects(
        _situations(effect=0.0), treated="treated", outcomes=["escalated"], covariates=["severity"], n_boot=200
    ).values()
    assert effect.low < 0 < effect.high


def test_missing_outcomes_are_left_out_and_small_groups_get_no_estimate() -> None:
    frame = _situations(n=400)
    frame.loc[::4, "escalated"] = np.nan
    [effect] = weighted_effects(frame, treated="treated", outcomes=["escalated"], covariates=["severity"], n_boot=50).values()
    assert effect.n_treated + effect.n_control == 300
    few = frame.assign(treated=0)
    few.loc[: MIN_GROUP - 2, "treated"] = 1
    [none] = weighted_effects(few, treated="treated", outcomes=["escalated"], covariates=["severity"]).values()
    assert none.effect is None and none.low is None and none.n_treated < MIN_GROUP
