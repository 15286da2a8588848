"""Downloads of a finished analysis run: ``results.json``, the CSV tables and ``report.html``.

They are the files ``tradetalks analyze --out DIR`` writes, made by the library's own writers
(:meth:`AnalysisResult.to_json`, :func:`tradetalks.report.tables.all_tables`,
:func:`tradetalks.report.html.render_report` with plotly.js inline), never re-implemented here.

``results.json`` is the run's stored results, written as the CLI writes them (:func:`tradetalks.jsonable.dumps`).
The CSV tables and the report need the typed :class:`~tradetalks.studies.analyze_results.AnalysisResult`, which
the stored JSON does not rebuild; it is recomputed from the run's stored scenario version and options (the
analysis is deterministic) and **checked against the stored results**: if the recomputed results differ (a newer
tradetalks, another scenario text), the download is refused (409) rather than describing another run. The
recomputed result is kept per app in a small LRU cache (:data:`RESULT_CACHE_SIZE` runs), computed once when
several requests ask at the same time, at most :data:`RECOMPUTE_AT_ONCE` at once.

No part of the request reaches the filesystem: file names are looked up in fixed tables.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tradetalks.api.auth import CallerDep, require_run
from tradetalks.api.errors import ConflictError
from tradetalks.api.scenarios import UPLOAD_NAME
from tradetalks.api.service import Service, service
from tradetalks.errors import NotFoundError
from tradetalks.store import RunRecord

if TYPE_CHECKING:
    from tradetalks.studies.analyze_results import AnalysisResult

router = APIRouter(prefix="/api/runs", tags=["downloads"])
Svc = Annotated[Service, Depends(service)]
#: analysis results kept per app for the CSV and report downloads (each a few MB in memory)
RESULT_CACHE_SIZE = 4
#: analyses recomputed for downloads at once per app (more requests wait: each takes a core for seconds)
RECOMPUTE_AT_ONCE = 2
#: the CSV tables ``tradetalks analyze`` writes (file stems, :func:`tradetalks.report.tables.all_tables`)
CSV_TABLES = ("stakes", "frontier", "solutions", "sources", "timeline")
#: content types of the downloads
JSON_TYPE, CSV_TYPE, HTML_TYPE = ("application/json; charset=utf-8", "text/csv; charset=utf-8",
                                  "text/html; charset=utf-8")
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: what the report may do when a browser shows it: its own inline scripts (by hash) and styles, images from data:
#: URLs (plotly's toolbar), nothing loaded or sent anywhere, not framed
_REPORT_CSP = ("default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data: blob:; "
               "font-src data:; connect-src 'none'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


class _ResultCache:
    """Recomputed analysis results by run id; least recently used dropped beyond ``size``; thread-safe. Two
    requests for the same missing run compute it once, at most :data:`RECOMPUTE_AT_ONCE` are computed at once, and
    a run whose results cannot be rebuilt (:class:`ConflictError`) is remembered as such, not recomputed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, AnalysisResult | ConflictError] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._slots = threading.BoundedSemaphore(RECOMPUTE_AT_ONCE)

    def get(self, key: str, build: Callable[[], AnalysisResult]) -> AnalysisResult:
        """The result of ``key``, built with ``build()`` when absent; raises the :class:`ConflictError` it raised."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._unwrap(self._items[key])
            gate = self._building.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    return self._unwrap(self._items[key])
            item: AnalysisResult | ConflictError
            try:
                with self._slots:
                    item = build()
            except ConflictError as exc:
                item = exc
            except BaseException:
                with self._lock:
                    self._building.pop(key, None)
                raise
            with self._lock:
                self._items[key] = item
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
                self._building.pop(key, None)
            return self._unwrap(item)

    @staticmethod
    def _unwrap(item: AnalysisResult | ConflictError) -> AnalysisResult:
        if isinstance(item, ConflictError):
            raise ConflictError(item.what, fix=item.fix)  # a fresh error: the kept one gathers no tracebacks
        return item


_CACHE_LOCK = threading.Lock()


def _cache(request: Request) -> _ResultCache:
    """The app's cache of recomputed results (made on first use; each app has its own)."""
    with _CACHE_LOCK:
        cache = getattr(request.app.state, "download_results", None)
        if cache is None:
            cache = _ResultCache(RESULT_CACHE_SIZE)
            request.app.state.download_results = cache
        return cache


def _finished_analysis(svc: Service, run_id: str, what: str) -> RunRecord:
    run = svc.store.get_run(run_id)  # NotFoundError (404) for an unknown id
    if run.status != "succeeded" or run.results is None:
        fix = ("start the analysis again (POST /api/runs) and download from the new run" if run.finished else
               f"follow it with GET /api/runs/{run_id}/events and download when it ends 'succeeded'")
        raise ConflictError(f"run {run_id!r} is {run.status}; {what} exists once it has succeeded.", fix=fix)
    if run.kind != "analyze" and what != "results.json":
        raise ConflictError(f"run {run_id!r} is an {run.kind} run; {what} is written for analysis runs only.",
                            fix=f"download its results.json (GET /api/runs/{run_id}/download/results.json)")
    return run


def _recompute(svc: Service, run: RunRecord) -> AnalysisResult:
    """The run's :class:`AnalysisResult`, recomputed from its stored scenario version and options and checked to
    equal its stored results."""
    from tradetalks.scenario.loader import load_scenario_text
    from tradetalks.studies.analyze import analyze

    text = svc.store.get_scenario(run.scenario_id, run.scenario_version).yaml
    loaded = load_scenario_text(text, UPLOAD_NAME, overrides=run.options.get("overrides") or {})
    result = analyze(loaded, dynamics=bool(run.options.get("dynamics")))
    if result.to_dict() != run.results:
        stored = (run.results or {}).get("tradetalks_version")
        raise ConflictError(f"the tables and report of run {run.id!r} cannot be rebuilt: its stored results "
                            f"(tradetalks {stored}) differ from what this server computes for the same scenario "
                            f"version and options (tradetalks {result.tradetalks_version}).",
                            fix="download results.json, or start the analysis again (POST /api/runs) and "
                                "download from the new run")
    return result


def _filename(run_id: str, name: str) -> str:
    stem = run_id if _SAFE_ID.fullmatch(run_id) else "run"
    return f"tradetalks-{stem}-{name}"


def _attachment(body: str, media_type: str, run_id: str, name: str,
                headers: dict[str, str] | None = None) -> Response:
    return Response(body.encode("utf-8"), media_type=media_type,
                    headers={"content-disposition": f'attachment; filename="{_filename(run_id, name)}"',
                             **(headers or {})})


class _Scripts(HTMLParser):
    """The text of every inline ``<script>`` of a page, exactly as a browser hashes it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.inline: list[str] = []
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not any(k == "src" for k, _ in attrs):
            self._open = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.inline.append("".join(self._open))
            self._open = None


def report_csp(html: str) -> str:
    """A Content-Security-Policy that lets ``html`` run exactly its own inline scripts (SHA-256 of each)."""
    parser = _Scripts()
    parser.feed(html)
    parser.close()
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
                     for s in parser.inline})
    return _REPORT_CSP.format(hashes=" ".join(hashes) or "'none'")


def _result(request: Request, svc: Service, run: RunRecord) -> AnalysisResult:
    return _cache(request).get(run.id, lambda: _recompute(svc, run))


@router.get("/{run_id}/download/results.json", summary="results.json of a finished run",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
def download_results(run_id: str, svc: Svc, caller: CallerDep) -> Response:
    """The run's results as ``tradetalks analyze --out`` writes ``results.json`` (an uncertainty run: its
    ``UncertaintyResult.to_dict()``)."""
    from tradetalks.jsonable import dumps

    require_run(svc, caller, run_id, "read")

    run = _finished_analysis(svc, run_id, "results.json")
    return _attachment(dumps(run.results), JSON_TYPE, run.id, "results.json")


@router.get("/{run_id}/download/csv/{name}", summary="One CSV table of a finished analysis run",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
async def download_csv(run_id: str, name: str, request: Request, svc: Svc, caller: CallerDep) -> Response:
    """``stakes``, ``frontier``, ``solutions``, ``sources`` or ``timeline`` (with or without ``.csv``), as
    ``tradetalks analyze --out`` writes them."""
    await run_in_threadpool(require_run, svc, caller, run_id, "read")
    stem = name.removesuffix(".csv")
    if stem not in CSV_TABLES:
        raise NotFoundError(f"no CSV table {name!r}; the tables are {', '.join(CSV_TABLES)}.",
                            fix=f"ask for one of them, e.g. GET /api/runs/{{id}}/download/csv/{CSV_TABLES[0]}.csv")
    run = await run_in_threadpool(_finished_analysis, svc, run_id, f"{stem}.csv")

    def build() -> str:
        from tradetalks.report.tables import all_tables

        return all_tables(_result(request, svc, run))[stem].to_csv(index=False)

    return _attachment(await run_in_threadpool(build), CSV_TYPE, run.id, f"{stem}.csv")


@router.get("/{run_id}/download/report.html", summary="The HTML report of a finished analysis run",
            response_class=Response, responses={200: {"content": {"text/html": {}}}})
async def download_report(run_id: str, request: Request, svc: Svc, caller: CallerDep) -> Response:
    """The self-contained report (plotly.js inline) as ``tradetalks analyze --out`` writes ``report.html``; sent
    with a Content-Security-Policy allowing exactly its own inline scripts."""
    await run_in_threadpool(require_run, svc, caller, run_id, "read")
    run = await run_in_threadpool(_finished_analysis, svc, run_id, "report.html")

    def build() -> str:
        from tradetalks.report.html import render_report

        return render_report(_result(request, svc, run), plotlyjs="inline")

    html = await run_in_threadpool(build)
    return _attachment(html, HTML_TYPE, run.id, "report.html",
                       {"content-security-policy": await run_in_threadpool(report_csp, html)})

