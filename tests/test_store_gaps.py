"""The content-gaps contract (`Gaps`): questions grouped and counted, filtered, purged.

Run over SQLite and PostgreSQL by the fixtures in tests/store_support.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import Store


async def test_gaps_group_count_filter_and_purge(store: Store) -> None:
    for text in ("Visa for Germany?", "visa for germany", "Visa for Germany?"):
        await store.record_gap("en", "unanswered", text, "visa germany")
    await store.record_gap("ru", "unanswered", "Виза", "виза")
    await store.record_gap("en", "unhelpful", "How to check an agency", "agency", faq_id="legal_agency_check")
    rows = await store.gaps()
    assert (rows[0].lang, rows[0].kind, rows[0].count, rows[0].text) == ("en", "unanswered", 3, "Visa for Germany?")
    assert {(r.lang, r.kind, r.count, r.faq_id) for r in rows} == {
        ("en", "unanswered", 3, ""), ("ru", "unanswered", 1, ""), ("en", "unhelpful", 1, "legal_agency_check")}
    assert all(r.last_at is not None and r.last_at.tzinfo is not None for r in rows)
    assert [r.text for r in await store.gaps(lang="ru")] == ["Виза"]
    assert len(await store.gaps(limit=1)) == 1
    assert await store.gaps(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert await store.purge_gaps(datetime.now(UTC) + timedelta(seconds=1)) == 5
    assert await store.gaps() == []
