r"""The GENIUS XML files: a domain (the outcome space) and one additive utility space (profile) per party.

Layout, as in the domains shipped with GENIUS (e.g. ``etc/templates/partydomain``) and read by NegMAS's
``load_genius_domain_from_folder`` (which tells the files apart by their root tag):

* domain — ``<negotiation_template><utility_space number_of_issues="n"><objective index="0" name=… type="objective"
  etype="objective">`` with one ``<issue index=… name=… type="discrete" etype="discrete" vtype="discrete">`` per issue
  and one ``<item index=… value=… description=…/>`` per value;
* profile — ``<utility_space><objective …>`` with the same issues whose items carry ``evaluation``, then one
  ``<weight index=… value=…/>`` per issue, and after the objective ``<discount_factor value=…/>`` and
  ``<reservation value=…/>``.

GENIUS computes the utility of a bid as :math:`v = \sum_k w_k\, e_k(x_k) / \max e_k` (evaluations divided by their
largest value in the issue; 0 if that is below :data:`GENIUS_MIN_MAX_EVALUATION`), discounted as
:math:`v\,\delta^t` with :math:`t \in [0, 1]` the normalised time of the session.

GENIUS reads these files with its own small parser (``SimpleDOMParser``): it decodes no entities, ends a tag at the
first ``>``, and skips comments only before the root element. So every text written here goes through
:func:`genius_text` (plain ASCII without ``< > & "``) and comments appear only in the prologue.

Parsing uses :mod:`xml.etree.ElementTree` — ``defusedxml`` when installed. With the bundled expat (2.4.1 or later)
ElementTree does not expand external entities and resists entity-expansion attacks; the parser is meant for files
this module wrote.

References
----------
Lin, R., Kraus, S., Baarslag, T., Tykhonov, D., Hindriks, K. and Jonker, C. M. (2014). GENIUS: an integrated
environment for supporting the design of generic automated negotiators. *Computational Intelligence* 30(1),
48-70. https://doi.org/10.1111/j.1467-8640.2012.00463.x
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tradetalks.errors import DataError

try:  # pragma: no cover - depends on the environment
    from defusedxml.ElementTree import parse as _parse_xml  # type: ignore[import-not-found]
except ImportError:  # the standard parser; see the module docstring
    _parse_xml = ET.parse

__all__ = ["GENIUS_MIN_MAX_EVALUATION", "GeniusIssue", "GeniusProfileFile", "domain_xml", "genius_text",
           "genius_utility", "parse_root", "profile_xml", "read_domain", "read_profile"]

#: GENIUS treats an issue whose largest evaluation is below this as worth 0 (EvaluatorDiscrete.normalize)
GENIUS_MIN_MAX_EVALUATION = 1e-5

FloatArray = NDArray[np.float64]

_ASCII_FOR = {"–": "-", "—": "-", "‘": "'", "’": "'", "“": "'", "”": "'", "→": "->", "≤": "<=", "≥": ">="}


def genius_text(text: str) -> str:
    """Text GENIUS's parser reads back unchanged: printable ASCII without ``< > & "`` and no ``--``.

    >>> genius_text('Korea–US "2+2" <talks> & more')
    "Korea-US '2+2' (talks) and more"
    """
    out = "".join(_ASCII_FOR.get(ch, ch) for ch in text)
    out = out.replace('"', "'").replace("<", "(").replace(">", ")").replace("&", "and")
    out = unicodedata.normalize("NFKD", out).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"\s+", " ", out).strip()
    return re.sub(r"-{2,}", "-", out)


@dataclass(frozen=True)
class GeniusIssue:
    """A discrete GENIUS issue: its name, its values (the bid tokens) and a human description of each value."""

    name: str
    values: tuple[str, ...]
    descriptions: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class GeniusProfileFile:
    """A parsed GENIUS additive profile, aligned with the domain's issues and values.

    Attributes
    ----------
    weights
        Shape ``(n_issues,)``.
    evaluations
        One array per issue, shape ``(n_values,)``: the raw ``evaluation`` attributes in the domain's value order.
    discount_factor, reservation
        The ``discount_factor`` and ``reservation`` values (1 and 0 when absent, GENIUS's defaults).
    """

    weights: FloatArray
    evaluations: tuple[FloatArray, ...]
    discount_factor: float
    reservation: float

    def utility(self, rows: Sequence[int]) -> float:
        """GENIUS utility (undiscounted) of the bid choosing value ``rows[k]`` on issue ``k``."""
        return genius_utility(self.weights, self.evaluations, rows)


def genius_utility(weights: FloatArray, evaluations: Sequence[FloatArray], rows: Sequence[int]) -> float:
    r""":math:`\sum_k w_k\, e_k(x_k) / \max e_k`, as GENIUS evaluates an additive utility space.

    >>> genius_utility(np.array([0.25, 0.75]), [np.array([0.0, 2.0]), np.array([1.0, 0.5])], [1, 1])
    0.625
    """
    total = 0.0
    for w, ev, row in zip(weights, evaluations, rows, strict=True):
        top = float(ev.max())
        total += float(w) * (float(ev[row]) / top if top >= GENIUS_MIN_MAX_EVALUATION else 0.0)
    return total


def _num(x: float) -> str:
    """Shortest text that reads back as the same double."""
    return repr(float(x))


def _issue_element(parent: ET.Element, k: int, issue: GeniusIssue, evaluations: FloatArray | None) -> None:
    el = ET.SubElement(parent, "issue", {"index": str(k + 1), "name": issue.name, "vtype": "discrete",
                                         "type": "discrete", "etype": "discrete"})
    for j, (value, description) in enumerate(zip(issue.values, issue.descriptions, strict=True)):
        attrs = {"index": str(j + 1), "value": value}
        if evaluations is not None:
            attrs["evaluation"] = _num(evaluations[j])
        attrs["description"] = description
        ET.SubElement(el, "item", attrs)


def _objective(parent: ET.Element, name: str, description: str) -> ET.Element:
    return ET.SubElement(parent, "objective", {"index": "0", "description": description, "name": name,
                                               "type": "objective", "etype": "objective"})


def _serialise(root: ET.Element, comments: Sequence[str]) -> bytes:
    """XML declaration, comments (prologue only: GENIUS skips them nowhere else), then the indented tree."""
    ET.indent(root)
    head = "<?xml version='1.0' encoding='us-ascii'?>\n"
    head += "".join(f"<!-- {genius_text(c).rstrip('-')} -->\n" for c in comments)
    return (head + ET.tostring(root, encoding="unicode") + "\n").encode("ascii")


def domain_xml(name: str, description: str, issues: Sequence[GeniusIssue], comments: Sequence[str] = ()) -> bytes:
    """The domain file: the outcome space only."""
    root = ET.Element("negotiation_template")
    space = ET.SubElement(root, "utility_space", {"number_of_issues": str(len(issues))})
    objective = _objective(space, name, description)
    for k, issue in enumerate(issues):
        _issue_element(objective, k, issue, None)
    return _serialise(root, comments)


def profile_xml(name: str, description: str, issues: Sequence[GeniusIssue], weights: FloatArray,
                evaluations: Sequence[FloatArray], discount_factor: float, reservation: float,
                comments: Sequence[str] = ()) -> bytes:
    """One party's additive utility space (issue weights, item evaluations, discount factor, reservation)."""
    if len(weights) != len(issues) or len(evaluations) != len(issues):
        raise DataError("a profile needs one weight and one evaluation array per issue.",
                        received=(len(issues), len(weights), len(evaluations)), fix="pass aligned sequences")
    root = ET.Element("utility_space")
    objective = _objective(root, name, description)
    for k, (issue, ev) in enumerate(zip(issues, evaluations, strict=True)):
        _issue_element(objective, k, issue, ev)
    for k, w in enumerate(weights):
        ET.SubElement(objective, "weight", {"index": str(k + 1), "value": _num(w)})
    ET.SubElement(root, "discount_factor", {"value": _num(discount_factor)})
    ET.SubElement(root, "reservation", {"value": _num(reservation)})
    return _serialise(root, comments)


def parse_root(path: str | Path) -> ET.Element:
    """The root element of an XML file, parsed as the readers here parse (``defusedxml`` when installed)."""
    try:
        root: Any = _parse_xml(str(path)).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataError(f"cannot read GENIUS file {str(path)!r}: {exc}.", fix="pass a GENIUS XML file") from None
    return root  # type: ignore[no-any-return]


def _root(path: str | Path, tag: str) -> ET.Element:
    try:
        root: Any = _parse_xml(str(path)).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DataError(f"cannot read GENIUS file {str(path)!r}: {exc}.", fix="pass a GENIUS XML file") from None
    if root.tag != tag:
        raise DataError(f"{str(path)!r} is not a GENIUS {tag} file (root <{root.tag}>).",
                        fix=f"pass a file whose root element is <{tag}>")
    return root  # type: ignore[no-any-return]


def _issues_of(objective: ET.Element) -> list[ET.Element]:
    return sorted(objective.iter("issue"), key=lambda el: int(el.get("index", "0")))


def read_domain(path: str | Path) -> list[GeniusIssue]:
    """Issues and values of a GENIUS domain file, in index order."""
    root = _root(path, "negotiation_template")
    out = []
    for el in _issues_of(root):
        items = sorted(el.iter("item"), key=lambda it: int(it.get("index", "0")))
        out.append(GeniusIssue(el.get("name", ""), tuple(it.get("value", "") for it in items),
                               tuple(it.get("description", "") for it in items)))
    return out


def read_profile(path: str | Path, issues: Sequence[GeniusIssue]) -> GeniusProfileFile:
    """A GENIUS additive profile, its evaluations aligned with ``issues`` (from :func:`read_domain`)."""
    root = _root(path, "utility_space")
    by_name = {el.get("name"): el for el in _issues_of(root)}
    index_of = {el.get("name"): int(el.get("index", "0")) for el in by_name.values()}
    weight_at = {int(w.get("index", "0")): float(w.get("value", "nan")) for w in root.iter("weight")}
    weights, evaluations = [], []
    for issue in issues:
        el = by_name.get(issue.name)
        if el is None:
            raise DataError(f"profile {str(path)!r} has no issue {issue.name!r}.", fix="use the matching domain")
        found = {it.get("value", ""): float(it.get("evaluation", "nan")) for it in el.iter("item")}
        if set(found) != set(issue.values):
            raise DataError(f"issue {issue.name!r}: the profile's values differ from the domain's.",
                            received=sorted(set(found) ^ set(issue.values))[:5], fix="use the matching domain")
        evaluations.append(np.array([found[v] for v in issue.values], dtype=np.float64))
        weights.append(weight_at.get(index_of[issue.name], 0.0))

    def value_of(tag: str, default: float) -> float:
        el = root.find(tag)
        return default if el is None else float(el.get("value", str(default)))

    return GeniusProfileFile(np.array(weights, dtype=np.float64), tuple(evaluations),
                             value_of("discount_factor", 1.0), value_of("reservation", 0.0))
