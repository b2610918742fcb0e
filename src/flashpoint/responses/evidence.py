"""Evidence behind each lever: what followed its use in comparable historical situations.

Three bases, each a table of situations with the lever used (treated) or not (control),
outcomes, and covariates known when the lever was chosen (docs/evidence.md):

- ``icb``: the store's ``crises`` table (ICB v14, system level), one row per crisis, ICB's own
  variables; outcomes: serious violence or war, full-scale war, a formal agreement, tension
  reduced afterwards.
- ``ucdp``: the store's ``terminations`` table (UCDP Conflict Termination v3), one row per
  ended conflict episode; outcome: the conflict recurred within 2 and within 5 years (episodes
  ended too recently to tell are left out).
- ``events``: the dyad-month panel of the event store; pair-months at ladder stage 2 or 3,
  treated when the lever's CAMEO codes occur between the pair that month; outcome: a higher
  stage in the next three months.

Each estimate is :func:`flashpoint.responses.estimate.weighted_effects`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Final

import duckdb
import pandas as pd

from flashpoint.config import Settings
from flashpoint.forecasts.event_panel import build_event_panel
from flashpoint.responses.catalogue import BASES, EvidenceSpec, Lever
from flashpoint.responses.estimate import Effect, weighted_effects
from flashpoint.sql import sql_string


@dataclass(frozen=True)
class Outcome:
    name: str
    description: str
    #: "lower" when a fall is the good news (violence), "higher" when a rise is (agreement).
    better: str


#: ICB variables read from the crises table's attributes.
_ICB_VARIABLES: Final = (
    "mediate",
    "forout",
    "outesr",
    "viol",
    "globorg",
    "regorg",
    "powinv",
    "gravcr",
    "protrac",
    "period",
    "ethnic",
    "noactr",
    "yrtrig",
)
OUTCOMES: Final = {
    "icb": (
        Outcome("serious_violence", "serious clashes or full-scale war in the crisis (VIOL 3–4)", "lower"),
        Outcome("war", "full-scale war in the crisis (VIOL 4)", "lower"),
        Outcome("formal_agreement", "the crisis ended in a formal agreement (FOROUT 1)", "higher"),
        Outcome("tension_reduced", "tension between the adversaries fell after the crisis (OUTESR 2)", "higher"),
    ),
    "ucdp": (
        Outcome("recurred_2y", "the conflict recurred within 2 years of the episode's end", "lower"),
        Outcome("recurred_5y", "the conflict recurred within 5 years of the episode's end", "lower"),
    ),
    "events": (Outcome("escalated", "the pair reached a higher ladder stage in the next 3 months", "lower"),),
}
#: Covariates of each base: known when the lever was chosen (the crisis's own violence too,
#: except where violence is the outcome).
COVARIATES: Final = {
    "icb": ("gravity", "protracted", "ethnic", "log_actors", "decade", "violent"),
    "ucdp": ("war_intensity", "interstate", "internationalised", "territory", "log_days", "decade"),
    "events": ("stage", "escalation_index", "index_mean_3m", "log_incidents", "stage_max_12m"),
}
CAVEATS: Final = {
    "icb": "Third parties choose which crises to enter and are invited into the hardest ones; the comparison adjusts "
    "for gravity, protraction, ethnic content, actors, decade and violence, not for what ICB does not record.",
    "ucdp": "How an episode ends is not chosen at random: ceasefires and agreements end conflicts that both sides "
    "could not win; the comparison adjusts for intensity, type, incompatibility, duration and decade.",
    "events": "Machine-coded events: a lever shows only when the press reports it, and a pair's media attention "
    "drives both; few pair-months reach stage 2, so intervals are wide.",
}


@dataclass(frozen=True)
class Estimate:
    """One lever's effect on one outcome in one base."""

    lever: str
    base: str
    treated: str
    control: str
    outcome: str
    outcome_description: str
    better: str
    effect: Effect
    caveat: str

    @property
    def verdict(self) -> str:
        """'favourable', 'unfavourable', 'unclear' (interval spans zero) or 'no evidence base'."""
        e = self.effect
        if e.effect is None:
            return "no evidence base"
        if e.low <= 0 <= e.high:
            return "unclear"
        good = (e.effect < 0) == (self.better == "lower")
        return "favourable" if good else "unfavourable"

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "effect": self.effect.to_dict(), "verdict": self.verdict}


def _icb_situations(con: duckdb.DuckDBPyConnection, spec: EvidenceSpec) -> pd.DataFrame:
    names = ", ".join(f"try_cast(attributes ->> {sql_string(v)} AS DOUBLE) AS {v}" for v in _ICB_VARIABLES)
    return con.sql(f"""
WITH icb AS (SELECT crisis_id, name, {names} FROM crises WHERE source = 'icb')
SELECT crisis_id, name, CASE WHEN {spec.treated} THEN 1 WHEN {spec.control} THEN 0 END AS treated,
  CASE WHEN viol IS NOT NULL THEN (viol >= 3)::INTEGER END AS serious_violence,
  CASE WHEN viol IS NOT NULL THEN (viol = 4)::INTEGER END AS war,
  CASE WHEN forout IS NOT NULL THEN (forout = 1)::INTEGER END AS formal_agreement,
  CASE WHEN outesr IN (1, 2) THEN (outesr = 2)::INTEGER END AS tension_reduced,
  gravcr AS gravity, (protrac = 1)::INTEGER AS protracted, (ethnic IN (1, 2))::INTEGER AS ethnic,
  ln(greatest(noactr, 1)) AS log_actors, floor(yrtrig / 10) AS decade, viol AS violent
FROM icb WHERE CASE WHEN {spec.treated} THEN 1 WHEN {spec.control} THEN 0 END IS NOT NULL
ORDER BY crisis_id""").df()


def _ucdp_situations(con: duckdb.DuckDBPyConnection, spec: EvidenceSpec) -> pd.DataFrame:
    return con.sql(f"""
WITH rows AS (SELECT *, try_cast(attributes ->> 'intensity_level' AS INTEGER) AS intensity,
                     try_cast(attributes ->> 'type_of_conflict' AS INTEGER) AS conflict_type,
                     try_cast(attributes ->> 'incompatibility' AS INTEGER) AS incompatibility
              FROM terminations WHERE source = 'ucdp'),
episodes AS (SELECT episode_id, any_value(conflict_id) AS conflict_id, min(start_date) AS started,
                    max(end_date) AS ended, max(outcome) AS outcome, max(intensity) AS intensity,
                    max(conflict_type) AS conflict_type, max(incompatibility) AS incompatibility
             FROM rows GROUP BY episode_id),
data_end AS (SELECT make_date(max(year), 12, 31) AS day FROM rows),
nexts AS (SELECT e.*, (SELECT min(n.started) FROM episodes n WHERE n.conflict_id = e.conflict_id
                        AND n.started > e.ended) AS next_start FROM episodes e WHERE e.outcome IS NOT NULL)
SELECT episode_id, CASE WHEN {spec.treated} THEN 1 WHEN {spec.control} THEN 0 END AS treated,
  CASE WHEN next_start <= ended + INTERVAL 2 YEAR THEN 1 WHEN ended + INTERVAL 2 YEAR <= (SELECT day FROM data_end)
       THEN 0 END AS recurred_2y,
  CASE WHEN next_start <= ended + INTERVAL 5 YEAR THEN 1 WHEN ended + INTERVAL 5 YEAR <= (SELECT day FROM data_end)
       THEN 0 END AS recurred_5y,
  (intensity = 2)::INTEGER AS war_intensity, (conflict_type = 2)::INTEGER AS interstate,
  (conflict_type = 4)::INTEGER AS internationalised, (incompatibility IN (1, 3))::INTEGER AS territory,
  ln(1 + date_diff('day', started, ended)) AS log_days, floor(year(ended) / 10) AS decade
FROM nexts WHERE CASE WHEN {spec.treated} THEN 1 WHEN {spec.control} THEN 0 END IS NOT NULL
ORDER BY episode_id""").df()


def _event_situations(con: duckdb.DuckDBPyConnection, panel: pd.DataFrame, lever: Lever, until: dt.date | None) -> pd.DataFrame:
    codes = " OR ".join(f"starts_with(cameo_code, {sql_string(c)})" for c in lever.cameo) or "false"
    dated = "" if until is None else f"AND event_date <= DATE '{until.isoformat()}'"
    used = con.sql(f"""
SELECT pair, year(event_date) * 12 + month(event_date) - 1 AS month, count(*) AS used
FROM events WHERE pair IS NOT NULL AND ({codes}) {dated} GROUP BY ALL""").df()
    rows = panel[panel["stage"].between(2, 3)].merge(used, on=["pair", "month"], how="left")
    rows["treated"] = (rows["used"].fillna(0) > 0).astype("int64")
    rows["escalated"] = (rows["stage_ahead"] > rows["stage"]).astype("float64").where(rows["stage_ahead"].notna())
    return rows


def base_available(con: duckdb.DuckDBPyConnection, base: str, /) -> bool:
    """Whether the store holds the base's rows."""
    table = {"icb": "crises", "ucdp": "terminations", "events": "events"}[base]
    return bool(con.sql(f"SELECT count(*) > 0 FROM {table}").fetchall()[0][0])


def lever_evidence(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    lever: Lever,
    /,
    *,
    bases: tuple[str, ...] = tuple(BASES),
    n_boot: int = 500,
    random_state: int = 0,
    until: dt.date | None = None,
    panel: pd.DataFrame | None = None,
) -> list[Estimate]:
    """Every estimate for ``lever`` on the ``bases`` the store holds (an empty list when none).

    The store's own evidence reads only events dated up to ``until`` (default: all), so a
    recommendation as of a past day learns nothing from what came after it; ``panel`` is the
    store's dyad-month panel (3 months ahead, up to ``until``) when already built."""
    found = []
    for spec in lever.evidence:
        if spec.base not in bases or not base_available(con, spec.base):
            continue
        if spec.base == "events":
            if panel is None:
                panel = build_event_panel(con, settings, horizon=3, until=until)
            situations = _event_situations(con, panel, lever, until)
            treated, control = f"CAMEO {', '.join(lever.cameo)} between the pair in the month", "none of them"
        else:
            read = _icb_situations if spec.base == "icb" else _ucdp_situations
            situations, treated, control = read(con, spec), spec.treated, spec.control
        groups: dict[tuple[str, ...], list[Outcome]] = {}
        for outcome in OUTCOMES[spec.base]:
            covariates = tuple(
                c for c in COVARIATES[spec.base] if not (c == "violent" and outcome.name in ("serious_violence", "war"))
            )
            groups.setdefault(covariates, []).append(outcome)
        for covariates, outcomes in groups.items():
            effects = weighted_effects(
                situations,
                treated="treated",
                outcomes=[o.name for o in outcomes],
                covariates=list(covariates),
                n_boot=n_boot,
                random_state=random_state,
            )
            found += [
                Estimate(
                    lever=lever.name,
                    base=spec.base,
                    treated=treated,
                    control=control,
                    outcome=o.name,
                    outcome_description=o.description,
                    better=o.better,
                    effect=effects[o.name],
                    caveat=CAVEATS[spec.base],
                )
                for o in outcomes
            ]
    return found


def levers_evidence(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    chosen: Iterable[Lever],
    /,
    *,
    bases: tuple[str, ...] = tuple(BASES),
    n_boot: int = 500,
    random_state: int = 0,
    until: dt.date | None = None,
) -> list[Estimate]:
    """:func:`lever_evidence` of each of ``chosen`` (events up to ``until``), the store's
    dyad-month panel built once for all of them when the events base is asked for."""
    chosen = tuple(chosen)
    needs_panel = (
        "events" in bases and any(s.base == "events" for lv in chosen for s in lv.evidence) and base_available(con, "events")
    )
    panel = build_event_panel(con, settings, horizon=3, until=until) if needs_panel else None
    return [
        e
        for lever in chosen
        for e in lever_evidence(
            con, settings, lever, bases=bases, n_boot=n_boot, random_state=random_state, until=until, panel=panel
        )
    ]


def estimates_frame(estimates: list[Estimate], /) -> pd.DataFrame:
    """Estimates as one row each: lever, base, outcome, effect, interval, rates, sizes, verdict."""
    rows = [
        {
            "lever": e.lever,
            "base": e.base,
            "treated": e.treated,
            "control": e.control,
            "outcome": e.outcome,
            "better": e.better,
            **{k: v for k, v in e.effect.to_dict().items() if k != "method"},
            "verdict": e.verdict,
        }
        for e in estimates
    ]
    columns = [
        "lever",
        "base",
        "treated",
        "control",
        "outcome",
        "better",
        "effect",
        "low",
        "high",
        "raw_difference",
        "treated_rate",
        "control_rate",
        "n_treated",
        "n_control",
        "balance",
        "verdict",
    ]
    return pd.DataFrame(rows, columns=columns).astype({"effect": "float64", "low": "float64", "high": "float64"})


def render_evidence_markdown(frame: pd.DataFrame, /) -> str:
    """Estimates (:func:`estimates_frame`) as a Markdown table, effects in percentage points."""
    lines = [
        "| lever | base | with | against | outcome | effect (points) | 95% interval | with → without rate | "
        "n with / without | balance | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in frame.itertuples():
        if pd.isna(r.effect):
            lines.append(
                f"| {r.lever} | {r.base} | {r.treated} | {r.control} | {r.outcome} | — | — | — | "
                f"{r.n_treated} / {r.n_control} | — | {r.verdict} |"
            )
            continue
        lines.append(
            f"| {r.lever} | {r.base} | {r.treated} | {r.control} | {r.outcome} | {r.effect * 100:+.1f} | "
            f"{r.low * 100:+.1f} to {r.high * 100:+.1f} | {r.treated_rate:.3f} → {r.control_rate:.3f} | "
            f"{r.n_treated} / {r.n_control} | {r.balance:.2f} | {r.verdict} |"
        )
    return "\n".join(lines) + "\n"
