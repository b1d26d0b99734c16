"""A bare python-telegram-bot echo bot with the library's defaults: the baseline of bench/bench_telegram.py.

Run: .venv/bin/python bench/echo_bot.py --base-url http://127.0.0.1:PORT/bot --token TOKEN [--sequential]
"""

from __future__ import annotations

import argparse
import logging

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--sequential", action="store_true", help="concurrent_updates(False) instead of True")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    application = (
        ApplicationBuilder().token(args.token).base_url(args.base_url).concurrent_updates(not args.sequential).build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
