"""Country-month fatalities: a predictive distribution per country and month, scored by CRPS.

The panel is ViEWS' country-month actuals (UCDP GED state-based deaths, ``ged_sb``) from a
folder laid out like the shared data (``views_competition_cm/cm_actuals_*.csv``). A forecast
made at the end of month O (the origin) gives, for each country and each of the next
``horizon`` months, an ensemble of samples of that month's deaths.

- ``hurdle``: gradient-boosted probability that the month has any deaths, times a log-normal
  for how many when it has (gradient-boosted mean of log(1 + deaths), residual spread from the
  training rows), both on features of the country's history up to the origin and the months
  ahead; sampled ``samples`` times with ``random_state``.
- Baselines, as in the ViEWS competition: ``zero`` (no deaths, always) and ``conflictology``
  (the country's last 12 months before the origin, each an equally likely outcome).

Scores: the continuous ranked probability score of each ensemble (``scoringrules``), its mean
over country-months, and its ratio to each baseline's (below 1 beats it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from flashpoint.errors import InvalidInput
from flashpoint.forecasts.event_panel import month_label

#: Features of a country at an origin, for a target month ``horizon`` months later.
FATALITY_FEATURES: Final = {
    "log_deaths": "log(1 + the country's state-based deaths in the origin month)",
    "log_mean_3m": "log(1 + mean monthly deaths over the origin month and the two before)",
    "log_mean_12m": "log(1 + mean monthly deaths over the last 12 months)",
    "months_with_deaths_12m": "months with any state-based deaths among the last 12",
    "months_since_deaths": "months since the last month with deaths (12 when none in the last 12)",
    "horizon": "months from the origin to the target month (1–12)",
}
HISTORY: Final = 12
#: ViEWS month_id 1 is January 1980.
_VIEWS_EPOCH: Final = 1980 * 12


def read_actuals(data_dir: Path, /) -> pd.DataFrame:
    """Every country-month of the actuals: ``country_id``, ``iso3``, ``name``, ``month``
    (months from year 0), ``deaths``.

    Raises
    ------
    InvalidInput
        When the folder has no actuals.
    """
    folder = Path(data_dir) / "views_competition_cm"
    files = sorted(folder.glob("cm_actuals_*.csv"))
    if not files or not (folder / "country_key.csv").is_file():
        raise InvalidInput(
            f"data folder {data_dir}: views_competition_cm/cm_actuals_*.csv and country_key.csv "
            "missing; give --data-dir a folder laid out like the shared data."
        )
    frames = [pd.read_csv(f).rename(columns={"ged_sb": "deaths", "outcome": "deaths"}) for f in files]
    actuals = pd.concat(frames, ignore_index=True).drop_duplicates(["country_id", "month_id"], keep="last")
    keys = pd.read_csv(folder / "country_key.csv").rename(columns={"id": "country_id", "isoab": "iso3"})
    actuals = actuals.merge(keys[["country_id", "iso3", "name"]], on="country_id", how="left")
    actuals["month"] = _VIEWS_EPOCH + actuals["month_id"].astype("int64") - 1
    return actuals[["country_id", "iso3", "name", "month", "deaths"]].sort_values(["country_id", "month"], ignore_index=True)


def _wide(actuals: pd.DataFrame) -> pd.DataFrame:
    """Deaths as a country × month table (months without a row are missing)."""
    return actuals.pivot(index="country_id", columns="month", values="deaths").sort_index(axis=1)


def features_at(wide: pd.DataFrame, origin: int, /) -> pd.DataFrame:
    """Each country's history features at the end of month ``origin`` (nothing later is read)."""
    past = wide.loc[:, [m for m in wide.columns if origin - HISTORY < m <= origin]].to_numpy(dtype="float64")
    if past.shape[1] < HISTORY:
        raise InvalidInput(
            f"origin {month_label(origin)}: the actuals hold {past.shape[1]} of the {HISTORY} months of history before it."
        )
    positive = past > 0
    last_positive = np.where(positive.any(axis=1), HISTORY - 1 - np.argmax(positive[:, ::-1], axis=1), -1)
    return pd.DataFrame(
        {
            "country_id": wide.index,
            "origin": origin,
            "log_deaths": np.log1p(past[:, -1]),
            "log_mean_3m": np.log1p(past[:, -3:].mean(axis=1)),
            "log_mean_12m": np.log1p(past.mean(axis=1)),
            "months_with_deaths_12m": positive.sum(axis=1),
            "months_since_deaths": np.where(last_positive >= 0, HISTORY - 1 - last_positive, HISTORY),
        }
    )


def training_rows(wide: pd.DataFrame, origin: int, /, *, horizon: int = 12) -> pd.DataFrame:
    """Rows of every earlier origin a and horizon h with a + h ≤ ``origin``: features at a and
    the deaths of month a + h (``deaths``)."""
    first = int(wide.columns.min()) + HISTORY - 1
    rows = []
    for anchor in range(first, origin):
        base = features_at(wide, anchor)
        for h in range(1, min(horizon, origin - anchor) + 1):
            rows.append(base.assign(horizon=h, month=anchor + h, deaths=wide[anchor + h].to_numpy()))
    if not rows:
        raise InvalidInput(f"origin {month_label(origin)}: no earlier months to train on.")
    return pd.concat(rows, ignore_index=True).dropna(subset=["deaths"])


@dataclass(frozen=True)
class FatalityBacktest:
    """Mean CRPS per model and baseline, the ratios, per-country-month scores, and the design."""

    scores: pd.DataFrame
    by_row: pd.DataFrame
    design: dict[str, object]


class HurdleFatalities:
    """Any deaths (boosted classifier) × how many (log-normal around a boosted mean); samples."""

    def __init__(self, *, samples: int = 1000, random_state: int = 0, max_iter: int = 200) -> None:
        self.samples = samples
        self.random_state = random_state
        self.max_iter = max_iter

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> HurdleFatalities:  # noqa: N803 - scikit-learn's name
        y = np.asarray(y, dtype="float64")
        features = X[list(FATALITY_FEATURES)]
        self.any_ = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=0.05, random_state=self.random_state
        ).fit(features, y > 0)
        positive = y > 0
        self.size_ = HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=0.05, random_state=self.random_state
        ).fit(features[positive], np.log1p(y[positive]))
        self.sigma_ = float(np.std(np.log1p(y[positive]) - self.size_.predict(features[positive]), ddof=1))
        return self

    def sample(self, X: pd.DataFrame) -> np.ndarray:  # noqa: N803
        """``samples`` draws of deaths for each row (rows × samples)."""
        if not hasattr(self, "sigma_"):
            raise InvalidInput("HurdleFatalities: fit the model before sampling from it.")
        features = X[list(FATALITY_FEATURES)]
        p = self.any_.predict_proba(features)[:, 1]
        mean = self.size_.predict(features)
        rng = np.random.default_rng(self.random_state)
        hit = rng.random((len(X), self.samples)) < p[:, None]
        size = np.maximum(np.rint(np.expm1(mean[:, None] + self.sigma_ * rng.standard_normal(hit.shape))), 1.0)
        return np.where(hit, size, 0.0)


def backtest_fatalities(
    actuals: pd.DataFrame, /, *, test_start: int, horizon: int = 12, samples: int = 1000, random_state: int = 0
) -> FatalityBacktest:
    """Forecast the ``horizon`` months from ``test_start`` made at the end of the month before,
    trained on everything known then; score every country-month with outcomes by CRPS.

    Raises
    ------
    InvalidInput
        When the actuals lack the history before ``test_start`` or the months after it.
    """
    wide = _wide(actuals)
    origin = test_start - 1
    months = [m for m in range(test_start, test_start + horizon) if m in wide.columns]
    if not months:
        raise InvalidInput(f"test start {month_label(test_start)}: the actuals end in {month_label(wide.columns.max())}.")
    train = training_rows(wide, origin, horizon=horizon)
    now = features_at(wide, origin)
    test = pd.concat(
        [now.assign(horizon=m - origin, month=m, deaths=wide[m].to_numpy()) for m in months], ignore_index=True
    ).dropna(subset=["deaths"])
    model = HurdleFatalities(samples=samples, random_state=random_state).fit(train, train["deaths"].to_numpy())
    past = wide.loc[test["country_id"], [m for m in wide.columns if origin - HISTORY < m <= origin]].to_numpy()
    ensembles = {"hurdle": model.sample(test), "zero": np.zeros((len(test), 1)), "conflictology": past}
    observed = test["deaths"].to_numpy(dtype="float64")
    import scoringrules  # noqa: PLC0415 - compiles its kernels on import (2.4 s): not for every command

    by_row = test[["country_id", "month", "horizon", "deaths"]].copy()
    for name, ensemble in ensembles.items():
        by_row[name] = scoringrules.crps_ensemble(observed, ensemble.astype("float64"))
    means = {name: float(by_row[name].mean()) for name in ensembles}
    scores = pd.DataFrame(
        [
            {
                "model": name,
                "kind": "model" if name == "hurdle" else "baseline",
                "crps": value,
                "ratio_to_zero": value / means["zero"],
                "ratio_to_conflictology": value / means["conflictology"],
            }
            for name, value in means.items()
        ]
    )
    design = {
        "origin": month_label(origin),
        "test_months": [month_label(months[0]), month_label(months[-1])],
        "train_rows": len(train),
        "test_rows": len(test),
        "countries": int(test["country_id"].nunique()),
        "samples": samples,
    }
    return FatalityBacktest(scores=scores, by_row=by_row, design=design)


def render_fatalities_markdown(result: FatalityBacktest, /) -> str:
    """The fatalities backtest as Markdown: design and the CRPS table."""
    d = result.design
    lines = [
        f"Forecasts made at the end of {d['origin']} for {d['test_months'][0]}–{d['test_months'][1]}; "
        f"{d['train_rows']:,} training rows, {d['test_rows']:,} country-months scored "
        f"({d['countries']} countries), {d['samples']} samples per forecast.",
        "",
        "| model | kind | mean CRPS | ratio to zero | ratio to conflictology |",
        "|---|---|---|---|---|",
    ]
    for r in result.scores.itertuples():
        lines.append(f"| {r.model} | {r.kind} | {r.crps:.2f} | {r.ratio_to_zero:.3f} | {r.ratio_to_conflictology:.3f} |")
    return "\n".join(lines) + "\n"
