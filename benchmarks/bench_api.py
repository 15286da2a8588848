"""The web service under load (issue #10 §8): package evaluation latency; an analysis run via the API vs the CLI.

Starts ``tradetalks serve --workers N`` (default 2; ``--no-access-log`` unless ``--access-log``) on 127.0.0.1 on a
free port with a temporary SQLite database and a random admin token (``TRADETALKS_ADMIN_TOKEN``), uploads the
built-in korus-2025 scenario and publishes it, then

1. sends ``POST /api/scenarios/{id}/evaluate`` (with the admin token) from ``--clients`` concurrent clients
   (default 50) after a warm-up that builds the scenario's model in every server process. Each request evaluates a
   package that sets every issue: by default the i-th body takes option i (modulo its count) of each issue, a few
   bodies in turn, so the server answers from its cache of answers after the warm-up; with ``--distinct N`` the
   bodies are N random packages (seeded), more than the cache keeps, so most answers are computed. Printed:
   p50/p95/p99 latency in ms, requests/s, the server's CPU time per request (all its processes, from /proc) and
   the 20 ms p95 target. The load comes from ``wrk`` if it is on the PATH (its Lua script reports the
   percentiles; wrk runs for ``--wrk-seconds``), else from httpx's async client in this process (which then
   shares the CPU with the server: quote which one ran).
2. times an analysis run submitted through the API (``POST /api/runs``, polled every 10 ms until it finished)
   against the whole process ``tradetalks analyze korus-2025 --no-report`` (imports, loading, the analysis,
   results.json), ``--runs`` each, alternating; printed: medians and the ratio API/CLI against the 1.5x target.

The server is stopped by the script (SIGINT, then SIGKILL after 10 s). Not a pytest test: shared machines are
noisy; quote the machine load (printed with every figure).

    .venv/bin/python benchmarks/bench_api.py                       # --workers 2 --clients 50 --wrk-seconds 20 --runs 3
    .venv/bin/python benchmarks/bench_api.py --distinct 20000 --runs 0   # answers computed, not cached
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "src" / "tradetalks" / "scenario" / "builtin" / "korus-2025.yaml"
#: issue #10 §8's targets
P95_TARGET_MS = 20.0
RATIO_TARGET = 1.5
#: seconds to wait for the server to answer /api/health
START_TIMEOUT = 60.0
#: seconds an analysis run may take through the API
RUN_TIMEOUT = 300.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: the admin token the benchmark's server is started with (`TRADETALKS_ADMIN_TOKEN`) and every request sends
ADMIN_TOKEN = secrets.token_urlsafe(32)
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def env() -> dict[str, str]:
    """The environment of the server and CLI processes: this checkout's sources first (then any PYTHONPATH)."""
    extra = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *([extra] if extra else [])]),
            "TRADETALKS_ADMIN_TOKEN": ADMIN_TOKEN}


@contextmanager
def server(db: Path, workers: int, access_log: bool) -> Iterator[tuple[str, int]]:
    """``tradetalks serve --workers N`` on a free loopback port; yields its base URL and process id, and stops it
    on exit."""
    port = free_port()
    log = open(db.with_suffix(".log"), "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "tradetalks", "serve", "--port", str(port),
                             "--db", f"sqlite:///{db}", "--workers", str(workers),
                             "--access-log" if access_log else "--no-access-log"], env=env(), stdout=log,
                            stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited ({proc.returncode}): {db.with_suffix('.log').read_text()}")
            try:
                if httpx.get(f"{base}/api/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer within {START_TIMEOUT} s")
            time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its children that are alive (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} CPUs)"


def packages(text: str) -> list[dict[str, str]]:
    """Packages setting every issue; the i-th takes option i (modulo its count) of each issue."""
    issues = [(i["id"], [o["id"] for o in i["options"]]) for i in yaml.safe_load(text)["issues"]]
    most = max(len(opts) for _, opts in issues)
    return [{iid: opts[k % len(opts)] for iid, opts in issues} for k in range(most)]


def random_packages(text: str, n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` packages with a random option of every issue (seeded; repeats possible but rare)."""
    import random

    rng = random.Random(seed)
    issues = [(i["id"], [o["id"] for o in i["options"]]) for i in yaml.safe_load(text)["issues"]]
    return [{iid: rng.choice(opts) for iid, opts in issues} for _ in range(n)]


def percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(q / 100 * (len(sorted_ms) - 1)))]


async def load_httpx(url: str, bodies: list[dict[str, str]], clients: int, total: int) -> tuple[list[float], float]:
    """``total`` POSTs from ``clients`` concurrent clients; latencies (ms, sorted) and wall seconds."""
    latencies: list[float] = []
    counter = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        async def worker() -> None:
            while (k := next(counter)) < total:
                t0 = time.perf_counter()
                r = await client.post(url, json=bodies[k % len(bodies)], headers=AUTH)
                latencies.append((time.perf_counter() - t0) * 1e3)
                if r.status_code != 200:
                    raise SystemExit(f"evaluate answered {r.status_code}: {r.text[:500]}")

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - t0
    return sorted(latencies), wall


WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n %% #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout))
end
"""


def load_wrk(wrk: str, url: str, bodies: list[dict[str, str]], clients: int, seconds: int,
             tmp: Path) -> dict[str, float]:
    import json

    lua = tmp / "evaluate.lua"
    lua.write_text(WRK_LUA % (ADMIN_TOKEN, ", ".join("[==[" + json.dumps(b) + "]==]" for b in bodies)))
    out = subprocess.run([wrk, "-t2", f"-c{clients}", f"-d{seconds}s", "-s", str(lua), url],
                         capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT"))
    n, duration_us, p50, p95, p99, errors, timeouts = (int(x) for x in line.split()[1:])
    if errors or timeouts:
        raise SystemExit(f"wrk saw {errors} errors and {timeouts} timeouts:\n{out}")
    return {"requests": n, "rps": n / (duration_us / 1e6), "p50": p50 / 1e3, "p95": p95 / 1e3, "p99": p99 / 1e3}


def api_analysis(base: str, scenario_id: str) -> float:
    """Seconds from ``POST /api/runs`` (kind analyze) to the run seen finished."""
    with httpx.Client(base_url=base, timeout=30.0, headers=AUTH) as c:
        t0 = time.perf_counter()
        r = c.post("/api/runs", json={"scenario": scenario_id, "kind": "analyze"})
        r.raise_for_status()
        run_id = r.json()["id"]
        while True:
            status = c.get(f"/api/runs/{run_id}").json()["status"]
            if status in ("succeeded", "failed", "cancelled"):
                break
            if time.perf_counter() - t0 > RUN_TIMEOUT:
                raise SystemExit(f"the analysis run {run_id} did not finish in {RUN_TIMEOUT} s")
            time.sleep(0.01)
        wall = time.perf_counter() - t0
    if status != "succeeded":
        raise SystemExit(f"the analysis run {run_id} {status}")
    return wall


def cli_analysis(out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tradetalks", "analyze", "korus-2025", "--out", str(out), "--no-report"],
                   env=env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="server processes (tradetalks serve --workers)")
    parser.add_argument("--requests", type=int, default=2000, help="evaluations sent in all (httpx)")
    parser.add_argument("--wrk-seconds", type=int, default=20, help="duration of the wrk load")
    parser.add_argument("--runs", type=int, default=3, help="analysis runs through the API and the CLI, each")
    parser.add_argument("--no-wrk", action="store_true", help="use httpx even if wrk is on the PATH")
    parser.add_argument("--distinct", type=int, default=0, metavar="N",
                        help="evaluate N random packages instead of a few in turn (answers computed, not cached)")
    parser.add_argument("--access-log", action="store_true", help="keep the server's access log (a line per "
                                                                   "request; off by default, as behind a proxy)")
    args = parser.parse_args()

    print(f"at start: {uptime()}")
    text = SCENARIO.read_text(encoding="utf-8")
    bodies = random_packages(text, args.distinct) if args.distinct else packages(text)
    wrk = None if args.no_wrk else shutil.which("wrk")
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp_name:
        tmp = Path(tmp_name)
        with server(tmp / "api.db", args.workers, args.access_log) as (base, pid):
            r = httpx.post(f"{base}/api/scenarios", content=text.encode(), timeout=60.0,
                           headers={"content-type": "application/yaml", **AUTH})
            r.raise_for_status()
            sid = r.json()["id"]
            httpx.post(f"{base}/api/scenarios/{sid}/publish", headers=AUTH, timeout=60.0).raise_for_status()
            url = f"{base}/api/scenarios/{sid}/evaluate"
            t0 = time.perf_counter()
            httpx.post(url, json=bodies[0], headers=AUTH, timeout=60.0).raise_for_status()
            print(f"first evaluation (builds the model): {(time.perf_counter() - t0) * 1e3:.0f} ms")
            for _ in range(4 * args.workers):  # warm-up: the model, on every worker process (new connections)
                for b in bodies[:8]:
                    httpx.post(url, json=b, headers=AUTH, timeout=60.0).raise_for_status()

            cpu0 = cpu_seconds(pid)
            if wrk:
                res = load_wrk(wrk, url, bodies, args.clients, args.wrk_seconds, tmp)
                how = f"wrk, {args.clients} connections, {args.wrk_seconds} s, {res['requests']:,} requests"
            else:
                lat, wall = asyncio.run(load_httpx(url, bodies, args.clients, args.requests))
                res = {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99),
                       "rps": len(lat) / wall, "requests": len(lat)}
                how = f"httpx async, {args.clients} clients, {len(lat):,} requests"
            how += f", {len(bodies):,} distinct packages"
            cpu_ms = (cpu_seconds(pid) - cpu0) / res["requests"] * 1e3
            verdict = "meets" if res["p95"] <= P95_TARGET_MS else "MISSES"
            log = "access log on" if args.access_log else "no access log"
            print(f"evaluate ({how}; {args.workers} server processes, {log}): p50 {res['p50']:.1f} ms, "
                  f"p95 {res['p95']:.1f} ms, p99 {res['p99']:.1f} ms, {res['rps']:.0f} requests/s, "
                  f"server CPU {cpu_ms:.3f} ms a request; p95 {verdict} the {P95_TARGET_MS:.0f} ms target "
                  f"({uptime()})")

            if args.runs:
                api_times: list[float] = []
                cli_times: list[float] = []
                cli_analysis(tmp / "warm")  # warm-up of the CLI (file cache, .pyc)
                api_analysis(base, sid)  # warm-up of the server's imports
                for k in range(args.runs):
                    api_times.append(api_analysis(base, sid))
                    cli_times.append(cli_analysis(tmp / f"cli{k}"))
                api, cli = statistics.median(api_times), statistics.median(cli_times)
                ratio = api / cli
                print(f"analysis korus-2025, median of {args.runs}: API run {api:.2f} s "
                      f"({', '.join(f'{t:.2f}' for t in api_times)}), CLI process {cli:.2f} s "
                      f"({', '.join(f'{t:.2f}' for t in cli_times)}); API/CLI {ratio:.2f}x "
                      f"({'meets' if ratio <= RATIO_TARGET else 'MISSES'} the {RATIO_TARGET}x target)")
    print(f"at end: {uptime()}")


if __name__ == "__main__":
    main()
