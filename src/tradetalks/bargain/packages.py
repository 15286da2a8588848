"""Packages: merging coupled issues into compound issues so that utilities are additive across groups.

Two issues are *coupled* when their options interact: they set levers in the same market (partial-equilibrium
effects of two wedges on one market do not add up) or a constraint links them. Coupled issues are merged into
one compound issue whose options are the feasible combinations; across groups utilities are then exactly
additive, which is what the Minkowski-sum frontier (:mod:`tradetalks.bargain.frontier`) needs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tradetalks.errors import LimitError

#: the most combinations one compound issue may have before the request is refused
MAX_COMPOUND_OPTIONS = 200_000


@dataclass(frozen=True)
class OptionConstraint:
    """``requires``: if ``issue_a`` ∈ ``options_a`` then ``issue_b`` ∈ ``options_b``;
    ``excludes``: if ``issue_a`` ∈ ``options_a`` then ``issue_b`` ∉ ``options_b`` (issue and option indices)."""

    kind: str
    issue_a: int
    options_a: frozenset[int]
    issue_b: int
    options_b: frozenset[int]

    def allows(self, chosen: dict[int, int]) -> bool:
        if chosen[self.issue_a] not in self.options_a:
            return True
        inside = chosen[self.issue_b] in self.options_b
        return inside if self.kind == "requires" else not inside


@dataclass(frozen=True)
class IssueGroup:
    """A compound issue.

    Attributes
    ----------
    issues : tuple of int
        Member issue indices (scenario order).
    combos : (m, len(issues)) int
        Feasible option combinations, one row per compound option.
    batna_row : int
        Row of ``combos`` that is the BATNA (every member at its BATNA option).
    """

    issues: tuple[int, ...]
    combos: np.ndarray
    batna_row: int


def _components(n: int, links: Sequence[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def group_issues(n_options: Sequence[int], batna: Sequence[int], links: Sequence[tuple[int, int]],
                 constraints: Sequence[OptionConstraint] = ()) -> list[IssueGroup]:
    """Merge coupled issues and enumerate each group's feasible combinations.

    Parameters
    ----------
    n_options
        Number of options of each issue.
    batna
        BATNA option index of each issue.
    links
        Pairs of coupled issues (shared market); constraint pairs are added automatically.
    constraints
        Constraints between options.

    Raises
    ------
    LimitError
        If a compound issue would have more than :data:`MAX_COMPOUND_OPTIONS` combinations.
    ValueError
        If the BATNA itself violates a constraint (the no-deal outcome must be feasible).
    """
    all_links = list(links) + [(c.issue_a, c.issue_b) for c in constraints]
    groups = []
    for members in _components(len(n_options), all_links):
        size = math.prod(n_options[i] for i in members)
        if size > MAX_COMPOUND_OPTIONS:
            raise LimitError(f"issues {members} are coupled (shared market or constraint) into one compound issue "
                             f"with {size:,} combinations, above the limit of {MAX_COMPOUND_OPTIONS:,}.",
                             fix="split the market or the constraint so fewer issues are coupled, or reduce options")
        cons = [c for c in constraints if c.issue_a in members]
        rows = [combo for combo in itertools.product(*(range(n_options[i]) for i in members))
                if all(c.allows(dict(zip(members, combo, strict=True))) for c in cons)]
        combos = np.array(rows, dtype=np.int64).reshape(len(rows), len(members))
        target = tuple(batna[i] for i in members)
        hits = np.flatnonzero((combos == np.array(target)).all(axis=1)) if len(rows) else np.array([])
        if len(hits) == 0:
            raise ValueError(f"the BATNA options {target} of issues {members} violate a constraint")
        groups.append(IssueGroup(issues=tuple(members), combos=combos, batna_row=int(hits[0])))
    return groups
