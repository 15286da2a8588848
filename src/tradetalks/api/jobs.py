"""Background runs: a bounded pool of threads owned by the app, progress and results in the store.

A run is queued in the store, then computed on one of ``run_workers`` threads; beyond ``run_workers +
max_queued_runs`` runs not finished a new one is refused (:class:`~tradetalks.api.errors.BusyError`, HTTP 429).
Progress is written to the store (at most every :data:`PROGRESS_EVERY` seconds) and read back by the event stream.
Cancelling marks the run cancelled in the store; the computation stops at its next progress report. The results
are written in one transaction with the status; a run that fails stores the JSON error envelope's ``error``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tradetalks.api.errors import BusyError, RequestError, request_problems
from tradetalks.api.settings import Settings
from tradetalks.errors import LimitError, TradetalksError
from tradetalks.options import RunKind
from tradetalks.scenario.loader import load_scenario_text
from tradetalks.store import INTERRUPTED, RunRecord, Store
from tradetalks.store.repository import interrupted_error

log = logging.getLogger("tradetalks.api")

#: seconds between two progress writes of one run
PROGRESS_EVERY = 0.2
#: steps :func:`tradetalks.studies.analyze.analyze` reports (its ``progress`` calls), for a progress fraction
ANALYZE_STEPS = 8


class AnalyzeOptions(BaseModel):
    """Options of an analysis run (``tradetalks analyze``)."""

    model_config = ConfigDict(extra="forbid")
    overrides: dict[str, float] = Field(default_factory=dict, description="fact id → value (as --set)")
    dynamics: bool = Field(False, description="also simulate negotiations and the sensitivity tornado")


class UncertaintyOptions(BaseModel):
    """Options of an uncertainty run (``tradetalks uncertainty``)."""

    model_config = ConfigDict(extra="forbid")
    overrides: dict[str, float] = Field(default_factory=dict, description="fact id → value (as --set)")
    draws: int | None = Field(None, ge=1, description="Monte Carlo draws (default: the library's, 2,000)")
    seed: int | None = Field(None, ge=0, description="the one seed (default: the library's)")
    sobol_base: int = Field(0, ge=0, description="N of the Saltelli design (a power of 2; 0 skips Sobol indices)")
    tornado: bool = Field(False, description="also the one-at-a-time tornado")


class RunCancelledError(Exception):
    """The run was cancelled; raised from its progress report to stop the computation."""


class RunInterruptedError(Exception):
    """The server is stopping; raised from a run's progress report to stop the computation."""


def parse_options(kind: RunKind, options: Mapping[str, Any], max_draws: int) -> dict[str, Any]:
    """Validate a run's options and the computation limits (the limit is named in the error)."""
    model = AnalyzeOptions if kind == "analyze" else UncertaintyOptions
    try:
        opts = model.model_validate(options)
    except ValidationError as exc:
        problems = request_problems(exc.errors(), ("options",))
        raise RequestError(f"the options of an {kind} run are invalid ({len(problems)} problem(s)).",
                           problems) from None
    if isinstance(opts, AnalyzeOptions):
        return opts.model_dump()
    if opts.draws is not None and opts.draws > max_draws:
        raise LimitError(f"an uncertainty run may have at most {max_draws:,} draws (`max_draws`); received "
                         f"{opts.draws:,}.", fix=f"ask for {max_draws:,} draws or fewer, or run "
                         "`tradetalks uncertainty` on the command line")
    if opts.sobol_base * 4 > max_draws:
        raise LimitError(f"sobol_base may be at most a quarter of `max_draws` ({max_draws // 4:,}); received "
                         f"{opts.sobol_base:,}.", fix="use a smaller power of 2, such as 128")
    return opts.model_dump()


class RunManager:
    """The app's run pool. ``submit`` records and queues a run; ``shutdown`` stops taking work."""

    def __init__(self, store: Store, workers: int, max_queued: int) -> None:
        self.store = store
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, max_queued)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tradetalks-run")
        self._lock = threading.Lock()
        self._active: set[str] = set()
        self._stopping = threading.Event()

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> RunManager:
        return cls(store, settings.run_workers, settings.max_queued_runs)

    def submit(self, scenario_id: str, version: int, yaml: str, kind: RunKind, options: dict[str, Any]) -> RunRecord:
        """Queue a run; :class:`BusyError` when ``capacity`` runs are not finished yet."""
        with self._lock:
            if len(self._active) >= self.capacity:
                raise BusyError(f"the server is computing or holding {len(self._active)} runs, its limit "
                                f"(`run_workers` {self.workers} + `max_queued_runs` "
                                f"{self.capacity - self.workers}).",
                                fix="wait for a run to finish (GET /api/runs) or cancel one, then try again")
            run = self.store.create_run(scenario_id, version, kind, options)
            self._active.add(run.id)
        self._pool.submit(self._execute, run.id, yaml, kind, options)
        return run

    def active(self) -> int:
        with self._lock:
            return len(self._active)

    def shutdown(self) -> None:
        """Stop: queued runs are dropped, running ones stop at their next progress report; all of them are marked
        failed ("interrupted")."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.store.mark_interrupted()

    def _execute(self, run_id: str, yaml: str, kind: RunKind, options: dict[str, Any]) -> None:
        try:
            if self._stopping.is_set() or not self.store.start_run(run_id):
                return  # cancelled while queued
            results = self._compute(run_id, yaml, kind, options)
            self.store.finish_run(run_id, results)
        except RunCancelledError:
            pass
        except RunInterruptedError:
            self.store.fail_run(run_id, interrupted_error(), message=INTERRUPTED)
        except TradetalksError as exc:
            self.store.fail_run(run_id, cast(dict[str, Any], exc.to_dict()["error"]))
        except Exception:
            log.exception("run %s failed", run_id)
            self.store.fail_run(run_id, {"code": "internal_error", "message": "the run failed with an unexpected "
                                         "error; it has been logged.", "fix": "report it with the run id",
                                         "problems": []})
        finally:
            with self._lock:
                self._active.discard(run_id)

    def _reporter(self, run_id: str) -> Callable[[float, str], None]:
        last = [0.0]

        def report(fraction: float, message: str) -> None:
            if self._stopping.is_set():
                raise RunInterruptedError(run_id)
            now = time.monotonic()
            if now - last[0] < PROGRESS_EVERY and fraction < 1.0:
                return
            last[0] = now
            if not self.store.set_progress(run_id, fraction, message):
                raise RunCancelledError(run_id)

        return report

    def _compute(self, run_id: str, yaml: str, kind: RunKind, options: dict[str, Any]) -> dict[str, Any]:
        report = self._reporter(run_id)
        loaded = load_scenario_text(yaml, "scenario.yaml", overrides=options.get("overrides") or {})
        if kind == "analyze":
            from tradetalks.studies.analyze import analyze

            step = [0]

            def say(message: str) -> None:
                step[0] += 1
                report(min(0.95, step[0] / ANALYZE_STEPS), message)

            return analyze(loaded, progress=say, dynamics=bool(options.get("dynamics"))).to_dict()
        from tradetalks.studies.uncertainty import DEFAULT_DRAWS, DEFAULT_SEED, uncertainty

        def tick(done: int, total: int) -> None:
            report(done / max(total, 1), f"{done:,} of {total:,} draws")

        draws, seed = options.get("draws") or DEFAULT_DRAWS, options.get("seed")
        result = uncertainty(loaded, n_draws=int(draws), seed=DEFAULT_SEED if seed is None else int(seed),
                             sobol_base=int(options["sobol_base"]), tornado=bool(options["tornado"]), progress=tick)
        return result.to_dict()
