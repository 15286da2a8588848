"""What changed between two analyses (e.g. the scenario as published and with ``--set`` overrides): inputs and
headline results side by side.

Example
-------
>>> from tradetalks.scenario import load_scenario
>>> from tradetalks.studies.analyze import analyze
>>> base = analyze(load_scenario("tests/data/toy.yaml"))
>>> new = analyze(load_scenario("tests/data/toy.yaml", overrides={"w_exp": 3.0}))
>>> diff = compare_results(base, new)
>>> [c.id for c in diff.inputs]
['w_exp']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradetalks.studies.analyze_results import AnalysisResult


@dataclass(frozen=True)
class InputChange:
    """A fact whose value differs between the two runs."""

    id: str
    unit: str
    before: float
    after: float


@dataclass(frozen=True)
class OptionMove:
    """An issue whose option in a solution's package differs between the two runs."""

    issue: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class SolutionMove:
    """A bargaining solution in both runs: utilities (USD/yr, weighted, against the BATNA) and package changes.

    ``before``/``after`` are ``None`` where no package beats no deal for both sides in that run.
    """

    name: str
    before: dict[str, float] | None
    after: dict[str, float] | None
    moves: list[OptionMove]


@dataclass(frozen=True)
class ResultDiff:
    """Inputs that differ and how the headline results moved (``after`` minus ``before``).

    Attributes
    ----------
    inputs
        Facts with different values.
    solutions
        Every solution of either run, with its package changes.
    zopa
        Packages better than no deal for both, before and after.
    observed
        Utilities of the real deal before and after (USD/yr, weighted), when both runs have one.
    """

    inputs: list[InputChange]
    solutions: list[SolutionMove]
    zopa: tuple[float, float]
    observed: tuple[dict[str, float], dict[str, float]] | None
    notes: list[str] = field(default_factory=list)

    @property
    def anything_moved(self) -> bool:
        """Whether a solution's package or utilities, the ZOPA or the real deal's utilities changed."""
        moved = any(s.moves or s.before != s.after for s in self.solutions) or self.zopa[0] != self.zopa[1]
        return moved or (self.observed is not None and self.observed[0] != self.observed[1])


def compare_results(before: AnalysisResult, after: AnalysisResult) -> ResultDiff:
    """Inputs and headline results of two analyses of the same scenario."""
    was = {s.id: s for s in before.sources}
    inputs = [InputChange(s.id, s.unit, was[s.id].value, s.value) for s in after.sources
              if s.id in was and was[s.id].value != s.value]
    solutions = []
    for name in dict.fromkeys([*before.solutions, *after.solutions]):
        b, a = before.solutions.get(name), after.solutions.get(name)
        pb = b.package if b else {}
        pa = a.package if a else {}
        moves = [OptionMove(i, pb.get(i), pa.get(i)) for i in dict.fromkeys([*pb, *pa]) if pb.get(i) != pa.get(i)]
        solutions.append(SolutionMove(name, b.utilities if b else None, a.utilities if a else None, moves))
    observed = None
    if before.observed is not None and after.observed is not None:
        observed = (before.observed.utilities, after.observed.utilities)
    return ResultDiff(inputs=inputs, solutions=solutions, zopa=(float(before.zopa.count), float(after.zopa.count)),
                      observed=observed)
