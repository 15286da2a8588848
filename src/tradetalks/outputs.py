"""Writing run outputs so that a crash mid-write never leaves a half-written file.

Each file is written to a temporary file in the same directory, flushed and fsync'ed, then moved over the target
with :func:`os.replace` (atomic on POSIX and Windows). A reader sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from tradetalks.errors import TradetalksError


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` atomically (text as UTF-8)."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise TradetalksError(f"cannot write to {str(p.parent)!r}: {exc.strerror}.",
                              fix="choose another --out directory you can write to") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the user's usual mode
        os.replace(tmp, p)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise TradetalksError(f"cannot write {str(p)!r}: {exc.strerror}.",
                              fix="check free disk space and permissions, or choose another --out directory") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_tables(out_dir: str | Path, tables: Mapping[str, pd.DataFrame]) -> list[Path]:
    """Write each table as ``<name>.csv`` atomically."""
    return [write_atomic(Path(out_dir) / f"{name}.csv", df.to_csv(index=False)) for name, df in tables.items()]
