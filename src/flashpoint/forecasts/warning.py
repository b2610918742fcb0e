"""The 30-day warning model: for every pair and period, the probability of an escalation onset
between the two states within the next ``horizon_days`` (docs/adr/025), from the features of
:mod:`flashpoint.forecasts.warning_features`.

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
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pandas as pd

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.escalation.alerts import EVENTS_BASIS, AlertRun, raise_alerts
from flashpoint.forecasts.warning_features import (
    MODELS,
    PERIOD_DAYS,
    PRIOR_PERIODS,
    WINDOWS,
    WarningSpec,
    onset_targets,
    training_onsets,
    warning_frame,
)
from flashpoint.periods import PANDAS_PERIOD
from flashpoint.store.connection import transaction
from flashpoint.wording import quantity

#: Folds of the calibration; a fit needs at least as many positive rows.
CALIBRATION_FOLDS: Final = 3


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
