"""Plotly charts as plain figure dictionaries, without importing plotly.py.

The report draws its charts with plotly.js. Building them with ``plotly.graph_objects`` validated every property
of every trace in Python and took longer than the whole analysis; plotly.js validates what it draws anyway. This
module offers the small part of the ``graph_objects`` API the report uses (``Figure``, ``Scatter``, ``Bar``,
``add_trace``, ``update_layout`` with plotly's "magic underscore" keys, ``add_hline``/``add_vline``, ``to_html``)
and writes the same ``Plotly.newPlot`` call ``Figure.to_html`` writes. Named templates and the plotly.js bundle
are read from the installed plotly package's data files, so the page looks as before.

References
----------
plotly.py figure reference, https://plotly.com/python/reference/ (the figure dictionary layout);
``plotly.io.to_html`` (the HTML fragment this writes).
"""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

__all__ = ["Bar", "Figure", "Scatter", "get_plotlyjs", "get_plotlyjs_bytes", "plotly_version"]

#: key prefixes that plotly expands ("xaxis_title" -> xaxis.title); other keys with "_" are property names
_MAGIC_PREFIXES = frozenset({"xaxis", "yaxis", "legend", "margin", "font", "title", "hoverlabel", "marker", "line",
                             "textfont"})


@lru_cache(maxsize=1)
def _plotly_data() -> Path:
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - plotly is a dependency
        raise ModuleNotFoundError("plotly is not installed (it ships the plotly.js bundle the report embeds)")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data"


@lru_cache(maxsize=1)
def get_plotlyjs() -> str:
    """The plotly.js bundle shipped with plotly.py (the same text as ``plotly.offline.get_plotlyjs()``)."""
    return (_plotly_data() / "plotly.min.js").read_text(encoding="utf-8")


def get_plotlyjs_bytes() -> bytes:
    """The plotly.js bundle as the UTF-8 bytes of its file (:func:`get_plotlyjs` encoded; read, not kept)."""
    return (_plotly_data() / "plotly.min.js").read_bytes()


@lru_cache(maxsize=4)
def _template(name: str) -> str:
    return json.dumps(json.loads((_plotly_data() / "templates" / f"{name}.json").read_text(encoding="utf-8")),
                      separators=(",", ":"))


def plotly_version() -> str:
    """Version of the installed plotly.py (names the shared plotly.js file)."""
    from importlib.metadata import version

    return version("plotly")


def _expand(props: dict[str, Any]) -> dict[str, Any]:
    """Plotly's magic underscores ("xaxis_title" -> {"xaxis": {"title": ...}}) and string titles as {"text": ...}."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        head, _, rest = key.partition("_")
        if rest and head in _MAGIC_PREFIXES:
            _merge(out, {head: _expand({rest: value})})
        elif key == "title" and isinstance(value, str):
            _merge(out, {"title": {"text": value}})
        elif isinstance(value, dict):
            _merge(out, {key: _expand(value)})
        elif isinstance(value, list):
            _merge(out, {key: [_expand(v) if isinstance(v, dict) else v for v in value]})
        else:
            _merge(out, {key: value})
    return out


def _merge(into: dict[str, Any], new: dict[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def Scatter(**props: Any) -> dict[str, Any]:  # noqa: N802 - mirrors plotly.graph_objects.Scatter
    """A scatter trace."""
    return {"type": "scatter", **_expand(props)}


def Bar(**props: Any) -> dict[str, Any]:  # noqa: N802 - mirrors plotly.graph_objects.Bar
    """A bar trace."""
    return {"type": "bar", **_expand(props)}


class Figure:
    """A figure dictionary: ``data`` (traces) and ``layout``."""

    def __init__(self) -> None:
        self.data: list[dict[str, Any]] = []
        self.layout: dict[str, Any] = {}

    def add_trace(self, trace: dict[str, Any]) -> Figure:
        self.data.append(trace)
        return self

    def update_layout(self, **props: Any) -> Figure:
        _merge(self.layout, _expand(props))
        return self

    def _line(self, axis: str, at: float, line: dict[str, Any] | None) -> Figure:
        other = "y" if axis == "x" else "x"
        shape = {"type": "line", f"{axis}0": at, f"{axis}1": at, f"{axis}ref": axis, f"{other}0": 0, f"{other}1": 1,
                 f"{other}ref": f"{other} domain"}
        if line is not None:
            shape["line"] = line
        self.layout.setdefault("shapes", []).append(shape)
        return self

    def add_hline(self, y: float, line: dict[str, Any] | None = None) -> Figure:
        """A horizontal line across the plot at ``y``."""
        return self._line("y", y, line)

    def add_vline(self, x: float, line: dict[str, Any] | None = None) -> Figure:
        """A vertical line across the plot at ``x``."""
        return self._line("x", x, line)

    def to_plotly_json(self) -> dict[str, Any]:
        return {"data": self.data, "layout": self.layout}

    def to_html(self, *, full_html: bool = False, include_plotlyjs: bool = False, div_id: str,
                default_width: str = "100%", default_height: str = "100%",
                config: dict[str, Any] | None = None) -> str:
        """The HTML fragment of ``plotly.io.to_html(fig, full_html=False, include_plotlyjs=False, ...)``: a div and
        the script that draws the chart in it (plotly.js must be loaded on the page)."""
        if full_html or include_plotlyjs:
            raise ValueError("only fragments without plotly.js are written here (the page embeds plotly.js once)")
        layout = dict(self.layout)
        template = layout.pop("template", None)
        width = f"{layout['width']}px" if isinstance(layout.get("width"), int | float) else default_width
        height = f"{layout['height']}px" if isinstance(layout.get("height"), int | float) else default_height
        layout_json = _json(layout)
        if isinstance(template, str):
            layout_json = '{"template":' + _template(template) + ("," + layout_json[1:] if layout else "}")
        elif template is not None:
            layout_json = _json({"template": template, **layout})
        ident = _json(div_id)
        return (f'<div>                        <div id="{escape(div_id, quote=True)}" class="plotly-graph-div" '
                f'style="height:{height}; width:{width};"></div>            <script type="text/javascript">'
                f"                window.PLOTLYENV=window.PLOTLYENV || {{}};                                "
                f"if (document.getElementById({ident})) {{                    Plotly.newPlot(                        "
                f"{ident},                        {_json(self.data)},                        {layout_json},"
                f"                        {_json(config or {})}                    )                }};"
                f"            </script>        </div>")


def _json(obj: object) -> str:
    """Compact JSON safe inside a <script> element (no "</" can close it; NaN stays a JavaScript NaN)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=True).replace("</", "<\\/")
