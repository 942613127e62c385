"""Bar charts drawn on the server as SVG: no JavaScript, no chart library, and each chart
comes with the same figures as a table for screen readers and for copying.

The drawing's layout keeps every label off every bar, at any width the SVG is scaled to
(its labels are drawn larger on a phone, up to FONT_MAX units: helpdesk.css):

    ┌────────┬──────────────────────────────┐
    │ 100%   │ TOP: the value labels above   │
    │ ticks  │      the tallest bar          │
    │  50%   │  ▇▇▇   ▇▇▇                    │  plot: bars from LEFT to WIDTH
    │   0    │──▇▇▇───▇▇▇────────────────────│  baseline
    │        │  name  name    (AXIS)         │
    └────────┴──────────────────────────────┘

The y axis's tick labels are in the left margin, the bars' names under the baseline, a bar's
value above it only when the bars are few enough for the number to fit its slot (else its
title, shown on hover, and the table carry it). A stacked chart (`stacked_chart`) draws each
bar as segments, one per series, its total above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.formats import get_format
from django.utils.translation import gettext as _

WIDTH, HEIGHT, GAP = 640, 180, 2
FONT_MAX = 28  # the largest size the labels are drawn at (a phone: helpdesk.css)
LEFT = 110  # room for the y axis's tick labels ("120000", "100%") at FONT_MAX
TOP = 44  # room above the tallest bar for its value label at FONT_MAX
AXIS = 44  # room under the baseline for the bars' names at FONT_MAX
LABEL_EVERY_BAR = 6  # up to this many bars each is named and valued; more, the first and last named
VALUE_OFFSET = 12  # a value label's baseline this far above its bar: its descent stays off the bar
CHAR_WIDTH = 0.7  # a character's width (Cyrillic's are the widest) in the labels' font, at most, as a share of its size


def _number(value: float, unit: str = "") -> str:
    return f"{value:g}".replace(".", get_format("DECIMAL_SEPARATOR")) + unit


@dataclass(frozen=True)
class Segment:
    """One series' part of a stacked bar."""

    series: str
    value: float
    y: float
    height: float
    index: int  # the series' position, for its colour (helpdesk.css: .series-N)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    x: float
    y: float
    width: float
    height: float
    text: str
    segments: list[Segment] = field(default_factory=list)
    short: str = ""  # the name under the bar, when shorter than its label

    @property
    def short_label(self) -> str:
        """The label under the bar: its short name, or its label without the explanation in
        brackets ("Pending"), which the table and the bar's title keep."""
        return self.short or self.label.split(" (")[0]

    @property
    def middle(self) -> float:
        return self.x + self.width / 2

    @property
    def value_y(self) -> float:
        return self.y - VALUE_OFFSET


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class AxisLabel:
    text: str
    x: float
    y: float
    anchor: str  # SVG text-anchor: start, middle or end


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    bars: list[Bar]
    maximum: float
    group: str = ""  # what the bars stand for ("Day"), the table's first heading; empty: "Group"
    series: list[str] = field(default_factory=list)  # a stacked chart's series, in stacking order
    width: int = WIDTH
    left: int = LEFT
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

    @property
    def valued_bars(self) -> list[Bar]:
        """The bars whose value is written above them: each when they are few (a number then
        fits the bar's slot), none when they are many (their titles and the table say it)."""
        return [bar for bar in self.bars if bar.value is not None] if len(self.bars) <= LABEL_EVERY_BAR else []

    @property
    def ticks(self) -> list[Tick]:
        """The y axis: 0, the middle and the maximum. A count's middle is a whole number (9
        tickets: 0, 4, 9, not 4.5), placed where that number is; a count of 1 has no middle."""
        if self.unit or not float(self.maximum).is_integer():
            values = [0, round(self.maximum * 0.5, 1), self.maximum]
        else:
            whole = int(self.maximum)
            values = sorted({0, whole // 2, whole})
        return [Tick(self.baseline - HEIGHT * value / self.maximum, _number(value, self.unit)) for value in values]

    @property
    def staggered(self) -> bool:
        """Whether the bars' names, each under its bar, would run into each other at FONT_MAX:
        then every other one goes on a second line (and has two slots' width)."""
        slot = _slots(len(self.bars))
        return len(self.bars) <= LABEL_EVERY_BAR and any(
            len(bar.short_label) * FONT_MAX * CHAR_WIDTH > slot - GAP for bar in self.bars
        )

    @property
    def height(self) -> int:
        return TOP + HEIGHT + AXIS * (2 if self.staggered else 1)

    @property
    def label_y(self) -> int:
        return TOP + HEIGHT + AXIS - 12

    @property
    def axis_labels(self) -> list[AxisLabel]:
        """The bars' names under the baseline: each under its bar when they are few
        (staggered on two lines if they would touch), else the first and the last at the
        plot's ends."""
        if len(self.bars) <= LABEL_EVERY_BAR:
            second = AXIS if self.staggered else 0
            return [
                self._under(bar, self.label_y + (second if index % 2 else 0)) for index, bar in enumerate(self.bars)
            ]
        first, last = self.bars[0], self.bars[-1]
        return [
            AxisLabel(first.short_label, self.left, self.label_y, "start"),
            AxisLabel(last.short_label, self.width, self.label_y, "end"),
        ]

    def _under(self, bar: Bar, y: int) -> AxisLabel:
        """A bar's name centred under it, or ending at the plot's edge when it would pass it."""
        half = len(bar.short_label) * FONT_MAX * CHAR_WIDTH / 2
        if bar.middle + half > self.width:
            return AxisLabel(bar.short_label, self.width, y, "end")
        if bar.middle - half < self.left:
            return AxisLabel(bar.short_label, self.left, y, "start")
        return AxisLabel(bar.short_label, bar.middle, y, "middle")

    @property
    def rows(self) -> list[tuple[str, list[str], str]]:
        """The table: each bar's label, its series' figures (stacked charts) and its value."""
        return [
            (bar.label, [_number(segment.value, self.unit) for segment in bar.segments], bar.text) for bar in self.bars
        ]


def _slots(count: int) -> float:
    return (WIDTH - LEFT) / max(count, 1)


def _scale(values: list[float], maximum: float | None) -> float:
    return maximum if maximum is not None else max(values, default=0) or 1


def bar_chart(
    title: str,
    points: list[tuple[str, float | None]],
    *,
    unit: str = "",
    maximum: float | None = None,
    group: str = "",
    short_labels: list[str] | None = None,
) -> Chart:
    """A bar per point (label, value); `short_labels`, if given, name the bars under them."""
    top = _scale([value for _, value in points if value is not None], maximum)
    slot = _slots(len(points))
    bars = []
    for index, (label, value) in enumerate(points):
        height = 0 if value is None else HEIGHT * min(value, top) / top
        # Translators: a chart's bar (and table cell) for a day or week without any figure.
        text = _("no data") if value is None else _number(value, unit)
        x = LEFT + index * slot + GAP / 2
        short = short_labels[index] if short_labels else ""
        bars.append(Bar(label, value, x, TOP + HEIGHT - height, max(slot - GAP, 1), height, text, short=short))
    return Chart(title, unit, bars, top, group=group)


def stacked_chart(
    title: str,
    series: list[str],
    groups: list[tuple[str, list[float]]],
    *,
    group: str = "",
) -> Chart:
    """Bars of several series stacked: `groups` is each bar's label and its figure of each
    of `series`, bottom to top."""
    totals = [sum(values) for _, values in groups]
    top = _scale(totals, None)
    slot = _slots(len(groups))
    bars = []
    for index, ((label, values), total) in enumerate(zip(groups, totals, strict=True)):
        x = LEFT + index * slot + GAP / 2
        segments, floor = [], TOP + HEIGHT
        for position, (name, value) in enumerate(zip(series, values, strict=True)):
            height = HEIGHT * value / top
            floor -= height
            segments.append(Segment(name, value, floor, height, position))
        height = HEIGHT * total / top
        bars.append(Bar(label, total, x, TOP + HEIGHT - height, max(slot - GAP, 1), height, _number(total), segments))
    return Chart(title, "", bars, top, group=group, series=series)
