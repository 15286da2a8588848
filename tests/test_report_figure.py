"""report/figure.py builds the figure dictionaries plotly.graph_objects would, without importing plotly.py."""

from __future__ import annotations

import json
import re

import plotly.graph_objects as plotly_go

from tradetalks.report import figure as go


def _newplot_args(html: str) -> list[object]:
    call = re.search(r"Plotly\.newPlot\(\s*(.*)\s*\)\s*\};", html, flags=re.S)
    assert call is not None, html[:300]
    return json.loads(f"[{call.group(1)}]")


def test_same_figure_json_as_plotly() -> None:
    """Traces and layout (magic underscores, string titles, lines across the plot) equal plotly's own JSON."""
    ours, theirs = go.Figure(), plotly_go.Figure()
    for fig, lib in ((ours, go), (theirs, plotly_go)):
        fig.add_trace(lib.Scatter(x=[1.0, 2.0], y=[3.0, 4.0], mode="lines+markers", name="a", marker={"size": 4},
                                  line={"shape": "vh"}, hovertemplate="%{x}<extra></extra>"))
        fig.add_trace(lib.Bar(y=["p", "q"], x=[1.0, -2.0], orientation="h", marker_color="#123456"))
        fig.update_layout(title="T", height=500, xaxis_title="x label", yaxis={"range": [0, 1]},
                          legend={"orientation": "h"}, margin={"l": 60})
        fig.update_layout(yaxis_title="y label", xaxis={"range": [0, 2]})
        fig.add_hline(y=0, line={"width": 1})
        fig.add_vline(x=0, line={"width": 1})
    got = ours.to_plotly_json()
    want = json.loads(theirs.to_json())
    assert got["data"] == want["data"]
    want_layout = {k: v for k, v in want["layout"].items() if k != "template"}
    assert got["layout"] == want_layout


def test_html_fragment_draws_the_figure_safely() -> None:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[1], y=[2], text=["</script><b>x</b>"]))
    fig.update_layout(template="plotly_white", height=300)
    html = fig.to_html(div_id='fig-"a"', default_width="100%", config={"displaylogo": False})
    assert "</script><b>" not in html and "<\\/script>" in html
    assert 'id="fig-&quot;a&quot;"' in html and "height:300px; width:100%;" in html
    data, layout, config = _newplot_args(html)[1:]
    assert data == [{"type": "scatter", "x": [1], "y": [2], "text": ["</script><b>x</b>"]}]
    assert layout["height"] == 300 and "layout" in layout["template"] and config == {"displaylogo": False}
