"""Bar charts drawn on the server as SVG: no JavaScript, no chart library, and each chart
comes with the same figures as a table for screen readers and for copying."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.formats import get_format
from django.utils.translation import gettext as _

WIDTH, HEIGHT, GAP, AXIS = 640, 180, 2, 36
TOP = 32  # room above the bars for the "max" label, so it never sits on a bar
LABEL_EVERY_BAR = 6  # up to this many bars each is named under itself; more, the first and last


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    x: float
    y: float
    width: float
    height: float
    text: str

    @property
    def short_label(self) -> str:
        """The label under the bar: without its explanation in brackets ("Pending"), which
        the table and the bar's title keep."""
        return self.label.split(" (")[0]

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    bars: list[Bar]
    maximum: float
    group: str = ""  # what the bars stand for ("Day"), the table's first heading; empty: "Group"
    width: int = WIDTH
    height: int = TOP + HEIGHT + AXIS
    top: int = TOP
    baseline: int = TOP + HEIGHT

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)

    @property
    def labelled_bars(self) -> list[Bar]:
        """The bars named on the axis: each when they are few, else the first and the last."""
        if len(self.bars) <= LABEL_EVERY_BAR:
            return self.bars
        return [self.bars[0], self.bars[-1]]


def bar_chart(
    title: str,
    points: list[tuple[str, float | None]],
    *,
    unit: str = "",
    maximum: float | None = None,
    group: str = "",
) -> Chart:
    values = [value for _, value in points if value is not None]
    top = maximum if maximum is not None else max(values, default=0) or 1
    slot = WIDTH / max(len(points), 1)
    decimal_separator = get_format("DECIMAL_SEPARATOR")
    bars = []
    for index, (label, value) in enumerate(points):
        height = 0 if value is None else HEIGHT * min(value, top) / top
        # Translators: a chart's bar (and table cell) for a day or week without any figure.
        text = _("no data") if value is None else f"{value:g}".replace(".", decimal_separator) + unit
        bars.append(Bar(label, value, index * slot + GAP / 2, TOP + HEIGHT - height, max(slot - GAP, 1), height, text))
    return Chart(title, unit, bars, top, group=group)
