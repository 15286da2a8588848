"""Many independent runs (Monte Carlo draws, GE batches, tournaments): one interface, serial or on Dask.

A job is split into chunks *before* it is run, and each chunk carries its own seed spawned from the job's seed
(:class:`numpy.random.SeedSequence`), so a result depends on the seed and the chunk size, never on the number of
workers or the order in which chunks finish.

Where chunks run (:class:`Executor`):

- ``workers`` 0 or 1, no scheduler: in this process, in order; Dask is not even imported;
- ``workers >= 2``: a private :class:`distributed.LocalCluster` of that many single-threaded worker *processes*,
  bound to 127.0.0.1 with no dashboard, started on first use and shut down on :meth:`Executor.close`;
- ``scheduler="tcp://host:port"`` (or the environment variable :data:`SCHEDULER_ENV`): an existing Dask cluster,
  which the executor connects to and never shuts down.

Nothing process-wide changes: no start method is set, the Dask client is not made the default one, and Dask's own
log handlers (the ``distributed`` logger only) are raised to CRITICAL for the life of a local cluster by Dask's
``silence_logs`` option, then restored (an exception in a task is re-raised to the caller instead of logged by the
worker). Worker processes are started by Dask with its own "spawn" context: a script that uses ``workers >= 2``
needs the usual ``if __name__ == "__main__":`` guard. See ``docs/models/executor.md``.

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

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from tradetalks.errors import LimitError, TradetalksError

__all__ = [
    "CONNECT_TIMEOUT",
    "IN_FLIGHT_PER_WORKER",
    "MAX_CHUNKS",
    "MAX_WORKERS",
    "SCHEDULER_ENV",
    "WORKER_CONFIG",
    "WORKER_ENV",
    "Chunk",
    "Executor",
    "ExecutorError",
    "PlanError",
    "Progress",
    "plan_chunks",
    "resolve_scheduler",
]

R = TypeVar("R")

#: progress callback: (chunks done, chunks in all)
Progress = Callable[[int, int], None]

#: environment variable with the address of an existing Dask scheduler (used when no address is passed)
SCHEDULER_ENV = "TRADETALKS_SCHEDULER"
#: most chunks one job may have (about 80 MB of chunk descriptions); callers refuse larger requests up front
MAX_CHUNKS = 1_000_000
#: most worker processes of a local cluster
MAX_WORKERS = 64
#: futures submitted but not yet yielded, per worker: keeps the cluster busy while bounding memory
IN_FLIGHT_PER_WORKER = 4
#: seconds to connect to a scheduler or start a local cluster before giving up
CONNECT_TIMEOUT = 30.0


class PlanError(TradetalksError, ValueError):
    """A job cannot be split as asked (negative size, chunk size below 1)."""

    code = "invalid_input"


#: environment of local worker processes, set *before* each worker process starts. Dask's default
#: (``distributed.nanny.pre-spawn-environ``) is MALLOC_TRIM_THRESHOLD_=65536, which also switches off glibc's
#: dynamic mmap threshold: every numpy temporary above 128 kB is then mmap'd and unmapped again, page faults and
#: all. On the batched Monte Carlo that cost a worker 1.8× the CPU time of the same chunk in this process (0.30 s
#: against 0.165 s per 250 korus draws). Generous thresholds restore single-process speed. glibc reads them once,
#: when the process starts, so they must be in the environment the worker is *spawned* with: Dask's ``env=``
#: option only sets them once the worker runs, too late (measured: no effect). Each worker is one process with one
#: thread, so numpy's BLAS gets one thread too: two workers each running a two-thread BLAS on two cores
#: oversubscribe them.
WORKER_ENV: Mapping[str, str] = {"MALLOC_TRIM_THRESHOLD_": "1073741824", "MALLOC_MMAP_THRESHOLD_": "33554432",
                                 "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
#: Dask configuration of local worker processes: no statistical profiler (it samples the worker's stack every
#: 10 ms for a dashboard the local cluster does not have)
WORKER_CONFIG: Mapping[str, object] = {"distributed.worker.profile.enabled": False}


class ExecutorError(TradetalksError):
    """The Dask cluster could not be started, reached or used."""

    code = "executor"


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
    """Split ``n_items`` into chunks of ``chunk_size`` (the last may be smaller), each with its own seed.

    Raises
    ------
    PlanError
        ``n_items < 0`` or ``chunk_size < 1`` (also a :class:`ValueError`).
    LimitError
        More than :data:`MAX_CHUNKS` chunks.
    """
    if n_items < 0 or chunk_size < 1:
        raise PlanError("a job needs n_items >= 0 and chunk_size >= 1.", received=(n_items, chunk_size),
                        fix="pass a non-negative number of items and a chunk size of at least 1.")
    n_chunks = -(-n_items // chunk_size)
    if n_chunks > MAX_CHUNKS:
        raise LimitError(f"a job of {n_items:,} items in chunks of {chunk_size:,} has {n_chunks:,} chunks, more "
                         f"than the limit of {MAX_CHUNKS:,}.", received=n_items,
                         fix="use larger chunks or fewer items.")
    starts = range(0, n_items, chunk_size)
    return [Chunk(index=k, start=s, stop=min(s + chunk_size, n_items), entropy=int(seed), spawn_key=(k,))
            for k, s in enumerate(starts)]


def resolve_scheduler(scheduler: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The scheduler address to use: ``scheduler`` if given, else :data:`SCHEDULER_ENV`, else ``None`` (local).

    An empty string means "no scheduler" and also ignores the environment variable.
    """
    if scheduler is not None:
        return scheduler.strip() or None
    value = (os.environ if environ is None else environ).get(SCHEDULER_ENV, "").strip()
    return value or None


#: held while a local cluster's workers are spawned (:func:`_local_cluster` sets Dask's configuration and the nanny
#: writes this process's environment for that long); a lock, never reassigned
_SPAWN_LOCK = threading.Lock()


def _local_cluster(factory: Callable[..., Any], workers: int, timeout: float) -> Any:
    """A LocalCluster of ``workers`` single-threaded processes spawned with :data:`WORKER_ENV`.

    Dask's nanny reads the variables a worker must be *spawned* with from ``distributed.nanny.pre-spawn-environ``
    when it is created (inside ``LocalCluster(...)``), and writes them (and two markers of its own) into this
    process's ``os.environ`` before spawning. The configuration is set for the constructor call only, and the
    variables the nanny touched are put back afterwards, so neither Dask's configuration nor this process's
    environment changes. Both are process-wide for the length of the call: :data:`_SPAWN_LOCK` makes two threads
    of one host (e.g. the service starting clusters) take turns, so one never restores what another has set.
    """
    import dask.config

    touched = {*WORKER_ENV, "PYTHONHASHSEED", "__DASK_PARENT_PID"}  # what the nanny writes (distributed 2026.8)
    with _SPAWN_LOCK:
        saved = {k: os.environ.get(k) for k in touched}
        try:
            with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENV)}):
                return factory(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.CRITICAL, death_timeout=timeout,
                               env=dict(WORKER_ENV), config=dict(WORKER_CONFIG),
                               # the scheduler's HTTP server (health routes) runs even without a dashboard, by
                               # default on port 8787; on a free port instead, no warning when another cluster has it
                               scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _call(fn: Callable[[Any], R], item: Any) -> R:
    """Run on a Dask worker: ``fn`` arrives once per worker (scattered), ``item`` with each task."""
    return fn(item)


class Executor:
    """Run chunks of a job in this process, on a private local Dask cluster, or on an existing one.

    One executor serves one caller at a time (threads each use their own). Use it as a context manager so that a
    cluster it started is shut down, also on Ctrl-C::

        with Executor(workers=2) as ex:
            for result in ex.map(run_chunk, plan_chunks(10_000, chunk_size=500, seed=7)):
                ...

    Parameters
    ----------
    workers
        Worker processes of a local cluster; 0, 1 or ``None`` run in this process (serially, no Dask).
    scheduler
        Address of an existing Dask scheduler (``tcp://host:port``); overrides ``workers``. ``None`` reads
        :data:`SCHEDULER_ENV`; ``""`` ignores it (:func:`resolve_scheduler`).
    timeout
        Seconds allowed to reach the scheduler or start the local cluster.

    Raises
    ------
    LimitError
        ``workers`` outside 0 … :data:`MAX_WORKERS`.
    """

    def __init__(self, workers: int | None = 1, scheduler: str | None = None, *,
                 timeout: float = CONNECT_TIMEOUT) -> None:
        self.workers = 1 if workers is None else int(workers)
        self.timeout = float(timeout)
        if not 0 <= self.workers <= MAX_WORKERS:
            raise LimitError(f"workers must be between 0 and {MAX_WORKERS}.", received=workers,
                             fix="use 1 to run in this process or the number of CPU cores to use.")
        self.scheduler = resolve_scheduler(scheduler)
        self._client: Any = None
        self._cluster: Any = None

    @property
    def distributed(self) -> bool:
        """True when chunks run on Dask (an existing scheduler or a local cluster of 2+ workers)."""
        return self.scheduler is not None or self.workers >= 2

    @property
    def address(self) -> str | None:
        """The scheduler's address once started (pass it as ``scheduler=`` to share a running local cluster)."""
        if self._client is None:
            return self.scheduler
        return str(self._client.scheduler.address)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = (f"scheduler {self.scheduler}" if self.scheduler else
                 f"local cluster of {self.workers} processes" if self.workers >= 2 else "in this process")
        state = "running" if self._client is not None else "idle"
        return f"Executor({where}, {state})"

    def close(self) -> None:
        """Disconnect from the scheduler and shut down a local cluster this executor started (idempotent)."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()

    def start(self) -> Executor:
        """Start the local cluster or connect to the scheduler now, rather than on the first :meth:`map`."""
        if self.distributed:
            self._start()
        return self

    def _start(self) -> Any:
        """The Dask client, started on first use."""
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
            raise ExecutorError("running on several workers needs dask.distributed, which is not installed.",
                                fix="pip install 'dask[distributed]', or use workers=1.") from exc
        if self.scheduler is not None:
            try:
                self._client = Client(self.scheduler, timeout=self.timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise ExecutorError(f"could not reach the Dask scheduler at {self.scheduler} within "
                                    f"{self.timeout:g} s ({exc}).", received=self.scheduler,
                                    fix=f"start one (`dask scheduler`, then `dask worker ADDRESS`), check the "
                                        f"address, or drop --scheduler / unset {SCHEDULER_ENV}.") from exc
            except ValueError as exc:
                raise ExecutorError(f"{self.scheduler!r} is not a Dask scheduler address ({exc}).",
                                    received=self.scheduler, fix="give it as tcp://HOST:PORT, e.g. "
                                                                 "tcp://10.0.0.5:8786.") from exc
            return self._client
        try:
            self._cluster = _local_cluster(LocalCluster, self.workers, self.timeout)
            self._client = Client(self._cluster, timeout=self.timeout, set_as_default=False)
        except Exception as exc:
            self.close()
            raise ExecutorError(f"could not start a local Dask cluster of {self.workers} worker processes ({exc}).",
                                received=self.workers,
                                fix="in a script, start it under `if __name__ == \"__main__\":` (workers are "
                                    "spawned processes that import the script); otherwise use workers=1 or "
                                    "--scheduler with a running cluster.") from exc
        except BaseException:  # Ctrl-C while the workers start
            self.close()
            raise
        return self._client

    def map(self, fn: Callable[[Any], R], items: Sequence[Any] | Iterable[Any], *,
            progress: Progress | None = None) -> Iterator[R]:
        """Apply ``fn`` to every item and yield the results in item order.

        ``fn`` must be picklable for Dask (a module-level function, or a :func:`functools.partial` of one with its
        inputs): it is sent once to each worker, each item with its task. At most
        :data:`IN_FLIGHT_PER_WORKER` × workers items are submitted and not yet yielded at any time, so a long job
        holds few results in memory. Closing the generator (``break``, an exception, Ctrl-C) cancels the
        outstanding tasks.

        Parameters
        ----------
        fn
            Called as ``fn(item)``.
        items
            Typically :func:`plan_chunks` output.
        progress
            Called as ``progress(done, total)`` after each item finishes (in this process).

        Raises
        ------
        Exception
            The exception ``fn`` raised on a worker, re-raised here with its type and message.
        ExecutorError
            The cluster could not be started or reached.
        """
        seq = list(items)
        if not self.distributed or (self.scheduler is None and len(seq) <= 1):
            return self._map_serial(fn, seq, progress)
        return self._map_dask(fn, seq, progress)

    @staticmethod
    def _map_serial(fn: Callable[[Any], R], seq: list[Any], progress: Progress | None) -> Iterator[R]:
        for k, item in enumerate(seq):
            out = fn(item)
            if progress is not None:
                progress(k + 1, len(seq))
            yield out

    def _map_dask(self, fn: Callable[[Any], R], seq: list[Any], progress: Progress | None) -> Iterator[R]:
        from distributed import as_completed

        client = self._start()
        threads = sum(client.nthreads().values()) or (1 if self.scheduler else self.workers)
        window = IN_FLIGHT_PER_WORKER * max(1, threads)
        tag = uuid.uuid4().hex[:12]
        remote_fn = client.scatter(fn, broadcast=True, hash=False)
        pending: dict[Any, int] = {}
        done: dict[int, Any] = {}
        queue = as_completed(loop=client.loop)
        submitted = finished = 0
        total = len(seq)
        try:
            for k in range(total):
                while submitted < min(total, k + window):
                    fut = client.submit(_call, remote_fn, seq[submitted], key=f"tradetalks-{tag}-{submitted}")
                    pending[fut] = submitted
                    queue.add(fut)
                    submitted += 1
                while k not in done:
                    fut = next(queue)
                    index = pending.pop(fut)
                    if fut.status == "error":
                        exc = fut.exception()
                        raise exc.with_traceback(None) from None
                    done[index] = fut.result()
                    fut.release()
                    finished += 1
                    if progress is not None:
                        progress(finished, total)
                yield done.pop(k)
        finally:
            if pending:
                client.cancel(list(pending), force=True)
            queue.clear()
            remote_fn.release()
