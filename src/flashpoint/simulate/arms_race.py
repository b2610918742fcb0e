"""Richardson's arms race between two states, fitted to their military expenditure.

    dx/dt = k·y − a·x + g        dy/dt = l·x − b·y + h

x and y are the two states' spending; k and l are how much each reacts to the other's arms
(defence), a and b the fatigue of keeping its own, g and h the grievances that drive spending
regardless. In yearly steps, x(t+1) − x(t) = k·y(t) − a·x(t) + g: each equation is a least-
squares regression of a state's yearly change on both levels. The system is stable (spending
settles at an equilibrium) when a·b > k·l; otherwise it runs away.

The projection feeds the ladder through :func:`fit_coupling`: how a pair's combined spending
growth has moved its weekly steps up, estimated across the store's pairs with spending data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import duckdb
import numpy as np
import pandas as pd

from flashpoint.errors import InvalidInput
from flashpoint.indicators.spending import PUBLICATION_LAG_DAYS
from flashpoint.simulate.chain import week_start

#: The SIPRI sheet the fit reads (comparable across countries and years).
UNIT = "constant 2021 US$ million"
MIN_YEARS = 8


@dataclass(frozen=True)
class Richardson:
    """Fitted parameters, their standard errors, the years fitted and the last levels."""

    k: float
    a: float
    g: float
    l: float  # noqa: E741 - Richardson's own name
    b: float
    h: float
    se: dict[str, float]
    years: tuple[int, int]
    last: tuple[float, float]

    @property
    def stable(self) -> bool:
        return self.a * self.b > self.k * self.l

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "stable": self.stable}


def _regress(change: np.ndarray, other: np.ndarray, own: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS of change on [other, own, 1]: coefficients (reaction, −fatigue, grievance) and SEs."""
    x = np.column_stack([other, own, np.ones_like(own)])
    coef, *_ = np.linalg.lstsq(x, change, rcond=None)
    resid = change - x @ coef
    sigma2 = resid @ resid / max(len(change) - 3, 1)
    return coef, np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ x)))


def fit_richardson(x: np.ndarray, y: np.ndarray, years: np.ndarray, /) -> Richardson:
    """Fit both equations to yearly spending ``x`` and ``y`` (same years, consecutive).

    Raises
    ------
    InvalidInput
        With fewer than :data:`MIN_YEARS` years.
    """
    x, y = np.asarray(x, dtype="float64"), np.asarray(y, dtype="float64")
    if len(x) < MIN_YEARS:
        raise InvalidInput(f"arms race: {len(x)} common years of spending; the fit needs at least {MIN_YEARS}.")
    (k, neg_a, g), (se_k, se_a, se_g) = _regress(np.diff(x), y[:-1], x[:-1])
    (l_, neg_b, h), (se_l, se_b, se_h) = _regress(np.diff(y), x[:-1], y[:-1])
    return Richardson(
        k=float(k),
        a=float(-neg_a),
        g=float(g),
        l=float(l_),
        b=float(-neg_b),
        h=float(h),
        se={"k": float(se_k), "a": float(se_a), "g": float(se_g), "l": float(se_l), "b": float(se_b), "h": float(se_h)},
        years=(int(years[0]), int(years[-1])),
        last=(float(x[-1]), float(y[-1])),
    )


def project(model: Richardson, years: int, /) -> np.ndarray:
    """Spending of both states for the next ``years`` years (years × 2), from the last levels."""
    x, y = model.last
    path = []
    for _ in range(years):
        x, y = x + model.k * y - model.a * x + model.g, y + model.l * x - model.b * y + model.h
        path.append((x, y))
    return np.array(path)


def _published(known_by: dt.date) -> str:
    """SQL: a SIPRI year's figure was published by ``known_by`` (:data:`PUBLICATION_LAG_DAYS`)."""
    lag = PUBLICATION_LAG_DAYS["sipri"]
    return f"make_date(year, 12, 31) + {int(lag)} <= DATE '{known_by.isoformat()}'"


def read_spending(con: duckdb.DuckDBPyConnection, pair: tuple[str, str], /, *, known_by: dt.date) -> pd.DataFrame:
    """Both states' yearly spending (US$ billion, constant 2021) over their common consecutive
    years up to the last published by ``known_by``: columns ``year``, ``x``, ``y``; empty when
    the store has none."""
    rows = con.execute(
        "SELECT year, iso3, value / 1000 AS value FROM milex WHERE unit = ? AND iso3 IN (?, ?) "
        f"AND value IS NOT NULL AND {_published(known_by)} ORDER BY year",
        [UNIT, *pair],
    ).df()
    wide = rows.pivot(index="year", columns="iso3", values="value").dropna() if not rows.empty else rows
    if wide.empty or set(pair) - set(wide.columns):
        return pd.DataFrame(columns=["year", "x", "y"])
    years = wide.index.to_numpy()
    gaps = np.nonzero(np.diff(years) != 1)[0]
    wide = wide.iloc[gaps[-1] + 1 :] if len(gaps) else wide
    return pd.DataFrame({"year": wide.index.to_numpy(), "x": wide[pair[0]].to_numpy(), "y": wide[pair[1]].to_numpy()})


#: Fewest steps up among pair-weeks with spending for the coupling to be estimated.
MIN_STEPS_UP = 10


@dataclass(frozen=True)
class Coupling:
    """How spending growth moves steps up the ladder: the log-odds of a step up next week per
    unit of the pair's combined spending growth that year (``gamma``, its standard error), from
    ``weeks`` pair-weeks with ``steps_up`` steps up; ``None`` when not estimable (``note`` says why)."""

    gamma: float | None
    se: float | None
    weeks: int
    steps_up: int
    note: str


def spending_growth(con: duckdb.DuckDBPyConnection, /, *, known_by: dt.date) -> pd.DataFrame:
    """Every pair of states' combined spending growth per year (``pair``, ``year``, ``growth``:
    the relative change of the two states' summed SIPRI spending on the previous year), of the
    years published by ``known_by``."""
    return con.execute(
        f"""
WITH s AS (SELECT iso3, year, value FROM milex WHERE unit = ? AND value IS NOT NULL AND {_published(known_by)}),
pairs AS (SELECT DISTINCT pair, split_part(pair, '-', 1) AS a, split_part(pair, '-', 2) AS b FROM events
          WHERE pair IS NOT NULL)
SELECT p.pair, x.year, (x.value + y.value) / nullif(xp.value + yp.value, 0) - 1 AS growth
FROM pairs p JOIN s x ON x.iso3 = p.a JOIN s y ON y.iso3 = p.b AND y.year = x.year
JOIN s xp ON xp.iso3 = p.a AND xp.year = x.year - 1 JOIN s yp ON yp.iso3 = p.b AND yp.year = x.year - 1""",
        [UNIT],
    ).df()


def fit_coupling(histories: pd.DataFrame, growth: pd.DataFrame, /) -> Coupling:
    """Logistic regression of a step up next week on the pair's spending growth of the week's
    year, over every pair-week (``histories``: pair, week, stage) with a growth figure."""
    import statsmodels.api as sm

    h = histories.sort_values(["pair", "week"]).copy()
    h["up"] = (h.groupby("pair")["stage"].shift(-1) > h["stage"]).astype("float64")
    h["year"] = week_start(h["week"]).dt.year
    rows = h.merge(growth, on=["pair", "year"]).dropna(subset=["growth"])
    ups = int(rows["up"].sum())
    if ups < MIN_STEPS_UP or rows["growth"].std() == 0:
        return Coupling(
            None,
            None,
            len(rows),
            ups,
            f"not estimated: {ups} steps up among {len(rows):,} pair-weeks "
            f"with spending figures (at least {MIN_STEPS_UP} needed)",
        )
    fit = sm.Logit(rows["up"].to_numpy(), sm.add_constant(rows["growth"].to_numpy())).fit(disp=0)
    gamma, se = float(fit.params[1]), float(fit.bse[1])
    return Coupling(
        gamma,
        se,
        len(rows),
        ups,
        f"log-odds of a step up {gamma:+.2f} (SE {se:.2f}) per unit of "
        f"spending growth, from {len(rows):,} pair-weeks ({ups} steps up)",
    )
