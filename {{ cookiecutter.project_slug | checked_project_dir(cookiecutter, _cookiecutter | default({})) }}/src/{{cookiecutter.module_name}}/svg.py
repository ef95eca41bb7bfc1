"""Small inline SVG charts for the HTML reports: lines, points and bars, with axes and labels.

Written here rather than with matplotlib: the reports must be self-contained and small (a
matplotlib SVG draws each point as its own path, about 1 MB for 10,000 points), and `monitor`
runs in the serving image, which holds no plotting library. Every chart has a title and a
text alternative, so that the page reads without the pictures too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import numpy.typing as npt

WIDTH, HEIGHT, MARGIN = 560, 240, 48
#: Numbers to draw: a list or an array.
Values = Sequence[float] | npt.NDArray[Any]
#: Colours of successive series (colour-blind safe: Okabe and Ito's palette).
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00")


@dataclass(frozen=True)
class Series:
    """One line or set of points: x and y values (finite ones are drawn) and a legend name."""

    name: str
    x: Values
    y: Values
    points: bool = False


def chart(
    title: str,
    series: Sequence[Series],
    *,
    x_label: str = "",
    y_label: str = "",
    rules: Sequence[tuple[float, str]] = (),
    diagonal: bool = False,
) -> str:
    """An SVG figure of `series` on shared axes; `rules` are horizontal reference lines (value,
    label), `diagonal` draws y = x (for actual against predicted)."""
    xs = np.concatenate([np.asarray(s.x, dtype=float) for s in series] or [np.zeros(1)])
    ys = np.concatenate([np.asarray(s.y, dtype=float) for s in series] + [np.array([v for v, _ in rules])])
    x_range, y_range = _range(xs), _range(ys)
    if diagonal:
        x_range = y_range = (min(x_range[0], y_range[0]), max(x_range[1], y_range[1]))

    def px(value: float) -> float:
        return MARGIN + (value - x_range[0]) / (x_range[1] - x_range[0]) * (WIDTH - 2 * MARGIN)

    def py(value: float) -> float:
        return HEIGHT - MARGIN + (y_range[0] - value) / (y_range[1] - y_range[0]) * (HEIGHT - 2 * MARGIN)

    parts = [_axes((x_range, y_range), (x_label, y_label), px, py)]
    if diagonal:
        parts.append(_line([(px(x_range[0]), py(y_range[0])), (px(x_range[1]), py(y_range[1]))], "#999", dash=True))
    for value, label in rules:
        parts.append(_line([(px(x_range[0]), py(value)), (px(x_range[1]), py(value))], "#c00", dash=True))
        parts.append(_text(px(x_range[1]) - 4, py(value) - 4, label, anchor="end", size=10))
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        x, y = np.asarray(item.x, dtype=float), np.asarray(item.y, dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        coords = [(px(a), py(b)) for a, b in zip(x[keep], y[keep], strict=True)]
        if item.points:
            parts.append(
                f'<g fill="{colour}" fill-opacity="0.5">'
                + "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="1.6"/>' for a, b in coords)
                + "</g>"
            )
        else:
            parts.append(_line(coords, colour))
        if len(series) > 1:
            parts.append(_text(WIDTH - MARGIN + 6, MARGIN + 14 * index, item.name, fill=colour, anchor="start"))
    alternative = f"{title}: " + "; ".join(f"{s.name}, {len(s.x)} values" for s in series)
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH + 120} {HEIGHT}" '
        f'width="{WIDTH + 120}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(alternative)}"><title>{escape(title)}</title>{"".join(parts)}</svg>'
        f"<figcaption>{escape(title)}</figcaption></figure>"
    )


def thin(x: np.ndarray, y: np.ndarray, limit: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """At most `limit` of the points, drawn at random: a scatter of a million rows stays small."""
    if len(x) <= limit:
        return x, y
    keep = np.sort(np.random.default_rng(seed).choice(len(x), limit, replace=False))
    return x[keep], y[keep]


def _range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    return low - pad, high + pad


def _axes(
    ranges: tuple[tuple[float, float], tuple[float, float]],
    labels: tuple[str, str],
    px: Callable[[float], float],
    py: Callable[[float], float],
) -> str:
    (x_range, y_range), (x_label, y_label) = ranges, labels
    bottom, left = HEIGHT - MARGIN, MARGIN
    parts = [_line([(left, MARGIN), (left, bottom), (WIDTH - MARGIN, bottom)], "#333")]
    for value in np.linspace(*x_range, 5)[1:-1]:
        parts.append(_text(px(value), bottom + 14, f"{value:.3g}", size=10))
    for value in np.linspace(*y_range, 5)[1:-1]:
        parts.append(_text(left - 4, py(value) + 3, f"{value:.3g}", anchor="end", size=10))
    parts.append(_text((WIDTH) / 2, HEIGHT - 8, x_label))
    parts.append(
        f'<text x="12" y="{HEIGHT / 2:.0f}" transform="rotate(-90 12 {HEIGHT / 2:.0f})" '
        f'text-anchor="middle" font-size="11">{escape(y_label)}</text>'
    )
    return "".join(parts)


def _line(coords: Sequence[tuple[float, float]], colour: str, dash: bool = False) -> str:
    if not coords:
        return ""
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    style = ' stroke-dasharray="4 3"' if dash else ""
    return f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1.5"{style}/>'


def _text(x: float, y: float, text: str, *, anchor: str = "middle", size: int = 11, fill: str = "#333") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}">{escape(text)}</text>'
    )
