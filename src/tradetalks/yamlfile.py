"""Safe YAML loading that remembers where every value came from.

Scenario and spec files are loaded with PyYAML's *safe* composer (no object construction from tags) and turned
into plain Python data while recording, for every field path, the 1-based line it sits on. Pydantic validation
errors are then mapped back to ``file:line: field.path`` with a fix, so a user can go straight to the line.

Duplicate keys in a mapping are an error (PyYAML itself would silently keep the last one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tradetalks.errors import InputFileError, Problem

PathKey = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class LoadedYaml:
    """Plain data from a YAML file plus the line of every field path (1-based)."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line_of(self, path: PathKey) -> int | None:
        """Line of ``path`` or of its nearest existing ancestor (a missing field points at its parent)."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]


def format_path(path: PathKey) -> str:
    """``("issues", 3, "options", 0, "id")`` → ``issues[3].options[0].id``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "str", "int", "float", "bool", "null",
                                                  "timestamp", "merge")}


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: PathKey, lines: dict[PathKey, int],
               problems: list[tuple[PathKey, int, str, str]]) -> Any:
    lines[path] = node.start_mark.line + 1
    if node.tag not in _PLAIN_TAGS:
        problems.append((path, node.start_mark.line + 1, f"YAML tag {node.tag!r} is not allowed (files are loaded "
                         "safely: plain mappings, lists, text, numbers, booleans and dates only).",
                         "remove the tag and write a plain value"))
        return None
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                problems.append((path, key_node.start_mark.line + 1, f"mapping key {key!r} is not a plain scalar.",
                                 "use a plain text key"))
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                problems.append((path + (key,), key_node.start_mark.line + 1,
                                 f"key {key!r} appears twice in the same mapping.",
                                 "keep one of the two entries and delete the other"))
                continue
            out[key] = _construct(loader, value_node, path + (key,), lines, problems)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, path + (i,), lines, problems) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node, deep=True)
    except ValueError as exc:  # e.g. a date that does not exist (2025-02-30)
        problems.append((path, node.start_mark.line + 1, f"value {node.value!r} is not valid: {exc}.",
                         "write a real date as YYYY-MM-DD, or quote the value if it is text"))
        return None


def parse_yaml(text: str, file: str, error_type: type[InputFileError] = InputFileError) -> LoadedYaml:
    """Parse YAML text safely, recording the line of every field path.

    Raises
    ------
    InputFileError (or ``error_type``)
        On a syntax error (with its line and column) or duplicate keys.
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        col = f" column {mark.column + 1}" if mark is not None else ""
        raise error_type(file, [Problem(file, line, "", f"YAML syntax error{col}: {exc.problem}.",
                                        "fix the indentation or quoting at that line (YAML uses spaces, "
                                        "not tabs; quote text that contains ': ' or '#')")]) from None
    except yaml.YAMLError as exc:  # pragma: no cover - other parser errors
        raise error_type(file, [Problem(file, None, "", f"YAML error: {exc}.", "check the file is YAML")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise error_type(file, [Problem(file, 1, "", "the file is empty.", "write the document, or start from "
                                        "`tradetalks scenario export korus-2025`")])
    lines: dict[PathKey, int] = {}
    problems: list[tuple[PathKey, int, str, str]] = []
    constructor = yaml.SafeLoader("")
    try:
        data = _construct(constructor, node, (), lines, problems)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        raise error_type(file, [Problem(file, mark.line + 1 if mark else None, "", f"YAML value error: {exc.problem}.",
                                        "remove the YAML tag or write a plain value")]) from None
    if problems:
        raise error_type(file, [Problem(file, line, format_path(p), msg, fix) for p, line, msg, fix in problems])
    return LoadedYaml(file=file, data=data, lines=lines)


def read_yaml(path: str | Path, error_type: type[InputFileError] = InputFileError) -> LoadedYaml:
    """Read and parse a YAML file (UTF-8)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error_type(str(p), [Problem(str(p), None, "", "the file does not exist.",
                                          "check the path, or use a built-in name (`tradetalks scenarios`)")]) from None
    except UnicodeDecodeError as exc:
        raise error_type(str(p), [Problem(str(p), None, "", f"the file is not UTF-8 text ({exc.reason}).",
                                          "save it as UTF-8")]) from None
    except IsADirectoryError:
        raise error_type(str(p), [Problem(str(p), None, "", "this is a directory, not a file.",
                                          "give the path of the .yaml file inside it")]) from None
    except OSError as exc:
        raise error_type(str(p), [Problem(str(p), None, "", f"the file cannot be read ({exc.strerror}).",
                                          "check its permissions, or copy it somewhere readable")]) from None
    return parse_yaml(text, str(p), error_type)


#: Fix hints per pydantic error type; ``{ctx}`` is filled from the error context.
_FIX_BY_TYPE: dict[str, str] = {
    "extra_forbidden": "remove this key or correct its spelling (see `docs/scenario-format.md` for the fields)",
    "missing": "add this field",
    "float_parsing": "write a number (e.g. 0.25) or the id of a fact from `facts:`",
    "float_type": "write a number (e.g. 0.25) or the id of a fact from `facts:`",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "string_type": "write text (quote it if it looks like a number or a date)",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "date_parsing": "write a date as YYYY-MM-DD",
    "date_type": "write a date as YYYY-MM-DD",
    "literal_error": "use one of the allowed values listed",
    "list_type": "write a list (lines starting with '- ')",
    "dict_type": "write a mapping (key: value lines)",
    "model_type": "write a mapping (key: value lines)",
    "too_short": "add at least one entry",
    "too_long": "remove entries",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "string_pattern_mismatch": "use lowercase letters, digits, '_' and '-' only, starting with a letter",
}


def problems_from_validation(loaded: LoadedYaml, exc: ValidationError,
                             fix_for: Callable[[str, PathKey], str | None] | None = None) -> list[Problem]:
    """Turn every pydantic error into a :class:`Problem` with file, line, field path and fix."""
    out: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc: PathKey = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # pydantic adds union-member tags (e.g. 'float', 'str') to the location: drop those that are not fields
        clean: list[str | int] = []
        node: Any = loaded.data
        for part in loc:
            in_map = isinstance(node, Mapping) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if in_map or in_list:
                clean.append(part)
                node = node[part]
            elif err["type"] in ("missing", "extra_forbidden") and part == loc[-1]:
                clean.append(part)
            else:
                continue
        path = tuple(clean)
        received = err.get("input")
        msg = err["msg"].rstrip(".")
        if err["type"] == "missing":
            message = "required field is missing."
        elif err["type"] == "extra_forbidden":
            message = f"unknown field {path[-1]!r}." if path else "unknown field."
        else:
            shown = received if not isinstance(received, (dict, list)) else type(received).__name__
            message = f"{msg}; received {shown!r}."
        fix = (fix_for(err["type"], path) if fix_for else None) or _FIX_BY_TYPE.get(err["type"], "correct the value")
        out.append(Problem(loaded.file, loaded.line_of(path), format_path(path), message, fix))
    # one problem per field: a union (number | fact id) complains once per member; the first says it best
    seen: set[str] = set()
    unique = []
    for p in out:
        if p.path not in seen:
            seen.add(p.path)
            unique.append(p)
    return unique


def validate_model(loaded: LoadedYaml, model: type[M], error_type: type[InputFileError] = InputFileError) -> M:
    """Validate loaded YAML against a pydantic model, raising one error with every problem."""
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        raise error_type(loaded.file, problems_from_validation(loaded, exc)) from None
