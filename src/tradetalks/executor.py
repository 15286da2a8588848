"""Many independent runs (Monte Carlo draws, GE batches, tournaments): one interface, serial or on Dask.

A job is split into chunks *before* it is run, and each chunk carries its own seed spawned from the job's seed
(:class:`numpy.random.SeedSequence`), so a result depends on the seed and the chunk size, never on the number of
workers or the order in which chunks finish.

This module is the interface the studies use. ``workers=1`` (or 0) runs chunks in this process, in order, with no
Dask; other settings run them on a Dask cluster (see :class:`Executor`).

Example
-------
>>> import numpy as np
>>> chunks = plan_chunks(10, chunk_size=4, seed=1)
>>> [(c.start, c.stop) for c in chunks]
[(0, 4), (4, 8), (8, 10)]
>>> with Executor(workers=1) as ex:
...     sums = list(ex.map(lambda c: float(c.rng().random(c.size).sum()), chunks))
>>> len(sums)
3
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

R = TypeVar("R")

#: progress callback: (chunks done, chunks in all)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Chunk:
    """One piece of a job: items ``start`` … ``stop - 1`` and the seed that drives their randomness.

    Attributes
    ----------
    index : int
        Position of the chunk in the job (0-based).
    start, stop : int
        Item range, half-open.
    entropy : int
        The job's seed.
    spawn_key : tuple of int
        This chunk's key under the job's :class:`numpy.random.SeedSequence`.
    """

    index: int
    start: int
    stop: int
    entropy: int
    spawn_key: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of items in the chunk."""
        return self.stop - self.start

    def rng(self) -> np.random.Generator:
        """A fresh generator for this chunk (the same for the same job seed, chunk size and index)."""
        return np.random.default_rng(np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key))


def plan_chunks(n_items: int, *, chunk_size: int, seed: int) -> list[Chunk]:
    """Split ``n_items`` into chunks of ``chunk_size`` (the last may be smaller), each with its own seed."""
    if n_items < 0 or chunk_size < 1:
        raise ValueError(f"need n_items >= 0 and chunk_size >= 1, got {n_items} and {chunk_size}")
    starts = range(0, n_items, chunk_size)
    return [Chunk(index=k, start=s, stop=min(s + chunk_size, n_items), entropy=int(seed), spawn_key=(k,))
            for k, s in enumerate(starts)]


class Executor:
    """Run chunks serially in this process (``workers`` 0 or 1, the default here).

    Parameters
    ----------
    workers
        Number of worker processes; 0 or 1 runs in this process.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:port``); overrides ``workers``.
    """

    def __init__(self, workers: int | None = 1, scheduler: str | None = None) -> None:
        self.workers = 1 if workers is None else int(workers)
        self.scheduler = scheduler

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release any cluster or client this executor started."""

    def map(self, fn: Callable[[Any], R], items: Sequence[Any] | Iterable[Any], *,
            progress: Progress | None = None) -> Iterator[R]:
        """Apply ``fn`` to every item and yield the results in item order."""
        seq = list(items)
        for k, item in enumerate(seq):
            out = fn(item)
            if progress is not None:
                progress(k + 1, len(seq))
            yield out
