"""The dashboard's charts, drawn by pygal as inline SVG: values in, SVG text out.

Why pygal: it writes plain SVG from Python with no browser script needed to draw it (its only
script is an optional tooltip file fetched from a CDN, which `js=[]` leaves out), no numpy, and
a viewBox without a fixed size, so a chart scales to a phone's width. matplotlib would need numpy
and fonts for the same bars; Chart.js or Plotly draw in the browser from a script we would
have to inline (hundreds of KB) into a page meant to open from a file.

Sized for a phone (the viewBox is about a phone's width, so text stays legible when the page
scales it down) and labelled in French.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from pygal.style import Style

from ..figures import french_number

PALETTE = ("#1d3557", "#e76f51", "#2a9d8f", "#e9c46a", "#8d5a97", "#457b9d", "#f4a261", "#6a994e", "#bc4749",
           "#9c9c9c")
STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#222222", foreground_strong="#111111",
              foreground_subtle="#666666", colors=PALETTE, font_family="system-ui, -apple-system, 'Segoe UI', "
              "Roboto, 'Helvetica Neue', Arial, sans-serif", label_font_size=13, major_label_font_size=13,
              legend_font_size=13, title_font_size=16, value_font_size=12, tooltip_font_size=13,
              no_data_font_size=18)
WIDTH = 480


def _options(**extra: object) -> dict[str, object]:
    """What every chart shares: no external script, French for an empty chart, legend below."""
    return {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": WIDTH, "height": 360,
            "legend_at_bottom": True, "legend_at_bottom_columns": 2, "truncate_legend": 28, "truncate_label": 18,
            "no_data_text": "Aucune donnée sur la période", "value_formatter": french_number,
            "print_values": False, "margin": 8, "margin_bottom": 28, **extra}


def _svg(chart: pygal.graph.graph.Graph) -> str:
    return chart.render(is_unicode=True)


def _whole_ticks(highest: int, most: int = 6) -> list[int]:
    """Counts are whole: ticks 0, step, 2*step... with a step of 1, 2, 5, 10, 20, 50... (pygal
    would write 0.2, 0.4... for a small maximum)."""
    if highest <= 0:
        return [0, 1]
    step = next(s for e in range(15) for s in (10 ** e, 2 * 10 ** e, 5 * 10 ** e) if highest / s <= most)
    top = -(-highest // step) * step
    return list(range(0, top + 1, step))


def _fill(chart: pygal.graph.graph.Graph, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]],
          stacked: bool = True) -> None:
    """Axis labels and series; none at all when nothing is there, so pygal shows only its
    'no data' text instead of empty axes."""
    if not any(any(values) for _, values in series):
        return
    chart.x_labels = list(labels)
    for label, values in series:
        chart.add(label, [v or None for v in values])
    columns = [sum(v or 0 for v in col) for col in zip(*(values for _, values in series))] if stacked else \
        [max(v or 0 for v in col) for col in zip(*(values for _, values in series))]
    chart.y_labels = _whole_ticks(max(columns, default=0))


def actions_over_time(months: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Actions reported per month, one stacked colour per dossier."""
    chart = pygal.StackedBar(**_options(x_label_rotation=50, height=400))
    _fill(chart, months, series)
    return _svg(chart)


def groups_on_dossiers(dossiers: Sequence[str], groups: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Which group acted on which dossier: a dot per pair, its size the number of actions."""
    chart = pygal.Dot(**_options(x_label_rotation=90, show_legend=False, truncate_label=22,
                                 height=max(220, 130 + 30 * len(groups))))
    if any(any(values) for _, values in groups):
        chart.x_labels = list(dossiers)
        for label, values in groups:
            chart.add(label, [v or None for v in values])
    return _svg(chart)


def campaign_delivery(campaigns: Sequence[str], outcomes: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Per campaign: sent, failed, bounced, unsubscribed (the values printed beside each bar)."""
    chart = pygal.HorizontalBar(**_options(print_values=True, print_zeroes=False,
                                           height=max(240, 120 + 24 * len(campaigns) * len(outcomes) // 2)))
    if campaigns:
        chart.x_labels = list(campaigns)
        for label, values in outcomes:
            chart.add(label, list(values))
    return _svg(chart)


def triage_backlog(ages: Sequence[str], kinds: Sequence[tuple[str, Sequence[int]]]) -> str:
    """Open triage items by how long they have waited, stacked by kind of message."""
    chart = pygal.StackedBar(**_options())
    _fill(chart, ages, kinds)
    return _svg(chart)
