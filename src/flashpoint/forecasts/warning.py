"""The 30-day warning model: for every pair and period, the probability of an escalation onset
between the two states within the next ``horizon_days`` (docs/adr/025).

The rows are pair-periods (weeks by default, the ``alert_freq`` setting) from the pair's first
event (or series value) to the store's last period; periods that are gaps in the store's data
have no row and no probability. Each row's features are computed from that period and the
ones before it only: the pair's conflict volume over several windows, its trend and
volatility, the share of it confident, the pair's share of the world's attention, the
onsets of the pair known by then, and (events) whether the two states share a border. The
target of a row is an onset of its pair within the horizon after the period's last day.

Probabilities come from a rolling origin: every ``refit_days`` the model is fitted on the rows
whose horizon had closed by the origin, with the onsets known by then, and scores the periods
up to the next origin. The warning threshold of each origin is chosen on its training rows:
the lowest probability at which the pair-periods flagged without an onset following stay
within ``budget`` false alarms per pair-year. Nothing is read after the origin.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.alerts import EVENTS_BASIS, AlertRun, raise_alerts
from flashpoint.escalation.scorecard import read_onsets
from flashpoint.pairs import pair_key
from flashpoint.periods import PANDAS_PERIOD
from flashpoint.sql import sql_strings
from flashpoint.store.connection import transaction
from flashpoint.store.coverage import gap_periods
from flashpoint.wording import quantity

#: Days in a period of each frequency the model runs at (windows are written in days).
PERIOD_DAYS: Final = {"day": 1, "week": 7, "month": 30}
#: Windows of the rolling features, in days.
WINDOWS: Final = {"month": 28, "quarter": 91, "year": 364}
#: The models the warning can use (docs/adr/025: chosen on the development data).
MODELS: Final = ("logit", "boosting")
#: What each feature is, in the words a warning's drivers use.
FEATURES: Final = {
    "material_quarter": "material conflict over the last quarter",
    "verbal_quarter": "verbal conflict over the last quarter",
    "material_trend": "material conflict this month against its year",
    "verbal_trend": "verbal conflict this month against its year",
    "attention_year": "the pair's share of the world's reports over the year",
    "confident_share": "share of the quarter's conflict reports that are confident",
    "volatility": "week-to-week swings in the pair's conflict",
    "prior_onsets": "escalation onsets of the pair before",
    "contiguous": "the two states share a border",
}
#: The features of a score series (negative values are conflict; no event profile).
SERIES_FEATURES: Final = {
    "conflict_month": "conflict score over the last month",
    "conflict_quarter": "conflict score over the last quarter",
    "conflict_trend": "conflict this month against its year",
    "conflict_z": "this month's conflict against the pair's own history",
    "volatility": "swings in the pair's conflict score",
    "prior_onsets": "escalation onsets of the pair before",
}
#: Folds of the calibration; a fit needs at least as many positive rows.
CALIBRATION_FOLDS: Final = 3
#: Pseudo-periods of the overall rate a pair's own base rate is shrunk toward.
PRIOR_PERIODS: Final = 52
#: The shipped onset lists the model learns from by default (forecasts/data/PROVENANCE.md).
SHIPPED_ONSETS: Final = ("onsets_2012_2015.csv", "onsets_2018_2024.csv")


@dataclass(frozen=True)
class WarningSpec:
    """What the warning model is asked: the basis ('events' or 'series:NAME'), the period, the
    horizon, the false-alarm budget, the model, how often it is refitted and how many onsets it
    needs before it answers."""

    basis: str = EVENTS_BASIS
    freq: str = "week"
    horizon_days: int = 30
    budget: float = 1.0
    model: str = "logit"
    refit_days: int = 91
    min_onsets: int = 3

    @classmethod
    def from_settings(cls, settings: Settings, /, *, basis: str = EVENTS_BASIS, freq: str | None = None) -> WarningSpec:
        """The spec the settings give (``warning_*`` and ``alert_freq``)."""
        return cls(
            basis=basis,
            freq=freq or settings.alert_freq,
            horizon_days=settings.warning_horizon_days,
            budget=settings.warning_false_alarms,
            model=settings.warning_model,
            refit_days=settings.warning_refit_days,
            min_onsets=settings.warning_min_onsets,
        )

    def check(self) -> None:
        """Raise InvalidInput for a frequency or model the warning does not run."""
        if self.freq not in PERIOD_DAYS:
            raise InvalidInput(f"the warning model runs by {', '.join(PERIOD_DAYS)}, not by {self.freq}.")
        if self.model not in MODELS:
            raise InvalidInput(f"warning model '{self.model}': use one of {', '.join(MODELS)}.")

    @property
    def features(self) -> dict[str, str]:
        return FEATURES if self.basis == EVENTS_BASIS else SERIES_FEATURES


def training_onsets(files: tuple[Path, ...] = (), /, *, settings: Settings | None = None) -> pd.DataFrame:
    """The onsets the model learns from: the shipped lists, the ``warning_onsets`` file of
    ``settings`` and ``files`` (same columns), one row per pair and day."""
    shipped = resources.files("flashpoint.forecasts") / "data"
    if settings is not None and settings.warning_onsets:
        files = (settings.warning_onsets, *files)
    frames = [read_onsets(Path(str(shipped / name))) for name in SHIPPED_ONSETS]
    frames += [read_onsets(path) for path in files]
    return pd.concat(frames, ignore_index=True).drop_duplicates(["pair", "onset_date"], ignore_index=True)


def _event_signals(
    con: duckdb.DuckDBPyConnection,
    freq: str,
    min_confidence: float,
    /,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    pairs: tuple[str, ...] | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Per pair (of ``pairs``, when given) and period, incidents (clusters counted once): all,
    verbal conflict (quad class 3), material conflict (4), confident conflict; and, per period,
    the world's incidents (every event's)."""
    window = " ".join(
        f"AND event_date {op} DATE '{day.isoformat()}'" for op, day in ((">=", since), ("<=", until)) if day is not None
    )
    chosen = "" if pairs is None else f"AND pair IN ({sql_strings(pairs) or 'NULL'})"
    period = f"CAST(date_trunc('{freq}', event_date) AS DATE)"
    world = con.sql(
        f"SELECT {period} AS period, count(DISTINCT coalesce(cluster_id, event_id)) AS world FROM events "
        f"WHERE TRUE {window} GROUP BY ALL"
    ).df()
    rows = con.sql(f"""
SELECT pair, {period} AS period, count(DISTINCT coalesce(cluster_id, event_id)) AS events,
       count(DISTINCT coalesce(cluster_id, event_id)) FILTER (quad_class = 3) AS verbal,
       count(DISTINCT coalesce(cluster_id, event_id)) FILTER (quad_class = 4) AS material,
       count(DISTINCT coalesce(cluster_id, event_id)) FILTER (quad_class IN (3, 4)
           AND coalesce(confidence, 1) >= {float(min_confidence)}) AS confident
FROM events WHERE pair IS NOT NULL {window} {chosen} GROUP BY ALL""").df()
    return rows, world.set_index(pd.to_datetime(world["period"]))["world"].sort_index()


def _series_signals(con: duckdb.DuckDBPyConnection, series: str, freq: str, until: dt.date | None) -> pd.DataFrame:
    """Per pair and period, the series' conflict: minus the sum of its values."""
    where = "" if until is None else f" AND date <= DATE '{until.isoformat()}'"
    frame = con.execute(
        f"SELECT pair, CAST(date_trunc('{freq}', date) AS DATE) AS period, -sum(value) AS conflict "
        f"FROM pair_series WHERE series = ?{where} GROUP BY ALL",
        [series],
    ).df()
    if frame.empty:
        raise InvalidInput(
            f"no stored series named '{series}'. Load one with 'flashpoint ingest series PATH --value-column COLUMN'."
        )
    return frame


def _dense(signals: pd.DataFrame, freq: str, gaps: list[dt.date], periods: pd.DatetimeIndex) -> pd.DataFrame:
    """Every period of ``periods`` (the store's, in order) of each pair from its first, gaps left
    out; periods with no row are zero."""
    signals = signals.assign(period=pd.to_datetime(signals["period"]))
    periods = pd.period_range(periods.min(), periods.max(), freq=PANDAS_PERIOD[freq]).start_time.normalize()
    periods = periods[~periods.isin(pd.to_datetime(gaps))] if gaps else periods
    first = signals.groupby("pair")["period"].min()
    index = np.searchsorted(periods.to_numpy(), first.to_numpy())
    counts = len(periods) - index
    grid = pd.DataFrame(
        {
            "pair": np.repeat(first.index.to_numpy(), counts),
            "period": np.concatenate([periods.to_numpy()[i:] for i in index]) if len(index) else [],
        }
    )
    frame = grid.merge(signals, on=["pair", "period"], how="left")
    return frame.fillna({c: 0.0 for c in frame.columns if c not in ("pair", "period")}).sort_values(
        ["pair", "period"], ignore_index=True
    )


def _rolling(frame: pd.DataFrame, column: str | pd.Series, periods: int, how: str = "mean", *, min_periods: int = 1) -> pd.Series:
    """Per pair (``frame`` sorted by pair and period), the rolling ``how`` of ``column`` over the
    ``periods`` up to each row."""
    values = frame[column] if isinstance(column, str) else column
    rolled = getattr(values.groupby(frame["pair"], sort=False).rolling(periods, min_periods=min_periods), how)()
    return rolled.reset_index(level=0, drop=True).reindex(frame.index)


def _prior_onsets(frame: pd.DataFrame, onsets: pd.DataFrame) -> pd.Series:
    """Per row, the onsets of its pair on or before its last day (known then)."""
    days = onsets.assign(onset_date=pd.to_datetime(onsets["onset_date"])).sort_values("onset_date")
    found = np.zeros(len(frame))
    for pair, rows in frame.groupby("pair", sort=False).groups.items():
        mine = days.loc[days["pair"] == pair, "onset_date"].to_numpy()
        if len(mine):
            found[frame.index.get_indexer(rows)] = np.searchsorted(mine, frame.loc[rows, "as_of"].to_numpy(), side="right")
    return pd.Series(found, index=frame.index)


def _event_features(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    freq: str,
    window: dict[str, int],
    *,
    since: dt.date | None,
    until: dt.date | None,
    pairs: tuple[str, ...] | None,
) -> pd.DataFrame:
    """Every pair-period of the events with the features of :data:`FEATURES` read from them (all
    but volatility and the pair's onsets), ``window`` the periods of a month, a quarter and a year."""
    signals, world = _event_signals(con, freq, settings.alert_min_confidence, since=since, until=until, pairs=pairs)
    if signals.empty:
        raise InvalidInput("the store holds no event between two states: ingest events first.")
    frame = _dense(signals, freq, gap_periods(con, freq, until=until), world.index)
    for name in ("events", "verbal", "material", "confident"):
        frame[name] = np.log1p(frame[name])
    frame["material_quarter"] = _rolling(frame, "material", window["quarter"])
    frame["verbal_quarter"] = _rolling(frame, "verbal", window["quarter"])
    frame["material_trend"] = _rolling(frame, "material", window["month"]) - _rolling(frame, "material", window["year"])
    frame["verbal_trend"] = _rolling(frame, "verbal", window["month"]) - _rolling(frame, "verbal", window["year"])
    world_year = np.log1p(world.rolling(window["year"], min_periods=1).mean())
    frame["attention_year"] = _rolling(frame, "events", window["year"]) - frame["period"].map(world_year)
    conflict = np.expm1(frame["verbal"]) + np.expm1(frame["material"])
    frame["conflict"] = np.log1p(conflict)
    frame["confident_share"] = (
        _rolling(frame, np.expm1(frame["confident"]), window["quarter"], "sum")
        / _rolling(frame, conflict, window["quarter"], "sum")
    ).fillna(0.0)
    borders = {pair_key(pair) for pair in con.execute("SELECT iso3, neighbour FROM country_neighbours").fetchall()}
    frame["contiguous"] = frame["pair"].isin(borders).astype("float64")
    return frame


def _series_features(
    con: duckdb.DuckDBPyConnection, series: str, freq: str, window: dict[str, int], until: dt.date | None
) -> pd.DataFrame:
    """Every pair-period of the stored ``series`` with the features of :data:`SERIES_FEATURES` read
    from it (all but volatility and the pair's onsets)."""
    signals = _series_signals(con, series, freq, until)
    frame = _dense(signals, freq, [], pd.DatetimeIndex(pd.to_datetime(signals["period"])))
    # On a signed log scale: raw scores run to thousands on a few pairs and would decide the fit.
    frame["conflict"] = np.sign(frame["conflict"]) * np.log1p(frame["conflict"].abs())
    frame["conflict_month"] = _rolling(frame, "conflict", window["month"])
    frame["conflict_quarter"] = _rolling(frame, "conflict", window["quarter"])
    frame["conflict_trend"] = frame["conflict_month"] - _rolling(frame, "conflict", window["year"])
    history = frame.groupby("pair", sort=False)["conflict"]
    mean = history.expanding().mean().reset_index(level=0, drop=True).reindex(frame.index)
    sd = history.expanding(min_periods=4).std().reset_index(level=0, drop=True).reindex(frame.index)
    frame["conflict_z"] = ((frame["conflict_month"] - mean) / sd.where(sd > 1e-12)).fillna(0.0).clip(-10, 10)
    return frame


def warning_frame(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    spec: WarningSpec,
    onsets: pd.DataFrame,
    /,
    *,
    until: dt.date | None = None,
    since: dt.date | None = None,
    pairs: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Every pair-period of the basis with its features (:data:`FEATURES` or
    :data:`SERIES_FEATURES`), ``as_of`` (the period's last day) and ``target`` (an onset of the
    pair within the horizon after ``as_of``; missing where the data end before the horizon does).
    Rows read only their period and earlier ones, and only the events (or values) up to ``until``.
    Events only: ``pairs`` limits the rows to those pairs, and ``since`` reads the events from that
    day on (the rows a year after it have the features of the whole store's)."""
    spec.check()
    step = PERIOD_DAYS[spec.freq]
    window = {name: max(1, round(days / step)) for name, days in WINDOWS.items()}
    if spec.basis == EVENTS_BASIS:
        frame = _event_features(con, settings, spec.freq, window, since=since, until=until, pairs=pairs)
    else:
        frame = _series_features(con, spec.basis.removeprefix("series:"), spec.freq, window, until)
    frame["volatility"] = _rolling(frame, "conflict", window["quarter"], "std", min_periods=2).fillna(0.0)
    frame["as_of"] = (
        frame["period"] + pd.to_timedelta(step - 1, unit="D")
        if spec.freq != "month"
        else frame["period"] + pd.offsets.MonthEnd(0)
    )
    frame["prior_onsets"] = _prior_onsets(frame, onsets)
    frame["target"] = onset_targets(frame, onsets, spec.horizon_days)
    return frame[["pair", "period", "as_of", *spec.features, "target"]]


def onset_targets(frame: pd.DataFrame, onsets: pd.DataFrame, horizon_days: int, /) -> pd.Series:
    """1 when an onset of the row's pair falls in (as_of, as_of + horizon]; missing when the
    data end before as_of + horizon and no onset came."""
    target = np.zeros(len(frame))
    horizon = pd.Timedelta(days=horizon_days)
    for onset in onsets.assign(day=pd.to_datetime(onsets["onset_date"])).itertuples():
        hit = (frame["pair"] == onset.pair) & (frame["as_of"] < onset.day) & (frame["as_of"] + horizon >= onset.day)
        target[hit.to_numpy()] = 1.0
    last = frame["as_of"].max()
    open_ended = (frame["as_of"] + horizon > last).to_numpy() & (target == 0)
    target[open_ended] = np.nan
    return pd.Series(target, index=frame.index)


def make_warning_model(name: str, /, *, random_state: int = 0):  # noqa: ANN201 - a scikit-learn estimator
    """A fresh, unfitted warning model, calibrated by Platt scaling on :data:`CALIBRATION_FOLDS`
    cross-validated folds of its training rows (scikit-learn's ``CalibratedClassifierCV``, sigmoid)."""
    # scikit-learn loads here, not with the module: the live watch and the CLI import this module.
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logit":
        base = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    elif name == "boosting":
        base = HistGradientBoostingClassifier(
            max_iter=150,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=50,
            l2_regularization=1.0,
            random_state=random_state,
        )
    else:
        raise InvalidInput(f"warning model '{name}': use one of {', '.join(MODELS)}.")
    return CalibratedClassifierCV(base, method="sigmoid", cv=CALIBRATION_FOLDS)


def choose_threshold(probability: np.ndarray, target: np.ndarray, pair_years: float, budget: float, /) -> float:
    """The lowest probability at which the rows flagged that no onset followed (``target`` 0)
    number at most ``budget`` per pair-year; just above the highest negative (nothing flagged that no
    onset followed) when the budget allows none."""
    negatives = np.sort(probability[target == 0])[::-1]
    allowed = int(np.floor(budget * pair_years))
    if allowed >= len(negatives):
        return float(negatives[-1]) if len(negatives) else 0.0
    # Flag strictly above the (allowed + 1)-th highest negative: at most `allowed` negatives.
    return float(np.nextafter(negatives[allowed], np.inf))


def pair_years(frame: pd.DataFrame, step_days: int, /) -> float:
    """Pair-years the rows of ``frame`` cover."""
    return len(frame) * step_days / 365.25


@dataclass(frozen=True)
class FittedWarning:
    """One origin's fitted model: what the live watch applies to new periods."""

    origin: dt.date
    model: object
    threshold: float
    base_rates: pd.Series
    overall_rate: float


@dataclass(frozen=True)
class WarningRun:
    """Probabilities of every scored pair-period, what each origin's fit was, and the latest fit."""

    probabilities: pd.DataFrame
    origins: pd.DataFrame
    latest: FittedWarning | None = None


def _base_rates(train: pd.DataFrame) -> pd.Series:
    """Each pair's rate of onsets within the horizon in the training rows, shrunk toward the overall rate."""
    overall = float(train["target"].mean())
    grouped = train.groupby("pair")["target"].agg(["sum", "count"])
    return ((grouped["sum"] + PRIOR_PERIODS * overall) / (grouped["count"] + PRIOR_PERIODS)).rename("base_rate")


def _persistence(train: pd.DataFrame, test: pd.DataFrame, column: str) -> np.ndarray:
    """The persistence baseline: the training rate of onsets among rows in the same band of
    recent conflict (none, then the quartiles of the rows with some)."""
    some = train.loc[train[column] > 0, column]
    edges = np.unique(np.quantile(some, [0.25, 0.5, 0.75])) if len(some) else np.array([])

    def band(values: pd.Series) -> np.ndarray:
        return np.where(values > 0, 1 + np.searchsorted(edges, values.to_numpy()), 0)

    rates = pd.Series(train["target"].to_numpy()).groupby(band(train[column])).mean()
    return pd.Series(band(test[column])).map(rates).fillna(float(train["target"].mean())).to_numpy()


def _drivers(model, features: dict[str, str], rows: pd.DataFrame, reference: pd.DataFrame) -> list[str]:  # noqa: ANN001
    """Per row, the two features that raise its probability most, in words: for the logit, the
    coefficient times the standardised value; for boosting, the features furthest above their
    mean in the ``reference`` (training) rows, in standard deviations."""
    names = list(features)
    fitted = [c.estimator for c in model.calibrated_classifiers_]
    if hasattr(fitted[0], "named_steps"):
        parts = np.mean(
            [
                f.named_steps["standardscaler"].transform(rows[names]) * f.named_steps["logisticregression"].coef_[0]
                for f in fitted
            ],
            axis=0,
        )
    else:
        spread = reference[names].std().replace(0.0, 1.0)
        parts = ((rows[names] - reference[names].mean()) / spread).to_numpy()
    found = []
    for row in parts:
        top = [i for i in np.argsort(-row) if row[i] > 0][:2]
        found.append(" and ".join(features[names[i]] for i in top) or "no feature above its usual level")
    return found


def warning_probabilities(
    frame: pd.DataFrame, spec: WarningSpec, onsets: pd.DataFrame, /, *, since: dt.date | None = None
) -> WarningRun:
    """Rolling-origin probabilities for the rows of ``frame`` (:func:`warning_frame`) from
    ``since`` on (default: the first origin at which ``min_onsets`` onsets are known and their
    horizons closed). Each origin's model reads rows whose horizon had closed by then, with the
    targets of the onsets known by then; rows before the first origin get no probability.

    Returns
    -------
    WarningRun: ``probabilities`` (pair, period, as_of, probability, base_rate, threshold,
    persistence, drivers, origin) and ``origins`` (origin, rows, onsets, positive rows, threshold).
    """
    features = list(spec.features)
    horizon = pd.Timedelta(days=spec.horizon_days)
    days = pd.to_datetime(onsets["onset_date"]).sort_values()
    if len(days) < spec.min_onsets:
        return WarningRun(pd.DataFrame(), pd.DataFrame())
    known_enough = days.iloc[spec.min_onsets - 1] + horizon + pd.Timedelta(days=1)
    origin = max(pd.Timestamp(since) if since is not None else frame["as_of"].min(), known_enough)
    last = frame["as_of"].max()
    results, fits, latest = [], [], None
    step = pd.Timedelta(days=spec.refit_days)
    while origin <= last:
        known = onsets[pd.to_datetime(onsets["onset_date"]) < origin]
        train = frame[frame["as_of"] + horizon < origin].copy()
        train["target"] = onset_targets(train, known, spec.horizon_days).fillna(0.0)
        test = frame[(frame["as_of"] >= origin) & (frame["as_of"] < origin + step)]
        if len(test) and int(train["target"].sum()) >= CALIBRATION_FOLDS and len(known) >= spec.min_onsets:
            model = make_warning_model(spec.model).fit(train[features], train["target"].astype(int))
            fitted = model.predict_proba(train[features])[:, 1]
            threshold = choose_threshold(
                fitted, train["target"].to_numpy(), pair_years(train, PERIOD_DAYS[spec.freq]), spec.budget
            )
            rates = _base_rates(train)
            conflict = "material_quarter" if spec.basis == EVENTS_BASIS else "conflict_quarter"
            results.append(
                test[["pair", "period", "as_of"]].assign(
                    probability=model.predict_proba(test[features])[:, 1],
                    base_rate=test["pair"].map(rates).fillna(float(train["target"].mean())).to_numpy(),
                    threshold=threshold,
                    persistence=_persistence(train, test, conflict),
                    drivers=_drivers(model, spec.features, test, train),
                    origin=origin.date(),
                )
            )
            fits.append(
                {
                    "origin": origin.date(),
                    "rows": len(train),
                    "onsets": len(known),
                    "positive_rows": int(train["target"].sum()),
                    "threshold": threshold,
                }
            )
            latest = FittedWarning(origin.date(), model, threshold, rates, float(train["target"].mean()))
        origin += step
    probabilities = pd.concat(results, ignore_index=True) if results else pd.DataFrame()
    return WarningRun(probabilities, pd.DataFrame(fits), latest)


def warning_reason(probability: float, base_rate: float, threshold: float, drivers: str, horizon_days: int, /) -> str:
    """A warning's why, in plain words."""
    return (
        f"probability {probability:.1%} of an escalation onset within {horizon_days} days (the pair's base rate "
        f"{base_rate:.2%}, warning threshold {threshold:.2%}); raised most by {drivers}"
    )


def store_probabilities(con: duckdb.DuckDBPyConnection, run: WarningRun, spec: WarningSpec, /) -> int:
    """Replace the stored probabilities of the basis and period with ``run``'s, and its latest fit
    (the live watch applies it: a pickle of the scikit-learn model, read back only from this
    store); returns the rows stored."""
    frame = run.probabilities
    with transaction(con):
        con.execute("DELETE FROM pair_warnings WHERE basis = ? AND freq = ?", [spec.basis, spec.freq])
        con.execute("DELETE FROM warning_models WHERE basis = ? AND freq = ?", [spec.basis, spec.freq])
        if run.latest is not None:
            fit = run.latest
            con.execute(
                "INSERT INTO warning_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, localtimestamp)",
                [
                    spec.basis,
                    spec.freq,
                    fit.origin,
                    fit.threshold,
                    fit.overall_rate,
                    json.dumps(fit.base_rates.to_dict()),
                    json.dumps(dataclasses.asdict(spec)),
                    pickle.dumps(fit.model),
                ],
            )
        _insert(con, frame, spec)
    return len(frame)


def _insert(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, spec: WarningSpec, /) -> None:
    """Add probability rows (pair, period, as_of, probability, base_rate, threshold, persistence,
    drivers, origin) of the spec's basis to ``pair_warnings``, inside the caller's transaction."""
    if frame.empty:
        return
    con.register("new_warnings", frame.assign(basis=spec.basis, freq=spec.freq, model=spec.model, horizon_days=spec.horizon_days))
    try:
        con.execute(
            "INSERT INTO pair_warnings BY NAME SELECT basis, freq, pair, CAST(period AS DATE) AS period, "
            "CAST(as_of AS DATE) AS as_of, probability, base_rate, threshold, persistence, drivers, "
            "origin, model, horizon_days FROM new_warnings"
        )
    finally:
        con.unregister("new_warnings")


def describe(run: WarningRun, /) -> str:
    """One line on what the run scored."""
    if run.probabilities.empty:
        return "no warning probability: fewer onsets known than the model needs before the store's last period"
    return (
        f"{len(run.probabilities):,} pair-periods given a probability from {quantity(len(run.origins), 'origin')} "
        f"(first {run.origins['origin'].min()})"
    )


def raise_warnings(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    /,
    *,
    series: str | None = None,
    freq: str | None = None,
    baseline_periods: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    onsets: tuple[Path, ...] = (),
    raised_by: str = "batch",
) -> tuple[AlertRun, WarningRun]:
    """Give every pair-period of the basis its warning probability (stored in ``pair_warnings``),
    then raise the alerts: a warning wherever the probability crossed its origin's threshold
    (from ``since`` on), and the watch signals and red lines of
    :func:`~flashpoint.escalation.alerts.raise_alerts`. The model learns from the shipped onset
    lists, the ``warning_onsets`` setting's file and ``onsets``."""
    spec = WarningSpec.from_settings(settings, basis=EVENTS_BASIS if series is None else f"series:{series}", freq=freq)
    spec.check()
    known = training_onsets(tuple(onsets), settings=settings)
    run = warning_probabilities(warning_frame(con, settings, spec, known, until=until), spec, known)
    store_probabilities(con, run, spec)
    flagged = run.probabilities if run.probabilities.empty else _flagged(run.probabilities, spec.horizon_days)
    alerts = raise_alerts(
        con,
        settings,
        series=series,
        freq=spec.freq,
        baseline_periods=baseline_periods,
        since=since,
        until=until,
        raised_by=raised_by,
        warnings=flagged,
    )
    return alerts, run


#: Fitted models read from a store, by store file, basis, period and fit time (a few at most).
_LOADED: dict[tuple[str, str, str, str], tuple[FittedWarning, WarningSpec]] = {}


def stored_fit(con: duckdb.DuckDBPyConnection, basis: str, freq: str, /) -> tuple[FittedWarning, WarningSpec] | None:
    """The latest fit ``alerts raise`` stored for the basis and period (None before the first)."""
    found = con.execute(
        "SELECT origin, threshold, overall_rate, base_rates, spec, model, CAST(fitted_at AS VARCHAR) "
        "FROM warning_models WHERE basis = ? AND freq = ?",
        [basis, freq],
    ).fetchall()
    if not found:
        return None
    origin, threshold, overall, rates, spec, model, fitted = found[0]
    file = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    key = (str(file), basis, freq, fitted)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = (
            FittedWarning(origin, pickle.loads(model), threshold, pd.Series(json.loads(rates)), overall),
            WarningSpec(**json.loads(spec)),
        )
    return _LOADED[key]


def live_warnings(con: duckdb.DuckDBPyConnection, settings: Settings, pairs: tuple[str, ...], since: dt.date, /) -> pd.DataFrame:
    """The probabilities of ``pairs``' periods from ``since`` on by the stored latest fit (the live
    watch: no refit), stored in ``pair_warnings``; returns those at or above the fit's threshold,
    with their reason, for :func:`~flashpoint.escalation.alerts.raise_alerts`. Empty before
    ``alerts raise`` first stored a fit."""
    stored = stored_fit(con, EVENTS_BASIS, settings.alert_freq)
    if stored is None or not pairs:
        return pd.DataFrame()
    fit, spec = stored
    start = pd.Timestamp(since).to_period(PANDAS_PERIOD[spec.freq]).start_time
    history = (start - pd.Timedelta(days=WINDOWS["year"] + 2 * PERIOD_DAYS[spec.freq])).date()
    frame = warning_frame(con, settings, spec, training_onsets(settings=settings), pairs=pairs, since=history)
    rows = frame[frame["period"] >= start]
    if rows.empty:
        return pd.DataFrame()
    scored = rows[["pair", "period", "as_of"]].assign(
        probability=fit.model.predict_proba(rows[list(spec.features)])[:, 1],
        base_rate=rows["pair"].map(fit.base_rates).fillna(fit.overall_rate).to_numpy(),
        threshold=fit.threshold,
        persistence=np.nan,
        drivers=_drivers(fit.model, spec.features, rows, frame),
        origin=fit.origin,
    )
    with transaction(con):
        con.execute(
            "DELETE FROM pair_warnings WHERE basis = ? AND freq = ? AND pair IN (SELECT unnest(?)) AND period >= ?",
            [spec.basis, spec.freq, list(pairs), start.date()],
        )
        _insert(con, scored, spec)
    return _flagged(scored, spec.horizon_days)


def _flagged(scored: pd.DataFrame, horizon_days: int, /) -> pd.DataFrame:
    """The pair-periods at or above their threshold, with dates as dates and their reason."""
    flagged = scored[scored["probability"] >= scored["threshold"]]
    return flagged.assign(
        period=pd.to_datetime(flagged["period"]).dt.date,
        as_of=pd.to_datetime(flagged["as_of"]).dt.date,
        reason=[
            warning_reason(p, b, t, d, horizon_days)
            for p, b, t, d in zip(flagged["probability"], flagged["base_rate"], flagged["threshold"], flagged["drivers"])
        ],
    )
