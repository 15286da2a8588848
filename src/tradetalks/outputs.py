"""Writing run outputs so that a crash mid-write never leaves a half-written file.

Each file is written to a temporary file in the same directory, flushed and fsync'ed, then moved over the target
with :func:`os.replace` (atomic on POSIX and Windows). A reader sees the old file or the new one, never a mix.
The temporary file is created with an explicit mode (0o666, which the kernel narrows by the user's umask, as for
any new file), so nothing process-wide is read or changed: safe from several threads at once.

:func:`write_atomic_many` writes several files with the same guarantee per file, flushing them to disk together
(one wait for the disk instead of one per file, which on a busy disk is most of the time of writing a run's
outputs).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from tradetalks.errors import TradetalksError


class CsvTable(Protocol):
    """Anything that writes itself as CSV text (a pandas DataFrame, a :class:`tradetalks.report.tables.Table`)."""

    def to_csv(self, index: bool = ...) -> str: ...

#: mode asked for when creating a file; the kernel applies the process's umask to it (as ``open(..., "w")`` does)
FILE_MODE = 0o666
#: attempts at a fresh temporary name before giving up (a clash needs two equal 64-bit random names)
_NAME_TRIES = 16


def _create_temp(directory: Path, name: str) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_NAME_TRIES):
        tmp = directory / f".{name}.{secrets.token_hex(8)}.tmp"
        try:
            return os.open(tmp, flags, FILE_MODE), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name for {name!r} in {str(directory)!r}")


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically (text as UTF-8); the file gets the mode a new file normally gets."""
    return write_atomic_many({path: data})[0]


def write_atomic_many(files: Mapping[str | Path, str | bytes]) -> list[Path]:
    """Write several files (path → data, text as UTF-8), each atomically as :func:`write_atomic` does.

    Every file is first written to its temporary file, then all are flushed to disk, then each is moved over its
    target in order. Each file is the old one or the new one, never a mix. If writing or flushing any of them
    fails, no target is touched and no temporary file is left; a failure while moving them into place (after
    every file is safely on disk) can leave the earlier ones replaced, as writing them one by one would.
    """
    todo = [(Path(path), data) for path, data in files.items()]
    made: list[tuple[Path, Path, int]] = []  # (target, temporary, fd) created so far
    try:
        for p, _ in todo:
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = _create_temp(p.parent, p.name)
            except OSError as exc:
                raise TradetalksError(f"cannot write to {str(p.parent)!r}: {exc.strerror}.",
                                      fix="choose another --out directory you can write to") from None
            made.append((p, tmp, fd))
        for (p, _tmp, fd), (_, data) in zip(made, todo, strict=True):
            try:
                _write_all(fd, data.encode("utf-8") if isinstance(data, str) else data)
            except OSError as exc:
                raise _cannot_write(p, exc) from None
        for p, _tmp, fd in made:
            try:
                os.fsync(fd)
            except OSError as exc:
                raise _cannot_write(p, exc) from None
    except BaseException:
        for _p, tmp, fd in made:
            _close_quietly(fd)
            tmp.unlink(missing_ok=True)
        raise
    for _p, _tmp, fd in made:
        _close_quietly(fd)
    done = []
    for i, (p, tmp, _fd) in enumerate(made):
        try:
            os.replace(tmp, p)
        except BaseException as exc:
            for _q, rest, _ in made[i:]:
                rest.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _cannot_write(p, exc) from None
            raise
        done.append(p)
    return done


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _cannot_write(p: Path, exc: OSError) -> TradetalksError:
    return TradetalksError(f"cannot write {str(p)!r}: {exc.strerror}.",
                           fix="check free disk space and permissions, or choose another --out directory")


def write_tables(out_dir: str | Path, tables: Mapping[str, CsvTable]) -> list[Path]:
    """Write each table as ``<name>.csv`` atomically (flushed to disk together)."""
    return write_atomic_many({Path(out_dir) / f"{name}.csv": df.to_csv(index=False) for name, df in tables.items()})
