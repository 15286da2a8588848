"""One exception tree for tradetalks.

Every error says what was wrong, what was received and how to fix it. Errors about a file (a scenario, an
observed outcome, a gravity spec) carry one :class:`Problem` per finding, each with the file, the line, the
field path and the fix, and are raised once with *all* findings rather than one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class TradetalksError(Exception):
    """Base class of every error tradetalks raises on purpose.

    Parameters
    ----------
    what
        What was wrong, in one sentence.
    received
        What the program was given (optional).
    fix
        How to fix it (optional but strongly encouraged).
    """

    #: short machine-readable code, used by the JSON error envelope
    code = "error"

    def __init__(self, what: str, *, received: object | None = None, fix: str | None = None) -> None:
        self.what = what
        self.received = received
        self.fix = fix
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [self.what]
        if self.received is not None:
            parts.append(f"Received: {self.received!r}.")
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        return " ".join(parts)

    def to_dict(self) -> dict[str, object]:
        """The JSON error envelope: ``{"error": {"code", "message", "fix", "problems"}}``."""
        return {"error": {"code": self.code, "message": str(self), "fix": self.fix, "problems": []}}


@dataclass(frozen=True)
class Problem:
    """One finding in an input file.

    Attributes
    ----------
    file
        Path (or name) of the file.
    line
        1-based line of the offending node, or ``None`` when the file has no such node (a missing field is
        reported at the line of its parent).
    path
        Field path, e.g. ``issues[3].options[0].set.usa_tariff_autos``.
    message
        What is wrong, including what was received.
    fix
        What to change.
    """

    file: str
    line: int | None
    path: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = self.path or "(top level)"
        return f"{where}: {field}: {self.message} Fix: {self.fix}"

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message, "fix": self.fix}


#: an input-file error's message lists at most this many problems (``problems`` and the JSON envelope hold all)
MAX_PROBLEMS_SHOWN = 100


class InputFileError(TradetalksError):
    """An input file (scenario, observed outcome, spec) is invalid; carries every problem found."""

    code = "invalid_input"
    kind = "input file"

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{self.kind} {file} is invalid ({n:,} problem{'s' if n != 1 else ''}):"
        body = "\n".join(f"  - {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN])
        if n > MAX_PROBLEMS_SHOWN:
            body += f"\n  ... and {n - MAX_PROBLEMS_SHOWN:,} more (all of them are in the JSON envelope, `--json`)"
        TradetalksError.__init__(self, f"{head}\n{body}", fix="correct each field listed above and run again.")

    def _message(self) -> str:
        return self.what

    def to_dict(self) -> dict[str, object]:
        env = super().to_dict()
        env["error"]["problems"] = [p.to_dict() for p in self.problems]  # type: ignore[index]
        return env


class ScenarioError(InputFileError):
    """A scenario or observed-outcome file is invalid."""

    code = "invalid_scenario"
    kind = "scenario file"


class SpecError(InputFileError):
    """A gravity spec file is invalid."""

    code = "invalid_spec"
    kind = "spec file"


class NotFoundError(TradetalksError):
    """A named thing (built-in scenario, file, country) does not exist."""

    code = "not_found"


class DataError(TradetalksError):
    """Data are unusable for the model asked for (non-square, missing flows, negative output, ...)."""

    code = "invalid_data"


class LimitError(TradetalksError):
    """A request is too large to compute within the stated limit; refused instead of exhausting memory."""

    code = "too_large"


class ConvergenceError(TradetalksError):
    """A numerical solver did not converge; carries its diagnostics."""

    code = "not_converged"

    def __init__(self, what: str, *, diagnostics: object, fix: str | None = None) -> None:
        self.diagnostics = diagnostics
        super().__init__(what, received=None, fix=fix)

    def _message(self) -> str:
        base = super()._message()
        return f"{base} Diagnostics: {self.diagnostics}"
