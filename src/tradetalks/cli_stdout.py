"""Keep C libraries' stray prints out of what the command line writes to stdout (CLI only, never the library).

HiGHS 1.12 (the MILP solver behind the two-level game) can print a debug line with C ``printf`` that none of its
options silences (ERGO-Code/HiGHS#2783). When the CLI prints JSON to stdout, that line would corrupt it. The
console script therefore points file descriptor 1 at stderr for the whole process, once, at its entry point, and
gives Python's ``sys.stdout`` a private duplicate of the real stdout: everything Python prints still goes to
stdout, anything C code prints goes to stderr. Only :func:`tradetalks.cli.main` calls this; library code never
touches process-wide streams.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator

__all__ = ["c_stdout_to_stderr"]


@contextlib.contextmanager
def c_stdout_to_stderr() -> Iterator[None]:
    """For the duration of the block, C-level writes to fd 1 go to stderr; ``sys.stdout`` keeps the real stdout.

    Does nothing when stdout or stderr has no file descriptor (an embedding host that replaced them).
    """
    try:
        out_fd, err_fd = sys.stdout.fileno(), sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    private = os.dup(out_fd)
    old = sys.stdout
    line_buffering = bool(getattr(old, "line_buffering", False))
    new = io.TextIOWrapper(os.fdopen(private, "wb"), encoding=old.encoding, errors=old.errors,
                           line_buffering=line_buffering)
    os.dup2(err_fd, out_fd)
    sys.stdout = new
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            new.flush()
        sys.stdout = old
        os.dup2(private, out_fd)
        new.close()
