"""Server-drawn charts: plain SVG that escapes its labels and scales bars to the largest day."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree

from bot.desk.charts import day_bars, labelled_bars

SVG = "{http://www.w3.org/2000/svg}"


def test_day_bars_stack_series_and_escape_names() -> None:
    days = [date(2026, 12, 1) + timedelta(days=n) for n in range(3)]
    svg = ElementTree.fromstring(str(day_bars("<b>people</b>", days, {"telegram": [1, 0, 4], "<viber>": [1, 2, 6]})))
    assert svg.get("aria-label") == "<b>people</b>"
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("width") != "12"]
    assert len(bars) == 5, "no bar for a zero"
    heights = [float(r.get("height", 0)) for r in bars]
    assert round(sum(heights[-2:]), 1) == 260 - 28 - 40, "the busiest day (10) reaches the top of the axis (10)"
    assert round(heights[-2] / heights[-1], 2) == round(4 / 6, 2)
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert titles[2] == "2026-12-03: telegram 4, <viber> 6"
    assert not list(svg.iter(f"{SVG}script")) and not list(svg.iter(f"{SVG}style"))


def test_labelled_bars_shorten_long_labels_but_keep_them_in_the_tooltip() -> None:
    long = "ა" * 60
    svg = ElementTree.fromstring(str(labelled_bars("areas", [(long, 3), ("Oni", 1)])))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[0] == "ა" * 32 + "…" and texts[1] == "3", "what fits left of the bars (300 px, 9 px a letter)"
    assert next(t.text for t in svg.iter(f"{SVG}title")) == f"{long}: 3"
