"""The executor: chunk plans and seeds, serial runs, a real local Dask cluster and an existing one.

The Dask tests start real worker processes (``distributed.LocalCluster``, two single-threaded processes on
127.0.0.1) and stop them. A watchdog (:func:`faulthandler.dump_traceback_later`) ends the test process with every
thread's stack if one of them hangs, so CI fails instead of waiting forever.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradetalks.errors import LimitError
from tradetalks.executor import (
    IN_FLIGHT_PER_WORKER,
    MAX_CHUNKS,
    SCHEDULER_ENV,
    WORKER_ENV,
    Chunk,
    Executor,
    ExecutorError,
    PlanError,
    plan_chunks,
    resolve_scheduler,
)

#: seconds a Dask test may run before the watchdog stops the test process (start-up takes 1–3 s on 2 cores)
DASK_TEST_TIMEOUT_S = 120
#: seconds to reach a scheduler that is not there before the executor gives up
REFUSED_TIMEOUT_S = 2.0
#: seconds allowed for cancelled tasks to leave the scheduler
CANCEL_WAIT_S = 10.0


def draws(scale: float, chunk: Chunk) -> np.ndarray:
    """A chunk's work: its own random numbers (module level, so worker processes can import it)."""
    return scale * chunk.rng().standard_normal((chunk.size, 3))


def slow_first(chunk: Chunk) -> int:
    """Chunk 0 finishes last, so results arrive out of order."""
    time.sleep(0.4 if chunk.index == 0 else 0.01)
    return chunk.index


def fails_on_two(chunk: Chunk) -> int:
    if chunk.index == 2:
        raise ValueError(f"chunk {chunk.index} has a bad parameter")
    return chunk.index


def sleepy(chunk: Chunk) -> int:
    time.sleep(0.5)
    return chunk.index


def spawn_environment() -> dict[str, str]:
    """The environment this process was started with (what glibc's malloc read), from /proc on Linux."""
    with open("/proc/self/environ", "rb") as fh:
        pairs = [item.split(b"=", 1) for item in fh.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode() for k, v in pairs}


def profiling_enabled() -> bool:
    import dask.config

    return bool(dask.config.get("distributed.worker.profile.enabled"))


@pytest.fixture
def watchdog() -> Iterator[None]:
    faulthandler.dump_traceback_later(DASK_TEST_TIMEOUT_S, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """An existing cluster, as a user would have started it: two worker processes on 127.0.0.1."""
    from distributed import LocalCluster

    faulthandler.dump_traceback_later(DASK_TEST_TIMEOUT_S, exit=True)
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None, silence_logs=logging.CRITICAL) as running:
            yield running
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def no_env_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)


# ------------------------------------------------------------------------------------------------ plans and seeds


@given(n=st.integers(0, 500), size=st.integers(1, 60), seed=st.integers(0, 2**32))
def test_chunks_cover_every_item_once_in_order(n: int, size: int, seed: int) -> None:
    chunks = plan_chunks(n, chunk_size=size, seed=seed)
    covered = [i for c in chunks for i in range(c.start, c.stop)]
    assert covered == list(range(n))
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(1 <= c.size <= size for c in chunks)


def test_each_chunk_has_its_own_reproducible_stream() -> None:
    a, b = plan_chunks(20, chunk_size=5, seed=7), plan_chunks(20, chunk_size=5, seed=7)
    first = [c.rng().random(4) for c in a]
    assert all(np.array_equal(x, c.rng().random(4)) for x, c in zip(first, b, strict=True))
    assert len({x.tobytes() for x in first}) == len(first)
    other = plan_chunks(20, chunk_size=5, seed=8)
    assert not np.array_equal(first[0], other[0].rng().random(4))


def test_bad_plans_are_refused() -> None:
    with pytest.raises(PlanError, match="chunk_size >= 1"):
        plan_chunks(10, chunk_size=0, seed=0)
    with pytest.raises(ValueError, match="n_items >= 0"):
        plan_chunks(-1, chunk_size=1, seed=0)
    with pytest.raises(LimitError, match="more than the limit"):
        plan_chunks(MAX_CHUNKS + 1, chunk_size=1, seed=0)
    with pytest.raises(LimitError, match="workers"):
        Executor(workers=-1)


def test_scheduler_comes_from_the_argument_then_the_environment() -> None:
    env = {SCHEDULER_ENV: " tcp://10.0.0.5:8786 "}
    assert resolve_scheduler(None, env) == "tcp://10.0.0.5:8786"
    assert resolve_scheduler("tcp://127.0.0.1:9", env) == "tcp://127.0.0.1:9"
    assert resolve_scheduler("", env) is None
    assert resolve_scheduler(None, {}) is None


# ------------------------------------------------------------------------------------------------ serial


def test_serial_map_yields_in_order_and_reports_progress(no_env_scheduler: None) -> None:
    calls: list[tuple[int, int]] = []
    chunks = plan_chunks(7, chunk_size=2, seed=1)
    with Executor(workers=1) as ex:
        out = list(ex.map(partial(draws, 2.0), chunks, progress=lambda d, n: calls.append((d, n))))
    assert not ex.distributed
    assert [o.shape[0] for o in out] == [2, 2, 2, 1]
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    with Executor(workers=0) as ex0:
        again = list(ex0.map(partial(draws, 2.0), chunks))
    assert all(np.array_equal(x, y) for x, y in zip(out, again, strict=True))


def test_serial_runs_never_import_dask() -> None:
    code = ("import sys; from tradetalks.executor import Executor, plan_chunks; "
            "list(Executor(workers=1).map(lambda c: c.size, plan_chunks(5, chunk_size=2, seed=0))); "
            "print('distributed' in sys.modules, 'dask' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != SCHEDULER_ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         timeout=60)
    assert out.stdout.split() == ["False", "False"]


# ------------------------------------------------------------------------------------------------ Dask


def interrupt(done: int, total: int) -> None:
    """A progress callback that presses Ctrl-C after the first chunk."""
    raise KeyboardInterrupt


@pytest.mark.slow
def test_two_local_workers_give_bit_identical_results(watchdog: None, no_env_scheduler: None) -> None:
    chunks = plan_chunks(103, chunk_size=10, seed=2024)
    with Executor(workers=1) as ex:
        serial = list(ex.map(partial(draws, 3.0), chunks))
    dist_logger = logging.getLogger("distributed")
    handler_levels = [h.level for h in dist_logger.handlers]
    calls: list[tuple[int, int]] = []
    environ = dict(os.environ)
    with pytest.raises(KeyboardInterrupt), Executor(workers=2) as ex:
        assert ex.distributed
        ex.start()
        assert dict(os.environ) == environ  # Dask's nanny wrote the workers' variables here; they are put back
        if os.path.exists("/proc/self/environ"):  # the malloc and BLAS settings were there when the workers started
            for env in ex._client.run(spawn_environment).values():
                assert {k: env.get(k) for k in WORKER_ENV} == dict(WORKER_ENV)
        assert not any(ex._client.run(profiling_enabled).values())
        parallel = list(ex.map(partial(draws, 3.0), chunks, progress=lambda d, n: calls.append((d, n))))
        assert sum(ex._client.nthreads().values()) == 2
        assert ex.address is not None and ex.address.startswith("tcp://127.0.0.1:")  # local only
        assert all(w.startswith("tcp://127.0.0.1:") for w in ex._client.nthreads())
        order = list(ex.map(slow_first, plan_chunks(6, chunk_size=1, seed=0)))
        with pytest.raises(ValueError, match="chunk 2 has a bad parameter"):
            list(ex.map(fails_on_two, plan_chunks(5, chunk_size=1, seed=0)))
        cluster = ex._cluster
        list(ex.map(sleepy, plan_chunks(20, chunk_size=1, seed=0), progress=interrupt))  # Ctrl-C
    assert ex._client is None and cluster.status.name == "closed"
    assert [h.level for h in dist_logger.handlers] == handler_levels
    assert len(parallel) == len(serial)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(serial, parallel, strict=True))
    assert order == list(range(6))
    assert [d for d, _ in calls] == list(range(1, len(chunks) + 1)) and {n for _, n in calls} == {len(chunks)}


@pytest.mark.slow
def test_closing_the_generator_cancels_outstanding_tasks(watchdog: None, cluster: Any) -> None:
    with Executor(scheduler=cluster.scheduler_address) as ex:
        results = ex.map(sleepy, plan_chunks(40, chunk_size=1, seed=0))
        assert next(results) == 0
        client = ex._client
        known = client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))
        assert known <= IN_FLIGHT_PER_WORKER * 2 + 1  # a bounded window of tasks, plus the scattered function
        results.close()
        deadline = time.monotonic() + CANCEL_WAIT_S
        while any(client.processing().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(client.processing().values())
        assert list(ex.map(slow_first, plan_chunks(3, chunk_size=1, seed=0))) == [0, 1, 2]


@pytest.mark.slow
def test_an_existing_scheduler_is_used_and_left_running(watchdog: None, cluster: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = plan_chunks(45, chunk_size=4, seed=99)
    serial = list(Executor(workers=1, scheduler="").map(partial(draws, 1.0), chunks))
    with Executor(workers=7, scheduler=cluster.scheduler_address) as ex:
        remote = list(ex.map(partial(draws, 1.0), chunks))
        assert ex._cluster is None and ex.address == cluster.scheduler_address
    monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
    with Executor(workers=1) as ex_env:
        assert ex_env.scheduler == cluster.scheduler_address
        from_env = list(ex_env.map(partial(draws, 1.0), chunks))
    assert cluster.status.name == "running"
    assert all(a.tobytes() == b.tobytes() for a, b in zip(serial, remote, strict=True))
    assert all(a.tobytes() == b.tobytes() for a, b in zip(serial, from_env, strict=True))


def test_an_unreachable_scheduler_is_a_clear_error(watchdog: None) -> None:
    with Executor(scheduler="tcp://127.0.0.1:9", timeout=REFUSED_TIMEOUT_S) as ex, \
            pytest.raises(ExecutorError, match=r"could not reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        list(ex.map(slow_first, plan_chunks(2, chunk_size=1, seed=0)))
    with Executor(scheduler="http://127.0.0.1:9") as ex, pytest.raises(ExecutorError, match="tcp://HOST:PORT"):
        list(ex.map(slow_first, plan_chunks(2, chunk_size=1, seed=0)))


def test_a_cluster_that_cannot_start_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, no_env_scheduler: None) -> None:
    import distributed

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("Nanny failed to start.")

    monkeypatch.setattr(distributed, "LocalCluster", broken)
    with Executor(workers=2) as ex, pytest.raises(ExecutorError, match=r"__main__.*workers=1"):
        list(ex.map(slow_first, plan_chunks(2, chunk_size=1, seed=0)))
    assert ex._cluster is None and ex._client is None
