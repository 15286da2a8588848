"""Make a structurally broken scenario checkable, so that one run reports every problem.

When pydantic rejects part of a file, the cross-reference and value checks would otherwise not run at all, and a
user would fix two problems only to meet three more. :func:`repair_for_checks` copies the data and mends each
rejected part with the least change that validates: an unknown key is dropped, an invalid optional field falls
back to its default, an invalid required field (or list entry) gets a neutral placeholder, a short list is padded.
The later checks run on the mended scenario and :func:`near_repair` tells which of their findings concern a mended
part (those are dropped: the schema problem already covers them).

Placeholders are neutral: text and ids are :data:`PLACEHOLDER`, numbers are NaN (value checks skip NaN, so a
placeholder never causes a finding of its own), dates are 2000-01-01.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import annotated_types
from pydantic import BaseModel, ValidationError

from tradetalks.yamlfile import PathKey, data_path

M = TypeVar("M", bound=BaseModel)

#: the id and text given to a mended required field (a valid id; findings that mention it are dropped)
PLACEHOLDER = "tt_placeholder"


def repair_for_checks(model: type[M], data: Any, exc: ValidationError,
                      max_rounds: int = 4) -> tuple[M | None, list[PathKey]]:
    """A validated copy of ``data`` with every part pydantic rejected mended, and the mended paths.

    Returns ``(None, paths)`` when the data cannot be mended (e.g. the top level is not a mapping).
    """
    data = copy.deepcopy(data)
    mended: list[PathKey] = []
    for _ in range(max_rounds):
        if not isinstance(data, dict):
            return None, mended
        for err in exc.errors():
            path = _mend(model, data, err)
            if path is not None:
                mended.append(path)
        try:
            return model.model_validate(data), mended
        except ValidationError as again:
            exc = again
    return None, mended


def near_repair(mended: list[PathKey]) -> Callable[[PathKey], bool]:
    """A test of whether a finding at a path concerns a mended part: at or under it, or its entry or list.

    Built once (sets of paths), so that it costs O(path length) per finding whatever the number of mended parts.
    """
    exact = set(mended)
    around: set[PathKey] = set()
    for r in mended:
        ints = [k for k, part in enumerate(r) if isinstance(part, int)]
        if ints:
            around.update(r[:k] for k in range(ints[-1], len(r)))

    def test(path: PathKey) -> bool:
        return path in around or any(path[:k] in exact for k in range(len(path) + 1))

    return test


def mentions_placeholder(text: str) -> bool:
    """Whether a message names a placeholder (such findings are about a mended part)."""
    return PLACEHOLDER in text


def strip_placeholder(text: str) -> str:
    """Remove the placeholder from lists of valid ids in a fix (``use one of ['a', 'tt_placeholder']``)."""
    return text.replace(f", {PLACEHOLDER!r}", "").replace(f"{PLACEHOLDER!r}, ", "")


# -- mending --------------------------------------------------------------------------------------------------
def _mend(model: type[BaseModel], data: dict[str, Any], err: Mapping[str, Any]) -> PathKey | None:
    kind = err["type"]
    path = data_path(data, err)
    if not path:
        return None
    *head, last = path
    parent = _get(data, tuple(head))
    if kind == "extra_forbidden" or "[key]" in err["loc"]:  # unknown field, or an invalid key of a mapping
        if isinstance(parent, dict):
            parent.pop(last, None)
        return path
    found = _field_at(model, path)
    if found is None:
        return None
    annotation, info, is_field = found
    value = _get(data, path) if kind != "missing" else None
    if kind == "too_short" and isinstance(value, list):
        need = _min_len(info) - len(value)
        value.extend(_placeholder(_args(annotation)[0] if _args(annotation) else str, []) for _ in range(need))
        return path + (len(value) - 1,)
    if kind == "too_long" and isinstance(value, list):
        del value[_max_len(info):]
        return path
    if is_field and info is not None and not info.is_required() and isinstance(parent, dict):
        parent.pop(last, None)  # an optional field falls back to its default
        return path
    filler = _placeholder(annotation, info.metadata if info is not None else [])
    if isinstance(parent, dict):
        parent[last] = filler
        return path
    if isinstance(parent, list) and isinstance(last, int):
        parent[last] = filler
        return path
    return None


def _get(data: Any, path: PathKey) -> Any:
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _field_at(model: type[BaseModel], path: PathKey) -> tuple[Any, Any, bool] | None:
    """The annotation at ``path``, the pydantic field info that holds it, and whether the path ends at a field."""
    ann: Any = model
    info: Any = None
    is_field = False
    for part in path:
        ann = _strip(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields = {f.alias or name: f for name, f in ann.model_fields.items()}
            fields.update(ann.model_fields)
            if part not in fields:
                return None
            info = fields[str(part)]
            ann, is_field = info.annotation, True
            continue
        args = _args(ann)
        origin = typing.get_origin(ann)
        if origin is list and args:
            ann, is_field, info = args[0], False, None
        elif origin is dict and len(args) == 2:
            ann, is_field, info = args[1], False, None
        elif origin is tuple and args and isinstance(part, int) and part < len(args):
            ann, is_field, info = args[part], False, None
        else:
            return None
    return ann, info, is_field


def _strip(ann: Any) -> Any:
    """``Annotated[X, ...]`` → X; ``X | None`` → X; other unions → their first member."""
    while True:
        if typing.get_origin(ann) is typing.Annotated:
            ann = typing.get_args(ann)[0]
        elif typing.get_origin(ann) in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = members[0]
        else:
            return ann


def _args(ann: Any) -> tuple[Any, ...]:
    return typing.get_args(_strip(ann))


def _min_len(info: Any) -> int:
    for m in getattr(info, "metadata", []):
        if isinstance(m, annotated_types.MinLen):
            return int(m.min_length)
    return 1


def _max_len(info: Any) -> int:
    for m in getattr(info, "metadata", []):
        if isinstance(m, annotated_types.MaxLen):
            return int(m.max_length)
    return 1


def _placeholder(ann: Any, metadata: list[Any]) -> Any:
    """A neutral value that validates as ``ann``."""
    if typing.get_origin(ann) is typing.Literal:
        return typing.get_args(ann)[0]
    base = _strip(ann)
    if typing.get_origin(base) is typing.Literal:
        return typing.get_args(base)[0]
    origin, args = typing.get_origin(base), typing.get_args(base)
    n = max(1, next((int(m.min_length) for m in metadata if isinstance(m, annotated_types.MinLen)), 1))
    if origin is list:
        return [_placeholder(args[0] if args else str, []) for _ in range(n)]
    if origin is dict:
        return {PLACEHOLDER: _placeholder(args[1] if len(args) == 2 else str, [])}
    if origin is tuple:
        return [_placeholder(a, []) for a in args]
    if isinstance(base, type) and issubclass(base, BaseModel):
        return {f.alias or name: _placeholder(f.annotation, f.metadata)
                for name, f in base.model_fields.items() if f.is_required()}
    if base is bool:
        return False
    if base is int:
        return 1
    if base is float:
        return math.nan
    if base is dt.date:
        return dt.date(2000, 1, 1)
    return PLACEHOLDER
