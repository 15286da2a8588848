"""Safe YAML loading that remembers where every value came from.

Scenario and spec files are parsed by libyaml's C parser (PyYAML's own when libyaml is missing) and the data are
built here from its events: plain mappings, lists, text, numbers, booleans and dates only (no object construction
from tags), recording for every field path the 1-based line it sits on. Pydantic validation errors are then mapped
back to ``file:line: field.path`` in our own words with a fix, so a user can go straight to the line.

Every file is read within :data:`LIMITS` (size, values after alias expansion, nesting depth), so hostile input
such as nested aliases ("billion laughs") is refused in bounded memory and time with a message naming the limit.
Duplicate keys in a mapping are an error (PyYAML itself would silently keep the last one).
"""

from __future__ import annotations

import contextlib
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


@dataclass(frozen=True)
class YamlLimits:
    """What a scenario or spec file may hold, so that any input loads in bounded memory and time.

    Attributes
    ----------
    max_bytes
        Largest file, in bytes (UTF-8). The largest built-in scenario (korus-2025) is about 0.1 MB.
    max_values
        Most values (mappings, lists and scalars; mapping keys are not counted) after expanding aliases: an alias
        ``*name`` counts everything its anchor ``&name`` holds each time it is used, so nested aliases ("billion
        laughs") are refused here.
        korus-2025 holds about 1,900 values; a plain file of ``max_bytes`` about 10,000 to 21,000.
    max_depth
        Deepest nesting of mappings and lists.
    """

    max_bytes: int = 300_000
    max_values: int = 30_000
    max_depth: int = 64


#: the limits every scenario, observed-outcome and gravity spec file is read with
LIMITS = YamlLimits()

_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("map", "seq", "str", "int", "float", "bool", "null",
                                                           "timestamp"))
_MERGE = "tag:yaml.org,2002:merge"
_STR = "tag:yaml.org,2002:str"
#: libyaml's parser (C) when PyYAML was built with it, else PyYAML's own; both emit the same events and marks
_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Found = tuple[PathKey, int, str, str]


class _StopLoadingError(Exception):
    """Loading stopped at a limit; carries the one problem to report."""

    def __init__(self, line: int | None, message: str, fix: str) -> None:
        super().__init__(message)
        self.line, self.message, self.fix = line, message, fix


@dataclass
class _Frame:
    """A mapping or list being built: where it is, what it holds so far, how many values it expands to."""

    path: PathKey | None  # ``None`` inside a mapping key (not a field: its lines are not recorded)
    line: int
    data: Any
    anchor: str | None
    tag_ok: bool
    first_entry: int
    size: int = 1
    key: Any = None
    key_line: int = 0
    has_key: bool = False
    merges: list[tuple[Any, int]] = field(default_factory=list)


@dataclass
class _Anchor:
    """An anchored value and where its line entries are, for its aliases."""

    value: Any
    size: int
    entries: tuple[int, int]  # slice of the line entries recorded for the anchored value
    depth: int  # length of the anchor's path, to re-root its entries at an alias


class _Builder:
    """Turn the parser's event stream into plain data plus one line per field path, within :class:`YamlLimits`.

    Built from events (not from PyYAML's node graph) so that an alias is expanded, counted and bounded by us:
    PyYAML shares the anchored object, which is cheap to build but explodes for whoever walks it afterwards.
    """

    def __init__(self, parser: Any, limits: YamlLimits) -> None:
        self.parser, self.limits = parser, limits
        self.entries: list[tuple[PathKey, int]] = []
        self.problems: list[_Found] = []
        self.anchors: dict[str, _Anchor] = {}
        self.stack: list[_Frame] = []
        self.total = 0
        self.result: Any = None
        self.done = False

    # -- counting -------------------------------------------------------------------------------------------
    def _count(self, n: int, line: int, alias: str | None = None) -> None:
        self.total += n
        if self.total <= self.limits.max_values:
            return
        limit = f"{self.limits.max_values:,} values (mapping keys not counted), the limit (`max_values`)"
        if alias:
            raise _StopLoadingError(line, f"the file expands to more than {limit} that keeps loading bounded: the "
                                    f"alias *{alias} on this line repeats {n:,} values each time it is used "
                                    "(aliases inside anchors multiply).",
                                    "write each value out once instead of nesting aliases")
        raise _StopLoadingError(line, f"the file holds more than {limit} that keeps loading bounded.",
                                "split the file or remove what the analysis does not use")

    def _child_path(self) -> PathKey | None:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.path is None:
            return None
        if isinstance(top.data, list):
            return top.path + (len(top.data),)
        if not top.has_key or top.key is None or top.key is _MERGE:
            return None
        return top.path + (top.key,)

    def _record(self, path: PathKey | None, line: int) -> None:
        if path is not None:
            self.entries.append((path, line))

    # -- events ---------------------------------------------------------------------------------------------
    def run(self) -> None:
        p = self.parser
        scalar, start, end = yaml.ScalarEvent, (yaml.MappingStartEvent, yaml.SequenceStartEvent), \
            (yaml.MappingEndEvent, yaml.SequenceEndEvent)
        while p.check_event():
            ev = p.get_event()
            kind = type(ev)
            if kind is scalar:
                self._scalar(ev, ev.start_mark.line + 1)
            elif kind in end:
                self._end()
            elif kind in start:
                self._start(ev, ev.start_mark.line + 1)
            elif kind is yaml.AliasEvent:
                self._alias(ev.anchor, ev.start_mark.line + 1)
            elif kind is yaml.DocumentStartEvent and self.done:
                line = ev.start_mark.line + 1
                raise _StopLoadingError(line, "the file holds more than one YAML document (a second `---`).",
                                "keep one document per file")

    def _tag_ok(self, tag: str | None, path: PathKey | None, line: int) -> bool:
        if tag is None or tag == "!" or tag in _PLAIN_TAGS:
            return True
        self.problems.append((path or (), line, f"YAML tag {tag!r} is not allowed (files are loaded safely: plain "
                              "mappings, lists, text, numbers, booleans and dates only).",
                              "remove the tag and write a plain value"))
        return False

    def _scalar(self, ev: Any, line: int) -> None:
        top = self.stack[-1] if self.stack else None
        size = 1 if top is None or isinstance(top.data, list) or top.has_key else 0  # mapping keys are not counted
        self._count(size, line)
        path = self._child_path()
        tag = ev.tag
        if tag is None or tag == "!":
            tag = self.parser.resolve(yaml.ScalarNode, ev.value, ev.implicit)
        value: Any = None
        if tag == _STR:
            value = ev.value
        elif tag == _MERGE:
            value = _MERGE
        elif self._tag_ok(tag, path, line):
            node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
            try:
                value = self.parser.yaml_constructors[tag](self.parser, node)
            except (ValueError, yaml.constructor.ConstructorError) as exc:  # e.g. 2025-02-30
                self.problems.append((path or (), line, f"value {ev.value!r} is not valid: {exc}.",
                                      "write a real date as YYYY-MM-DD, or quote the value if it is text"))
        first = len(self.entries)
        self._record(path, line)
        if ev.anchor is not None:
            self.anchors[ev.anchor] = _Anchor(value, max(size, 1), (first, len(self.entries)), len(path or ()))
        self._attach(value, size, line, is_scalar=True, text=ev.value)

    def _alias(self, name: str, line: int) -> None:
        anchor = self.anchors.get(name)
        if anchor is None:
            raise _StopLoadingError(line, f"alias *{name} has no anchor &{name} before it (or refers to a mapping "
                                    "or list that contains it).",
                                    f"define `&{name}` earlier in the file, or write the value out")
        self._count(anchor.size, line, alias=name)
        path = self._child_path()
        if path is not None:
            lo, hi = anchor.entries
            for sub, sub_line in self.entries[lo:hi]:
                self.entries.append((path + sub[anchor.depth:], sub_line))
        self._attach(anchor.value, anchor.size, line, is_scalar=not isinstance(anchor.value, (dict, list)),
                     text=f"*{name}")

    def _start(self, ev: Any, line: int) -> None:
        self._count(1, line)
        if len(self.stack) >= self.limits.max_depth:
            raise _StopLoadingError(line, f"mappings and lists are nested more than {self.limits.max_depth} deep (the "
                            "limit `max_depth`).", "flatten the structure; scenario files nest about 7 deep")
        path = self._child_path()
        ok = self._tag_ok(ev.tag, path, line)
        self._record(path, line)
        data: Any = {} if isinstance(ev, yaml.MappingStartEvent) else []
        self.stack.append(_Frame(path, line, data, ev.anchor, ok, len(self.entries) - (path is not None)))

    def _end(self) -> None:
        fr = self.stack.pop()
        if isinstance(fr.data, dict) and fr.merges:
            self._merge(fr)
        value = fr.data if fr.tag_ok else None
        if fr.anchor is not None:
            self.anchors[fr.anchor] = _Anchor(value, fr.size, (fr.first_entry, len(self.entries)), len(fr.path or ()))
        self._attach(value, fr.size, fr.line, is_scalar=False, text="")

    def _merge(self, fr: _Frame) -> None:
        """``<<: *base`` (or a list of them): copy keys not written in this mapping, earlier merges first."""
        explicit = set(fr.data)
        for value, line in fr.merges:
            for m in value if isinstance(value, list) else [value]:
                if not isinstance(m, dict):
                    self.problems.append((fr.path or (), line, "a merge key `<<` must name a mapping (or a list "
                                          "of mappings).", "write `<<: *anchor_of_a_mapping`"))
                    continue
                for k, v in m.items():
                    if k not in explicit and k not in fr.data:
                        fr.data[k] = v
                        self._record(fr.path + (k,) if fr.path is not None else None, line)

    def _attach(self, value: Any, size: int, line: int, *, is_scalar: bool, text: str) -> None:
        if not self.stack:
            self.result, self.done = value, True
            return
        top = self.stack[-1]
        top.size += size
        if isinstance(top.data, list):
            top.data.append(value)
        elif not top.has_key:
            self._take_key(top, value, line, is_scalar=is_scalar, text=text)
        else:
            top.has_key = False
            if top.key is _MERGE:
                top.merges.append((value, top.key_line))
            elif top.key is not None:
                top.data[top.key] = value
                self._record(top.path + (top.key,) if top.path is not None else None, top.key_line)

    def _take_key(self, top: _Frame, key: Any, line: int, *, is_scalar: bool, text: str) -> None:
        top.has_key, top.key, top.key_line = True, None, line
        if key is _MERGE:
            top.key = _MERGE
            return
        if not is_scalar or not isinstance(key, (str, int, float, bool)) or key is None:
            if is_scalar and text:
                what, fix = f"mapping key {text!r} is read as {type(key).__name__}, not text", "quote the key"
            else:
                what, fix = "a mapping or list is used as a mapping key", "use a plain text key"
            self.problems.append((top.path or (), line, f"{what}.", fix))
            return
        key = key if isinstance(key, str) else str(key)
        if key in top.data:
            self.problems.append(((top.path or ()) + (key,), line, f"key {key!r} appears twice in the same "
                                  "mapping.", "keep one of the two entries and delete the other"))
            return
        top.key = key


def _syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """A syntax error at the line where the broken construct starts.

    For an unclosed quote or bracket, or a key without its colon, the parser notices only on a later line (often
    the next one); the construct's own line (the error's context mark) is where to look.
    """
    mark, ctx = exc.problem_mark, exc.context_mark
    context = exc.context or ""
    if ctx is not None and mark is not None and ctx.line < mark.line and (
            context in ("while scanning a simple key", "while scanning a quoted scalar") or "flow" in context):
        noticed = "the end of the file" if "end of stream" in str(exc.problem) else f"line {mark.line + 1}"
        what = context.removeprefix("while scanning ").removeprefix("while parsing ")
        return Problem(file, ctx.line + 1, "", f"YAML syntax error: {exc.problem} ({what} that starts at column "
                       f"{ctx.column + 1} of this line; noticed at {noticed}).",
                       "close the quote or bracket, or add the ':' after the key on this line")
    if mark is None:
        return Problem(file, None, "", f"YAML syntax error: {exc.problem}.", "check the file is YAML")
    if "nesting depth" in str(exc.problem):  # libyaml's own bound, reached while scanning ahead
        return Problem(file, mark.line + 1, "", f"mappings and lists are nested too deep ({exc.problem}).",
                       "flatten the structure; scenario files nest about 7 deep")
    lines = text.splitlines()
    row = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in row[: mark.column + 1] or "tab" in str(exc.problem):
        return Problem(file, mark.line + 1, "", f"YAML syntax error column {mark.column + 1}: {exc.problem} (the "
                       "line is indented with a tab).", "indent with spaces, not tabs")
    return Problem(file, mark.line + 1, "", f"YAML syntax error column {mark.column + 1}: {exc.problem}.",
                   "fix the indentation or quoting at that line (YAML uses spaces, not tabs; quote text that "
                   "contains ': ' or '#')")


def parse_yaml(text: str, file: str, error_type: type[InputFileError] = InputFileError,
               limits: YamlLimits = LIMITS) -> LoadedYaml:
    """Parse YAML text safely within ``limits``, recording the line of every field path.

    Uses libyaml's C parser when available (about ten times faster than PyYAML's own) and builds the data from
    its events, counting every value an alias repeats.

    Raises
    ------
    InputFileError (or ``error_type``)
        On a syntax error (at the line where the broken construct starts), duplicate keys, tags, or a file
        beyond ``limits`` (the message names the limit).
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.max_bytes:
        raise error_type(file, [_size_problem(file, size, limits)])
    parser = _Parser(text)
    builder = _Builder(parser, limits)
    try:
        builder.run()
    except _StopLoadingError as exc:
        raise error_type(file, [Problem(file, exc.line, "", exc.message, exc.fix)]) from None
    except yaml.MarkedYAMLError as exc:
        raise error_type(file, [_syntax_problem(file, text, exc)]) from None
    except yaml.YAMLError as exc:  # e.g. a reader error on a control character
        raise error_type(file, [Problem(file, None, "", f"YAML error: {exc}.",
                                        "save the file as plain UTF-8 text")]) from None
    finally:
        parser.dispose()
    if not builder.done:
        raise error_type(file, [Problem(file, 1, "", "the file is empty.", "write the document, or start from "
                                        "`tradetalks scenario export korus-2025`")])
    if builder.problems:
        raise error_type(file, [Problem(file, line, format_path(p), msg, fix)
                                for p, line, msg, fix in builder.problems])
    return LoadedYaml(file=file, data=builder.result, lines=dict(builder.entries))


def _size_problem(file: str, size: int, limits: YamlLimits) -> Problem:
    return Problem(file, None, "", f"the file is {size:,} bytes, above the limit of {limits.max_bytes:,} bytes "
                   "(`max_bytes`; the largest built-in scenario, korus-2025, is about 100,000).",
                   "split the file or remove what the analysis does not use")


def read_yaml(path: str | Path, error_type: type[InputFileError] = InputFileError,
              limits: YamlLimits = LIMITS) -> LoadedYaml:
    """Read and parse a YAML file (UTF-8) within ``limits``; at most ``limits.max_bytes + 1`` bytes are read."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            raw = fh.read(limits.max_bytes + 1)
            if len(raw) > limits.max_bytes:
                fh.seek(0, 2)
                raise error_type(str(p), [_size_problem(str(p), max(fh.tell(), len(raw)), limits)])
        text = raw.decode("utf-8")
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
    return parse_yaml(text, str(p), error_type, limits)


#: Fix hints per pydantic error type; ``{ctx}`` is filled from the error context.
_FIX_BY_TYPE: dict[str, str] = {
    "extra_forbidden": "remove this key or correct its spelling (see `docs/scenario-format.md` for the fields)",
    "missing": "add this field (see `docs/scenario-format.md` for what it holds)",
    "float_parsing": "write a number such as 0.25 or 2.5e9",
    "float_type": "write a number such as 0.25 or 2.5e9",
    "finite_number": "write a finite number",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "string_type": "write text (quote it if it looks like a number or a date)",
    "string_too_short": "write some text",
    "string_too_long": "shorten it",
    "bool_parsing": "write true or false",
    "bool_type": "write true or false",
    "date_from_datetime_parsing": "write a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "write a date as YYYY-MM-DD, without a time",
    "date_parsing": "write a date as YYYY-MM-DD",
    "date_type": "write a date as YYYY-MM-DD",
    "literal_error": "use one of the allowed values listed",
    "list_type": "write a list (lines starting with '- ')",
    "tuple_type": "write a list such as [low, high]",
    "dict_type": "write a mapping (key: value lines)",
    "model_type": "write a mapping (key: value lines)",
    "model_attributes_type": "write a mapping (key: value lines)",
    "too_short": "add entries",
    "too_long": "remove entries",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "string_pattern_mismatch": "rename it, e.g. auto_tariff or KOR (and use the new id wherever it is named)",
}

#: our wording per pydantic error type (pydantic's own messages are not shown); ``{...}`` from the error context
_WORDS_BY_TYPE: dict[str, str] = {
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "finite_number": "expected a finite number",
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "string_too_short": "must not be empty",
    "string_too_long": "is longer than {max_length} characters",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "date_from_datetime_parsing": "expected a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "expected a date without a time",
    "date_parsing": "expected a date (YYYY-MM-DD)",
    "date_type": "expected a date (YYYY-MM-DD)",
    "literal_error": "must be {expected}",
    "list_type": "expected a list",
    "tuple_type": "expected a list of two numbers",
    "dict_type": "expected a mapping (key: value lines)",
    "model_type": "expected a mapping (key: value lines)",
    "model_attributes_type": "expected a mapping (key: value lines)",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
}


def _describe(value: Any) -> str:
    """How a received value is shown: short, and saying what YAML read it as."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}" if value else "an empty list"
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _in_our_words(err: Mapping[str, Any], path: PathKey) -> str:
    """One pydantic error in our own words (never pydantic's wording), with what was received."""
    kind, ctx, received = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "missing":
        return f"required field {path[-1]!r} is missing." if path else "required field is missing."
    if kind == "extra_forbidden":
        return f"unknown field {path[-1]!r}." if path else "unknown field."
    if kind in ("too_short", "too_long"):
        n = ctx.get("actual_length", len(received) if isinstance(received, (list, dict)) else 0)
        lo, hi = ctx.get("min_length"), ctx.get("max_length")
        need = f"exactly {lo}" if lo is not None and lo == hi else (
            f"at least {lo}" if kind == "too_short" else f"at most {hi}")
        return f"needs {need} entr{'y' if need.endswith(' 1') else 'ies'}; received {n}."
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", err["msg"])).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        return f"{msg.rstrip('.')}; received {_describe(received)}."
    if kind == "string_pattern_mismatch":  # say what the pattern means, never show the regular expression
        dash = "\\-" in str(ctx.get("pattern", ""))
        chars = "letters (upper or lower case), digits, '_' and '-'" if dash else \
            "letters (upper or lower case), digits and '_'"
        return f"is not a valid id: an id starts with a letter and holds only {chars}; received " \
               f"{_describe(received)}."
    words = _WORDS_BY_TYPE.get(kind)
    if words is None:  # a type we have not worded: pydantic's message, without its jargon
        words = err["msg"].split(" [")[0].rstrip(".").replace("Input should be", "should be")
    with contextlib.suppress(KeyError, IndexError):
        words = words.format(**ctx)
    return f"{words}; received {_describe(received)}."


#: at most this many schema problems are translated per file; the rest are counted in one line
MAX_SCHEMA_PROBLEMS = 200


def problems_from_validation(loaded: LoadedYaml, exc: ValidationError,
                             fix_for: Callable[[str, PathKey], str | None] | None = None) -> list[Problem]:
    """Turn every pydantic error into a :class:`Problem` with file, line, field path, our wording and a fix."""
    out: list[Problem] = []
    errors = exc.errors(include_url=False)
    seen: set[str] = set()
    for err in errors:
        path = data_path(loaded.data, err)
        shown = format_path(path)
        if shown in seen:  # a union (number | expression) complains once per member; the first says it best
            continue
        seen.add(shown)
        if len(out) == MAX_SCHEMA_PROBLEMS:
            out.append(Problem(loaded.file, None, "", f"more problems are not listed ({len(errors):,} schema errors "
                               "in all, counting each alternative a field may take).",
                               "fix the problems above and validate again"))
            break
        fix = (fix_for(err["type"], path) if fix_for else None) or _FIX_BY_TYPE.get(err["type"], "correct the value")
        out.append(Problem(loaded.file, loaded.line_of(path), shown, _in_our_words(err, path), fix))
    return out


def data_path(data: Any, err: Mapping[str, Any]) -> PathKey:
    """The field path of a pydantic error in the loaded data (union-member tags and validator names dropped)."""
    loc: PathKey = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    clean: list[str | int] = []
    node: Any = data
    for part in loc:
        in_map = isinstance(node, Mapping) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_list:
            clean.append(part)
            node = node[part]
        elif err["type"] in ("missing", "extra_forbidden") and part == loc[-1]:
            clean.append(part)
    return tuple(clean)


def validate_model(loaded: LoadedYaml, model: type[M], error_type: type[InputFileError] = InputFileError) -> M:
    """Validate loaded YAML against a pydantic model, raising one error with every problem."""
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        raise error_type(loaded.file, problems_from_validation(loaded, exc)) from None
