"""The first lines of every reply to danger, wherever in a conversation it is told."""

from __future__ import annotations

from bot.core.context import Ctx

__all__ = ["danger_notice"]


def danger_notice(ctx: Ctx, despair: bool) -> str:
    """112 and the hotline, in the words for someone who may hurt themselves or for danger from others."""
    hotline = ctx.content.hotline
    opening = ctx._("You are not alone. If you might hurt yourself, call 112 now (free, 24 hours). Abroad, "
                    "call the local emergency number.") if despair else \
        ctx._("🚨 If you or someone else is in danger now, call 112 (police and ambulance in Georgia, free, "
              "24 hours). Abroad, call the local emergency number.")
    return "\n".join([
        opening,
        ctx._("IOM hotline: {phone}").format(phone=hotline.display),
        ctx._("From abroad, call {number}.").format(number=hotline.international),
    ])
