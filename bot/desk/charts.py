"""Charts drawn on the server as inline SVG: bars per day (stacked by series) and labelled horizontal bars.

Plain SVG with presentation attributes only (no style or script element), so the desk's Content-Security-Policy
stays strict and the page needs nothing from outside. pygal drew a year of daily bars in about 0.8 s, too slow
for a page that must answer in 0.3 s; these take a few milliseconds.
"""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

__all__ = ["COLOURS", "day_bars", "labelled_bars"]

COLOURS = ("#1f5fa8", "#e08a1e", "#2e8b57", "#b03a48", "#6c4fb3", "#7a7a7a")
_FONT = 'font-family="Noto Sans Georgian, Noto Sans, DejaVu Sans, sans-serif"'


def _nice_max(value: float) -> int:
    """A round top for the axis: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def day_bars(title: str, days: list[date], series: dict[str, list[int]], width: int = 900,
             height: int = 260) -> Markup:
    """Bars per day, stacked by series (e.g. channels), with a legend; a day's total in its tooltip."""
    left, right, top, bottom = 44, 8, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(days))]
    peak = _nice_max(max(max(totals, default=0), 5))  # at least 5, so the five steps are whole numbers
    slot = plot_w / max(len(days), 1)
    bar = max(slot * 0.8, 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" {_FONT} font-size="12">']
    for tick in range(6):
        value = peak * tick / 5
        y = top + plot_h - plot_h * tick / 5
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde3ea"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#5b6775">{value:g}</text>')
    names = [str(escape(name)) for name in series]
    columns = list(zip(*series.values(), strict=True)) if series else [() for _ in days]
    scale, width_text = plot_h / peak, f"{bar:.1f}"
    for i, (day, values) in enumerate(zip(days, columns, strict=True)):
        x, base = f"{left + i * slot + (slot - bar) / 2:.1f}", top + plot_h
        tip = ", ".join(f"{name} {value}" for name, value in zip(names, values, strict=True))
        parts.append(f"<g><title>{day.isoformat()}: {tip}</title>")
        for k, value in enumerate(values):
            if value:
                h = scale * value
                base -= h
                parts.append(f'<rect x="{x}" y="{base:.1f}" width="{width_text}" height="{h:.1f}" '
                             f'fill="{COLOURS[k % len(COLOURS)]}"/>')
        parts.append("</g>")
    every = max(1, len(days) // 8)
    for i in range(0, len(days), every):
        x = left + i * slot + slot / 2
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#5b6775">'
                     f"{days[i].strftime('%d.%m')}</text>")
    x = left
    for k, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[k % len(COLOURS)]}"/>'
                     f'<text x="{x + 16}" y="16" fill="#1d2733">{name}</text>')
        x += 24 + 8 * len(name)
    parts.append("</svg>")
    return Markup("".join(parts))


def labelled_bars(title: str, rows: list[tuple[str, int]], width: int = 900, label_width: int = 300) -> Markup:
    """One horizontal bar per row, label on the left and the number at the bar's end."""
    row_h, top = 24, 6
    height = top * 2 + row_h * max(len(rows), 1)
    peak = max((value for _, value in rows), default=0) or 1
    plot_w = width - label_width - 60
    fits = label_width // 9  # characters: Georgian letters are the widest, about 9 px at this size
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" {_FONT} font-size="13">']
    for i, (label, value) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * value / peak
        shown = label if len(label) <= fits else label[:fits - 1] + "…"
        parts.append(f'<g><title>{escape(label)}: {value}</title>'
                     f'<text x="{label_width - 8}" y="{y + 16}" text-anchor="end" fill="#1d2733">{escape(shown)}</text>'
                     f'<rect x="{label_width}" y="{y + 4}" width="{max(w, 1):.1f}" height="{row_h - 8}" '
                     f'fill="{COLOURS[0]}"/>'
                     f'<text x="{label_width + w + 6:.1f}" y="{y + 16}" fill="#5b6775">{value}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
