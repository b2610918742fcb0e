"""The reference tables the consequences of escalation are read from: where each lies in the data
folder, how to cite it and its licence. A light module (no data library): `flashpoint cite` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from flashpoint.config import Settings
from flashpoint.errors import InvalidInput


@dataclass(frozen=True)
class Table:
    """One input table: where it lies in the data folder, how to cite it, its licence."""

    path: str
    citation: str
    licence: str


#: The tables the consequences read, by the name `flashpoint cite` knows them by.
TABLES: Final = {
    "gml_mid": Table(
        "peacesciencer/gml_mid_ddydisps.csv",
        "Gibler, D. M., Miller, S. V. and Little, E. K. (2016). An Analysis of the Militarized Interstate Dispute "
        "(MID) Dataset, 1816–2001. International Studies Quarterly 60(4). Dyadic data via peacesciencer (Miller 2022).",
        "Free for research use with citation.",
    ),
    "cow_war": Table(
        "peacesciencer/cow_war_inter.csv",
        "Sarkees, M. R. and Wayman, F. (2010). Resort to War: 1816–2007. CQ Press. COW Inter-State War data v4.0.",
        "Free for research use with citation (Correlates of War).",
    ),
    "unhcr": Table(
        "consequences/unhcr_refugees/flows.csv",
        "UNHCR (2025). Refugee Data Finder: population statistics, via the `refugees` R package.",
        "CC BY 4.0.",
    ),
    "unhcr_stocks": Table(
        "consequences/unhcr_refugees/population.csv",
        "UNHCR (2025). Refugee Data Finder: population statistics (year-end stocks), via the `refugees` R package.",
        "CC BY 4.0.",
    ),
    "idmc": Table(
        "consequences/idmc_gidd_conflict/idmc_conflict_displacement_2009_2022.csv",
        "Internal Displacement Monitoring Centre (2023). Global Internal Displacement Database (conflict).",
        "CC BY-NC 4.0: non-commercial use only.",
    ),
    "cow_trade": Table(
        "consequences/cow_trade_v4_dyadic/cow_trade_v4_dyadic_nondirected.csv.gz",
        "Barbieri, K. and Keshk, O. (2016). Correlates of War Project Trade Data Set Codebook, Version 4.0.",
        "Free for research use with citation (Correlates of War).",
    ),
    "wdi_growth": Table(
        "consequences/wdi_gdp_growth/wdi_gdp_growth_long.csv",
        "World Bank (2025). World Development Indicators: GDP growth (annual %), NY.GDP.MKTP.KD.ZG.",
        "CC BY 4.0.",
    ),
    "ucdp_onsets": Table(
        "peacesciencer/ucdp_onsets.csv",
        "Pettersson, T. et al. UCDP/PRIO Armed Conflict Dataset; onset counts via peacesciencer (Miller 2022).",
        "CC BY 4.0 (UCDP).",
    ),
    "cow_nmc": Table(
        "peacesciencer/cow_nmc.csv",
        "Singer, J. D., Bremer, S. and Stuckey, J. (1972). Capability Distribution, Uncertainty, and Major Power "
        "War. COW National Material Capabilities v6.0.",
        "Free for research use with citation (Correlates of War).",
    ),
    "cow_majors": Table(
        "peacesciencer/cow_majors.csv",
        "Correlates of War Project (2017). State System Membership List, v2016: major powers.",
        "Free for research use with citation (Correlates of War).",
    ),
    "cow_contiguity": Table(
        "peacesciencer/cow_contdir.csv",
        "Stinnett, D. M. et al. (2002). The Correlates of War Project Direct Contiguity Data, Version 3.",
        "Free for research use with citation (Correlates of War).",
    ),
    "gml_participants": Table(
        "peacesciencer/gml_part.csv",
        "Gibler, D. M. (2018). International Conflicts, 1816–2010: Militarized Interstate Dispute Narratives.",
        "Free for research use with citation.",
    ),
    "atop": Table(
        "peacesciencer/atop_alliance.csv",
        "Leeds, B. A. et al. (2002). Alliance Treaty Obligations and Provisions, 1815–1944. International "
        "Interactions 28. ATOP 5.0 dyad-years via peacesciencer.",
        "Free for research use with citation.",
    ),
}


def reference_folder(settings: Settings, data_dir: Path | None = None, /) -> Path:
    """The folder the reference tables are read from: ``data_dir``, else the ``reference_data`` setting.

    Raises
    ------
    InvalidInput
        When neither names one: the consequences cannot be estimated, and say so.
    """
    folder = data_dir or settings.reference_data
    if folder is None:
        raise InvalidInput(
            "no reference data: give --data-dir, or set reference_data (FLASHPOINT_REFERENCE_DATA) to a folder laid out "
            "like the shared data (peacesciencer/, consequences/)."
        )
    return Path(folder)
