"""The gravity spec file: one YAML file that names the data, the trade costs and the counterfactual.

Validated with pydantic models (unknown keys are errors) through :mod:`tradetalks.yamlfile`, so every problem is
reported at once with its file, line, field path and fix. The format is documented in ``docs/gravity.md``;
a minimal spec::

    data:
      file: flows.csv.gz            # relative to the spec file
    year: 2006
    sigma: 7
    reference: DEU
    trade_costs:
      variables:
        - {name: ln_DIST, column: DIST, transform: log}
        - {name: INTL_BRDR, transform: international}
      estimate: {variables: [ln_DIST, INTL_BRDR], fixed_effects: [exporter, importer]}
    counterfactual:
      edits:
        - {set: INTL_BRDR, value: 0}

References
----------
Yotov, Y. V., Piermartini, R., Monteiro, J.-A. & Larch, M. (2016). *An Advanced Guide to Trade Policy Analysis:
The Structural Gravity Model*. WTO/UNCTAD, ch. 2. https://doi.org/10.30875/abc0167e-en
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from tradetalks.econ.gravity.data import infer_format, separator
from tradetalks.errors import DataError, Problem, SpecError
from tradetalks.options import (
    Balance,
    ClusterBy,
    DataFormat,
    Effect,
    FixedEffectName,
    GESolver,
    IntranationalPairs,
    Kind,
    PairEffects,
    Sample,
    Transform,
)
from tradetalks.yamlfile import LoadedYaml, PathKey, format_path, problems_from_validation, read_yaml

#: canonical column names a trade-cost variable may not take
RESERVED = frozenset({"exporter", "importer", "year", "trade", "output", "expenditure"})
_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
_DOCS = "see docs/gravity.md for the fields"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(_Strict):
    """Column names in the data file (defaults: the canonical names)."""

    exporter: str = "exporter"
    importer: str = "importer"
    year: str | None = "year"
    trade: str = "trade"
    output: str | None = None
    expenditure: str | None = None


class DataSource(_Strict):
    """The data file (path relative to the spec file), its format, its columns and how to balance Σ Y and Σ E.

    ``format`` defaults to the one the file name implies (``.csv``, ``.tsv``/``.tab``, ``.dlm``/``.txt``,
    ``.parquet``/``.pq``, ``.dta``, each text format optionally compressed); ``sep`` is the delimiter of a text
    file (one character or ``tab``, ``comma``, ``semicolon``, ``pipe``, ``space``, ``whitespace``); ``balance``
    says what to do when the output and expenditure columns' world totals differ (see ``docs/gravity.md``).
    """

    file: str = Field(min_length=1)
    format: DataFormat | None = None
    sep: str | None = Field(default=None, min_length=1)
    columns: Columns = Columns()
    balance: Balance = "none"


class PairDummy(_Strict):
    """A 0/1 trade-cost variable defined in the spec: 1 on the named international pairs, 0 elsewhere.

    Exactly one way to name the pairs: ``pairs`` (ordered [exporter, importer] pairs; with ``symmetric: true``,
    the default, both directions), ``members`` (every international pair among the members, e.g. an agreement),
    or ``exporters``/``importers`` (every international pair from the first list to the second; an omitted list
    means every country; with ``symmetric: true`` also the reverse direction). ``from_year``/``to_year``
    (inclusive) limit the years in which it is 1.
    """

    pairs: list[list[str]] | None = Field(default=None, min_length=1)
    members: list[str] | None = Field(default=None, min_length=2)
    exporters: list[str] | None = Field(default=None, min_length=1)
    importers: list[str] | None = Field(default=None, min_length=1)
    symmetric: bool = True
    from_year: int | None = None
    to_year: int | None = None

    def codes(self) -> list[tuple[PathKey, str]]:
        """Every country code the dummy names, with its field path below the dummy."""
        out: list[tuple[PathKey, str]] = []
        for k, pair in enumerate(self.pairs or []):
            out += [(("pairs", k, m), code) for m, code in enumerate(pair)]
        for key in ("members", "exporters", "importers"):
            out += [((key, k), code) for k, code in enumerate(getattr(self, key) or [])]
        return out

    def ordered_pairs(self, countries: Sequence[str]) -> set[tuple[str, str]]:
        """The ordered (exporter, importer) pairs where the dummy is 1 (never intranational)."""
        if self.pairs is not None:
            given = {(p[0], p[1]) for p in self.pairs if len(p) == 2}
            pairs = given | ({(b, a) for a, b in given} if self.symmetric else set())
        elif self.members is not None:
            pairs = {(a, b) for a in self.members for b in self.members}
        else:
            pairs = {(a, b) for a in (self.exporters or countries) for b in (self.importers or countries)}
            pairs |= {(b, a) for a, b in pairs} if self.symmetric else set()
        return {(a, b) for a, b in pairs if a != b}


class Variable(_Strict):
    """A trade-cost variable: ``name`` built from ``column`` (default: the name) by ``transform``."""

    name: str = Field(pattern=_NAME)
    column: str | None = None
    transform: Transform = "none"


class Fill(_Strict):
    """Second-stage fill of missing pair effects: PPML of exp(pair effect) on gravity variables (international
    pairs of the baseline year, exporter and importer fixed effects), predicted for pairs without one."""

    variables: list[str] = Field(min_length=1)


class Estimate(_Strict):
    """PPML estimation of the trade-cost coefficients in the same run."""

    variables: list[str] = Field(min_length=1)
    fixed_effects: list[FixedEffectName] = Field(min_length=1)
    sample: Sample = "all"
    years: list[int] | None = Field(default=None, min_length=1)
    pair: PairEffects = "directional"
    intranational: IntranationalPairs = "shared"
    cluster: ClusterBy = "pair"
    fill_missing_pairs: Fill | None = None


class TradeCosts(_Strict):
    """t_ij^(1−σ) = exp(Σ_k β_k x_k,ij [+ pair effect]); β given in ``coefficients`` and/or estimated."""

    variables: list[Variable] = Field(min_length=1)
    coefficients: dict[str, float] = Field(default_factory=dict)
    estimate: Estimate | None = None


class SetEdit(_Strict):
    """Set a trade-cost variable to ``value`` for the selected pairs (all countries when a list is omitted)."""

    set: str
    value: float
    exporters: list[str] | None = Field(default=None, min_length=1)
    importers: list[str] | None = Field(default=None, min_length=1)
    include_domestic: bool = False


class TariffEdit(_Strict):
    """Impose an ad-valorem tariff (0.25 = 25 %) on the selected international pairs; revenue is rebated."""

    tariff: float = Field(gt=-1.0)
    exporters: list[str] | None = Field(default=None, min_length=1)
    importers: list[str] | None = Field(default=None, min_length=1)


def _edit_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "set-edit" if "set" in value else "tariff-edit" if "tariff" in value else None
    return "set-edit" if isinstance(value, SetEdit) else "tariff-edit" if isinstance(value, TariffEdit) else None


Edit = Annotated[
    Annotated[SetEdit, Tag("set-edit")] | Annotated[TariffEdit, Tag("tariff-edit")],
    Discriminator(_edit_kind, custom_error_type="edit_kind",
                  custom_error_message="an edit needs either a `set:` or a `tariff:` key"),
]


class Counterfactual(_Strict):
    """A counterfactual scenario: edits applied in order to the baseline trade costs and tariffs."""

    name: str = Field(default="counterfactual", pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    kind: Kind = "full"
    edits: list[Edit] = Field(min_length=1)
    effect: Effect = "of-counterfactual"
    solver: GESolver = "newton"


class GravitySpec(_Strict):
    """A gravity run: data, baseline year, σ, reference importer, trade costs, counterfactual."""

    title: str | None = None
    description: str | None = None
    data: DataSource
    dummies: dict[str, PairDummy] = Field(default_factory=dict)
    year: int
    sigma: float = Field(gt=1.0)
    reference: str = Field(min_length=1)
    trade_costs: TradeCosts
    counterfactual: Counterfactual | None = None
    scenarios: list[Counterfactual] | None = Field(default=None, min_length=1)

    def counterfactuals(self) -> list[tuple[PathKey, Counterfactual]]:
        """Every counterfactual with its field path: ``counterfactual`` or each of ``scenarios``."""
        if self.counterfactual is not None:
            return [(("counterfactual",), self.counterfactual)]
        return [(("scenarios", k), c) for k, c in enumerate(self.scenarios or [])]


@dataclass(frozen=True)
class SpecFile:
    """A validated spec and where it came from (for resolving the data path and pointing at lines)."""

    spec: GravitySpec
    path: Path
    loaded: LoadedYaml

    @property
    def data_path(self) -> Path:
        """The data file, resolved against the spec file's folder."""
        return (self.path.parent / self.spec.data.file).resolve()

    def problem(self, path: PathKey, message: str, fix: str) -> Problem:
        """A :class:`Problem` at a field path of this spec, with its line."""
        return Problem(self.loaded.file, self.loaded.line_of(path), format_path(path), message, fix)


_FIXES: dict[str, str] = {
    "extra_forbidden": f"remove this key or correct its spelling ({_DOCS})",
    "edit_kind": "write `set: VARIABLE` with `value:`, or `tariff: RATE` (e.g. 0.25 for 25 %)",
    "string_pattern_mismatch": "start with a letter; use letters, digits and '_' only (e.g. ln_DIST)",
}


def _fix_for(kind: str, path: PathKey) -> str | None:
    if path and path[-1] == "sigma" and kind in ("greater_than", "float_parsing", "float_type"):
        return "use σ > 1; the book uses σ = 7 (trade elasticity 1 − σ = −6)"
    if kind == "extra_forbidden" and path and path[-1] in ("set", "tariff") and "edits" in path:
        return "an edit either sets a variable or imposes a tariff: split it into two edits"
    if "dummies" in path and "pairs" in path:
        return "write a list of [exporter, importer] pairs, e.g. `pairs: [[CAN, USA], [CAN, MEX]]`"
    if kind == "literal_error" and "fixed_effects" in path:
        return "use exporter, importer, exporter-year, importer-year or pair"
    return _FIXES.get(kind)


def load_spec(path: str | Path) -> SpecFile:
    """Read, validate and cross-check a gravity spec file.

    Raises
    ------
    SpecError
        With one :class:`~tradetalks.errors.Problem` (file, line, field path, fix) per finding.
    """
    loaded = read_yaml(path, SpecError)
    try:
        spec = GravitySpec.model_validate(loaded.data)
    except ValidationError as exc:
        raise SpecError(loaded.file, problems_from_validation(loaded, exc, _fix_for)) from None
    spec_file = SpecFile(spec, Path(path), loaded)
    problems = check_spec(spec_file)
    if problems:
        raise SpecError(loaded.file, problems)
    return spec_file


def check_spec(sf: SpecFile) -> list[Problem]:
    """Cross-field checks that need the whole spec (names defined once, used where they exist, ...)."""
    return [*_check_variables(sf), *_check_estimate(sf), *_check_edits(sf), *_check_data(sf), *_check_dummies(sf)]


def _check_data(sf: SpecFile) -> list[Problem]:
    data, out = sf.spec.data, []
    cols = data.columns
    if (cols.output is None) != (cols.expenditure is None):
        out.append(sf.problem(("data", "columns"), "output and expenditure must be given together.",
                              "name both columns, or neither to build them from the flows (intranational included)"))
    if data.balance != "none" and cols.output is None:
        out.append(sf.problem(("data", "balance"), f"`balance: {data.balance}` needs output and expenditure columns; "
                              "built from the flows, Σ Y = Σ E holds already.",
                              "remove `balance:`, or name data.columns.output and data.columns.expenditure"))
    fmt = data.format or infer_format(data.file)
    if fmt is None:
        out.append(sf.problem(("data", "file"), f"cannot tell the format of {data.file!r} from its name.",
                              "add `format:` under data: csv (comma), tsv (tab), dlm (any delimiter, with `sep:`), "
                              "parquet or stata"))
    if data.sep is not None and fmt in ("parquet", "stata"):
        out.append(sf.problem(("data", "sep"), f"a separator is given for a {fmt} file, which has none.",
                              "remove `sep:`, or set `format:` to csv, tsv or dlm if the file is text"))
    if data.sep is not None:
        try:
            separator(data.sep)
        except DataError as exc:
            out.append(sf.problem(("data", "sep"), f"{exc.what} Received {data.sep!r}.", exc.fix or ""))
    return out


def _check_dummies(sf: SpecFile) -> list[Problem]:
    spec, out = sf.spec, []
    used = {v.column or v.name for v in spec.trade_costs.variables if v.transform != "international"}
    for name, dummy in spec.dummies.items():
        where: PathKey = ("dummies", name)
        if not re.match(_NAME, name):
            out.append(sf.problem(where, f"the dummy name {name!r} is not a valid name.",
                                  "start with a letter; use letters, digits and '_' only (e.g. border_can_usa)"))
        if name in RESERVED:
            out.append(sf.problem(where, f"{name!r} is a reserved column name.", "give the dummy another name"))
        ways = [k for k in ("pairs", "members") if getattr(dummy, k) is not None]
        if dummy.exporters is not None or dummy.importers is not None:
            ways.append("exporters/importers")
        if len(ways) != 1:
            out.append(sf.problem(where, f"a dummy names its pairs in exactly one way; this one uses "
                                  f"{' and '.join(ways) or 'none'}.",
                                  "write one of `pairs: [[CAN, USA]]`, `members: [CAN, MEX, USA]` or "
                                  "`exporters: [...]`/`importers: [...]`"))
        for k, pair in enumerate(dummy.pairs or []):
            if len(pair) != 2:
                out.append(sf.problem((*where, "pairs", k), f"a pair is [exporter, importer]; received {pair}.",
                                      "write two country codes per pair, e.g. `pairs: [[CAN, USA]]`"))
            elif pair[0] == pair[1]:
                out.append(sf.problem((*where, "pairs", k), f"the pair [{pair[0]}, {pair[1]}] is intranational; "
                                      "a dummy is 0 on domestic flows.", "name two different countries"))
        if dummy.members is not None and len(set(dummy.members)) < 2:
            out.append(sf.problem((*where, "members"), "a dummy among members needs at least two countries.",
                                  "list two or more different country codes"))
        if dummy.from_year is not None and dummy.to_year is not None and dummy.from_year > dummy.to_year:
            out.append(sf.problem((*where, "to_year"), f"to_year {dummy.to_year} is before from_year "
                                  f"{dummy.from_year}.", "swap them, or remove one"))
        if name not in used:
            out.append(sf.problem(where, f"the dummy {name!r} is defined but no trade-cost variable uses it.",
                                  f"add `- {{name: {name}}}` under trade_costs.variables (and give it a coefficient "
                                  "or estimate it), or remove the dummy"))
    return out


def _check_variables(sf: SpecFile) -> list[Problem]:
    tc, out = sf.spec.trade_costs, []
    counts = Counter(v.name for v in tc.variables)
    for k, v in enumerate(tc.variables):
        where = ("trade_costs", "variables", k)
        if counts[v.name] > 1:
            out.append(sf.problem((*where, "name"), f"variable {v.name!r} is defined more than once.",
                                  "keep one definition per name"))
        if v.name in RESERVED:
            out.append(sf.problem((*where, "name"), f"{v.name!r} is a reserved column name.",
                                  "give the variable another name, e.g. RTA or ln_DIST"))
        if v.transform == "international" and v.column is not None:
            out.append(sf.problem((*where, "column"), "an `international` variable is built from the exporter "
                                  "and importer codes and takes no column.", "remove `column:`"))
    names = set(counts)
    for name in tc.coefficients:
        if name not in names:
            out.append(sf.problem(("trade_costs", "coefficients", name), f"{name!r} is not a defined variable.",
                                  f"define it under trade_costs.variables, or use one of {sorted(names)}"))
    if not tc.coefficients and tc.estimate is None:
        out.append(sf.problem(("trade_costs",), "no coefficients are given and none are estimated.",
                              "add `coefficients:` (name: value) or an `estimate:` block"))
    return out


def _check_estimate(sf: SpecFile) -> list[Problem]:
    est = sf.spec.trade_costs.estimate
    if est is None:
        return []
    names = {v.name for v in sf.spec.trade_costs.variables}
    base = ("trade_costs", "estimate")
    out = [sf.problem((*base, "variables", k), f"{name!r} is not a defined variable.",
                      f"define it under trade_costs.variables, or use one of {sorted(names)}")
           for k, name in enumerate(est.variables) if name not in names]
    out += [sf.problem((*base, "variables", k), f"{name!r} has a given coefficient and is also estimated.",
                       "remove it from `coefficients:` (to estimate it) or from here (to impose the value)")
            for k, name in enumerate(est.variables) if name in sf.spec.trade_costs.coefficients]
    dups = [fe for fe, n in Counter(est.fixed_effects).items() if n > 1]
    if dups:
        out.append(sf.problem((*base, "fixed_effects"), f"fixed effects listed twice: {dups}.", "list each once"))
    has_pair = "pair" in est.fixed_effects
    if est.fill_missing_pairs is not None:
        if not has_pair:
            out.append(sf.problem((*base, "fill_missing_pairs"), "filling missing pair effects needs pair fixed "
                                  "effects.", "add `pair` to fixed_effects, or remove fill_missing_pairs"))
        out += [sf.problem((*base, "fill_missing_pairs", "variables", k), f"{name!r} is not a defined variable.",
                           f"define it under trade_costs.variables, or use one of {sorted(names)}")
                for k, name in enumerate(est.fill_missing_pairs.variables) if name not in names]
    if has_pair and (est.years is None or len(set(est.years)) < 2):
        out.append(sf.problem((*base, "years"), "pair fixed effects need a panel of several years.",
                              "list the years to estimate on, e.g. [1986, 1990, 1994, 1998, 2002, 2006]"))
    return out


def _check_edits(sf: SpecFile) -> list[Problem]:
    spec, out = sf.spec, []
    if (spec.counterfactual is None) == (spec.scenarios is None):
        out.append(sf.problem((), "give exactly one of `counterfactual:` (one scenario) and `scenarios:` (a list "
                              "of named ones).", "keep one of the two keys"))
    seen: set[str] = set()
    tc = spec.trade_costs
    defined = {v.name for v in tc.variables}
    in_cost = (set(tc.coefficients) | set(tc.estimate.variables if tc.estimate else [])) & defined
    for where, cf in spec.counterfactuals():
        if cf.name in seen:
            out.append(sf.problem((*where, "name"), f"scenario name {cf.name!r} is used twice.",
                                  "give each scenario its own name"))
        seen.add(cf.name)
        if cf.solver == "book-loop" and cf.kind != "full":
            out.append(sf.problem((*where, "solver"), "the book loop solves full endowment GE; conditional GE is "
                                  "one PPML fit in the book, which the default solver reproduces exactly.",
                                  "remove `solver: book-loop` from this scenario, or use `kind: full`"))
        if cf.solver == "book-loop" and any(isinstance(e, TariffEdit) for e in cf.edits):
            out.append(sf.problem((*where, "solver"), "the book loop has no tariff revenue; tariff edits need "
                                  "the default solver.", "remove `solver: book-loop` from this scenario"))
        for k, edit in enumerate(cf.edits):
            if isinstance(edit, SetEdit) and edit.set not in in_cost:
                out.append(sf.problem((*where, "edits", k, "set"),
                                      f"{edit.set!r} is not a trade-cost variable with a coefficient.",
                                      f"use one of {sorted(in_cost)}, or give it a coefficient"))
    return out
