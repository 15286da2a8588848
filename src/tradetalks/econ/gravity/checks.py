"""Input validation shared by the structural-gravity GE solvers: one place, one message style.

Every check raises :class:`tradetalks.errors.DataError` saying what was wrong, what was received and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tradetalks.errors import DataError


def _numeric(name: str, value: object) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(
            f"{name} must be numeric.",
            received=type(value).__name__,
            fix="pass a NumPy array (or nested lists) of numbers with a regular shape.",
        ) from None


def square(name: str, value: object, n: int | None = None) -> np.ndarray:
    """``value`` as a finite (n, n) float array with n >= 2 (any n if ``n`` is None)."""
    a = _numeric(name, value)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise DataError(
            f"{name} must be a square matrix (exporters in rows, importers in columns).",
            received=f"array of shape {a.shape}",
            fix="pass an (n, n) array with the same country order in rows and columns, e.g. "
            "df.pivot(index='exporter', columns='importer', values='trade').",
        )
    if n is not None and a.shape[0] != n:
        raise DataError(f"{name} has the wrong size.", received=f"shape {a.shape}", fix=f"pass shape ({n}, {n}).")
    if a.shape[0] < 2:
        raise DataError(f"{name} needs at least two countries.", received=f"shape {a.shape}", fix="add countries.")
    if not np.all(np.isfinite(a)):
        bad = np.argwhere(~np.isfinite(a))[:3].tolist()
        raise DataError(
            f"{name} contains missing or infinite values.",
            received=f"non-finite entries at (row, column) {bad}",
            fix="fill or drop the missing pairs before solving.",
        )
    return a


def vector(name: str, value: object, n: int) -> np.ndarray:
    """``value`` as a positive, finite float vector of length n."""
    a = _numeric(name, value)
    if a.shape != (n,):
        raise DataError(f"{name} must be a vector of length {n}.", received=f"shape {a.shape}", fix=f"pass ({n},).")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        bad = np.flatnonzero(~np.isfinite(a) | (a <= 0))[:5].tolist()
        raise DataError(
            f"{name} must be positive and finite for every country.",
            received=f"zero, negative or missing values at positions {bad}: {a[bad].tolist()}",
            fix="drop countries without output/expenditure or correct the data.",
        )
    return a


def check_sigma(sigma: object) -> float:
    try:
        s = float(sigma)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError("sigma must be a number.", received=sigma, fix="pass e.g. sigma=7.") from None
    if not np.isfinite(s) or s <= 1.0:
        raise DataError(
            "The elasticity of substitution sigma must be greater than 1 (demand must be elastic).",
            received=sigma,
            fix="pass sigma > 1; the trade elasticity is sigma - 1 (Head & Mayer 2014 suggest sigma ≈ 5-7).",
        )
    return s


def check_reference(reference: object, n: int, countries: tuple[str, ...]) -> int:
    if isinstance(reference, bool) or not isinstance(reference, int | np.integer) or not 0 <= int(reference) < n:
        raise DataError(
            "reference must be the integer index of the reference importer (its IMR is the numeraire).",
            received=reference,
            fix=f"pass an index in [0, {n - 1}], e.g. reference=countries.index('DEU') "
            f"(countries: {', '.join(countries[:5])}{', ...' if n > 5 else ''}).",
        )
    return int(reference)


def check_countries(countries: Sequence[str] | None, n: int) -> tuple[str, ...]:
    if countries is None:
        return tuple(str(i) for i in range(n))
    labels = tuple(str(c) for c in countries)
    if len(labels) != n or len(set(labels)) != n:
        raise DataError(
            "countries must be n unique labels in the row/column order of the matrices.",
            received=f"{len(labels)} labels ({len(set(labels))} unique) for n={n}",
            fix="pass one unique label per row of the trade matrix.",
        )
    return labels


def check_option(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise DataError(f"Unknown {name}.", received=value, fix=f"use one of {', '.join(map(repr, allowed))}.")


def check_tariffs(name: str, value: object, n: int) -> np.ndarray:
    a = square(name, value, n)
    if np.any(a <= -1.0):
        raise DataError(
            f"{name} must be ad-valorem rates above -1 (0.1 means 10 %).",
            received=f"minimum {a.min():g}",
            fix="pass rates as fractions, e.g. 0.25 for a 25 % tariff.",
        )
    if np.any(np.diag(a) != 0.0):
        raise DataError(
            f"{name} has non-zero tariffs on intranational flows (the diagonal).",
            received=f"diagonal {np.diag(a)[np.diag(a) != 0][:5].tolist()}",
            fix="set the diagonal to 0.",
        )
    return a


def check_baseline_trade(value: object, labels: tuple[str, ...] | None = None) -> np.ndarray:
    """A one-sector baseline trade matrix (n, n): square, non-negative, with every intranational flow X_ii > 0.

    ``labels`` (country names, length n) only improve the message; without them indices are shown.
    """
    X = square("baseline_trade", value, None)
    if np.any(X < 0):
        raise DataError("baseline_trade has negative flows.", received=f"min {X.min():g}", fix="correct the data.")
    bad = np.flatnonzero(np.diag(X) <= 0)
    if bad.size:
        names = [labels[i] if labels else str(i) for i in bad[:5]]
        raise DataError(
            "Intranational flows X_ii (output sold at home) are missing or zero; structural gravity needs them.",
            received=f"X_ii <= 0 for {names}",
            fix="add intranational trade (gross production minus exports, e.g. from ITPD-E or the book's data) "
            "or drop those countries.",
        )
    return X
