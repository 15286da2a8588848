"""Headless Chromium for the report tests (Debian's `chromium`; `make test` installs it when it can)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import skip_or_fail

#: flags that keep Chromium off the network and quiet on a machine with no display and no internet
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0",
                  # no name resolves: a page that needs the network (a CDN) fails to render and the test fails
                  "--host-resolver-rules=MAP * ~NOTFOUND"]

#: injected at the top of a copy of the page: records console errors and uncaught exceptions in the DOM
ERROR_PROBE = """<script>(function(){var errs=[];window.__tt_errors=errs;
function put(){var e=document.getElementById('tt-errors');if(!e){e=document.createElement('pre');e.id='tt-errors';
(document.body||document.documentElement).appendChild(e);}e.textContent=JSON.stringify(errs);}
var ce=console.error;console.error=function(){errs.push('console.error: '+Array.prototype.join.call(arguments,' '));
put();ce.apply(console,arguments);};
window.addEventListener('error',function(ev){errs.push('uncaught: '+ev.message);put();});
window.addEventListener('unhandledrejection',function(ev){errs.push('unhandled rejection: '+ev.reason);put();});
document.addEventListener('DOMContentLoaded',put);})();</script>"""


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """Path of Chromium; skip (locally) or fail (under CI=true) when it is missing."""
    path = chromium_path()
    if path is None:
        msg = "headless Chromium not found (install Debian's 'chromium'; `make test` does it when run as root)"
        skip_or_fail(msg)
    return path


def load_page(html_file: Path, *, budget_ms: int = 8000, assets: tuple[Path, ...] = ()) -> tuple[str, list[str]]:
    """Open a copy of ``html_file`` (with ``assets`` copied beside it) with the error probe; return the rendered
    DOM and every error seen."""
    chrome = require_chromium()
    text = html_file.read_text(encoding="utf-8")
    probed = re.sub(r"<head>", "<head>" + ERROR_PROBE, text, count=1)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(probed, encoding="utf-8")
        for asset in assets:
            shutil.copy(asset, Path(tmp) / asset.name)
        proc = subprocess.run([chrome, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile",
                               f"--virtual-time-budget={budget_ms}", "--dump-dom", page.as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)
    dom = proc.stdout
    errors = re.findall(r'<pre id="tt-errors">(.*?)</pre>', dom, flags=re.S)
    found = [e for e in errors if e not in ("[]", "")]
    found += [line for line in proc.stderr.splitlines() if "CONSOLE" in line and "Uncaught" in line]
    if proc.returncode != 0:
        found.append(f"chromium exited {proc.returncode}: {proc.stderr[-500:]}")
    return dom, found


def screenshot(html_file: Path, png: Path, *, width: int = 1280, height: int = 1500) -> None:
    """Save a PNG screenshot of the page (used for the README figure)."""
    chrome = require_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([chrome, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", "--virtual-time-budget=8000",
                        "--hide-scrollbars", f"--window-size={width},{height}", f"--screenshot={png}",
                        html_file.as_uri()], capture_output=True, timeout=120, check=True)


#: injected at the end of a copy of the page: after the charts have drawn, records the page's width against the
#: window's, the plot-area width of every chart, and every section with no content besides its heading
LAYOUT_PROBE = """<script>window.addEventListener('load',function(){setTimeout(function(){
var out={window:window.innerWidth,page:document.documentElement.scrollWidth,plots:[],empty:[]};
document.querySelectorAll('.js-plotly-plot').forEach(function(g){var d=g.querySelector('.nsewdrag');
out.plots.push({id:g.id,width:d?d.getBoundingClientRect().width:0});});
document.querySelectorAll('section').forEach(function(s){var c=s.cloneNode(true);var h=c.querySelector('h2');
if(h){h.remove();}if(c.textContent.trim().length<20&&!s.querySelector('.js-plotly-plot')){out.empty.push(s.id);}});
var e=document.createElement('pre');e.id='tt-layout';e.textContent=JSON.stringify(out);document.body.appendChild(e);
},500);});</script>"""


def measure_layout(html_file: Path, *, width: int, budget_ms: int = 12000) -> dict[str, object]:
    """Render ``html_file`` in a window ``width`` px wide; return the probe's measurements (see LAYOUT_PROBE)."""
    import json

    chrome = require_chromium()
    text = html_file.read_text(encoding="utf-8")
    probed = text.replace("</body>", LAYOUT_PROBE + "</body>", 1)
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_text(probed, encoding="utf-8")
        proc = subprocess.run([chrome, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", f"--window-size={width},900",
                               f"--virtual-time-budget={budget_ms}", "--dump-dom", page.as_uri()],
                              capture_output=True, text=True, timeout=180, check=False)
    found = re.findall(r'<pre id="tt-layout">(.*?)</pre>', proc.stdout, flags=re.S)
    if not found:
        raise AssertionError(f"layout probe did not run (chromium exit {proc.returncode}): {proc.stderr[-400:]}")
    return dict(json.loads(found[0]))
