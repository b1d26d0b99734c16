"""The caseworkers' desk: server time of the queue page with 10,000 requests, and of the statistics page over a
year (100,000 conversations, 300,000 typed messages counted by outcome and FAQ entry, the requests and their audit
trail, 20,000 unanswered questions), on SQLite and PostgreSQL.

Run: .venv/bin/python bench/bench_desk.py [--engines sqlite,postgresql] [--requests 10000] [--pages 200]
Goal: p95 < 100 ms for the queue page, < 300 ms for a year of statistics. The app runs in-process (httpx's ASGI
transport), so the figures are the server's time: session check, account read, the store's reads and rendering.
PostgreSQL runs in a scratch schema of --pg-url, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bot.app import runtime  # noqa: E402
from bot.config import DeskSettings, Settings  # noqa: E402
from bot.desk.app import desk_mount  # noqa: E402
from bot.desk.passwords import hash_password  # noqa: E402
from bot.store.desk import DeskStore, StaffAccount  # noqa: E402
from bot.store.schema import REQUEST_COLUMNS  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TOWNS = ("Batumi", "Kutaisi", "Telavi", "Tbilisi", "Rustavi", "Zugdidi", "Gori", "Poti", "Oni", "Sachkhere",
         "Batumi, Rustaveli st. 12", "a village near Kutaisi", "Ozurgeti", "Khashuri", "Senaki")
TOPICS = ("reint_housing", "reint_employment", "legal", "risks", "other", "reint_business")
VIEWS = ("/desk/queue", "/desk/queue?status=assigned", "/desk/queue?overdue=1&status=new",
         "/desk/queue?status=done&order=oldest&page=3", "/desk/queue?topic=legal&language=ru",
         "/desk/queue?area=Batumi&status=new")
STATS_VIEWS = ("/desk/stats", "/desk/stats?from={year_ago}", "/desk/stats.csv?table=requests_by_area&from={year_ago}",
               "/desk/stats.csv?table=outcomes&from={year_ago}")


@asynccontextmanager
async def database(engine: str, pg_url: str) -> AsyncIterator[str]:
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(pg_url)
    await conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{pg_url}?search_path={schema}"
    finally:
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
        await conn.close()


def year_of_activity(conversations: int) -> list[dict[str, object]]:
    """Per-day counts of people by channel and language that add up to `conversations` over 365 days."""
    today = datetime.now(UTC).date()
    cells = [(today - timedelta(days=d), c, lang) for d in range(365) for c in ("telegram", "viber")
             for lang in ("ka", "en", "ru")]
    share, extra = divmod(conversations, len(cells))
    return [{"day": day.isoformat(), "channel": c, "language": lang, "users": share + (i < extra)}
            for i, (day, c, lang) in enumerate(cells)]


def year_of_outcomes(messages: int, faq_ids: list[str]) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Day counts of typed messages by channel, language and outcome adding up to `messages`, and of the entries
    given each day (40 answered and 30 opened a day, of the content's entries)."""
    rng = random.Random(11)
    today = datetime.now(UTC).date()
    outcomes, entries = [], []
    per_cell = messages // (365 * 6)
    for d in range(365):
        day = (today - timedelta(days=d)).isoformat()
        for channel in ("telegram", "viber"):
            for lang in ("ka", "en", "ru"):
                for outcome, share in (("answered", 0.5), ("suggested", 0.3), ("declined", 0.1), ("urgent", 0.02),
                                       ("action", 0.08), ("opened", 0.2)):
                    outcomes.append({"day": day, "channel": channel, "language": lang, "outcome": outcome,
                                     "n": int(per_cell * share)})
        for how, count in (("answered", 40), ("opened", 30)):
            for faq_id in rng.sample(faq_ids, min(count, len(faq_ids))):
                entries.append({"day": day, "faq_id": faq_id, "outcome": how, "n": rng.randint(1, 20)})
    return outcomes, entries


def audit_rows(requests: list[dict[str, object]]) -> list[dict[str, object]]:
    made, n = [], 0
    for row in requests:
        trail = [("", "new")]
        if row["status"] != "new":
            trail.append(("new", "assigned"))
        if row["status"] in ("done", "unreachable"):
            trail.append(("assigned", row["status"]))
        for step, (before, after) in enumerate(trail):
            n += 1
            at = row["created_at"] + timedelta(hours=5 * step)  # type: ignore[operator]
            made.append({"id": n, "ref": row["ref"], "at": at, "actor": "staff", "from_status": before,
                         "to_status": after, "note": ""})
    return made


def gap_rows(count: int) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    return [{"id": n + 1, "at": now - timedelta(minutes=n * 26), "lang": "ka",
             "kind": ("unanswered", "unhelpful")[n % 2], "text": f"question {n % 500}",
             "normalised": f"question {n % 500}", "faq_id": ""} for n in range(count)]


def rows(count: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    now = datetime.now(UTC)
    made = []
    for n in range(count):
        created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        status = rng.choices(("new", "assigned", "done", "unreachable"), (3, 2, 8, 1))[0]
        made.append({
            "ref": f"CB-{n:05d}", "channel": rng.choice(("telegram", "viber")), "user_id": str(n), "status": status,
            "name": f"Name {n}", "phone": f"+99555{n:07d}", "town": rng.choice(TOWNS), "topic": rng.choice(TOPICS),
            "returnee": n % 2, "return_country": "DE", "return_month": "2025-03",
            "language": rng.choice(("ka", "en", "ru")), "time_window": "any", "note": "",
            "assigned_to": "" if status == "new" else f"staff {n % 7}", "created_at": created,
            "updated_at": created, "staff_message": "",
            "closed_at": created + timedelta(hours=10) if status in ("done", "unreachable") else None,
        })
    for row in made:
        assert set(row) - {"closed_at"} == set(REQUEST_COLUMNS)
    return made


async def timed(client: httpx.AsyncClient, view: str, pages: int) -> tuple[str, float, float, float, float]:
    """Wall time per page, and this process's CPU time per page (p95): on a machine shared with other work the
    wall time includes waiting for a core; on SQLite the CPU time is all the server's work."""
    times, cpu = [], []
    for _ in range(3):
        await client.get(view)  # warm caches (areas, templates)
    for _ in range(pages):
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = await client.get(view)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert answer.status_code == 200, (view, answer.status_code)
    times.sort()
    cpu.sort()
    p95 = int(len(times) * 0.95) - 1
    return view, statistics.median(times), times[p95], times[-1], cpu[p95]


async def bench(engine: str, url: str, count: int, pages: int) -> list[tuple[str, float, float, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=url, log_level="WARNING",
                            desk=DeskSettings(enabled=True, secret_key="bench"))
        async with runtime(settings, watch_content=False) as rt:
            store = rt.store
            assert isinstance(store, DeskStore)
            data = rows(count)
            outcomes, entries = year_of_outcomes(300_000, sorted(rt.content.current.faqs))
            for table, made in (("callback_requests", data), ("callback_audit", audit_rows(data)),
                                ("activity_days", year_of_activity(100_000)), ("gaps", gap_rows(20_000)),
                                ("outcome_days", outcomes), ("entry_days", entries)):
                for start in range(0, len(made), 2000):
                    await rt.store.load_rows(table, made[start:start + 2000])
            await store.add_account(StaffAccount("boss", "supervisor", await hash_password("bench password"),
                                                 must_change=False))
            mounted = desk_mount(settings)
            assert mounted is not None
            mount, desk = mounted
            desk.attach(rt)
            app = Starlette(routes=[mount])
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
                form = await client.get("/desk/login")
                csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
                signed = await client.post("/desk/login", data={"csrf": csrf, "name": "boss",
                                                                "password": "bench password"})
                assert signed.status_code == 303, signed.status_code
                year_ago = (datetime.now(UTC) - timedelta(days=364)).date().isoformat()
                results = [await timed(client, view, pages) for view in VIEWS]
                results += [await timed(client, view.format(year_ago=year_ago), max(pages // 4, 20))
                            for view in STATS_VIEWS]
                return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args()
    print(f"queue: {args.requests:,} requests, {args.pages} loads per view; statistics: a year, 100,000 "
          f"conversations, {args.pages // 4} loads per view (ms of server time)")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'engine':<11} {'view':<48} {'p50':>7} {'p95':>7} {'max':>7} {'cpu p95':>8}")
    for engine in args.engines.split(","):
        async with database(engine, args.pg_url) as url:
            for view, p50, p95, worst, cpu in await bench(engine, url, args.requests, args.pages):
                print(f"{engine:<11} {view.removeprefix('/desk')[:48]:<48} {p50:7.1f} {p95:7.1f} {worst:7.1f} "
                      f"{cpu:8.1f}")


if __name__ == "__main__":
    asyncio.run(main())
