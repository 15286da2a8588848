"""Print the incidence table of a scenario: per calibrated market, the exporter's share of the tariff and the
importer's optimal tariff (national welfare and political-weighted), from the exact PE model.

Usage (from the repository root)::

    PYTHONPATH=src python scripts/incidence_table.py [SCENARIO] [--set FACT=VALUE ...]

``--set`` overrides facts, e.g. the pre-calibration elasticities::

    PYTHONPATH=src python scripts/incidence_table.py --set kor_car_supply_elasticity=1 \
        --set kor_parts_supply_elasticity=1.5 --set kor_exporters_supply_elasticity=2 \
        --set kor_steel_supply_elasticity=2 --set us_beef_supply_elasticity=3
"""

from __future__ import annotations

import argparse

from tradetalks.econ.incidence import lever_incidence, lever_optimal_tariff
from tradetalks.econ.valuation import compile_scenario
from tradetalks.scenario import load_scenario

#: lever → (rate the incidence is reported for, importing party); korus-2025's calibration experiments
LEVERS = {
    "us_tariff_kor_cars": (0.25, "USA"),
    "us_tariff_kor_parts": (0.25, "USA"),
    "us_tariff_kor_other": (0.25, "USA"),
    "us_tariff_kor_steel": (0.25, "USA"),
    "kor_beef_ntb_us": (0.0, "KOR"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="korus-2025")
    parser.add_argument("--set", action="append", default=[], metavar="FACT=VALUE")
    args = parser.parse_args()
    overrides = {k: float(v) for k, v in (s.split("=", 1) for s in args.set)}
    loaded = load_scenario(args.scenario, overrides=overrides)
    cs = compile_scenario(loaded.scenario, loaded.facts)
    print(f"{'lever':<22} {'rate':>6} {'exporter share':>15} {'optimal (national)':>19} {'optimal (weighted)':>19}")
    for lever, (rate, party) in LEVERS.items():
        share = lever_incidence(cs, lever, rate)
        kind = next(lv.kind for lv in cs.levers if lv.id == lever)
        if kind == "tariff":
            national = lever_optimal_tariff(cs, lever, party, weighted=False)
            weighted = lever_optimal_tariff(cs, lever, party)
            opt = f"{national.tariff:>18.1%} {weighted.tariff:>19.1%}"
        else:
            opt = f"{'(NTB lever)':>19} {'':>19}"
        print(f"{lever:<22} {rate:>6.1%} {share:>15.1%} {opt}")


if __name__ == "__main__":
    main()
