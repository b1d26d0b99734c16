"""A callback request's form: its fields and choices, how long an unfinished one lives, the request it makes."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from bot.i18n import N_
from bot.metrics import record_callback_created
from bot.records import OPEN_STATUSES, CallbackRequest, SessionKey
from bot.store.base import Requests

__all__ = ["COUNTRY_MAX", "FIELDS", "FORM_TTL", "TOPICS", "TOWN_MAX", "WINDOWS", "form_request", "save_request",
           "shared_location_text"]

log = logging.getLogger(__name__)

TOPICS = ("reint_housing", "reint_living", "reint_medical", "reint_employment", "reint_training", "reint_business",
          "legal", "risks", "other")
WINDOWS = {
    "morning": N_("Morning"),
    "afternoon": N_("Afternoon"),
    "evening": N_("Evening"),
    "any": N_("Any time"),
}
FORM_TTL = timedelta(hours=24)  # an abandoned form's personal data does not linger in the session
TOWN_MAX = 80
COUNTRY_MAX = 60
FIELDS = ("name", "phone", "town", "topic", "return_country", "return_month", "language", "time_window", "note")


def shared_location_text(latitude: float, longitude: float) -> str:
    """How a shared location is kept as the town: about a kilometre, enough to call back and find the centre."""
    return f"📍 {latitude:.2f}, {longitude:.2f}"


def form_request(key: SessionKey, form: dict[str, Any], lang: str) -> CallbackRequest:
    """The request a (possibly unfinished) form describes."""
    topic = str(form.get("topic", ""))
    return CallbackRequest(
        channel=key.channel, user_id=key.user_id,
        name=str(form.get("name", "")), phone=str(form.get("phone", "")), town=str(form.get("town", "")),
        topic=topic, returnee=topic.startswith("reint_"),
        return_country=str(form.get("return_country", "")), return_month=str(form.get("return_month", "")),
        language=str(form.get("language", lang)), time_window=str(form.get("time_window", "any")),
        note=str(form.get("note", "")),
    )


async def save_request(store: Requests, request: CallbackRequest, ref: str) -> CallbackRequest:
    """Commits the request before anything is shown; the user's request `ref`, while still open, is updated,
    never duplicated. Nothing a person typed is logged."""
    if ref:
        fields = {f: getattr(request, f) for f in (*FIELDS, "returnee")}
        updated = await store.update_request(ref, fields)
        if updated is not None and updated.status in OPEN_STATUSES:
            log.info("callback request %s updated by its owner", updated.ref)
            return updated
    created = await store.create_request(request)
    record_callback_created()
    log.info("callback request %s created on %s", created.ref, created.channel)
    return created
