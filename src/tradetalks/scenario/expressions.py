"""Quantities in scenario files: a number, or arithmetic over named facts.

A numeric field in a scenario may be a plain number (``0.25``) or an expression over the ids of entries in the
scenario's ``facts:`` table, e.g. ``"-invest_cash_annual_cap * invest_net_cost_rate"``. Only ``+ - * /``,
parentheses, numbers and fact ids are allowed; the expression is parsed with :mod:`ast` and evaluated by walking
the tree (never ``eval``). Expressions make every figure traceable to a sourced fact or a flagged assumption, and
let a user override a fact once (``--set fact=value``) wherever it is used.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from functools import lru_cache

Quantity = float | str

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
    return set(_names(expr))


@lru_cache(maxsize=4096)
def _names(expr: str) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(_parse(expr)) if isinstance(n, ast.Name))


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


def evaluate(expr: Quantity, values: Mapping[str, float]) -> float:
    """Value of a quantity given fact values.

    >>> evaluate("-a * b / 2", {"a": 10.0, "b": 3.0})
    -15.0
    >>> evaluate(0.25, {})
    0.25
    """
    if not isinstance(expr, str):
        return float(expr)
    return float(_eval(_parse(expr), values))


def _eval(node: ast.expr, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        try:
            return float(values[node.id])
        except KeyError:
            raise ExpressionError(f"unknown fact {node.id!r}") from None
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        return float(_BINOPS[type(node.op)](_eval(node.left, values), _eval(node.right, values)))
    raise ExpressionError(f"unsupported expression node {type(node).__name__}")  # pragma: no cover
