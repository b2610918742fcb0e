"""One pair's forecast: a probability with an interval, the drivers behind it, and the baselines.

The forecast is the ``logit`` model's, fitted on every row of the panel whose outcome was known
by the end of the pair's latest period (t + horizon ≤ that period). It is the model whose
probability decomposes into drivers: each feature's contribution to the log-odds is its
coefficient times its standardised value, so a driver reads "how far this feature moves the
pair from an average pair-period". The interval is the 90% Wald interval of the linear
predictor under the penalised fit's curvature (the inverse of X'WX + I/C, the Laplace
approximation), mapped through the logistic function; it covers parameter uncertainty, not
the outcome's. The conflictology and persistence baselines are given beside it, fitted on
the same rows, and ``flashpoint backtest`` tells how the model compares with them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pandas as pd
from scipy.special import expit

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput
from flashpoint.events.countries import state_numbers
from flashpoint.forecasts.event_panel import build_event_panel, event_panel_spec, month_label, parse_month
from flashpoint.forecasts.models import BASELINES, make_model
from flashpoint.forecasts.panels import DYAD_YEAR, PanelSpec, build_panel, structural_rows
from flashpoint.pairs import pair_key
from flashpoint.store.connection import open_store
from flashpoint.store.queries import as_of_day

#: Two-sided 90% normal quantile of the interval.
Z_90: Final = 1.6448536269514722
#: Drivers reported.
TOP_DRIVERS: Final = 5
#: Positive training rows (past escalations) below which no probability is given: a logit on
#: a handful of positives is a guess with a narrow-looking interval (docs/forecasts.md).
MIN_POSITIVES: Final = 10


@dataclass(frozen=True)
class PairForecast:
    """A unit's probability of ``target`` over the ``horizon`` periods after ``as_of``."""

    unit: dict[str, object]
    target: str
    description: str
    as_of: str
    horizon: int
    period: str
    probability: float | None
    interval: tuple[float, float] | None
    baselines: dict[str, float]
    drivers: list[dict[str, object]]
    model: str
    train_rows: int
    train_positives: int
    #: Why no probability is given ('too few cases …'), else None.
    note: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _laplace_se(pipeline, train: pd.DataFrame, row: pd.DataFrame) -> float:  # noqa: ANN001
    """Standard error of the row's linear predictor under the penalised logistic fit."""
    design, model = pipeline[:-1], pipeline[-1]
    x = np.column_stack([np.ones(len(train)), design.transform(train)])
    p = model.predict_proba(x[:, 1:])[:, 1]
    penalty = np.eye(x.shape[1]) / model.C
    penalty[0, 0] = 0.0  # the intercept is not penalised
    curvature = (x * (p * (1 - p))[:, None]).T @ x + penalty
    z = np.concatenate([[1.0], design.transform(row)[0]])
    return float(np.sqrt(z @ np.linalg.solve(curvature, z)))


def _label(name: str, descriptions: dict[str, str]) -> str:
    """A feature in words: its description, or that its value is unknown for a missing-value flag."""
    if name.startswith("missingindicator_"):
        plain = name.removeprefix("missingindicator_")
        return f"unknown: {descriptions.get(plain, plain)}"
    return descriptions.get(name, name)


def _drivers(pipeline, row: pd.DataFrame, descriptions: dict[str, str]) -> list[dict[str, object]]:  # noqa: ANN001
    """The features moving the row's log-odds most, with their values and, in ``label``, what
    each is in words (``descriptions``: the panel's features)."""
    design, model = pipeline[:-1], pipeline[-1]
    names = [n.split("__", 1)[-1] for n in design.get_feature_names_out()]
    parts = model.coef_[0] * design.transform(row)[0]
    order = np.argsort(-np.abs(parts))[:TOP_DRIVERS]
    return [
        {
            "feature": names[i],
            "label": _label(names[i], descriptions),
            "value": None if names[i].startswith("missingindicator") else float(row[names[i]].iloc[0]),
            "log_odds": float(parts[i]),
        }
        for i in order
        if abs(parts[i]) > 1e-9
    ]


def _latest_row(panel: pd.DataFrame, spec: PanelSpec, unit: dict[str, object], as_of: int | None) -> pd.DataFrame:
    """The unit's latest panel row up to ``as_of``.

    Raises
    ------
    InvalidInput
        When the panel has no row of the unit then.
    """
    mine = panel.loc[np.logical_and.reduce([panel[k] == v for k, v in unit.items()])]
    if as_of is not None:
        mine = mine[mine[spec.time] <= as_of]
    if mine.empty:
        when = "" if as_of is None else f" up to {spec.label(as_of)}"
        named = ", ".join(f"{key} {value}" for key, value in unit.items())
        raise InvalidInput(
            f"{spec.unit} panel: no row for {named}{when}; the pair has no events in the store then "
            "(check it with 'flashpoint events --dyad A-B')."
        )
    return mine.sort_values(spec.time).tail(1)


def forecast_pair(
    panel: pd.DataFrame, /, *, spec: PanelSpec, target: str, unit: dict[str, object], as_of: int | None = None
) -> PairForecast:
    """The forecast of ``target`` for the panel's ``unit`` (its keys' values) from its latest
    period up to ``as_of`` (default: its latest).

    Raises
    ------
    InvalidInput
        For an unknown target or a unit absent from the panel. Fewer than :data:`MIN_POSITIVES`
        training rows of either outcome give a forecast without a probability, saying so.
    """
    if target not in spec.targets:
        raise InvalidInput(f"target '{target}': use one of {', '.join(spec.targets)}.")
    t = spec.time
    row = _latest_row(panel, spec, unit, as_of)
    now = int(row[t].iloc[0])
    train = panel[panel[target].notna() & (panel[t] + spec.horizon <= now)].sort_values([t, *spec.keys])
    y = train[target].astype("int64").to_numpy()
    common = {
        "unit": unit,
        "target": target,
        "description": spec.targets[target],
        "as_of": spec.label(now),
        "horizon": spec.horizon,
        "period": spec.period_name,
        "model": "logit",
        "train_positives": int(y.sum()),
    }
    if min(int(y.sum()), len(y) - int(y.sum())) < MIN_POSITIVES:
        return PairForecast(
            **common,
            probability=None,
            interval=None,
            baselines={},
            drivers=[],
            train_rows=len(y),
            note=f"too few cases (n = {int(y.sum())} positive of {len(y):,} rows known by "
            f"{spec.label(now)}; at least {MIN_POSITIVES} of each outcome are needed): no "
            "probability is given",
        )
    features = list(spec.features)
    logit = make_model("logit", features).fit(train, y)
    eta = float(logit.decision_function(row)[0])
    se = _laplace_se(logit, train, row)
    baselines = {
        name: float(make_model(name, features, keys=spec.keys, state=spec.state).fit(train, y).predict_proba(row)[0, 1])
        for name in BASELINES
    }
    return PairForecast(
        **common,
        probability=float(expit(eta)),
        interval=(float(expit(eta - Z_90 * se)), float(expit(eta + Z_90 * se))),
        baselines=baselines,
        drivers=_drivers(logit, row, spec.features),
        train_rows=len(train),
    )


def parse_horizon(value: str, /, *, unit: str) -> int:
    """'3m' → 3 months for the dyad-month panel; '1y' (the only horizon) for the dyad-year panel."""
    number, suffix = value[:-1], value[-1:]
    if unit == "dyad-year":
        if value not in ("1y", "12m"):
            raise InvalidInput(f"--horizon {value!r}: the dyad-year panel forecasts the next year only (1y).")
        return 1
    if suffix != "m" or not number.isdigit():
        raise InvalidInput(f"--horizon {value!r}: expected months such as 3m.")
    return int(number)


def _dyad_year_unit(panel: pd.DataFrame, dyad: tuple[str, str]) -> dict[str, object]:
    """The panel's COW codes of two ISO3 countries (the state numbers in its latest year)."""
    latest = panel[panel["year"] == panel["year"].max()]
    members = set(latest["ccode1"]) | set(latest["ccode2"])
    codes = []
    for iso3 in dyad:
        found = [c for c in state_numbers(iso3) if c in members] or list(state_numbers(iso3))
        if not found:
            raise InvalidInput(f"{iso3}: no Correlates of War state number; the dyad-year panel covers COW states.")
        codes.append(found[-1])
    low, high = sorted(codes)
    return {"ccode1": low, "ccode2": high}


def forecast_from_store(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    pair: str,
    /,
    *,
    target: str = "stage3",
    months: int = 3,
    as_of: str | None = None,
    structure: pd.DataFrame | None = None,
) -> PairForecast:
    """The dyad-month forecast of ``pair`` from the store; nothing after the ``as_of`` month is read.

    Parameters
    ----------
    pair
        'GEO-RUS', the codes in alphabetical order.
    target, months
        What is forecast ('stage3': the pair reaches stage 3, 'stage2') and within how many months.
    as_of
        The month 'YYYY-MM' the forecast is made in (default: the store's latest).
    structure
        :func:`~flashpoint.forecasts.panels.structural_rows`: adds the pairs' structural features.

    Returns
    -------
    PairForecast
        The probability with its 90% interval, drivers and baselines; without a probability (its
        note saying why) when the training rows hold too few cases.

    Raises
    ------
    InvalidInput
        For a bad month or target, a month after the store's last event, or a pair without events.
    """
    month = None if as_of is None else parse_month(as_of, "--as-of")
    if month is not None:
        as_of_day(con, pd.Timestamp(f"{month_label(month)}-01").date())  # a month after the store's is refused
    until = None if month is None else (pd.Timestamp(f"{month_label(month)}-01") + pd.offsets.MonthEnd(0)).date()
    rows = build_event_panel(con, settings, horizon=months, until=until, structure=structure)
    spec = event_panel_spec(months, structural=structure is not None)
    return forecast_pair(rows, spec=spec, target=target, unit={"pair": pair}, as_of=month)


def panel_rows(settings: Settings, panel: str, /, *, horizon: str, data_dir: Path | None) -> tuple[pd.DataFrame, PanelSpec]:
    """A whole panel's rows and description, for a backtest: from the store (``dyad-month``, with
    the structural features of ``data_dir`` when given) or from ``data_dir`` (``dyad-year``).

    Raises
    ------
    InvalidInput
        For a bad horizon, or a dyad-year panel without ``data_dir``.
    """
    if panel == "dyad-month":
        months = parse_horizon(horizon, unit=panel)
        structure = structural_rows(data_dir) if data_dir is not None else None
        with open_store(settings, read_only=True) as con:
            rows = build_event_panel(con, settings, horizon=months, structure=structure)
        return rows, event_panel_spec(months, structural=structure is not None)
    if data_dir is None:
        raise InvalidInput("backtest: give --data-dir, a folder laid out like the shared data (peacesciencer/*.csv).")
    parse_horizon(horizon, unit=panel)
    return build_panel(panel, data_dir=data_dir), DYAD_YEAR


def forecast_dyad(
    settings: Settings,
    dyad: tuple[str, str],
    /,
    *,
    panel: str = "dyad-month",
    target: str | None = None,
    horizon: str | None = None,
    as_of: str | None = None,
    data_dir: Path | None = None,
) -> PairForecast:
    """Forecast one pair: from the event store (``dyad-month``, as of month 'YYYY-MM', with the
    structural features of ``data_dir`` when given) or from the structural tables in
    ``data_dir`` (``dyad-year``, as of year 'YYYY'). Nothing after
    ``as_of`` is read (for dyad-year, by default the last year of the dispute data, whose
    history the features need). The default target is ``stage3`` in 3 months (dyad-month) or ``onset``
    next year (dyad-year).

    Raises
    ------
    InvalidInput
        For an unknown panel, a bad horizon or date, a missing data folder, or what
        :func:`forecast_pair` refuses.
    """
    if panel == "dyad-month":
        structure = structural_rows(data_dir) if data_dir is not None else None
        with open_store(settings, read_only=True) as con:
            return forecast_from_store(
                con,
                settings,
                pair_key(dyad),
                target=target or "stage3",
                months=parse_horizon(horizon or "3m", unit=panel),
                as_of=as_of,
                structure=structure,
            )
    if panel == "dyad-year":
        parse_horizon(horizon or "1y", unit=panel)
        if data_dir is None:
            raise InvalidInput("the dyad-year panel needs --data-dir, a folder laid out like the shared data.")
        if as_of is not None and not as_of.isdigit():
            raise InvalidInput(f"--as-of {as_of!r}: the dyad-year panel takes a year, e.g. 1999.")
        year = None if as_of is None else int(as_of)
        rows = build_panel("dyad-year", data_dir=data_dir, last_year=year)
        if year is None:  # the dispute history behind the features ends with the dispute data
            year = int(rows.loc[rows["onset"].notna(), "year"].max()) + 1
        return forecast_pair(rows, spec=DYAD_YEAR, target=target or "onset", unit=_dyad_year_unit(rows, dyad), as_of=year)
    raise InvalidInput(f"panel '{panel}': use dyad-month (the event store) or dyad-year (--data-dir).")
