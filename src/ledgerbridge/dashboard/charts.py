"""Charts drawn on the server as inline SVG: no script, nothing to download.

Each chart is an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` say what it shows and
every figure in it, so a screen reader reads the chart as a sentence; the pages also show the
same figures as a table. Sizes are in the viewBox: the SVG scales with the page.

    bar_chart("by-status", "Records per status", [("Synced", 12), ("Needs attention", 3)])
    column_chart("per-hour", "Synced per hour", [("13:00", 4), ("14:00", 9)])
    stacked_chart("over-time", "Records by status", ["Nov 21", "Nov 22"],
                  [("synced", "Synced", [3, 5]), ("error", "Needs attention", [1, 0])])
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart", "column_chart", "stacked_chart", "text_width"]

_WIDTH = 480  # narrow enough that 15px text stays legible when a phone shrinks it
_ROW = 50  # a label line above each bar


_FONT = 17  # the labels' font size in viewBox units (dashboard.css: svg.chart .chart-label)
_NARROW = frozenset(",.:;!|il1 ")  # characters about half as wide as a digit


def _number(value: int) -> str:
    return f"{value:,}"


def text_width(text: str, size: int = _FONT) -> int:
    """A generous estimate of `text`'s width at `size` (no font metrics on the server):
    0.62 em a character, 0.3 em for the narrow ones, so a label sized by it is never cut."""
    ems = sum(0.3 if char in _NARROW else 0.62 for char in text)
    return int(ems * size + 0.999)


def _left(top: str) -> int:
    """The room left of the y axis: the widest of its labels (the top one) and a gap."""
    return max(36, text_width(top) + 12)


def _describe(title: str, points: Sequence[tuple[str, int]]) -> str:
    if not points:
        return f"{title}: nothing to show yet."
    return f"{title}: " + "; ".join(f"{label} {_number(value)}" for label, value in points) + "."


def _short(label: str, limit: int = 52) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _open(chart_id: str, title: str, desc: str, height: int) -> str:
    return (
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {_WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{escape(chart_id)}-title '
        f'{escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )


def bar_chart(
    chart_id: str, title: str, bars: Sequence[tuple[str, int]], *, tone: str = ""
) -> Markup:
    """Horizontal bars, one per (label, value), each under its label; the longest value
    takes the full width."""
    desc = _describe(title, bars)
    height = max(1, len(bars)) * _ROW + 6
    parts = [_open(chart_id, title, desc, height)]
    if not bars:
        parts.append('<text x="0" y="22" class="chart-empty">Nothing to show yet</text>')
    top = max((value for _, value in bars), default=0) or 1
    room = _WIDTH - 70
    css = escape(f"bar {tone}".strip())
    for index, (label, value) in enumerate(bars):
        y = index * _ROW
        width = max(round(room * value / top), 2)
        parts.append(
            f'<g class="chart-row"><title>{escape(label)}: {_number(value)}</title>'
            f'<text x="0" y="{y + 18}" class="chart-label">{escape(_short(label))}</text>'
            f'<rect x="0" y="{y + 26}" width="{width}" height="18" rx="3" class="{css}"/>'
            f'<text x="{width + 8}" y="{y + 41}" class="chart-value">{_number(value)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(chart_id: str, title: str, columns: Sequence[tuple[str, int]]) -> Markup:
    """Vertical columns over time (oldest left), every few labels shown under the axis."""
    desc = (
        _describe(title, [(label, value) for label, value in columns if value])
        if any(value for _, value in columns)
        else f"{title}: nothing synced in this period."
    )
    height, axis = 230, 190
    parts = [_open(chart_id, title, desc, height)]
    top = max((value for _, value in columns), default=0) or 1
    left = _left(_number(top))
    slot = (_WIDTH - left - 10) / max(1, len(columns))
    parts.append(
        f'<line x1="{left}" y1="{axis}" x2="{_WIDTH - 10}" y2="{axis}" class="chart-axis"/>'
        f'<text x="{left - 6}" y="{axis - 150 + 4}" text-anchor="end" class="chart-value">'
        f"{_number(top)}</text>"
        f'<text x="{left - 6}" y="{axis + 4}" text-anchor="end" class="chart-value">0</text>'
    )
    step = max(1, len(columns) // 4)
    for index, (label, value) in enumerate(columns):
        x = left + index * slot
        h = round(150 * value / top)
        parts.append(
            f'<g class="chart-row"><title>{escape(label)}: {_number(value)}</title>'
            f'<rect x="{x + 2:.1f}" y="{axis - h}" width="{max(slot - 4, 1):.1f}" '
            f'height="{max(h, 0)}" class="bar"/></g>'
        )
        if index % step == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{axis + 22}" text-anchor="middle" '
                f'class="chart-label">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _legend(entries: Sequence[tuple[str, str]]) -> tuple[list[str], int]:
    """A swatch and its name per (key, name), each as wide as its text, in rows that wrap at
    the chart's width; the parts and the number of rows."""
    parts: list[str] = []
    at_x, row = 0, 0
    for key, name in entries:
        width = 24 + text_width(name)
        if at_x and at_x + width > _WIDTH:
            at_x, row = 0, row + 1
        at_y = row * 28
        parts.append(
            f'<g class="chart-key"><rect x="{at_x}" y="{at_y + 4}" width="16" height="16" '
            f'rx="2" class="seg seg-{escape(key)}"/>'
            f'<text x="{at_x + 24}" y="{at_y + 18}" class="chart-label">{escape(name)}</text></g>'
        )
        at_x += width + 18
    return parts, row + 1 if entries else 0


def stacked_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
) -> Markup:
    """Stacked columns over time (oldest left), one column per label; `series` are
    (key, legend label, one value per column), stacked from the bottom in that order and
    coloured by the CSS class ``seg-<key>``. A legend above names the series, each entry as
    wide as its name; the y axis leaves room for its widest label ("8,432")."""
    columns = [
        [(key, name, values[index]) for key, name, values in series] for index in range(len(labels))
    ]
    totals = [sum(value for _, _, value in column) for column in columns]
    if any(totals):
        desc = (
            f"{title}: "
            + "; ".join(
                f"{label}: "
                + (", ".join(f"{name} {_number(v)}" for _, name, v in column if v) or "none")
                for label, column in zip(labels, columns, strict=True)
            )
            + "."
        )
    else:
        desc = f"{title}: nothing to show yet."
    legend, legend_rows = _legend([(key, _short(name, 24)) for key, name, _ in series])
    top_y = legend_rows * 28 + 16
    axis, room = top_y + 150, 150
    height = axis + 30
    top = max(totals, default=0) or 1
    left = _left(_number(top))
    parts = [_open(chart_id, title, desc, height), *legend]
    if not any(totals):
        parts.append(
            f'<text x="{left}" y="{axis - 60}" class="chart-empty">Nothing to show yet</text>'
        )
    slot = (_WIDTH - left - 10) / max(1, len(labels))
    parts.append(
        f'<line x1="{left}" y1="{axis}" x2="{_WIDTH - 10}" y2="{axis}" class="chart-axis"/>'
        f'<text x="{left - 6}" y="{axis - room + 4}" text-anchor="end" class="chart-value">'
        f"{_number(top)}</text>"
        f'<text x="{left - 6}" y="{axis + 4}" text-anchor="end" class="chart-value">0</text>'
    )
    step = max(1, len(labels) // 4)
    width = max(slot - 4, 1)
    for index, (label, column) in enumerate(zip(labels, columns, strict=True)):
        x = left + index * slot
        figures = ", ".join(f"{name} {_number(v)}" for _, name, v in column if v) or "none"
        parts.append(f'<g class="chart-row"><title>{escape(label)}: {escape(figures)}</title>')
        below = 0
        for key, _, value in column:
            if value <= 0:
                continue
            bottom = axis - round(room * below / top)
            below += value
            upper = axis - round(room * below / top)
            parts.append(
                f'<rect x="{x + 2:.1f}" y="{upper}" width="{width:.1f}" '
                f'height="{max(bottom - upper, 1)}" class="seg seg-{escape(key)}"/>'
            )
        parts.append("</g>")
        if index % step == 0:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{axis + 22}" text-anchor="middle" '
                f'class="chart-label">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
