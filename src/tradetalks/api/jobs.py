"""Background runs: a bounded pool of threads owned by the app, progress and results in the store.

A run is queued in the store, then computed on one of ``run_workers`` threads; beyond ``run_workers +
max_queued_runs`` runs not finished a new one is refused (:class:`~tradetalks.api.errors.BusyError`, HTTP 429).
Progress is written to the store (at most every :data:`PROGRESS_EVERY` seconds) and read back by the event stream.
Cancelling marks the run cancelled in the store; the computation stops at its next progress report. The results
are written in one transaction with the status; a run that fails stores the JSON error envelope's ``error``.

Heavy runs use the CLI's executor (:mod:`tradetalks.executor`): an uncertainty run of at least
``executor_min_draws`` draws, or a gravity run with that many σ draws, maps its chunks on Dask — the scheduler at
``Settings.scheduler``, else a local cluster of ``executor_workers`` processes on 127.0.0.1 that the service starts
on the first heavy run and shuts down with the app (:class:`HeavyExecutor`). Smaller runs are computed in the run's
own thread. A result depends on the seed and the chunk size only, never on where the chunks ran.

A gravity run (kind ``gravity``) takes a gravity spec (``docs/gravity.md``) whose data are a *named* data set of
the service's data directory (``data: {dataset: agtpa}``, resolved through ``Settings.data_dir``, the
``TRADETALKS_DATA_DIR`` variable or the user data directory; :mod:`tradetalks.datadir`): no filesystem path is
accepted from a request, and none is written into its results.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tradetalks.api.errors import BusyError, RequestError, request_problems
from tradetalks.api.settings import Settings
from tradetalks.datadir import Dataset
from tradetalks.errors import LimitError, NotFoundError, Problem, SpecError, TradetalksError
from tradetalks.executor import Executor, ExecutorError
from tradetalks.jsonable import jsonable
from tradetalks.options import RunKind
from tradetalks.scenario.loader import load_scenario_text
from tradetalks.store import INTERRUPTED, RunRecord, Store
from tradetalks.store.repository import interrupted_error

if TYPE_CHECKING:
    from tradetalks.econ.gravity.spec import SpecFile

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


class GravityOptions(BaseModel):
    """Options of a gravity run (``tradetalks gravity run``)."""

    model_config = ConfigDict(extra="forbid")
    spec: str | dict[str, Any] = Field(description="the gravity spec (docs/gravity.md) as YAML text or a JSON "
                                                   "object; its data are a named data set: `data: {dataset: agtpa}`")
    sigma_draws: int = Field(0, ge=0, description="also re-solve every counterfactual for this many draws of σ")
    sigma_range: tuple[float, float] = Field((5.0, 9.0), description="support of the σ draws: [low, high], both > 1")
    seed: int = Field(0, ge=0, description="seed of the σ draws")

    @model_validator(mode="after")
    def _range(self) -> GravityOptions:
        low, high = self.sigma_range
        if not 1.0 < low <= high:
            raise ValueError(f"sigma_range must be [low, high] with 1 < low <= high; received [{low}, {high}]")
        return self


@dataclass(frozen=True)
class GravityData:
    """A data set a gravity run may name: its folder in the data directory and the table read."""

    dataset: Dataset
    file: str
    what: str


#: the data sets a gravity spec may name in ``data.dataset`` (a request never names a file)
GRAVITY_DATA: dict[str, GravityData] = {
    "agtpa": GravityData("agtpa", "ch2_app2_rta_effects.csv.gz", "the chapter-2 panel of Yotov, Piermartini, "
                         "Monteiro & Larch (2016), An Advanced Guide to Trade Policy Analysis (69 countries, "
                         "1986-2006 every 4 years, manufacturing; columns exporter, importer, year, trade, DIST, "
                         "CNTG, LANG, CLNY, RTA)"),
}
#: what a spec sent in a request is called in its problems
SPEC_NAME = "options.spec"


class RunCancelledError(Exception):
    """The run was cancelled; raised from its progress report to stop the computation."""


class RunInterruptedError(Exception):
    """The server is stopping; raised from a run's progress report to stop the computation."""


def parse_options(kind: RunKind, options: Mapping[str, Any], max_draws: int) -> dict[str, Any]:
    """Validate a run's options and the computation limits (the limit is named in the error).

    A gravity spec is validated here in full (schema and cross-field checks, every problem with its field path);
    whether its data set is present is checked when the run is submitted (:meth:`RunManager.submit`).
    """
    models: dict[str, type[BaseModel]] = {"analyze": AnalyzeOptions, "uncertainty": UncertaintyOptions,
                                          "gravity": GravityOptions}
    model = models[kind]
    try:
        opts = model.model_validate(options)
    except ValidationError as exc:
        problems = request_problems(exc.errors(), ("options",))
        raise RequestError(f"the options of {'an' if kind[0] in 'au' else 'a'} {kind} run are invalid "
                           f"({len(problems)} problem(s)).", problems) from None
    if isinstance(opts, AnalyzeOptions):
        return opts.model_dump()
    if isinstance(opts, GravityOptions):
        if opts.sigma_draws > max_draws:
            raise LimitError(f"a gravity run may have at most {max_draws:,} σ draws (`max_draws`); received "
                             f"{opts.sigma_draws:,}.", fix=f"ask for {max_draws:,} draws or fewer, or run "
                             "`tradetalks gravity run --sigma-draws` on the command line")
        gravity_spec(opts.spec)
        return opts.model_dump()
    assert isinstance(opts, UncertaintyOptions)
    if opts.draws is not None and opts.draws > max_draws:
        raise LimitError(f"an uncertainty run may have at most {max_draws:,} draws (`max_draws`); received "
                         f"{opts.draws:,}.", fix=f"ask for {max_draws:,} draws or fewer, or run "
                         "`tradetalks uncertainty` on the command line")
    if opts.sobol_base * 4 > max_draws:
        raise LimitError(f"sobol_base may be at most a quarter of `max_draws` ({max_draws // 4:,}); received "
                         f"{opts.sobol_base:,}.", fix="use a smaller power of 2, such as 128")
    return opts.model_dump()


def gravity_spec(spec: str | Mapping[str, Any], folder: Path | None = None) -> SpecFile:
    """A gravity spec from a request, validated as ``tradetalks gravity run`` validates a spec file.

    The spec names its data as ``data: {dataset: NAME, ...}`` (a key of :data:`GRAVITY_DATA`) instead of
    ``data: {file: PATH}``; the other ``data`` keys (``columns``, ``balance``, ...) are as in a file. ``folder`` is
    where the data set is (:func:`tradetalks.datadir.dataset_dir`); without it the spec is only validated.

    Raises
    ------
    SpecError
        Every problem, with its field path (and line, for YAML text), under the file name ``options.spec``; a
        ``data.file`` key is refused (no filesystem path is accepted from a request).
    """
    from tradetalks.econ.gravity.spec import GravitySpec, SpecFile, _fix_for, check_spec
    from tradetalks.yamlfile import LoadedYaml, parse_yaml, problems_from_validation

    loaded = parse_yaml(spec, SPEC_NAME, SpecError) if isinstance(spec, str) else LoadedYaml(SPEC_NAME, dict(spec))
    data = loaded.data

    def refuse(path: tuple[str, ...], message: str, fix: str) -> SpecError:
        return SpecError(SPEC_NAME, [Problem(SPEC_NAME, loaded.line_of(path), ".".join(path), message, fix)])

    names = ", ".join(sorted(GRAVITY_DATA))
    if not isinstance(data, dict):
        raise refuse((), "a gravity spec is a mapping (data, year, sigma, reference, trade_costs, ...).",
                     "see docs/gravity.md for the fields")
    source = data.get("data")
    if not isinstance(source, dict):
        raise refuse(("data",), "the spec must name its data set: `data: {dataset: NAME}`.",
                     f"add `data: {{dataset: agtpa}}` (data sets: {names})")
    if "file" in source:
        raise refuse(("data", "file"), "a spec sent to the service may not name a file: the service reads only "
                     "the data sets of its data directory.",
                     f"replace `file:` by `dataset:` with one of {names} (`tradetalks gravity run` reads files)")
    name = source.get("dataset")
    if not isinstance(name, str) or name not in GRAVITY_DATA:
        raise refuse(("data", "dataset"), f"unknown data set {name!r}." if name is not None else
                     "the spec must name its data set.", f"use one of: {names}")
    chosen = GRAVITY_DATA[name]
    patched = {**data, "data": {**{k: v for k, v in source.items() if k != "dataset"}, "file": chosen.file}}
    view = LoadedYaml(loaded.file, patched, loaded.lines)
    try:
        model = GravitySpec.model_validate(patched)
    except ValidationError as exc:
        raise SpecError(SPEC_NAME, problems_from_validation(view, exc, _fix_for)) from None
    sf = SpecFile(model, (folder or Path(chosen.dataset)) / "options.spec.yaml", view)
    problems = check_spec(sf)
    if problems:
        raise SpecError(SPEC_NAME, problems)
    return sf


def _reachable(address: str, timeout: float) -> None:
    """Fail fast, with the address, when nothing accepts connections at a ``tcp://HOST:PORT`` scheduler address
    (otherwise a run would wait the executor's whole connect timeout)."""
    import socket
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or port is None:
        raise ExecutorError(f"{address!r} is not a Dask scheduler address.", received=address,
                            fix="give it as tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 (serve --scheduler)")
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise ExecutorError(f"could not reach the Dask scheduler at {address} ({exc}).", received=address,
                            fix="start it (`dask scheduler`, then `dask worker ADDRESS`), or restart the service "
                                "without --scheduler to use a local cluster") from None


def spec_dataset(sf: SpecFile) -> str:
    """The name (a key of :data:`GRAVITY_DATA`) of the data set of a spec from :func:`gravity_spec`."""
    return next(name for name, g in GRAVITY_DATA.items() if g.file == sf.spec.data.file)


@dataclass
class HeavyExecutor:
    """Where heavy runs go: the scheduler at ``scheduler``, or a local cluster of ``workers`` processes on
    127.0.0.1 started on first use (thread-safe) and shut down by :meth:`close`."""

    scheduler: str | None
    workers: int
    #: seconds to wait for the given scheduler to accept a connection before a run fails
    probe_timeout: float = 5.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._local: Executor | None = None
        self._closed = False

    @property
    def started(self) -> bool:
        """Whether the local cluster is running."""
        return self._local is not None

    def address(self) -> str:
        """The scheduler's address, starting the local cluster if needed.

        Raises
        ------
        ExecutorError
            The cluster could not be started (or the service is stopping).
        """
        if self.scheduler:
            _reachable(self.scheduler, self.probe_timeout)
            return self.scheduler
        with self._lock:
            if self._closed:
                raise RunInterruptedError("the service is stopping")
            if self._local is None:
                self._local = Executor(workers=max(2, self.workers), scheduler="").start()
            address = self._local.address
        assert address is not None
        return address

    def where(self) -> str:
        return f"the Dask scheduler at {self.scheduler}" if self.scheduler else (
            f"the service's local Dask cluster ({max(2, self.workers)} processes)")

    def close(self) -> None:
        """Shut the local cluster down (idempotent; an external scheduler is left alone)."""
        with self._lock:
            self._closed = True
            local, self._local = self._local, None
        if local is not None:
            local.close()


class RunManager:
    """The app's run pool. ``submit`` records and queues a run; ``shutdown`` stops taking work."""

    def __init__(self, store: Store, workers: int, max_queued: int, *, heavy: HeavyExecutor | None = None,
                 min_heavy_draws: int = 5_000, data_dir: Path | None = None) -> None:
        self.store = store
        self.workers = max(1, workers)
        self.capacity = self.workers + max(0, max_queued)
        self.heavy = heavy or HeavyExecutor(None, 2)
        self.min_heavy_draws = max(1, min_heavy_draws)
        self.data_dir = data_dir
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="tradetalks-run")
        self._lock = threading.Lock()
        self._active: set[str] = set()
        self._stopping = threading.Event()

    @classmethod
    def from_settings(cls, store: Store, settings: Settings) -> RunManager:
        """The pool sized by ``run_workers`` and ``max_queued_runs``, with the executor and data directory of
        ``settings``."""
        return cls(store, settings.run_workers, settings.max_queued_runs,
                   heavy=HeavyExecutor(settings.scheduler, settings.executor_workers),
                   min_heavy_draws=settings.executor_min_draws, data_dir=settings.data_dir)

    def submit(self, scenario_id: str, version: int, yaml: str, kind: RunKind, options: dict[str, Any]) -> RunRecord:
        """Queue a run; :class:`BusyError` when ``capacity`` runs are not finished yet.

        Raises
        ------
        NotFoundError
            A gravity run naming a data set that the service's data directory does not hold.
        """
        if kind == "gravity":
            self.gravity_folder(spec_dataset(gravity_spec(options["spec"])))
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
        failed ("interrupted"). The local Dask cluster, if one was started, is shut down."""
        self._stopping.set()
        try:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.store.mark_interrupted()
        finally:
            self.heavy.close()

    def gravity_folder(self, name: str) -> Path:
        """The folder of the data set ``name`` (a key of :data:`GRAVITY_DATA`) in the service's data directory.

        Raises
        ------
        NotFoundError
            Naming the option (``data.dataset``) and how the service finds its data directory; the directory
            itself is not shown to the client (it is logged).
        """
        from tradetalks.datadir import ENV_VAR, dataset_dir

        chosen = GRAVITY_DATA[name]
        try:
            folder = dataset_dir(chosen.dataset, self.data_dir)
        except NotFoundError as exc:
            log.warning("gravity data set %r not found: %s", chosen.dataset, exc)
            raise NotFoundError(
                f"the data set {chosen.dataset!r} named by options.spec.data.dataset is not in the service's data "
                f"directory; it is {chosen.what}.", received=chosen.dataset,
                fix=f"start the service with --data-dir DIR (Settings.data_dir) or {ENV_VAR}=DIR, where DIR holds "
                    f"{chosen.dataset}/{chosen.file}; see `tradetalks gravity download-data`") from None
        if not (folder / chosen.file).is_file():
            raise NotFoundError(f"the data set {chosen.dataset!r} has no table {chosen.file}.",
                                received=chosen.file, fix="put the file in the data set's folder")
        return folder

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
        if kind == "gravity":
            return self._gravity(options, report)
        loaded = load_scenario_text(yaml, "scenario.yaml", overrides=options.get("overrides") or {})
        if kind == "analyze":
            from tradetalks.studies.analyze import analyze

            step = [0]

            def say(message: str) -> None:
                step[0] += 1
                report(min(0.95, step[0] / ANALYZE_STEPS), message)

            return analyze(loaded, progress=say, dynamics=bool(options.get("dynamics"))).to_dict()
        from tradetalks.studies.uncertainty import DEFAULT_DRAWS, DEFAULT_SEED, uncertainty

        draws, seed = int(options.get("draws") or DEFAULT_DRAWS), options.get("seed")
        heavy = draws >= self.min_heavy_draws
        where = self.heavy.where() if heavy else "in the service"
        report(0.0, f"{draws:,} draws {'on ' + where if heavy else where}")

        def tick(done: int, total: int) -> None:
            report(done / max(total, 1), f"{done:,} of {total:,} chunks ({where})")

        result = uncertainty(loaded, n_draws=draws, seed=DEFAULT_SEED if seed is None else int(seed),
                             sobol_base=int(options["sobol_base"]), tornado=bool(options["tornado"]), progress=tick,
                             workers=self.heavy.workers if heavy else 1,
                             scheduler=self.heavy.address() if heavy else "")
        return result.to_dict()

    def _gravity(self, options: dict[str, Any], report: Callable[[float, str], None]) -> dict[str, Any]:
        """A gravity run: the spec on its named data set, then the σ draws (on the executor when heavy)."""
        from tradetalks.econ.gravity.run import run_spec, sigma_draws

        name = spec_dataset(gravity_spec(options["spec"]))
        sf = gravity_spec(options["spec"], self.gravity_folder(name))
        n = int(options.get("sigma_draws") or 0)
        steps = 1 + len(sf.spec.counterfactuals()) + 2
        done = [0]

        def say(message: str) -> None:
            done[0] += 1
            report(min(0.9, done[0] / steps) * (0.5 if n else 1.0), message)

        result = run_spec(sf, progress=say)
        out = result.to_dict()
        chosen = GRAVITY_DATA[name]
        out["spec"], out["data"] = SPEC_NAME, f"{chosen.dataset}/{chosen.file}"  # never a path of the server
        if n:
            heavy = n >= self.min_heavy_draws
            where = self.heavy.where() if heavy else "in the service"
            low, high = options.get("sigma_range") or (5.0, 9.0)
            with Executor(workers=self.heavy.workers if heavy else 1,
                          scheduler=self.heavy.address() if heavy else "") as ex:
                def tick(k: int, total: int) -> None:
                    report(0.5 + 0.5 * k / max(total, 1), f"σ draws: {k:,} of {total:,} tasks ({where})")

                mapper = cast(Callable[[Callable[[Any], Any], Any], Iterator[Any]],
                              functools.partial(ex.map, progress=tick))
                draws = sigma_draws(sf, result, n, float(low), float(high), seed=int(options.get("seed") or 0),
                                    mapper=mapper)
            frame = draws.to_frame()
            out["sigma_draws"] = {"draws": n, "low": draws.low, "high": draws.high, "seed": draws.seed,
                                  "units": frame.attrs.get("units"), "where": where,
                                  "table": cast(list[dict[str, Any]], frame.to_dict(orient="records"))}
        return cast(dict[str, Any], jsonable(out))  # NaN (e.g. a standard error not computed) as null: PostgreSQL's
        # JSON has no NaN
