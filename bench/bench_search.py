"""FAQ search latency, build time and memory on the shipped content and on 10,000 generated entries.

Run: .venv/bin/python bench/bench_search.py [--entries 10000] [--rounds 5]
Goals: p99 < 5 ms per query on the shipped content, < 20 ms with 10,000 entries.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge.loader import faq_docs, load_content  # noqa: E402
from bot.knowledge.search import FaqDoc, FaqIndex  # noqa: E402

EVAL_FILE = ROOT / "tests" / "data" / "faq_eval.yaml"
WORD = re.compile(r"[^\W\d_]+")


def load_docs() -> list[FaqDoc]:
    content = load_content(ROOT / "content").content
    assert content is not None, "content/ has errors: run hotline content check"
    return list(faq_docs(content.faqs))


def load_queries() -> list[tuple[str, str]]:
    data: Any = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))
    return [(str(item["q"]), str(item["lang"])) for item in data["questions"]]


def generate(docs: list[FaqDoc], entries: int, seed: int = 7) -> list[FaqDoc]:
    """Entries with the real content's words and word frequencies, so postings have realistic lengths."""
    rng = random.Random(seed)
    words: dict[str, tuple[list[str], list[int]]] = {}
    for lang in {doc.lang for doc in docs}:
        counts = Counter(
            w for doc in docs if doc.lang == lang for w in WORD.findall(f"{doc.question} {doc.answer}".lower())
        )
        words[lang] = (list(counts), list(counts.values()))

    def text(lang: str, low: int, high: int) -> str:
        vocab, weights = words[lang]
        return " ".join(rng.choices(vocab, weights, k=rng.randint(low, high)))

    out: list[FaqDoc] = []
    for n in range(entries):
        for lang in words:
            keywords = tuple(text(lang, 1, 2) for _ in range(rng.randint(2, 5)))
            out.append(FaqDoc(f"gen_{n}", lang, text(lang, 5, 10) + "?", text(lang, 40, 120), keywords))
    return out


def latencies(index: FaqIndex, queries: list[tuple[str, str]], rounds: int) -> tuple[list[float], list[float]]:
    """(wall-clock ms, thread CPU ms) per search; CPU time is what other processes on the machine cannot inflate."""
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for query, lang in queries:
            start, start_cpu = time.perf_counter(), time.thread_time()
            index.search(query, lang)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def build_timed(docs: list[FaqDoc]) -> tuple[FaqIndex, float, float]:
    """The index, with wall-clock and CPU seconds spent building it."""
    gc.collect()
    start, start_cpu = time.perf_counter(), time.process_time()
    index = FaqIndex.build(docs)
    return index, time.perf_counter() - start, time.process_time() - start_cpu


def build_memory(docs: list[FaqDoc]) -> tuple[float, float]:
    """(retained MiB, peak MiB) of building the index, the documents themselves excluded."""
    gc.collect()
    tracemalloc.start()
    index = FaqIndex.build(docs)
    gc.collect()
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del index
    return retained / 2**20, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    docs = load_docs()
    queries = load_queries()
    shipped, shipped_build, shipped_build_cpu = build_timed(docs)
    latencies(shipped, queries, 1)
    shipped_wall, shipped_cpu = latencies(shipped, queries, args.rounds)

    generated = generate(docs, args.entries)
    big, big_build, big_build_cpu = build_timed(generated)
    latencies(big, queries, 1)
    big_wall, big_cpu = latencies(big, queries, args.rounds)
    del big
    retained, peak = build_memory(generated)

    entries = len({doc.faq_id for doc in docs})
    print(
        f"{len(queries)} eval queries x {args.rounds} rounds; {entries} shipped entries ({len(docs)} docs); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'corpus':<20}{'build s':>9}{'cpu s':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'cpu p50':>9}{'cpu p99':>9}{'goal p99':>10}"
    )
    for name, build, build_cpu, wall, cpu, goal in (
        (f"shipped ({entries})", shipped_build, shipped_build_cpu, shipped_wall, shipped_cpu, 5),
        (f"generated ({args.entries})", big_build, big_build_cpu, big_wall, big_cpu, 20),
    ):
        print(
            f"{name:<20}{build:>9.2f}{build_cpu:>7.2f}{statistics.median(wall):>9.2f}{percentile(wall, 0.99):>9.2f}"
            f"{max(wall):>9.2f}{statistics.median(cpu):>9.2f}{percentile(cpu, 0.99):>9.2f}{'< ' + str(goal):>10}"
        )
    print(
        f"index memory at {args.entries} entries ({len(generated)} docs): "
        f"retained {retained:.1f} MiB, peak during build {peak:.1f} MiB"
    )


if __name__ == "__main__":
    main()
