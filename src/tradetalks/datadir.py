"""Where tradetalks finds its data sets: one rule for the library, the CLI and services.

A data directory holds one folder per data set (``agtpa/`` for the book of Yotov et al. 2016, ``cp2015/`` for
Caliendo & Parro 2015). It is, first found wins:

1. the one given explicitly (``data_dir=`` in Python, ``--data-dir`` on the command line);
2. the environment variable :data:`ENV_VAR` (``TRADETALKS_DATA_DIR``);
3. the user data directory, ``platformdirs.user_data_dir("tradetalks")`` (e.g. ``~/.local/share/tradetalks`` on
   Linux).

Nothing is looked up relative to the current directory or the installed package. A data set folder may also be
given directly (``--data-dir ../shared/data/agtpa``): when the directory itself holds the data set's files it is
used as is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from tradetalks.errors import NotFoundError

__all__ = ["CLI_OPTION", "DATASETS", "ENV_VAR", "Dataset", "dataset_dir", "resolve_data_dir", "user_data_dir"]

ENV_VAR = "TRADETALKS_DATA_DIR"
CLI_OPTION = "--data-dir"
Dataset = Literal["agtpa", "cp2015"]
#: per data set: files any one of which marks a folder as holding it, and where the data come from
DATASETS: dict[str, tuple[tuple[str, ...], str]] = {
    "agtpa": (
        ("ch2_app2_rta_effects.csv.gz", "Chapter2Application2.dta"),
        "Yotov, Piermartini, Monteiro & Larch (2016), An Advanced Guide to Trade Policy Analysis, WTO/UNCTAD: "
        "chapter-2 panel (see `tradetalks gravity download-data`)",
    ),
    "cp2015": (
        ("cp2015_original/xbilat1993.txt",),
        "Caliendo & Parro (2015), Review of Economic Studies 82(1): the input files of the authors' replication "
        "package (folder Counterfactuals), with countries.csv and sectors.csv",
    ),
}


def user_data_dir() -> Path:
    """The per-user data directory, ``platformdirs.user_data_dir("tradetalks")``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("tradetalks"))


def resolve_data_dir(
    data_dir: Path | str | None = None, *, environ: Mapping[str, str] | None = None
) -> tuple[Path, str]:
    """The data directory and where it came from (``"option"``, ``"environment"`` or ``"user data directory"``).

    Parameters
    ----------
    data_dir
        Explicit directory (the ``--data-dir`` option); wins when given.
    environ
        Environment to read :data:`ENV_VAR` from (default ``os.environ``; tests pass their own).
    """
    if data_dir is not None and str(data_dir) != "":
        return Path(data_dir).expanduser(), "option"
    env = os.environ if environ is None else environ
    value = env.get(ENV_VAR, "")
    if value:
        return Path(value).expanduser(), "environment"
    return user_data_dir(), "user data directory"


def _holds(folder: Path, name: str) -> bool:
    return any((folder / marker).is_file() for marker in DATASETS[name][0])


def dataset_dir(name: Dataset, data_dir: Path | str | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """The folder of one data set: ``<data directory>/<name>``, or the data directory itself if it holds the set.

    Raises
    ------
    NotFoundError
        Naming the folders searched, where the data directory came from, the ``--data-dir`` option and the
        ``TRADETALKS_DATA_DIR`` variable.
    """
    if name not in DATASETS:
        raise NotFoundError(f"unknown data set {name!r}.", received=name, fix=f"use one of {sorted(DATASETS)}")
    root, origin = resolve_data_dir(data_dir, environ=environ)
    for folder in (root / name, root):
        if _holds(folder, name):
            return folder
    markers, what = DATASETS[name]
    raise NotFoundError(
        f"data set {name!r} not found in the data directory {root} (from the {origin}): it needs {markers[0]} in "
        f"{root / name}. The data set is {what}.",
        received=[str(root / name), str(root)],
        fix=f"pass {CLI_OPTION} DIR (Python: data_dir=DIR) or set {ENV_VAR}=DIR, where DIR holds {name}/; or put "
        f"the data in the user data directory {user_data_dir() / name}. See docs/gravity.md, 'Data directory'.",
    )
