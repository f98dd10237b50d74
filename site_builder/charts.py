"""Draw the needs-analysis charts as accessible inline SVG at build time.

A chart is a grouped horizontal bar chart of percentages: one group of bars
per row, one bar per series. The SVG is an image with a title and a
description; the page shows the same numbers in a table next to it, so
nothing is conveyed by the drawing alone. A value the source does not give
(None) is drawn as no bar with a "not given" mark, never as zero.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from .models import Chart

# Bar colours with at least 3:1 contrast against white (WCAG 1.4.11); the stylesheet's series-N classes
# give them colours for the dark scheme as well.
COLOURS = ("#0b4f8a", "#b4530b", "#2f6b2f")
# Geometry in SVG units. Each row's label sits above its bars, so long labels
# (and Chinese ones) never need a label column, and the chart stays legible
# when a phone scales it down.
WIDTH = 480
LINE = 20          # legend line and row label height
BAR = 14
BAR_GAP = 3
ROW_GAP = 10
VALUE_ROOM = 44    # space right of the longest bar for its value


def bar_chart(chart: Chart, text, not_given: str) -> Markup:
    """Return the SVG of `chart`; `text(Text)` picks the page's language, `not_given` marks a missing value."""
    scale = (WIDTH - VALUE_ROOM) / 100
    title_id, desc_id = f"{chart.id}-title", f"{chart.id}-desc"
    body = []
    y = 0
    for i, series in enumerate(chart.series):  # legend, one line per series
        body.append(f'<rect x="0" y="{y + 4}" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}" '
                    f'class="series-{i % len(COLOURS)}"/>'
                    f'<text x="18" y="{y + 15}" class="chart-legend">{escape(text(series.label))}</text>')
        y += LINE
    y += ROW_GAP
    for row in chart.rows:
        body.append(f'<text x="0" y="{y + 14}" class="chart-label">{escape(text(row.label))}</text>')
        y += LINE
        for i, series in enumerate(chart.series):
            value = row.values.get(series.id)
            if value is None:
                body.append(f'<text x="2" y="{y + 11}" class="chart-missing">{escape(not_given)}</text>')
            else:
                width = value * scale
                body.append(f'<rect x="0" y="{y}" width="{width:.1f}" height="{BAR}" '
                            f'fill="{COLOURS[i % len(COLOURS)]}" class="series-{i % len(COLOURS)}"/>'
                            f'<text x="{width + 4:.1f}" y="{y + 11}" class="chart-value">{format_percent(value)}</text>')
            y += BAR + BAR_GAP
        y += ROW_GAP
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {y}" width="{WIDTH}" height="{y}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{title_id}">{escape(text(chart.title))}</title>'
        f'<desc id="{desc_id}">{escape(text(chart.description))}</desc>'
        + "".join(body) + "</svg>"
    )


def format_percent(value: float) -> str:
    """Return a percentage as the source writes it: 79%, or 12.5% when it has a fraction."""
    return f"{value:g}%"
