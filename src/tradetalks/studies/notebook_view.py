"""How a study's result shows in a Jupyter cell: its readable ``repr`` and the first rows of its table.

Each study result inherits :class:`NotebookView`, whose ``_repr_html_`` calls :func:`study_html`; nothing is
computed here. Text is escaped (the ``repr`` by :func:`html.escape`, the table by pandas' ``to_html``, which
escapes by default), and long tables are cut to :data:`MAX_ROWS` rows with the total said, so a cell stays small.

Example
-------
>>> from dataclasses import dataclass
>>> @dataclass
... class Demo:
...     name: str
>>> study_html(Demo("<b>x</b>"))
'<pre>Demo(name=&#x27;&lt;b&gt;x&lt;/b&gt;&#x27;)</pre>'
"""

from __future__ import annotations

from html import escape

#: most table rows shown in a cell (the whole table is ``obj.to_frame()``)
MAX_ROWS = 20


def study_html(obj: object) -> str:
    """``obj``'s ``repr`` as preformatted text, then up to :data:`MAX_ROWS` rows of ``obj.to_frame()`` if it has
    one."""
    out = f"<pre>{escape(repr(obj))}</pre>"
    to_frame = getattr(obj, "to_frame", None)
    if callable(to_frame):
        frame = to_frame()
        out += frame.head(MAX_ROWS).to_html(index=False, escape=True, float_format=lambda x: f"{x:,.6g}")
        if len(frame) > MAX_ROWS:
            out += (f"<p><small>First {MAX_ROWS} of {len(frame):,} rows; the whole table is "
                    "<code>.to_frame()</code>.</small></p>")
    return out


class NotebookView:
    """Mixin for study results: shows the result in a Jupyter cell through :func:`study_html`."""

    def _repr_html_(self) -> str:
        """Jupyter's view: the summary of ``repr`` and the first rows of the table, escaped."""
        return study_html(self)
