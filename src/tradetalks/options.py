"""Every string option of tradetalks, declared once as a ``Literal`` (validated in one place)."""

from __future__ import annotations

from typing import Literal, get_args

#: what an option's lever setting changes in a market
LeverKind = Literal["tariff", "ntb"]
#: agenda categories (used for grouping in reports)
IssueCategory = Literal["tariff", "non_tariff_barrier", "offer", "security", "cooperation", "form"]
#: timeline event kinds
EventKind = Literal["round", "deadline", "tariff_change", "announcement", "deal", "summit", "other"]
#: bargaining solutions, named as in DESIGN.md (other tools use "Kalai" for different things)
SolutionName = Literal["nash", "kalai_smorodinsky", "egalitarian", "utilitarian"]
#: rules that pick a Pareto improvement of a tentative deal (tradetalks.bargain.improve)
ImprovementRule = Literal["equal_gains", "proportional", "nash", "utilitarian"]
#: rules a room's owner may choose for the mediator's package (the solutions of tradetalks.api.evaluate.warm_model)
MediatorRule = Literal["nash", "nash_rubinstein", "kalai_smorodinsky", "egalitarian", "utilitarian"]
#: kinds of domestic ratifier in a two-level game (Putnam 1988)
RatifierKind = Literal["legislature", "lobby", "agency", "executive", "public"]
#: distribution of an uncertain fact (scenario ``facts: {id: {dist: {kind: ...}}}``)
DistKind = Literal["uniform", "triangular", "normal", "lognormal", "beta"]
#: how the HTML report carries plotly.js: embedded, or a file beside it shared by reports in that folder
ReportJs = Literal["inline", "file"]
#: GENIUS export: the session discount factor in each profile, or 1 there (the factors then only in the sidecar)
GeniusDiscount = Literal["session", "none"]
#: objective of a batched maximisation over packages (tradetalks.bargain.batch): w·u, or min_i (u_i - f_i)/s_i
BatchObjective = Literal["linear", "maxmin"]
#: economics behind the payoffs
EconModel = Literal["pe", "ge"]


#: what a tornado row perturbs
ParameterKind = Literal["weight", "valuation", "elasticity"]

#: the predicted agreements: Nash with the scenario's bargaining powers, and with Rubinstein powers from patience
AgreementName = Literal["nash", "nash_rubinstein"]

#: the packages held against the ratification rules
CheckLabel = Literal["nash (unconstrained)", "observed deal", "given package"]

#: Which packages a strategy offers from: the exact frontier, the packages its party's ratifiers accept, or the
#: candidates an opponent-modelling agent considers (frontiers under hypothetical opponent utilities).
MenuKind = Literal["frontier", "ratifiable", "candidates"]

#: How talks ended.
EndReason = Literal["agreement", "hard_deadline", "round_limit"]

#: Strategy names, declared once.
StrategyName = Literal["boulware", "linear", "conceder", "tit_for_tat", "rubinstein", "ratifier_aware",
                       "frequency_model", "bayesian_model"]

#: how a package count was obtained
CountMethod = Literal["exact", "sampled"]

#: how a ZOPA count was obtained: exact (meet in the middle) or a seeded sample with a confidence interval
ZopaMethod = Literal["exact", "sampled"]

#: separation checks of pyfixest: "fe" (zeros within a fixed-effect group), "ir" (iterative rectifier: zeros
#: predicted perfectly by the regressors; Correia, Guimarães & Zylkin 2020)
SeparationCheck = Literal["fe", "ir"]

#: reasons an observation is left out of the estimation sample
DropReason = Literal["missing", "separation", "singleton", "pyfixest"]

#: fixed effects of the estimation; "-year" ones are interacted with the year, "pair" is exporter × importer
FixedEffectName = Literal["exporter", "importer", "exporter-year", "importer-year", "pair"]

#: estimation sample: international pairs only, or all pairs including intranational flows
Sample = Literal["international", "all"]

#: how a trade-cost variable is built: the column as is, its natural log, or 1 for international pairs
Transform = Literal["none", "log", "international"]

#: pair fixed effects per ordered pair (i→j ≠ j→i) or per unordered pair (as the book's ``pair_id``)
PairEffects = Literal["directional", "symmetric"]

#: pair fixed effects of intranational flows: one effect shared by all countries' domestic flows (the book's NAFTA
#: application), or one per country
IntranationalPairs = Literal["shared", "separate"]

#: format of a gravity data file: delimited text (csv: ",", tsv: tab, dlm: any delimiter, e.g. gegravity's ``.dlm``,
#: given by ``sep:`` or read from the header), Parquet or Stata
DataFormat = Literal["csv", "tsv", "dlm", "parquet", "stata"]

#: what to do when world output and world expenditure of the data differ: stop (``"none"``), scale every
#: expenditure by Σ Y / Σ E (expenditure shares kept), or every output by Σ E / Σ Y (output shares kept)
Balance = Literal["none", "rescale_expenditure", "rescale_output"]

#: cluster variable of the standard errors ("none": heteroskedasticity-robust)
ClusterBy = Literal["pair", "exporter", "importer", "none"]

#: gravity spec files: conditional GE (output and expenditure fixed) or full endowment GE (prices adjust)
Kind = Literal["full", "conditional"]

#: direction of reported changes: counterfactual against baseline (the effect of the edits), or baseline against
#: counterfactual (the effect of the policy the edits remove, e.g. "the effect of NAFTA")
Effect = Literal["of-counterfactual", "of-baseline"]

#: conditional GE holds output and expenditure fixed (only the multilateral resistances move); full endowment GE
#: lets factory-gate prices, and with them output and expenditure, adjust
GEKind = Literal["conditional", "full"]

#: how trade deficits stay fixed in full endowment GE: ``"ratio"`` keeps each country's expenditure-to-output ratio
#: φ_j = E_j / Y_j (Yotov et al. 2016, eq. 2-33), rescaled by one world factor so that world expenditure equals world
#: output; ``"level"`` keeps each deficit D_j = E_j - Y_j fixed in units of the numeraire
DeficitClosure = Literal["ratio", "level"]

#: deficit closures of the multi-sector (Caliendo–Parro) solver: the two above, plus ``"world-share"`` (each deficit a
#: fixed share of world value added, so real results do not depend on the numeraire; Caliendo & Parro 2015, App. A.4)
#: and ``"zero"`` (every deficit is removed in the counterfactual: how Caliendo & Parro build a zero-deficit base year)
MultiSectorDeficitClosure = Literal["ratio", "level", "world-share", "zero"]

#: production structure of Caliendo & Parro's (2015) model when their data are read (their Table 11): ``"benchmark"``
#: (input–output links), ``"no-io"`` (each sector uses only its own goods as materials, with the own-sector share of
#: the input–output table), ``"no-materials"`` (value added is all of gross output), ``"one-sector"`` (one tradable
#: and one service sector, aggregated as the authors do)
CP2015Model = Literal["benchmark", "no-io", "no-materials", "one-sector"]

#: how a one-sector full endowment counterfactual is solved: ``"newton"`` solves the equilibrium equations exactly
#: (the default); ``"book-loop"`` runs the iterative procedure of Yotov et al. (2016, ch. 2) with its loose stopping
#: rule, to reproduce the book's published tables (not an exact equilibrium)
GESolver = Literal["newton", "book-loop"]

SOLUTION_NAMES: tuple[str, ...] = get_args(SolutionName)

#: what a stored run computes (the service's background jobs)
RunKind = Literal["analyze", "uncertainty", "gravity"]
#: where a stored run is: waiting for a worker, computing, finished, failed (with a reason), cancelled
RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
