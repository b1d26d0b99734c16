"""The Telegram channel, on python-telegram-bot, in parts:

- app.py: building the Application from settings (request class, rate limiter, handlers, staff, command menu)
- bridge.py: updates -> core Events, and the engine's Replies back out (render.py within Telegram's limits)
- lifecycle.py: `async with application`, polling, and `hotline run`; webhook.py: the webhook endpoint
- http.py: the aiohttp request class and the bot's fast call path; pending.py: polled updates kept until handled
- ptb_private.py: the only place that touches python-telegram-bot's private names
- live.py: live chats with a caseworker (files a person sends, sending a caseworker's replies, the staff group)

Nothing is re-exported here: the staff module imports render.py, and app.py imports the staff module.
"""
