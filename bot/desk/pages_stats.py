"""The statistics page (charts drawn on the server) and its tables as CSV downloads."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response
from starlette.routing import Route

from bot.desk.charts import day_bars, labelled_bars
from bot.desk.queueview import now_utc, overdue_cutoff
from bot.desk.stats import OTHER_OUTCOMES, QUESTION_OUTCOMES, TABLES, Period, Report, build_report, report_csv
from bot.desk.web import Desk, Visit, page
from bot.i18n import N_
from bot.staff.queue import LOCAL_TZ
from bot.store.base import OPEN_STATUSES
from bot.store.desk import RequestFilter

__all__ = ["stats_routes"]

STATUS_NAMES = {"new": N_("New"), "assigned": N_("Taken"), "done": N_("Done"), "unreachable": N_("Unreachable")}
GAP_KINDS = {"unanswered": N_("Not answered"), "unhelpful": N_("Marked not helpful")}
OUTCOME_NAMES = {"answered": N_("Answered"), "suggested": N_("Choices offered"), "declined": N_("Declined"),
                 "urgent": N_("Danger: 112 first"), "action": N_("An action (callback, language, …)"),
                 "opened": N_("Entry opened with a button")}


def stats_routes(desk: Desk) -> list[Route]:
    async def report_for(visit: Visit, table: str = "") -> tuple[Period, Report]:
        params = visit.request.query_params
        period = Period.parse(params.get("from", ""), params.get("to", ""), datetime.now(LOCAL_TZ).date())
        await desk.rt.engine.tally.flush(desk.store)  # this worker's counts of the last seconds too
        content = desk.rt.content.current
        report = await build_report(desk.store, content, visit.t, period,
                                    lambda town: desk.areas.label(content, visit.t, town), by_cell=table == "outcomes")
        return period, report

    @page(desk, "statistics")
    async def stats(visit: Visit) -> Response:
        t = visit.t
        period, report = await report_for(visit)
        counts = await desk.store.count_requests(RequestFilter(overdue_before=overdue_cutoff(desk.queue, now_utc())))
        days = period.days
        charts = {
            "channels": day_bars(t.gettext("People in conversation per day, by channel"), days, report.by_channel),
            "languages": day_bars(t.gettext("People in conversation per day, by language"), days,
                                  report.by_language),
            "topics": labelled_bars(t.gettext("Callback requests by topic"), report.topics),
            "areas": labelled_bars(t.gettext("Callback requests by area"), report.areas),
            "gaps": day_bars(t.gettext("Questions the content did not answer"), days,
                             {t.gettext(GAP_KINDS.get(k, k)): v for k, v in report.gaps.items()}),
            "outcomes": day_bars(t.gettext("Typed questions per day: answered, choices offered, declined"), days,
                                 {t.gettext(OUTCOME_NAMES[k]): v for k, v in report.outcomes.items()}),
            "entries": labelled_bars(t.gettext("FAQ entries given most (answered or opened)"),
                                     [(question, answered + opened) for _, question, answered, opened
                                      in report.entries], label_width=420),
        }
        outcomes = [(t.gettext(OUTCOME_NAMES[k]), report.outcome_totals.get(k, 0), report.share(k))
                    for k in QUESTION_OUTCOMES]
        outcomes += [(t.gettext(OUTCOME_NAMES[k]), report.outcome_totals.get(k, 0), None)
                     for k in (*OTHER_OUTCOMES, "opened")]
        return visit.render(
            "stats.html", period=period, report=report, charts=charts, overdue=counts.get("overdue", 0),
            open_now=sum(counts.get(s, 0) for s in OPEN_STATUSES), tables=TABLES,
            statuses=[(t.gettext(STATUS_NAMES.get(s, s)), n) for s, n in report.statuses],
            times={name: (median, p90, n) for name, median, p90, n in report.times}, outcomes=outcomes,
        )

    @page(desk, "statistics")
    async def stats_csv(visit: Visit) -> Response:
        table = visit.request.query_params.get("table", "")
        if table not in TABLES:
            return visit.render("error.html", 404, title=visit.t.gettext("No such table"), message="")
        period, report = await report_for(visit, table)
        name = f"hotline-{table}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
        await desk.store.record_desk_event(visit.account.name if visit.account else "", "csv_download", table)
        return visit.respond(Response(report_csv(report, table), media_type="text/csv; charset=utf-8",
                                      headers={"Content-Disposition": f'attachment; filename="{name}"'}))

    return [Route("/stats", stats), Route("/stats.csv", stats_csv)]
