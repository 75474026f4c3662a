"""Bar charts drawn on the server as SVG (no script, no CDN: the portal works offline). Only
geometry here; the numbers come from the selectors and are also shown as a table."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import number_format

ROW = 22  #: height of a row, bar and gap
BAR = 15
LABEL = 250  #: width of the labels' column
AREA = 220  #: width of the longest bar
WIDTH = LABEL + AREA + 80


@dataclass
class Bar:
    label: str
    value: float
    text: str
    y: int
    width: float

    @property
    def text_x(self) -> float:
        return LABEL + self.width + 6

    @property
    def label_y(self) -> int:
        return self.y + BAR - 3


@dataclass
class Chart:
    key: str
    title: str
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL
    bar_height: int = BAR


def bar_chart(series) -> Chart:
    peak = series.peak
    bars = []
    for i, (label, value) in enumerate(series.points):
        text = number_format(value, 2) if series.money else number_format(int(value))
        width = round(AREA * value / peak, 1) if value else 0
        bars.append(Bar(str(label), value, text, 4 + i * ROW, width))
    return Chart(series.key, str(series.title), bars, 8 + len(bars) * ROW)
