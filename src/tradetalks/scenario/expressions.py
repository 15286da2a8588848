"""Quantities in scenario files: a number, or arithmetic over named facts.

A numeric field in a scenario may be a plain number (``0.25``) or an expression over the ids of entries in the
scenario's ``facts:`` table, e.g. ``"-invest_cash_annual_cap * invest_net_cost_rate"``. Only ``+ - * /``,
parentheses, numbers and fact ids are allowed; the expression is parsed with :mod:`ast` and evaluated by walking
the tree (never ``eval``). Expressions make every figure traceable to a sourced fact or a flagged assumption, and
let a user override a fact once (``--set fact=value``) wherever it is used.

Two time-basis functions may be called in an option's payoff (see ``docs/scenario-format.md``, "Time basis"):
``flow(amount_per_yr, start, years)`` and ``lump(amount, at)``. Their value is the annuity equivalent over the
scenario's valuation horizon; the caller supplies the implementations (:mod:`tradetalks.econ.valuation` builds them
from the scenario's ``valuation:`` block with :mod:`tradetalks.econ.timebasis`).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from functools import lru_cache

Quantity = float | str

#: functions an expression may call, with their number of arguments
FUNCTIONS: dict[str, int] = {"flow": 3, "lump": 2}

_BINOPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b}


class ExpressionError(ValueError):
    """An expression is malformed or names an unknown fact."""


@lru_cache(maxsize=4096)
def _parse(expr: str) -> ast.expr:
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        raise ExpressionError(f"{expr!r} is not a number or an arithmetic expression over fact ids") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS or node.keywords or len(node.args) != FUNCTIONS[name]:
                allowed = ", ".join(f"{f}({FUNCTIONS[f]} arguments)" for f in FUNCTIONS)
                raise ExpressionError(f"{expr!r} calls {name or 'something'!s} wrongly; only {allowed} may be called")
            continue
        if isinstance(node, ast.Expression | ast.Load | ast.Name | ast.UnaryOp | ast.USub | ast.UAdd):
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            continue
        if isinstance(node, ast.operator) and type(node) in _BINOPS:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            continue
        raise ExpressionError(f"{expr!r} uses {type(node).__name__}; only numbers, fact ids, + - * / and "
                              "parentheses are allowed")
    return tree.body


def names_in(expr: Quantity) -> set[str]:
    """Fact ids referenced by a quantity (empty for a number)."""
    if not isinstance(expr, str):
        return set()
    tree = _parse(expr)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def calls_in(expr: Quantity) -> set[str]:
    """Names of the functions a quantity calls (``flow``, ``lump``)."""
    if not isinstance(expr, str):
        return set()
    return {n.func.id for n in ast.walk(_parse(expr)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


def check(expr: Quantity, known: Mapping[str, object]) -> str | None:
    """Return a message if the quantity is malformed or names an unknown fact, else ``None``."""
    if not isinstance(expr, str):
        return None if math.isfinite(float(expr)) else f"{expr!r} is not a finite number"
    try:
        unknown = sorted(names_in(expr) - set(known))
    except ExpressionError as exc:
        return str(exc)
    if unknown:
        return f"{expr!r} names unknown fact(s) {', '.join(unknown)}"
    return None


Functions = Mapping[str, Callable[..., float]]


def evaluate(expr: Quantity, values: Mapping[str, float], functions: Functions | None = None) -> float:
    """Value of a quantity given fact values (and the implementations of ``flow``/``lump`` if it calls them).

    >>> evaluate("-a * b / 2", {"a": 10.0, "b": 3.0})
    -15.0
    >>> evaluate(0.25, {})
    0.25
    """
    if not isinstance(expr, str):
        return float(expr)
    return float(_eval(_parse(expr), values, functions or {}))


def _eval(node: ast.expr, values: Mapping[str, float], functions: Functions) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        try:
            return float(values[node.id])
        except KeyError:
            raise ExpressionError(f"unknown fact {node.id!r}") from None
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values, functions)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return float(_BINOPS[type(node.op)](_eval(node.left, values, functions),
                                            _eval(node.right, values, functions)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        fn = functions.get(node.func.id)
        if fn is None:
            raise ExpressionError(f"{node.func.id}() needs the scenario's `valuation:` block (discount rate and "
                                  "horizon) and can only be used in an option's payoffs")
        return float(fn(*(_eval(a, values, functions) for a in node.args)))
    raise ExpressionError(f"unsupported expression node {type(node).__name__}")  # pragma: no cover
