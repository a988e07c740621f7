"""Charts drawn on the server as inline SVG: readable without JavaScript, each an image with a
title and a description for screen readers, and each bar with its own title (the full name
and the value); a value that cannot be given ("—") draws no bar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 720
LABEL_WIDTH = 260
VALUE_WIDTH = 70
BAR_HEIGHT = 20
GAP = 8
TOP = 8
AXIS = 24
LABEL_CHARS = 38
# Dark enough on white for text and for the bars (WCAG contrast over 4.5:1).
BAR_COLOUR = "#1d5fa0"
TARGET_COLOUR = "#8a1c1c"
TEXT_COLOUR = "#0b0c0c"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    # The value as the page writes it (with its unit), "—" when there is none.
    text: str


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    maximum: float | None = None,
    target: float | None = None,
    target_text: str = "",
) -> str:
    """A horizontal bar chart; ``maximum`` is the end of the scale (the largest value when
    None), ``target`` a dashed line across the bars."""
    values = [bar.value for bar in bars if bar.value is not None]
    top = maximum if maximum is not None else max(values, default=0.0)
    scale = top if top > 0 else 1.0
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = TOP + len(bars) * (BAR_HEIGHT + GAP) + AXIS
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"'
        f' viewBox="0 0 {WIDTH} {height}" width="100%"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for index, bar in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        length = 0.0 if bar.value is None else max(0.0, min(bar.value, scale)) / scale * plot
        parts.append("<g>")
        parts.append(f"<title>{escape(bar.label)}: {escape(bar.text)}</title>")
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.1f}" text-anchor="end"'
            f' dominant-baseline="middle" font-size="13" fill="{TEXT_COLOUR}">'
            f"{escape(_short(bar.label))}</text>"
        )
        if length > 0:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}"'
                f' fill="{BAR_COLOUR}"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.1f}"'
            f' dominant-baseline="middle" font-size="13" fill="{TEXT_COLOUR}">'
            f"{escape(bar.text)}</text>"
        )
        parts.append("</g>")
    base = TOP + len(bars) * (BAR_HEIGHT + GAP)
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="{TOP - 4}" x2="{LABEL_WIDTH}" y2="{base}"'
        f' stroke="{TEXT_COLOUR}" stroke-width="1"/>'
    )
    if target is not None and 0 <= target <= scale:
        x = LABEL_WIDTH + target / scale * plot
        parts.append(
            f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{base}" stroke="{TARGET_COLOUR}"'
            ' stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" font-size="12"'
            f' fill="{TARGET_COLOUR}">{escape(target_text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
