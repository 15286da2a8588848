"""Turn result objects into plain JSON-ready data, at the edge (files, API), never inside a computation."""

from __future__ import annotations

import dataclasses
import math
from typing import Any


def jsonable(obj: Any) -> Any:
    """Plain lists, dicts, str, int and float (6 significant digits; NaN and infinities as ``None``)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int) and not isinstance(obj, bool):
        return int(obj)
    try:
        x = float(obj)
    except (TypeError, ValueError):
        return str(obj)
    if not math.isfinite(x):
        return None
    if x.is_integer() and abs(x) < 2**53 and hasattr(obj, "dtype") and obj.dtype.kind in "iu":
        return int(x)
    return float(f"{x:.6g}")


def plain(obj: Any) -> Any:
    """Dataclass instances as dicts of their fields, recursively through lists, tuples and dicts; other values
    as they are. What :func:`dataclasses.asdict` gives for :func:`jsonable`, without deep-copying every leaf
    (several times faster on a whole analysis)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


def plain_jsonable(obj: Any) -> Any:
    """``jsonable(plain(obj))`` in one pass: the same data, about twice as fast on a whole analysis (most of the
    time of both is spent on the tens of thousands of frontier and linkage numbers). Exact built-in types take a
    short path; anything else goes through :func:`plain` and :func:`jsonable` as it is."""
    t = type(obj)
    if t is float:
        return float(f"{obj:.6g}") if math.isfinite(obj) else None
    if t is str or t is int or t is bool or obj is None:
        return obj
    if t is dict:  # text values (package options) are most of a result: kept without a call
        return {k if type(k) is str else str(k): v if type(v) is str else plain_jsonable(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [plain_jsonable(v) for v in obj]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return jsonable(plain(obj))


def dumps(data: Any, indent: int | None = 2) -> str:
    """JSON text of plain data (:func:`jsonable` output): indented by 2 spaces (or compact with ``indent=None``),
    non-ASCII characters kept. Encoded with orjson, about 7x faster than :func:`json.dumps` with an indent (which
    has no C encoder) and the same text except that small exponents are written out (``0.00001``, not ``1e-05``).
    """
    if indent not in (None, 2):
        import json

        return json.dumps(data, indent=indent, ensure_ascii=False)
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2 if indent == 2 else 0).decode("utf-8")
